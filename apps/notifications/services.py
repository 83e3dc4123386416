"""Notifications: the listener that turns domain events into one row per person (the in-app centre) and, as each
person chose, an e-mail through the outbox (never sent in the web request); marking read; preferences.

The listener runs inside the publisher's transaction (``apps.common.events``): it only writes rows. The unique
``(user, event_key)`` makes a re-published event a no-op, so nobody is told twice, in the centre or by mail.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from apps.audit import services as audit
from apps.common import events, user_cache
from apps.outbox import services as outbox
from apps.outbox.services import Platform

from . import recipients as who
from .choices import DEFAULT_MODES, EVENT_KINDS, Kind, Mode
from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)

MAIL_KIND = "mail.send"


# -- what each event says ---------------------------------------------------------------------------------------
def _task_title(data: dict) -> str:
    return f"{data.get('task_name') or 'Task'}: {data.get('title') or ''}".strip(": ")


def _due(data: dict) -> str:
    return f" Due {data['due_at'][:10]}." if data.get("due_at") else ""


def _owners(client, owner_id, about: str) -> list[who.Recipient]:
    """Who hears about an asset: the person who asked for its approval, or, where nobody did by hand (the sync
    started the cycle when the asset arrived), the client's content owners."""
    if owner_id:
        return who.addressed(client, [owner_id], f"You asked for this asset to be approved{about}.")
    why = f"You are a content owner of {client.name}; this asset's approval started when it arrived{about}."
    return who.content_owners(client, why)


def _describe(event: events.Event) -> tuple[str, str, list[who.Recipient]]:
    """(title, body, recipients) for one event, from its agreed data."""
    data, client, name = event.data, event.client, event.name
    title = data.get("title") or ""
    if name == "task.available":
        return (
            f"New task: {_task_title(data)}",
            f"A task is open for you to pick up.{_due(data)}",
            who.task_available(client, data),
        )
    if name == "task.assigned":
        people = who.addressed(client, [data.get("assignee")], "This task was assigned to you.", delegate=True)
        return f"Assigned to you: {_task_title(data)}", f"The task is yours to decide.{_due(data)}", people
    if name == "task.delegated":
        why = "You are the delegate of someone who is away, and this task is theirs."
        return (
            f"For you as delegate: {_task_title(data)}",
            f"You stand in for a colleague.{_due(data)}",
            who.addressed(client, [data.get("delegate")], why),
        )
    if name == "task.escalated":
        why = f"You are a contact of {client.name} for overdue tasks, and this one is overdue."
        return (
            f"Overdue, escalated: {_task_title(data)}",
            f"The task is past its due date.{_due(data)}",
            who.addressed(client, data.get("recipients") or [], why),
        )
    if name == "comment.mentioned":
        why = f"{data.get('author_label') or 'Someone'} mentioned you in a comment."
        return (
            f"You were mentioned: {title}",
            data.get("excerpt") or "",
            who.addressed(client, data.get("mentioned") or [], why),
        )
    if name in ("asset.approved", "asset.rejected", "asset.restricted"):
        outcome = name.split(".", 1)[1]
        body = f"Decided by {data.get('decided_by') or 'the reviewers'}: {outcome}."
        if data.get("reason"):
            body += f" Reason: {data['reason']}"
        if data.get("restrictions"):
            body += " Restrictions: " + "; ".join(str(r) for r in data["restrictions"])
        return f"{title}: {outcome}", body, _owners(client, data.get("requested_by"), "")
    if name == "asset.withdrawn":
        owner = who.asset_owner(client, data.get("asset"))
        return f"{title}: withdrawn", f"Reason: {data.get('reason') or '-'}", _owners(client, owner, "")
    if name == "case.opened":
        body = f"A {data.get('kind') or 'case'} was opened."
        return f"Case opened: {title}", body, _owners(client, data.get("asset_owner"), ", and a case was opened for it")
    if name == "case.decided":
        body = f"Outcome: {data.get('outcome') or '-'}." + (f" Reason: {data['reason']}" if data.get("reason") else "")
        people = who.addressed(client, [data.get("requested_by")], "You opened this case.") + who.addressed(
            client, [data.get("asset_owner")], "You asked for this case's asset to be approved."
        )
        return f"Case decided: {title}", body, people
    if name == "request.status_changed":
        body = f"Now: {data.get('status_label') or data.get('status')}." + (
            f" Reason: {data['reason']}" if data.get("reason") else ""
        )
        why = "You made this creative request."
        return (
            f"{title}: {data.get('status_label') or data.get('status')}",
            body,
            who.addressed(client, [data.get("requested_by")], why),
        )
    if name == "request.delivered":
        count = len(data.get("assets") or [])
        why = "You made this creative request."
        return (
            f"{title}: delivered",
            f"{count} asset(s) delivered.",
            who.addressed(client, [data.get("requested_by")], why),
        )
    if name == "sync.broken":
        platform = {"smintio": "Smint.io", "opentext": "OpenText"}.get(data.get("platform"), data.get("platform"))
        body = f"Reason: {data.get('reason') or '-'}"
        people = (who.admins(client, f"You are an agency admin of {client.name}.") if client else []) + who.operators(
            "You are an operator of Greenlight."
        )
        return f"The connection to {platform} stopped working", body, people
    if name == "webhook.disabled":
        body = f"{data.get('target')} failed {data.get('failures')} deliveries in a row and was disabled."
        return "A webhook endpoint was disabled", body, who.admins(client, f"You are an agency admin of {client.name}.")
    raise ValueError(f"No notification for {name}")


