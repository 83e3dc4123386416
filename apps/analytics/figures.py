"""Where reviews wait: the bottleneck figures, computed from the task mirror (``workflows.Task``) with SQL aggregates.

Every function takes a :class:`Scope` (one client, a period, optional flow, stage, role and region) and returns
plain rows (dicts of numbers and strings), the same for the page, its CSV and the API. Durations are seconds.

Definitions (docs/analytics.md):
- *available*: when the engine created the task (``remote_created_at``; the mirror's ``created_at`` when OpenText
  did not say);
- *waiting for a claim*: ``claimed_at - available`` (tasks never claimed have none);
- *time to decide*: ``completed_at - claimed_at``, or ``- available`` when the task was decided without a claim;
- the durations, the SLA hit rate and the throughput count the tasks **completed in the period**; the backlog and
  the queues are the tasks open **now** (the period does not narrow them, the other filters do).

Median and p90 are ``percentile_cont`` (linear interpolation) on PostgreSQL; SQLite (the development default) has
no percentile aggregate, so there the durations alone are fetched and the same interpolation runs in Python.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, FloatField, Min, Q, QuerySet
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from apps.common.roles import SIGNING_ROLES, RoleCode
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task

AVAILABLE = Coalesce("remote_created_at", "created_at")
WAIT = ExpressionWrapper(F("claimed_at") - AVAILABLE, output_field=DurationField())
DECIDE = ExpressionWrapper(F("completed_at") - Coalesce("claimed_at", AVAILABLE), output_field=DurationField())

# (label, lower bound, upper bound) of an open task's age; the last bucket has no upper bound.
BACKLOG_BUCKETS: list[tuple[str, timedelta, timedelta | None]] = [
    ("< 1 day", timedelta(0), timedelta(days=1)),
    ("1-3 days", timedelta(days=1), timedelta(days=3)),
    ("3-7 days", timedelta(days=3), timedelta(days=7)),
    ("7-14 days", timedelta(days=7), timedelta(days=14)),
    ("> 14 days", timedelta(days=14), None),
]


@dataclass(frozen=True)
class Scope:
    """What the figures are about: one client's tasks, completed in ``[since, until)`` (open ones as of ``now``),
    optionally of one flow (``process_key``), stage (``task_key``), candidate role and region."""

    client_id: int
    since: datetime
    until: datetime
    now: datetime
    flow: str = ""
    stage: str = ""
    role: str = ""
    region: str = ""

    def tasks(self) -> QuerySet:
        tasks = Task.objects.filter(client_id=self.client_id)
        if self.flow:
            tasks = tasks.filter(run__process_key=self.flow)
        if self.stage:
            tasks = tasks.filter(task_key=self.stage)
        if self.role:
            tasks = tasks.filter(roles_key__contains=f",{self.role},")
        if self.region:
            tasks = tasks.filter(regions_key__contains=f",{self.region},")
        return tasks

    def completed(self) -> QuerySet:
        return self.tasks().filter(
            status=TaskStatus.COMPLETED, completed_at__gte=self.since, completed_at__lt=self.until
        )

    def open(self) -> QuerySet:
        return self.tasks().filter(status=TaskStatus.OPEN)


class Percentile(Aggregate):
    """``percentile_cont(p) WITHIN GROUP (ORDER BY <seconds of a duration>)``: PostgreSQL only."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM %(expressions)s))"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _on_postgres() -> bool:
    return connection.vendor == "postgresql"


def percentile(values: list[float], fraction: float) -> float | None:
    """``percentile_cont`` in Python: linear interpolation between the closest ranks of the sorted values."""
    if not values:
        return None
    values = sorted(values)
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def _seconds(value) -> float | None:
    return None if value is None else value.total_seconds()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _sla(row: dict) -> float | None:
    return round(row["sla_hits"] / row["sla_total"], 4) if row["sla_total"] else None


_COUNTS = {
    "completed": Count("id"),
    "sla_total": Count("id", filter=Q(due_at__isnull=False)),
    "sla_hits": Count("id", filter=Q(due_at__isnull=False, completed_at__lte=F("due_at"))),
}
_PERCENTILES = {
    "wait_median": (WAIT, 0.5),
    "wait_p90": (WAIT, 0.9),
    "decide_median": (DECIDE, 0.5),
    "decide_p90": (DECIDE, 0.9),
}


