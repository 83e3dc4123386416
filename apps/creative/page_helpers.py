"""What the request pages show beyond the models: a request's progress in steps, its due moment, which of its
open tasks the viewer acts on, and its matches as the page lists them (the ranking is ``matching``'s, reached
through ``services.matches_for``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from django.utils import timezone

from apps.workflows import services as workflows

from . import services
from .choices import RequestStatus

# The road of a request, in the requester's words; where it left the road (declined, cancelled) is its last step.
ROAD = [
    (RequestStatus.DRAFT, "Draft"),
    (RequestStatus.TRIAGE, "Triage"),
    (RequestStatus.IN_CREATION, "Creative picks"),
    (RequestStatus.IN_REVIEW, "Your review"),
    (RequestStatus.DELIVERED, "Delivered"),
]
_PLACE = {
    RequestStatus.NEEDS_INFO: RequestStatus.TRIAGE,
}
# Sources a creative may narrow matches to (``matching``'s facet values); labels come from the facets.
MATCH_LIMIT = 50


@dataclass(frozen=True)
class Step:
    label: str
    state: str  # done, current, todo, stopped
    when: datetime | None = None


def steps(request) -> list[Step]:
    """The request's progress: the road's steps done, the current one (named as it stands: "Needs information",
    "Declined") and those to come."""
    codes = [code for code, _ in ROAD]
    status = request.status
    if status in (RequestStatus.DECLINED, RequestStatus.CANCELLED):
        reached = codes.index(RequestStatus.TRIAGE) if request.submitted_at else 0
        done = [Step(label, "done") for _, label in ROAD[:reached]]
        return [*done, Step(request.get_status_display(), "stopped", request.closed_at)]
    at = codes.index(_PLACE.get(status, status))
    whens = {RequestStatus.DRAFT: request.created_at, RequestStatus.TRIAGE: request.submitted_at}
    out = []
    for index, (code, label) in enumerate(ROAD):
        if index < at:
            out.append(Step(label, "done", whens.get(code)))
        elif index == at:
            name = request.get_status_display() if status == RequestStatus.NEEDS_INFO else label
            out.append(Step(name, "done" if status == RequestStatus.DELIVERED else "current", whens.get(code)))
        else:
            out.append(Step(label, "todo"))
    return out


def due_at(request) -> datetime | None:
    """The end of the deadline's day, in the current time zone (what the due badge reads)."""
    if request.deadline is None:
        return None
    return timezone.make_aware(datetime.combine(request.deadline, time(23, 59)))


def decorate(requests) -> list:
    """Each request with its ``steps`` and ``due_at`` for the list."""
    requests = list(requests)
    for item in requests:
        item.steps = steps(item)
        item.due_at = due_at(item)
    return requests


def is_requester(user, client) -> bool:
    membership = next((m for m in user.membership_list if m.client_id == client.pk), None)
    return membership is not None and "requester" in membership.role_codes


def requester_clients(user) -> list:
    """The clients the person may ask for creative work in (requester there, not external)."""
    return [m.client for m in user.membership_list if "requester" in m.role_codes and "external" not in m.role_codes]


def open_tasks(runs, user) -> dict[str, object]:
    """The open tasks of the request's current run by their key (``triage``, ``creative_pick``...), with whether the
    viewer signs them (``task.signs``)."""
    tasks = {}
    if runs:
        for task in runs[0].tasks.all():
            if task.status == "open":
                task.signs = workflows.may_sign(task, user)
                tasks[task.task_key] = task
    return tasks


def matches(request, *, search: str = "", sources=()):
    """The request's matches (full and partial apart), refined by the creative's search and source facet."""
    from . import matching

    found = services.matches_for(request, search=search, sources=tuple(sources), limit=MATCH_LIMIT)
    found.facet_choices = [
        (key, label, found.facets.get(key, 0)) for key, label in matching.SOURCES.items() if found.facets.get(key)
    ]
    return found
