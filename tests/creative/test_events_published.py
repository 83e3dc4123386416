"""A creative request publishes each move of its status once (``request.status_changed``, from the one writer
``services._move``) and each delivery once (``request.delivered``); staying in a status, or a run's end reported
when the request is already closed, says nothing (docs/events.md)."""

from __future__ import annotations

import pytest

from apps.creative import flows, services
from apps.creative.choices import RequestStatus
from apps.workflows.models import WorkflowRun

from .conftest import intake
from .helpers import asset, task

pytestmark = pytest.mark.django_db


def test_each_move_of_a_request_is_published_once_for_its_requester(client_a, people, published):
    request = services.submit(actor=people["requester"], client=client_a, intake=intake(title="Spring hiking"))
    task(request, services.TRIAGE)
    services.triage(request, actor=people["ops"], outcome="ask", reason="Which trail?")

    moves = published.named("request.status_changed")
    assert [(e.data["status"], e.data["status_label"]) for e in moves] == [
        (RequestStatus.TRIAGE, RequestStatus.TRIAGE.label),
        (RequestStatus.NEEDS_INFO, RequestStatus.NEEDS_INFO.label),
    ]
    submitted, asked = moves
    assert submitted.actor == people["requester"] and asked.actor == people["ops"]
    assert asked.key.startswith(f"request.status_changed:request-{request.pk}:audit-")
    assert len({e.key for e in moves}) == 2  # each move its own occurrence
    assert asked.data == {
        "url": request.get_absolute_url(),
        "title": "Spring hiking",
        "request": request.pk,
        "requested_by": people["requester"].pk,
        "status": RequestStatus.NEEDS_INFO,
        "status_label": RequestStatus.NEEDS_INFO.label,
        "reason": "Which trail?",
    }


def test_a_delivery_is_published_once_with_its_assets(client_a, people, published):
    request = services.submit(actor=people["requester"], client=client_a, intake=intake(title="Spring hiking"))
    task(request, services.TRIAGE)
    services.triage(request, actor=people["ops"], outcome="accept")
    task(request, services.PICK)
    picked = [asset(client_a), asset(client_a)]

    services.deliver(request, picked, actor=people["creative"])

    [delivered] = published.named("request.delivered")
    delivery = services.latest_delivery(request)
    assert (delivered.key, delivered.client, delivered.actor) == (
        f"request.delivered:delivery-{delivery.pk}",
        client_a,
        people["creative"],
    )
    assert delivered.data == {
        "url": request.get_absolute_url(),
        "title": "Spring hiking",
        "request": request.pk,
        "requested_by": people["requester"].pk,
        "assets": [a.pk for a in picked],
    }
    assert published.named("request.status_changed")[-1].data["status"] == RequestStatus.IN_REVIEW


def test_a_run_ending_twice_closes_the_request_once(client_a, people, published):
    request = services.submit(actor=people["requester"], client=client_a, intake=intake())
    run = WorkflowRun.objects.get(subject_type=services.SUBJECT, subject_id=request.pk)
    run.outcome = ""
    flows.on_end(run)
    flows.on_end(run)  # reported again: the request is closed already

    [cancelled] = [e for e in published.named("request.status_changed") if e.data["status"] == "cancelled"]
    assert cancelled.data["reason"] == "The OpenText process ended." and cancelled.actor is None
