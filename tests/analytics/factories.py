"""A crafted history of tasks with known timestamps: the figures it must give are worked out in the tests."""

from datetime import UTC, datetime, timedelta
from itertools import count

from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun

_n = count(1)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SINCE = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)  # a Monday: four whole ISO weeks
H = 3600


def at(day: int, hour: int = 9, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def run(client, process_key="asset_approval") -> WorkflowRun:
    n = next(_n)
    return WorkflowRun.objects.create(
        client=client,
        process_key=process_key,
        business_key=f"bk-{n}",
        subject_type="assets.asset",
        subject_id=n,
        status=RunStatus.RUNNING,
        title=f"Subject {n}",
    )


def task(
    run,
    key,
    *,
    available,
    claimed=None,
    completed=None,
    due=None,
    roles=("legal",),
    regions=(),
    assignee=None,
    status=None,
) -> Task:
    n = next(_n)
    return Task.objects.create(
        client=run.client,
        run=run,
        remote_id=f"analytics-{n}",
        task_key=key,
        name=key,
        candidate_roles=list(roles),
        regions=list(regions),
        remote_created_at=available,
        claimed_at=claimed,
        completed_at=completed,
        due_at=due,
        assignee=assignee,
        status=status or (TaskStatus.COMPLETED if completed else TaskStatus.OPEN),
    )


def history(client, other_client, *, person_a, person_b):
    """The history every figure test reads (see test_figures for what it must give)."""
    approval = run(client)
    exception = run(client, "asset_exception")
    legal = {"roles": ["legal"], "regions": ["emea"]}
    # legal_review: waits 1 h and 3 h; decides in 2 h, 4 h, and 5 h without a claim; SLA 1 of 2
    task(approval, "legal_review", available=at(2), claimed=at(2, 10), completed=at(2, 12), due=at(3), **legal)
    task(approval, "legal_review", available=at(3), claimed=at(3, 12), completed=at(3, 16), due=at(3, 10), **legal)
    task(approval, "legal_review", available=at(10), completed=at(10, 14), **legal)
    # brand_review: waits 30 min, decides in a day, within its SLA
    task(
        approval,
        "brand_review",
        available=at(16),
        claimed=at(16) + timedelta(minutes=30),
        completed=at(17) + timedelta(minutes=30),
        due=at(20),
        roles=["brand"],
        regions=["amer"],
    )
    # triage of an exception: waits 2 h, decides in 1 h
    task(exception, "triage", available=at(20, 9), claimed=at(20, 11), completed=at(20, 12), roles=["content_manager"])
    # not counted: completed before the period, cancelled, another client's
    task(approval, "legal_review", available=at(29, 9, 10), claimed=at(29, 10, 10), completed=at(30, 9, 10), **legal)
    task(approval, "legal_review", available=at(4), completed=at(4, 10), status=TaskStatus.CANCELLED, **legal)
    task(run(other_client), "legal_review", available=at(5), claimed=at(5, 10), completed=at(5, 11), **legal)
    task(run(other_client), "legal_review", available=NOW - timedelta(hours=1), **legal)
    # open now: 2 h, 2 d (unclaimed; one for two roles), 5 d and 10 d (person A), 20 d (person B)
    task(approval, "legal_review", available=NOW - timedelta(hours=2), **legal)
    task(approval, "legal_review", available=NOW - timedelta(days=2), roles=["legal", "brand"])
    task(approval, "brand_review", available=NOW - timedelta(days=5), assignee=person_a, roles=["brand"])
    task(approval, "brand_review", available=NOW - timedelta(days=10), assignee=person_a, roles=["brand"])
    task(exception, "triage", available=NOW - timedelta(days=20), assignee=person_b, roles=["content_manager"])
