"""The agency overview (issue 15, item 9): for agency staff, one page across their clients: open work per client
and stage, overdue and escalated items, SLA breaches this week; each figure links to the inbox filtered to it.

Who it is for: a member holding ``agency_admin`` in a client, or an internal member of several clients; the clients
shown are those where they are internal members (an external membership shows nothing here). Every figure is read
from ``Task.objects.visible_to`` / ``WorkflowRun.objects.visible_to``, so it counts what the inbox link shows. A
fixed number of queries whatever the number of clients, stages and tasks (one per figure, one per flow whose
subject can be escalated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from apps.common.roles import internal_memberships, is_agency_staff
from apps.workflows import flows
from apps.workflows.choices import OPEN_RUN_STATUSES, TaskStatus
from apps.workflows.models import Task, WorkflowRun


def clients_of(user) -> list:
    """The clients the overview covers for ``user`` (empty: the page is not for them)."""
    memberships = getattr(user, "membership_list", [])
    if not is_agency_staff(memberships):
        return []
    return sorted((m.client for m in internal_memberships(memberships)), key=lambda c: c.name)


def inbox_url(client, **filters) -> str:
    """The inbox filtered to one figure: every open task (whoever holds it) of the client matching ``filters``."""
    query = {"client": client.slug, **{k: v for k, v in filters.items() if v}, "tab": "all"}
    return f"{reverse('dashboard')}?{urlencode(query)}"


@dataclass
class Stage:
    key: str
    name: str
    open: int
    overdue: int
    url: str


@dataclass
class ClientFigures:
    client: object
    stages: list[Stage] = field(default_factory=list)
    open: int = 0
    overdue: int = 0
    escalated: list[tuple[str, int, str]] = field(default_factory=list)  # (flow label, count, inbox url)
    breaches: int = 0
    breaches_open: int = 0

    @property
    def open_url(self) -> str:
        return inbox_url(self.client)

    @property
    def overdue_url(self) -> str:
        return inbox_url(self.client, due="overdue")

    @property
    def escalated_total(self) -> int:
        return sum(count for _label, count, _url in self.escalated)


def week_start(now=None):
    """Monday 00:00 of this week in the portal's time zone."""
    local = timezone.localtime(now)
    return (local - timedelta(days=local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)


def figures(user, *, now=None) -> list[ClientFigures]:
    """The overview's figures for each of ``user``'s clients (``clients_of``)."""
    clients = clients_of(user)
    if not clients:
        return []
    now = now or timezone.now()
    by_client = {client.pk: ClientFigures(client) for client in clients}
    tasks = Task.objects.visible_to(user).filter(client_id__in=by_client)
    rows = (
        tasks.filter(status=TaskStatus.OPEN)
        .values("client_id", "task_key", "name")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
        .order_by("client_id", "name", "task_key")
    )
    for row in rows:
        entry = by_client[row["client_id"]]
        stage = Stage(
            row["task_key"], row["name"], row["open"], row["overdue"], inbox_url(entry.client, stage=row["task_key"])
        )
        entry.stages.append(stage)
        entry.open += stage.open
        entry.overdue += stage.overdue
    start = week_start(now)
    late = Q(status=TaskStatus.OPEN, due_at__lt=now) | Q(status=TaskStatus.COMPLETED, completed_at__gt=F("due_at"))
    breaches = (
        tasks.filter(due_at__gte=start, due_at__lt=now)
        .filter(late)
        .values("client_id")
        .annotate(n=Count("pk"), still_open=Count("pk", filter=Q(status=TaskStatus.OPEN)))
        .order_by()
    )
    for row in breaches:
        by_client[row["client_id"]].breaches = row["n"]
        by_client[row["client_id"]].breaches_open = row["still_open"]
    escalated_tasks = (  # overdue approval tasks told to the client's escalation contacts (reviews.ApprovalEscalation)
        tasks.filter(status=TaskStatus.OPEN, approval_escalation__isnull=False)
        .values("client_id", "run__process_key")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in escalated_tasks:
        entry = by_client[row["client_id"]]
        url = inbox_url(entry.client, process=row["run__process_key"], due="overdue")
        entry.escalated.append(("Approval tasks", row["n"], url))
    for flow in flows.all_flows():
        escalated = _escalated_subjects(flow)
        if escalated is None:
            continue
        counts = (
            WorkflowRun.objects.visible_to(user)
            .filter(client_id__in=by_client, process_key=flow.key, status__in=OPEN_RUN_STATUSES)
            .filter(subject_id__in=escalated)
            .values("client_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in counts:
            entry = by_client[row["client_id"]]
            entry.escalated.append((flow.label, row["n"], inbox_url(entry.client, process=flow.key, due="overdue")))
    return list(by_client.values())


def _escalated_subjects(flow):
    """The ids of the flow's subjects escalated to their client's contacts (a subject model with ``escalated_at``:
    cases, creative requests), as a subquery; ``None`` when its subjects are never escalated."""
    model = django_apps.get_model(flow.subject)
    try:
        model._meta.get_field("escalated_at")
    except FieldDoesNotExist:
        return None
    return model._default_manager.filter(escalated_at__isnull=False).values("pk")
