"""The notification jobs (scheduled, see ``schedules.py``): batches of available tasks, the daily digest, and the
due-tomorrow / overdue reminders. Each is idempotent: rows are claimed with a conditional UPDATE before their mail
is queued, a digest's outbox idempotency key is the person's local date, and a reminder's event key is per task."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import User
from apps.outbox.models import OutboxMessage
from apps.workflows.models import Task

from . import recipients as who
from . import services
from .choices import Kind, Mode
from .models import Notification

DIGEST_AT = time(8, 0)


def _claim(rows) -> list[Notification]:
    """Take the rows whose mail nobody queued yet (a second worker running the same job takes none of them)."""
    candidates = list(rows)
    now = timezone.now()
    claimed = set(
        Notification.objects.filter(pk__in=[n.pk for n in candidates], mail_queued_at__isnull=True).values_list(
            "pk", flat=True
        )
    )
    Notification.objects.filter(pk__in=claimed, mail_queued_at__isnull=True).update(mail_queued_at=now)
    return [n for n in candidates if n.pk in claimed]


def send_batches(now: datetime | None = None) -> int:
    """One mail per person listing the tasks that became open to them, once their oldest waiting one is a batch
    window old (``NOTIFICATIONS_BATCH_MINUTES``); returns the number of mails queued."""
    now = now or timezone.now()
    window = timedelta(minutes=settings.NOTIFICATIONS_BATCH_MINUTES)
    waiting = Notification.objects.filter(
        kind=Kind.TASK_AVAILABLE, mail_mode=Mode.IMMEDIATE, mail_queued_at__isnull=True, emailed_at__isnull=True
    )
    due_users = waiting.filter(created_at__lte=now - window).values_list("user_id", flat=True).distinct()
    queued = 0
    for user in User.objects.filter(pk__in=list(due_users), is_active=True):
        with transaction.atomic():
            rows = _claim(waiting.filter(user=user).select_related("client").order_by("id"))
            if rows:
                services.queue_mail(rows, user=user, idempotency_key=f"mail:batch:{user.pk}:{rows[0].pk}")
                queued += 1
    return queued


def digest_cutoff(user, now: datetime) -> datetime | None:
    """Today's 08:00 in the person's time zone if it has passed (their digest is due), else ``None``."""
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    local = now.astimezone(zone)
    cutoff = datetime.combine(local.date(), DIGEST_AT, tzinfo=zone)
    return cutoff if local >= cutoff else None


def send_digests(now: datetime | None = None) -> int:
    """Every 15 minutes: each person whose local time has passed 08:00 gets one mail with the digest notifications
    that were waiting at 08:00 (grouped by kind); what arrives later waits for the next day's 08:00. A run missed
    by the worker is caught up by the next one. Returns the number of mails queued."""
    now = now or timezone.now()
    waiting = Notification.objects.filter(mail_mode=Mode.DIGEST, mail_queued_at__isnull=True, emailed_at__isnull=True)
    queued = 0
    for user in User.objects.filter(pk__in=waiting.values("user_id"), is_active=True):
        cutoff = digest_cutoff(user, now)
        if cutoff is None:
            continue
        key = f"mail:digest:{user.pk}:{cutoff.date().isoformat()}"
        if OutboxMessage.objects.filter(idempotency_key=key).exists():
            continue  # today's went out
        with transaction.atomic():
            rows = _claim(waiting.filter(user=user, created_at__lt=cutoff).select_related("client").order_by("id"))
            if rows:
                services.queue_mail(rows, user=user, idempotency_key=key, digest=True)
                queued += 1
    return queued


def _task_people(task: Task, why_assigned: str, why_role: str) -> list[who.Recipient]:
    if task.assignee_id:
        return who.addressed(task.client, [task.assignee_id], why_assigned, delegate=True)
    recipients = who.task_available(task.client, {"roles": task.candidate_roles, "regions": task.regions})
    return [who.Recipient(r.user, why_role + " " + r.why) for r in recipients]


def remind_due(now: datetime | None = None) -> int:
    """Open tasks due within a day (``task.due_soon``) or past due (``task.overdue``), once per task and kind: the
    person holding it, or the people it is open to. Returns the number of notifications written."""
    now = now or timezone.now()
    written = 0
    checks = [
        (Kind.TASK_DUE_SOON, Task.objects.open().filter(due_at__gt=now, due_at__lte=now + timedelta(days=1)), "due"),
        (Kind.TASK_OVERDUE, Task.objects.open().filter(due_at__lte=now, due_at__gt=now - timedelta(days=30)), "late"),
    ]
    for kind, tasks, word in checks:
        tasks = tasks.select_related("client", "run")
        done = set(
            Notification.objects.filter(kind=kind, event_key__in=[f"{kind}:{t.pk}" for t in tasks]).values_list(
                "event_key", flat=True
            )
        )
        for task in tasks:
            key = f"{kind}:{task.pk}"
            if key in done:
                continue
            when = timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M")
            title = f"{'Due tomorrow' if word == 'due' else 'Overdue'}: {task.name}" + (
                f": {task.run.title}" if task.run.title else ""
            )
            people = _task_people(
                task,
                f"You hold this task and it is {'due' if word == 'due' else 'overdue since'} {when}.",
                "It is due soon." if word == "due" else "It is overdue.",
            )
            with transaction.atomic():
                written += len(
                    services.notify(
                        people,
                        client=task.client,
                        kind=kind,
                        event_key=key,
                        title=title,
                        body=f"Due {when}.",
                        url=reverse("reviews:task_decide", args=[task.pk]),
                    )
                )
    return written
