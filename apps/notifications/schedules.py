"""The notification jobs' schedules, (re)declared after every migrate as ``apps.integrations.schedules`` does."""

from __future__ import annotations

SCHEDULES = [
    ("notifications.send_batches", "apps.notifications.tasks.send_batches", 1),
    ("notifications.send_digests", "apps.notifications.tasks.send_digests", 15),
    ("notifications.remind_due", "apps.notifications.tasks.remind_due", 15),
]


def ensure_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
