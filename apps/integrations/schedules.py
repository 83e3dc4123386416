"""Recurring jobs, (re)declared after every migrate so a deployment never runs with a stale schedule."""

from __future__ import annotations

SCHEDULES = [
    # (name, dotted function, minutes between runs)
    ("integrations.heartbeat", "apps.integrations.tasks.heartbeat", 1),
    ("integrations.drain_outbox", "apps.integrations.tasks.drain_outbox", 1),
    ("integrations.poll_opentext", "apps.integrations.tasks.poll_opentext", 1),
    ("integrations.pull_all_smintio", "apps.integrations.tasks.pull_all_smintio", 5),
    ("integrations.reconcile_opentext", "apps.integrations.tasks.reconcile_opentext", 15),
    ("reviews.start_pending_approvals", "apps.reviews.tasks.start_pending_approvals", 5),
    ("exceptions.sweep_rights", "apps.exceptions.tasks.sweep_rights", 15),
    ("exceptions.escalate_overdue", "apps.exceptions.tasks.escalate_overdue", 15),
    ("exceptions.detect_compliance", "apps.exceptions.tasks.detect_compliance", 5),
]


def ensure_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    for name, func, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
