"""Domain events: what happened, said once by the app that made it happen, heard by the apps that tell people
(notifications) and integrators (webhooks).

The domain apps sit below the apps that listen (import-linter layers), so they cannot call them; they ``publish``
here and the listeners, registered when their app loads (``AppConfig.ready``), are called synchronously inside the
publisher's transaction. A listener writes rows only (a notification, an outbox row), never calls out: what it
writes commits or rolls back with the change that caused it, and the outbox relay delivers it later.

Every event names a stable ``key`` (e.g. ``asset.approved:run-42``): the listeners deduplicate on it, so an event
published twice (a retried job, a re-delivered hint) reaches each person and each endpoint once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

logger = logging.getLogger(__name__)

# name -> what it means. A name outside this list is refused by ``publish`` (a typo would otherwise be silence).
CATALOGUE: dict[str, str] = {
    "task.available": "A task became open to the people of its roles and regions.",
    "task.assigned": "A task was assigned (claimed or given) to one person.",
    "task.delegated": "A task reached a person's delegate while they are away.",
    "task.escalated": "An overdue task was escalated to the client's contacts.",
    "comment.mentioned": "Someone was @mentioned in a comment.",
    "asset.approved": "An asset's approval ended approved.",
    "asset.rejected": "An asset's approval ended rejected.",
    "asset.restricted": "An asset was approved with restrictions.",
    "asset.withdrawn": "An approved asset was withdrawn (rights expired, case decided, hold).",
    "case.opened": "An exception or rights case was opened for an asset.",
    "case.decided": "A case was decided.",
    "request.status_changed": "A creative request moved to another status.",
    "request.delivered": "A creative request's assets were delivered.",
    "onboarding.published": "An onboarded asset was published.",
    "sync.broken": "A connection to Smint.io or OpenText stopped working (refused credentials, circuit open).",
    "webhook.disabled": "A webhook endpoint was disabled after repeated failed deliveries.",
}


@dataclass(frozen=True)
class Event:
    """One thing that happened. ``data`` is JSON-safe (ids, labels, a ``url`` path to the subject's page, and where
    known ``requested_by``: the user id of the person who asked for the work, and ``reason``)."""

    name: str
    key: str
    client: object  # apps.clients.models.Client; typed loosely: common sits below clients
    data: dict
    actor: object | None = None  # the user who caused it, if a person did
    occurred_at: datetime = field(default_factory=timezone.now)


Listener = Callable[[Event], None]
_LISTENERS: dict[str, list[Listener]] = {}


def listen(*names: str) -> Callable[[Listener], Listener]:
    """Register a listener for the named events (``"*"`` for all of them)."""
    unknown = [n for n in names if n != "*" and n not in CATALOGUE]
    if unknown:
        raise ValueError(f"Unknown event names: {unknown}")

    def register(function: Listener) -> Listener:
        for name in names:
            if function not in _LISTENERS.setdefault(name, []):
                _LISTENERS[name].append(function)
        return function

    return register


def publish(name: str, *, key: str, client, data: dict, actor=None) -> Event:
    """Tell every listener of ``name``; call it inside the transaction of the change. A listener that raises
    rolls the change back with it (it only writes rows, so an error there is a bug to see, not to hide)."""
    if name not in CATALOGUE:
        raise ValueError(f"Unknown event {name!r}: add it to apps.common.events.CATALOGUE")
    event = Event(name=name, key=key, client=client, data=data, actor=actor)
    for listener in [*_LISTENERS.get(name, ()), *_LISTENERS.get("*", ())]:
        listener(event)
    logger.debug("event %s %s", name, key)
    return event
