"""Recurring jobs, (re)declared after every migrate so a deployment never runs with a stale schedule."""

from __future__ import annotations

SCHEDULES = [
    # (name, dotted function, minutes between runs): the sync's own; each flow declares its own (workflows.flows)
    ("integrations.heartbeat", "apps.integrations.tasks.heartbeat", 1),
    ("integrations.drain_outbox", "apps.integrations.tasks.drain_outbox", 1),
    ("integrations.poll_opentext", "apps.integrations.tasks.poll_opentext", 1),
    ("integrations.pull_all_smintio", "apps.integrations.tasks.pull_all_smintio", 5),
    ("integrations.reconcile_opentext", "apps.integrations.tasks.reconcile_opentext", 15),
]


def all_schedules() -> list[tuple[str, str, int]]:
    from apps.workflows import flows

    return SCHEDULES + [(s.name, s.func, s.minutes) for s in flows.schedules()]


def ensure_schedules(**kwargs) -> None:
    from django_q.models import Schedule

    for name, func, minutes in all_schedules():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
