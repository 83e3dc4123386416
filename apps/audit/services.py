"""Writing the audit trail. Every service that changes state calls ``record`` inside its transaction."""

from __future__ import annotations

import re
from typing import Any

from django.db import models
from django_guid import get_guid

from .models import AuditEvent

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){2,}$")


def record(
    action: str,
    *,
    actor=None,
    client=None,
    obj: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor_label: str = "",
) -> AuditEvent:
    """Append one event. ``action`` is ``<app>.<noun>.<verb>``; ``actor`` None means the system did it.

    The request id of the current request (or worker task) is attached, so an event can be traced to its logs.
    """
    if not _ACTION.match(action):
        raise ValueError(f"Audit action {action!r} must look like 'app.noun.verb'.")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    label = actor_label or (actor.email if actor is not None else "system")
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=label,
        client=client,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        before=before,
        after=after,
        reason=reason,
        request_id=get_guid() or "",
    )


def record_many(action: str, objects, *, before_after, reason="", actor_label: str = "system") -> int:
    """Append one system event per object in one INSERT (a sync that changes many rows at once): ``objects`` are
    model instances with ``client_id``; ``before_after(obj)`` returns their ``(before, after)``; ``reason`` is text
    or a function of the object; ``actor_label`` names the system that acted (e.g. OpenText)."""
    if not _ACTION.match(action):
        raise ValueError(f"Audit action {action!r} must look like 'app.noun.verb'.")
    request_id = get_guid() or ""
    events = []
    for obj in objects:
        before, after = before_after(obj)
        events.append(
            AuditEvent(
                actor=None,
                actor_label=actor_label,
                client_id=obj.client_id,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=str(obj)[:200],
                before=before,
                after=after,
                reason=reason(obj) if callable(reason) else reason,
                request_id=request_id,
            )
        )
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of ``fields`` on ``instance``, ready for ``before``/``after``."""
    return {field: getattr(instance, field) for field in fields}