def _duration_rows(scope: Scope, group: str | None) -> list[dict]:
    """Counts, SLA and duration percentiles of the completed tasks, per ``group`` (a Task field) or overall."""
    completed = scope.completed()
    if _on_postgres():
        aggregates = {**_COUNTS, **{name: Percentile(expr, p) for name, (expr, p) in _PERCENTILES.items()}}
        if group is None:
            rows = [completed.aggregate(**aggregates)]
        else:
            rows = list(completed.values(group).annotate(**aggregates).order_by(group))
        for row in rows:
            for name in _PERCENTILES:
                row[name] = _rounded(row[name])
    else:
        # SQLite: the counts in SQL, the durations fetched and interpolated here (development sizes only)
        rows = (
            [completed.aggregate(**_COUNTS)]
            if group is None
            else list(completed.values(group).annotate(**_COUNTS).order_by(group))
        )
        waits: dict = defaultdict(list)
        decides: dict = defaultdict(list)
        for key, wait, decide in completed.values_list(group or "client_id", WAIT, DECIDE):
            if wait is not None:
                waits[key].append(_seconds(wait))
            decides[key].append(_seconds(decide))
        for row in rows:
            key = row[group] if group else scope.client_id
            row["wait_median"] = _rounded(percentile(waits[key], 0.5))
            row["wait_p90"] = _rounded(percentile(waits[key], 0.9))
            row["decide_median"] = _rounded(percentile(decides[key], 0.5))
            row["decide_p90"] = _rounded(percentile(decides[key], 0.9))
    for row in rows:
        row["sla_rate"] = _sla(row)
    return rows


def _period_summary(scope: Scope) -> dict:
    row = _duration_rows(scope, None)[0]
    row.pop("client_id", None)
    return row


def summary(scope: Scope) -> dict:
    """The KPI tiles: tasks completed in the period, median/p90 waiting for a claim and time to decide, SLA hit rate
    (of the completed tasks that had a due date), and how many are open now."""
    return {**_period_summary(scope), "open": scope.open().count()}


def stages(scope: Scope) -> list[dict]:
    """Per stage (task definition), slowest first: the stages whose p90 time to decide is longest lead."""
    rows = _duration_rows(scope, "task_key")
    names = _stage_names()
    for row in rows:
        row["stage"] = row.pop("task_key")
        row["stage_label"] = names.get(row["stage"], row["stage"] or "(no key)")
    return sorted(rows, key=lambda r: (-(r["decide_p90"] or 0), r["stage"]))


def throughput(scope: Scope) -> list[dict]:
    """Tasks completed per ISO week (weeks start on Monday), oldest first; weeks with none are listed with 0."""
    counts = {
        row["week"].date() if isinstance(row["week"], datetime) else row["week"]: row["completed"]
        for row in scope.completed()
        .annotate(week=TruncWeek("completed_at"))
        .values("week")
        .annotate(completed=Count("id"))
        .order_by("week")
    }
    rows = []
    since = timezone.localtime(scope.since)
    week = (since - timedelta(days=since.weekday())).date()
    last = timezone.localtime(scope.until).date()
    while week < last:
        year, number, _ = week.isocalendar()
        rows.append({"week": f"{year}-W{number:02d}", "week_start": week.isoformat(), "completed": counts.get(week, 0)})
        week += timedelta(days=7)
    return rows


def _backlog_aggregates(scope: Scope) -> dict:
    aggregates = {}
    for index, (_label, low, high) in enumerate(BACKLOG_BUCKETS):
        # the first bucket has no lower bound, so the buckets add up to every open task
        condition = Q(available__lte=scope.now - low) if index else Q()
        if high is not None:
            condition &= Q(available__gt=scope.now - high)
        aggregates[f"b{index}"] = Count("id", filter=condition) if condition else Count("id")
    return aggregates


def _role_codes(scope: Scope) -> list[str]:
    return sorted(SIGNING_ROLES) if not scope.role else [scope.role]


def _role_aggregates(scope: Scope) -> dict:
    return {
        f"r_{code}": Count("id", filter=Q(assignee__isnull=True, roles_key__contains=f",{code},"))
        for code in _role_codes(scope)
    }


def _backlog_rows(counts: dict) -> list[dict]:
    return [{"age": label, "open": counts[f"b{index}"]} for index, (label, _low, _high) in enumerate(BACKLOG_BUCKETS)]


def _role_rows(scope: Scope, counts: dict) -> list[dict]:
    labels = dict(RoleCode.choices)
    rows = [
        {"role": code, "role_label": labels.get(code, code), "unclaimed": counts[f"r_{code}"]}
        for code in _role_codes(scope)
    ]
    return sorted((r for r in rows if r["unclaimed"]), key=lambda r: (-r["unclaimed"], r["role"]))


def _open_counts(scope: Scope, aggregates: dict) -> dict:
    return scope.open().alias(available=AVAILABLE).aggregate(**aggregates)


