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


_INGEST_LISTENERS: list[Callable] = []


def on_ingest(listener: Callable) -> Callable:
    """``listener(client)`` before any flow acts on newly synced content: a gate that takes some new assets aside
    (onboarding holds DAM content until it passes). Approval cycles ask it too before they start
    (``reviews.services.start_pending_approvals``), so a schedule racing a pull never reviews a gated asset."""
    if listener not in _INGEST_LISTENERS:
        _INGEST_LISTENERS.append(listener)
    return listener


def ingest(client=None) -> None:
    """Run the ingest gates for ``client`` (``None``: every client)."""
    for listener in _INGEST_LISTENERS:
        listener(client)


def pulled(client, changed_asset_ids=()) -> None:
    """After a pull of ``client``'s content: the ingest gates, the changed assets' listeners, then the synced ones."""
    ingest(client)
    changed(client, changed_asset_ids)
    synced(client)


_READY_LISTENERS: list[Callable] = []


def on_ready_for_review(listener: Callable) -> Callable:
    """``listener(client)`` when a gate let assets through (an onboarding published them awaiting approval)."""
    if listener not in _READY_LISTENERS:
        _READY_LISTENERS.append(listener)
    return listener


def ready_for_review(client) -> None:
    for listener in _READY_LISTENERS:
        listener(client)


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
