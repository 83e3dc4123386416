"""What happened to a client's synced content, for flows that act on it without the sync knowing them.

The Smint.io pull calls ``synced(client)`` after it stored new content; the reviews app (approval cycles) and later
flows register with ``on_synced``. Listeners must be idempotent: scheduled jobs call them too, as a safety net.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

_LISTENERS: list[Callable] = []


def on_synced(listener: Callable) -> Callable:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def synced(client) -> None:
    for listener in _LISTENERS:
        listener(client)