def backlog(scope: Scope) -> list[dict]:
    """The open tasks by how long they have been available (as of ``scope.now``): one query."""
    return _backlog_rows(_open_counts(scope, _backlog_aggregates(scope)))


def people(scope: Scope, *, limit: int = 20) -> list[dict]:
    """The open tasks someone has claimed, per person (the longest queues first), with the oldest one's age."""
    rows = (
        scope.open()
        .filter(assignee__isnull=False)
        .values("assignee_id", "assignee__email", "assignee__full_name")
        .annotate(open=Count("id"), oldest=Min(AVAILABLE))
        .order_by("-open", "assignee__email")[:limit]
    )
    return [
        {
            "person": row["assignee__full_name"] or row["assignee__email"],
            "email": row["assignee__email"],
            "open": row["open"],
            "oldest_age": round((scope.now - row["oldest"]).total_seconds(), 1),
        }
        for row in rows
    ]


def roles(scope: Scope) -> list[dict]:
    """The open tasks nobody has claimed, per candidate role (a task offered to two roles counts for each): one
    query of conditional counts on the portable ``roles_key``."""
    return _role_rows(scope, _open_counts(scope, _role_aggregates(scope)))


def open_figures(scope: Scope) -> dict:
    """The open tasks' figures of the page in two statements: one pass of conditional counts (how many, by age,
    unclaimed per role) and the people's queues."""
    counts = _open_counts(scope, {**_backlog_aggregates(scope), **_role_aggregates(scope)})
    backlog_rows = _backlog_rows(counts)
    return {
        "open": sum(row["open"] for row in backlog_rows),
        "backlog": backlog_rows,
        "roles": _role_rows(scope, counts),
        "people": people(scope),
    }


def _stage_names() -> dict[str, str]:
    """Stage labels from the BPMN files the code ships (no query)."""
    from apps.workflows import bpmn

    names: dict[str, list[str]] = defaultdict(list)
    for process in bpmn.catalogue().values():
        for key, spec in process.tasks.items():
            if spec.name not in names[key]:
                names[key].append(spec.name)
    # two flows may share a key (``triage``): the stage is the key, so it is named by both
    return {key: " / ".join(labels) for key, labels in names.items()}


def stage_choices() -> list[tuple[str, str]]:
    return sorted(_stage_names().items(), key=lambda item: item[1].lower())


FIGURES = {
    "stages": stages,
    "throughput": throughput,
    "backlog": backlog,
    "people": people,
    "roles": roles,
}


def _period_figures(scope: Scope) -> dict:
    """The figures of the tasks completed in the period: the costly part (a year of a big client is a million rows
    to order for the percentiles). On PostgreSQL with enough sort memory for that to stay off disk."""
    if not _on_postgres():
        return {"summary": _period_summary(scope), "stages": stages(scope), "throughput": throughput(scope)}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64MB'")  # for this transaction only
        return {"summary": _period_summary(scope), "stages": stages(scope), "throughput": throughput(scope)}


def _cache_key(scope: Scope) -> str:
    parts = [scope.client_id, scope.since.isoformat(), scope.until.isoformat(), *scope_filters(scope)]
    return "analytics:v1:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def scope_filters(scope: Scope) -> tuple[str, str, str, str]:
    return (scope.flow, scope.stage, scope.role, scope.region)


def days_scope(client_id: int, since: date, until: date, **filters) -> Scope:
    """The scope of whole local days ``since`` .. ``until`` (both included), as the filter form reads them."""
    zone = timezone.get_current_timezone()
    return Scope(
        client_id=client_id,
        since=datetime.combine(since, time.min, tzinfo=zone),
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone),
        now=timezone.now(),
        **filters,
    )


def warm(scope: Scope) -> None:
    """Compute the period's figures now and keep them (the worker does this for the views people open first, so
    that nobody waits for a year of a big client's percentiles)."""
    seconds = getattr(settings, "ANALYTICS_CACHE_SECONDS", 0)
    if seconds:
        cache.set(_cache_key(scope), _period_figures(scope), seconds)


def all_figures(scope: Scope) -> dict:
    """Every figure of the page and the API. The period's figures are kept ``ANALYTICS_CACHE_SECONDS`` (default
    300; 0: never) per client, period and filters: tasks completed a few minutes ago may be missing from them for
    that long, which the page says; the open tasks' figures are always read live."""
    seconds = getattr(settings, "ANALYTICS_CACHE_SECONDS", 0)
    period = cache.get(_cache_key(scope)) if seconds else None
    if period is None:
        period = _period_figures(scope)
        if seconds:
            cache.set(_cache_key(scope), period, seconds)
    current = open_figures(scope)
    return {
        **period,
        "summary": {**period["summary"], "open": current.pop("open")},
        **current,
    }
