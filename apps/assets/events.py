"""What happened to a client's synced content, for flows that act on it without the sync knowing them.

The Smint.io pull calls ``synced(client)`` after it stored new content, and ``changed(client, asset_ids)`` with the
assets whose licence arrived new or in a new version; the reviews app (approval cycles, resubmission after a change
request) and later flows register with ``on_synced`` / ``on_changed``. Listeners must be idempotent: scheduled jobs
call ``synced`` too, as a safety net, and a re-delivered record reports its asset as changed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_LISTENERS: list[Callable] = []
_CHANGE_LISTENERS: list[Callable] = []


def on_synced(listener: Callable) -> Callable:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def synced(client) -> None:
    for listener in _LISTENERS:
        listener(client)


def on_changed(listener: Callable) -> Callable:
    if listener not in _CHANGE_LISTENERS:
        _CHANGE_LISTENERS.append(listener)
    return listener


def changed(client, asset_ids) -> None:
    if not asset_ids:
        return
    for listener in _CHANGE_LISTENERS:
        listener(client, set(asset_ids))


def pulled(client, changed_asset_ids=()) -> None:
    """After a pull of ``client``'s content: the changed assets' listeners, then the synced ones."""
    changed(client, changed_asset_ids)
    synced(client)


_USAGE_LISTENERS: list[Callable] = []


def on_usage(listener: Callable) -> Callable:
    """``listener(client_ids)`` after usage events were recorded (e.g. compliance detection)."""
    if listener not in _USAGE_LISTENERS:
        _USAGE_LISTENERS.append(listener)
    return listener


def usage_recorded(client_ids) -> None:
    for listener in _USAGE_LISTENERS:
        listener(set(client_ids))


_REPLACED_LISTENERS: list[Callable] = []


def on_replaced(listener: Callable) -> Callable:
    """``listener(old, new, *, reason)`` when a case replaced asset ``old`` with ``new`` (the exceptions app emits
    it; creative requests move their deliveries to ``new``). Called inside the transaction that closes the case."""
    if listener not in _REPLACED_LISTENERS:
        _REPLACED_LISTENERS.append(listener)
    return listener


def replaced(old, new, *, reason: str = "") -> None:
    for listener in _REPLACED_LISTENERS:
        listener(old, new, reason=reason)
