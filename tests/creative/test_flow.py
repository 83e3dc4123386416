"""Flow 3 end to end over HTTP: a request submitted in Greenlight runs creative_request.bpmn in the OpenText
emulator; every outcome (accept, ask and answer, decline, deliver, changes, accept the delivery) moves the request,
and only the requester may act on the requester's tasks."""

from __future__ import annotations

import pytest

from apps.assets.models import Asset, UsageEvent
from apps.assets.querysets import available_condition
from apps.creative import services
from apps.creative.choices import RequestStatus
from apps.creative.models import Delivery
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import NotASigner
from tests.platform_fixtures import settle

from .conftest import intake

pytestmark = pytest.mark.django_db(transaction=True)


def _task(request, key) -> Task:
    return Task.objects.get(
        run__subject_type=services.SUBJECT, run__subject_id=request.pk, task_key=key, status=TaskStatus.OPEN
    )


def _submitted(client, people):
    request = services.submit(actor=people["requester"], client=client, intake=intake())
    settle()
    return request


def test_a_request_accepted_delivered_and_accepted_ends_delivered_with_its_usage_recorded(library, people):
    request = _submitted(library, people)
    request.refresh_from_db()
    assert request.status == RequestStatus.TRIAGE
    run = WorkflowRun.objects.get(subject_type=services.SUBJECT, subject_id=request.pk)
    assert run.status == RunStatus.RUNNING and run.variables["requester"] == "asker@acme.example"
    assert _task(request, services.TRIAGE).candidate_roles == ["content_manager"]

    services.triage(request, actor=people["ops"], outcome="accept")
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_CREATION
    settle()
    assets = list(Asset.objects.filter(client=library).filter(available_condition())[:2])
    assert assets
    services.shortlist_add(request, assets[0], actor=people["creative"], note="the blue one")
    services.deliver(request, None, actor=people["creative"])  # the shortlist
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_REVIEW
    delivery = Delivery.objects.get(request=request)
    assert [i.asset_id for i in delivery.items.all()] == [assets[0].pk]
    event = UsageEvent.objects.get(uuid=delivery.items.get().usage_event_uuid)
    assert event.asset_id == assets[0].pk and event.user_email == "creative@acme.example"
    assert event.source == "creative" and event.channel == "usage_web"
    settle()

    review = _task(request, services.REVIEW)
    assert review.assignee_id == people["requester"].pk and review.candidate_roles == []
    with pytest.raises(NotASigner):
        services.review(request, actor=people["other_requester"], outcome="accepted")
    with pytest.raises(NotASigner):
        services.review(request, actor=people["ops"], outcome="accepted")
    services.review(request, actor=people["requester"], outcome="accepted")
    settle()
    request.refresh_from_db()
    run.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED and request.closed_at
    assert run.status == RunStatus.COMPLETED and run.outcome == "delivered"
    delivery.refresh_from_db()
    assert delivery.accepted_by == people["requester"] and delivery.accepted_at


def test_ask_and_answer_go_back_to_triage_then_decline_ends_declined(library, people):
    request = _submitted(library, people)
    services.triage(request, actor=people["ops"], outcome="ask", reason="Which season?")
    request.refresh_from_db()
    assert request.status == RequestStatus.NEEDS_INFO and request.question == "Which season?"
    settle()
    answer = _task(request, services.ANSWER)
    assert answer.assignee_id == people["requester"].pk
    with pytest.raises(NotASigner):
        services.answer(request, actor=people["other_requester"], text="Winter")
    services.answer(request, actor=people["requester"], text="Spring")
    request.refresh_from_db()
    assert request.status == RequestStatus.TRIAGE and request.answer == "Spring"
    settle()
    with pytest.raises(services.RequestRefused):
        services.triage(request, actor=people["ops"], outcome="decline")  # a reason is needed
    services.triage(request, actor=people["ops"], outcome="decline", reason="No budget this quarter.")
    settle()
    request.refresh_from_db()
    run = WorkflowRun.objects.get(subject_type=services.SUBJECT, subject_id=request.pk)
    assert request.status == RequestStatus.DECLINED and request.decline_reason == "No budget this quarter."
    assert run.status == RunStatus.COMPLETED and run.outcome == "declined"


def test_changes_requested_go_back_to_the_creative(library, people):
    request = _submitted(library, people)
    services.triage(request, actor=people["ops"], outcome="accept")
    settle()
    first, second = list(Asset.objects.filter(client=library).filter(available_condition())[:2])
    with pytest.raises(NotASigner):
        services.deliver(request, [first], actor=people["ops"])  # not a creative
    services.deliver(request, [first], actor=people["creative"])
    settle()
    services.review(request, actor=people["requester"], outcome="changes_requested", reason="Warmer light")
    request.refresh_from_db()
    assert request.status == RequestStatus.IN_CREATION and request.changes_reason == "Warmer light"
    settle()
    services.deliver(request, [second], actor=people["creative"])
    settle()
    services.review(request, actor=people["requester"], outcome="accepted")
    settle()
    request.refresh_from_db()
    assert request.status == RequestStatus.DELIVERED
    assert request.deliveries.count() == 2
    assert request.deliveries.order_by("id").first().changes_requested_at is not None