def _link(event: events.Event) -> str:
    """Where the notification takes the person: a task's own decision page (any flow's task is decided there), else
    the subject's page the event names."""
    if event.name.startswith("task.") and event.data.get("task"):
        return reverse("reviews:task_decide", args=[event.data["task"]])
    return event.data.get("url") or ""


@events.listen(*EVENT_KINDS)
def on_event(event: events.Event) -> None:
    """Write one notification per person the event concerns (deduplicated on the event's key)."""
    title, body, people = _describe(event)
    notify(
        people,
        client=event.client,
        kind=EVENT_KINDS[event.name],
        event_key=event.key,
        title=title or event.data.get("title") or event.name,
        body=body,
        url=_link(event),
        actor=event.actor,
    )


def notify(
    people: Iterable[who.Recipient], *, client, kind: str, event_key: str, title: str, body: str, url: str, actor=None
) -> list[Notification]:
    """Write the rows (skipping people who already have this event) and queue the immediate mails."""
    people = who.unique(list(people), actor)
    if not people:
        return []
    modes = NotificationPreference.modes_for(p.user.pk for p in people)
    already = set(
        Notification.objects.filter(event_key=event_key, user_id__in=[p.user.pk for p in people]).values_list(
            "user_id", flat=True
        )
    )
    written = []
    for person in people:
        if person.user.pk in already:
            continue
        mode = modes.get((person.user.pk, kind), DEFAULT_MODES[kind])
        try:
            with transaction.atomic():  # a concurrent publisher of the same event: its row wins, ours is skipped
                notification = Notification.objects.create(
                    user=person.user,
                    client=client,
                    kind=kind,
                    event_key=event_key[:200],
                    title=title[:300],
                    body=body,
                    url=url[:500],
                    why=person.why[:300],
                    mail_mode=mode,
                )
        except IntegrityError:
            continue
        if mode == Mode.IMMEDIATE and kind != Kind.TASK_AVAILABLE:  # available tasks go out in batches
            queue_mail([notification], user=person.user, idempotency_key=f"mail:notification:{notification.pk}")
        written.append(notification)
    user_cache.forget(UNREAD, [n.user_id for n in written])
    return written


def queue_mail(notifications: list[Notification], *, user, idempotency_key: str, digest: bool = False) -> None:
    """One outbox row carrying one mail to ``user`` about ``notifications``; its ordering key is its own, so one
    mail the server refuses holds back no other."""
    from .mail import carrier_client

    client = carrier_client(notifications, user)
    if client is None:
        logger.warning("No client to file the mail to user %s under; the notifications stay in-app", user.pk)
        return
    outbox.enqueue(
        client=client,
        platform=Platform.MAIL,
        kind=MAIL_KIND,
        ordering_key=idempotency_key,
        idempotency_key=idempotency_key,
        payload={"user": user.pk, "notifications": [n.pk for n in notifications], "digest": digest},
    )
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(mail_queued_at=timezone.now())


# -- the centre -------------------------------------------------------------------------------------------------
def mark_read(user, notification_ids=None) -> int:
    """Mark the person's own notifications read (all unread ones when no ids are given); returns how many."""
    rows = Notification.objects.visible_to(user).unread()
    if notification_ids is not None:
        rows = rows.filter(pk__in=list(notification_ids))
    user_cache.forget(UNREAD, [user.pk])
    return rows.update(read_at=timezone.now())


UNREAD = "notifications.unread"  # the top bar's badge, per person (forgotten with their memberships too)


def unread_count(user) -> int:
    return user_cache.remember(UNREAD, user.pk, lambda: Notification.objects.visible_to(user).unread().count())


# -- preferences ------------------------------------------------------------------------------------------------
def preferences(user) -> dict[str, str]:
    """Every kind with the person's mode (their choice, or the default)."""
    stored = {k: m for (_, k), m in NotificationPreference.modes_for([user.pk]).items()}
    return {kind: stored.get(kind, DEFAULT_MODES[kind]) for kind in Kind.values}


def set_preference(user, kind: str, mode: str, *, actor=None, via: str = "preferences") -> bool:
    """Set ``user``'s mode for ``kind``; audited when it changes (who, and whether by the page or an unsubscribe
    link). Returns whether it changed."""
    if kind not in Kind.values or mode not in Mode.values:
        raise ValueError(f"Unknown kind or mode: {kind!r} {mode!r}")
    with transaction.atomic():
        before = NotificationPreference.mode_of(user, kind)
        if before == mode:
            return False
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"mode": mode})
        audit.record(
            "notifications.preference.set",
            actor=actor,
            obj=user,
            before={"kind": kind, "mode": before},
            after={"kind": kind, "mode": mode, "via": via},
            actor_label="" if actor is not None else f"{user.email} (unsubscribe link)",
        )
    return True
