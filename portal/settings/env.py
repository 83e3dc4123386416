"""Typed readers for configuration from the environment.

Each helper raises ``ImproperlyConfigured`` on a malformed value so that a typo in a deployment fails at start-up,
not at the first request that happens to read it. ``required=True`` (or no default) means the variable must be set.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")
_MISSING = object()

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _read(name: str, default: object, parse: Callable[[str], T]) -> T:
    raw = os.environ.get(name)
    if raw is None:
        if default is _MISSING:
            raise ImproperlyConfigured(f"Set the {name} environment variable.")
        return default  # type: ignore[return-value]
    try:
        return parse(raw)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not valid: {exc}") from None


def env_str(name: str, default: str | object = _MISSING) -> str:
    """A string; an unset variable without a default is an error."""
    return _read(name, default, str)


def env_bool(name: str, default: bool | object = _MISSING) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (case-insensitive); anything else is an error."""

    def parse(raw: str) -> bool:
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ValueError("expected one of 1/0, true/false, yes/no, on/off")

    return _read(name, default, parse)


def env_int(name: str, default: int | object = _MISSING, *, minimum: int | None = None) -> int:
    """An integer, optionally bounded below."""

    def parse(raw: str) -> int:
        value = int(raw.strip())
        if minimum is not None and value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value

    return _read(name, default, parse)


def env_list(name: str, default: list[str] | object = _MISSING) -> list[str]:
    """A comma-separated list; blanks around items are dropped, empty items are ignored."""
    return _read(name, default, lambda raw: [item.strip() for item in raw.split(",") if item.strip()])


FERNET_KEY_HINT = (
    "a Fernet key is 32 url-safe base64-encoded bytes (44 characters); generate one with "
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


def fernet_keys(name: str) -> list[str]:
    """A comma-separated list of Fernet keys (may be empty). A malformed key is refused here, not at the first
    encryption; the message names its position, never its value (it is a secret)."""
    from cryptography.fernet import Fernet

    keys = env_list(name, [])
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except ValueError:  # binascii.Error is a ValueError too
            raise ImproperlyConfigured(
                f"{name}: key {position} of {len(keys)} is not a Fernet key ({FERNET_KEY_HINT})."
            ) from None
    return keys


def cidr_list(name: str) -> list[str]:
    """A comma-separated list of networks (``10.0.0.0/8``, ``fd00::/8``; may be empty), refused here when one does not
    parse, not at the first delivery that reads it."""
    import ipaddress

    networks = env_list(name, [])
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {network!r} is not a network in CIDR notation: {exc}") from None
    return networks
