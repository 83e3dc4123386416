"""The asset page's extension point: what the apps above ``assets`` show on an asset's page.

``assets`` imports none of the apps above it (docs/architecture.md, "Layers"), yet its page shows what they know
about an asset: the approval runs and their tasks, the conversation and the timeline (``workflows``), the licence
checked against the cycle's intended use (``reviews``). Each of those apps registers a *provider* here from its
``AppConfig.ready()``, as NetBox plugins register a ``PluginTemplateExtension`` or Wagtail apps a hook.

A provider is ``(request, asset, context) -> Mapping``: it reads ``context`` (read-only: the page's own keys and
those of the providers registered before it, which is ``INSTALLED_APPS`` order, so a higher app sees a lower app's
keys) and returns the keys it adds. Two providers never set the same key (``ImproperlyConfigured``). The template
(``templates/assets/asset_detail.html``) shows each section whose keys were provided and leaves out the others.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from .models import Asset


class Provider(Protocol):
    def __call__(
        self, request: HttpRequest, asset: Asset, context: Mapping[str, Any], /
    ) -> Mapping[str, Any]: ...  # pragma: no cover - a signature


_PROVIDERS: dict[str, Provider] = {}


def register(name: str, provider: Provider) -> Provider:
    """Add ``provider`` under ``name`` (``<app>.<what>``); registering a name again replaces its provider, so an
    app's ``ready()`` may run twice."""
    _PROVIDERS[name] = provider
    return provider


def providers() -> list[str]:
    """The registered providers' names, in the order they run."""
    return list(_PROVIDERS)


def context(request: HttpRequest, asset: Asset) -> dict[str, Any]:
    """The asset page's context: the asset and its licences (prefetched by the view), then each provider's keys."""
    page: dict[str, Any] = {"asset": asset, "licences": asset.license_purchases.all()}
    for name, provide in _PROVIDERS.items():
        added = provide(request, asset, MappingProxyType(page))
        taken = page.keys() & added.keys()
        if taken:
            raise ImproperlyConfigured(f"The asset page provider {name!r} would replace {sorted(taken)}.")
        page.update(added)
    return page


# -- what the apps above know of an asset's uses ---------------------------------------------------------------------
@dataclass(frozen=True)
class AssetUse:
    """One use of an asset an app above knows of (a delivery to a creative request), as a page lists it."""

    label: str  # "Delivered to request “Spring launch”"
    url: str
    at: Any  # datetime
    detail: str = ""


_USE_PROVIDERS: dict[str, Callable] = {}


def register_uses(name: str, provider: Callable) -> Callable:
    """Add ``provider(request, asset) -> list[AssetUse]`` under ``name``: what the asset's case pages (and its own
    page) list as its uses, from apps ``assets`` and the case apps cannot import (``creative.deliveries``)."""
    _USE_PROVIDERS[name] = provider
    return provider


def uses(request: HttpRequest, asset: Asset) -> list[AssetUse]:
    """Every registered provider's uses of ``asset`` the viewer may see, newest first."""
    found = [use for provide in _USE_PROVIDERS.values() for use in provide(request, asset)]
    return sorted(found, key=lambda use: use.at, reverse=True)
