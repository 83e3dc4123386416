"""Demo history for the analytics page (issue 16, "Done when": the page shows where Northwind's reviews wait).

The live demo's tasks are hours old at most, so Northwind also gets ten weeks of *past* approval and exception
cycles: closed runs (``completed``) whose tasks were claimed and decided by its reviewers at realistic, varied
times (legal slow to claim, marketing slow to decide, some past their due date). They are mirror rows only, never
at OpenText: closed runs are not synced, no task of theirs is open, so nobody can act on them; their subjects are
ids no asset has (``subject_id`` from 900000), so no asset page shows them. Seeded once (by business key); the
numbers come from a fixed seed, so every demo shows the same picture.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import User
from apps.clients.choices import TaskKind
from apps.clients.models import Client
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun, codes_key

CLIENT = "northwind"
PREFIX = "demo-history-"
CYCLES = 90
WEEKS = 10
SUBJECT_BASE = 900_000

# (process, stage key, stage name, role, who decides, hours to claim (low, high), hours to decide (low, high))
STAGES = [
    ("asset_approval", "legal_review", "Legal review", "legal", "legal", (2, 40), (0.5, 6)),
    ("asset_approval", "brand_review", "Brand review", "brand", "brand", (0.5, 8), (0.5, 4)),
    ("asset_approval", "marketing_review", "Marketing review", "marketing", "marketing", (1, 12), (4, 60)),
]
EXCEPTION = ("asset_exception", "triage", "Triage the exception", "content_manager", "content-manager", (1, 20), (1, 8))


def seed_history(stdout) -> str:
    """Northwind's past cycles, once. Returns what was done."""
    client = Client.objects.filter(slug=CLIENT).first()
    if client is None:
        return "no client"
    if WorkflowRun.objects.filter(client=client, business_key__startswith=PREFIX).exists():
        return "already"
    people = {u.email.split("@")[0]: u for u in User.objects.filter(email__endswith=f"@{CLIENT}.example")}
    sla = timedelta(hours=client.sla_hours_for(TaskKind.APPROVAL))
    rng = random.Random(16)  # noqa: S311 - demo data, not secrets
    now = timezone.now()
    tasks = []
    for n in range(CYCLES):
        exception = n % 6 == 5
        started = now - timedelta(days=rng.uniform(3, WEEKS * 7))
        stages = [EXCEPTION] if exception else STAGES
        run = WorkflowRun.objects.create(
            client=client,
            process_key=stages[0][0],
            business_key=f"{PREFIX}{n}",
            subject_type="exceptions.case" if exception else "assets.asset",
            subject_id=SUBJECT_BASE + n,
            title=f"Past cycle {n + 1}",
            status=RunStatus.COMPLETED,
            outcome="approved",
            started_at=started,
            ended_at=started,
        )
        available = started
        for _process, key, name, role, decider, claim, decide in stages:
            claimed = available + timedelta(hours=rng.uniform(*claim))
            completed = claimed + timedelta(hours=rng.uniform(*decide))
            if completed >= now:
                break
            regions = [rng.choice(["emea", "amer"])]
            tasks.append(
                Task(
                    client=client,
                    run=run,
                    remote_id=f"{PREFIX}{n}-{key}",
                    task_key=key,
                    name=name,
                    candidate_roles=[role],
                    roles_key=codes_key([role]),  # bulk_create skips save(), which derives these
                    regions=regions,
                    regions_key=codes_key(regions),
                    assignee=people.get(decider),
                    assignee_email=f"{decider}@{CLIENT}.example",
                    status=TaskStatus.COMPLETED,
                    outcome="approved",
                    due_at=available + sla,
                    remote_created_at=available,
                    claimed_at=claimed,
                    completed_at=completed,
                )
            )
            available = completed
        WorkflowRun.objects.filter(pk=run.pk).update(ended_at=available)
    Task.objects.bulk_create(tasks)
    stdout.write(f"Analytics history for Northwind: {CYCLES} past cycles, {len(tasks)} decided tasks.")
    return "seeded"
