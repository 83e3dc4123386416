"""Creative requests' services: intake validation, drafts, submission, every move of a request's state and each
refusal, the shortlist and delivery with their tenancy, replacement moving deliveries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState
from apps.assets.models import UsageEvent
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.creative import services
from apps.creative.choices import REQUEST_TRANSITIONS, RequestStatus
from apps.creative.models import CampaignType, CreativeRequest, Format
from apps.outbox.models import OutboxMessage
from apps.workflows.models import WorkflowRun
from apps.workflows.services import NotASigner
from tests.factories import member

from .conftest import intake
from .helpers import asset, task

pytestmark = pytest.mark.django_db


# -- intake ---------------------------------------------------------------------------------------------------------
def test_validation_names_each_wrong_field(client_a, client_b, people, emea):
    today = timezone.localdate()
    theirs = CampaignType.objects.create(client=client_b, name="Theirs")
    errors = services.validate(
        intake(
            title="",
            countries=["DE", "XX"],
            usages=["usage_web", "usage_nonsense"],
            regions=["apac"],
            deadline=today,
            run_from=today + timedelta(days=20),
            run_until=today + timedelta(days=10),
            campaign_type=theirs,
            brief="x" * (services.TEXT_LIMIT + 1),
        ),
        client=client_a,
        requester=member(client_a, RoleCode.REQUESTER, regions=[emea]),
        submitting=True,
    )
    assert set(errors) == {"title", "countries", "usages", "regions", "deadline", "run_until", "campaign_type", "brief"}
    assert errors["deadline"] == ["The deadline must be in the future."]
    assert errors["run_until"] == ["The campaign must end on or after the day it starts."]
    assert "XX" in errors["countries"][0] and "usage_nonsense" in errors["usages"][0]
    assert "APAC" in errors["regions"][0]


def test_a_submitted_request_needs_where_what_and_when_but_a_draft_only_a_title(client_a, people):
    bare = services.Intake(title="Just an idea")
    assert services.validate(bare, client=client_a, requester=people["requester"], submitting=False) == {}
    errors = services.validate(bare, client=client_a, requester=people["requester"], submitting=True)
    assert set(errors) == {"countries", "usages", "deadline"}


def test_regions_within_the_requesters_memberships(client_a, emea):
    scoped = member(client_a, RoleCode.REQUESTER, regions=[emea])
    assert services.validate(intake(regions=["emea"]), client=client_a, requester=scoped, submitting=True) == {}


def test_a_draft_is_saved_edited_and_submitted_by_its_requester_only(client_a, people):
    draft = services.save_draft(services.Intake(title="Idea"), client=client_a, requester=people["requester"])
    assert draft.status == RequestStatus.DRAFT
    assert not CreativeRequest.objects.visible_to(people["ops"]).filter(pk=draft.pk).exists()  # a draft is private
    with pytest.raises(NotASigner):
        services.save_draft(intake(), client=client_a, requester=people["other_requester"], request=draft)
    draft = services.save_draft(
        intake(title="Idea, better"), client=client_a, requester=people["requester"], request=draft
    )
    with pytest.raises(NotASigner):
        services.submit(draft, actor=people["other_requester"])
    submitted = services.submit(draft, actor=people["requester"])
    assert submitted.status == RequestStatus.TRIAGE and submitted.submitted_at
    run = WorkflowRun.objects.get(subject_type=services.SUBJECT, subject_id=draft.pk)
    assert run.process_key == "creative_request" and run.variables["title"] == "Idea, better"
    assert run.variables["countries"] == "DE,FR" and run.variables["requester"] == "asker@acme.example"
    assert OutboxMessage.objects.filter(kind="opentext.start_process", payload__run=run.pk).count() == 1
    assert CreativeRequest.objects.visible_to(people["ops"]).filter(pk=draft.pk).exists()
    with pytest.raises(services.InvalidTransition):
        services.save_draft(intake(), client=client_a, requester=people["requester"], request=draft)
    with pytest.raises(services.InvalidTransition):
        services.submit(draft, actor=people["requester"])  # only once
    assert list(
        AuditEvent.objects.filter(object_id=str(draft.pk), action__startswith="creative.")
        .values_list("action", flat=True)
        .order_by("id")
    ) == ["creative.request.create", "creative.request.update", "creative.request.submit"]


def test_submitting_invalid_fields_changes_nothing(client_a, people):
    with pytest.raises(services.IntakeErrors) as refused:
        services.submit(actor=people["requester"], client=client_a, intake=intake(usages=[]))
    assert set(refused.value.errors) == {"usages"}
    assert not CreativeRequest.objects.exists() and not WorkflowRun.objects.exists()


def test_an_external_member_may_not_ask(client_a):
    outsider = member(client_a, RoleCode.EXTERNAL)
    with pytest.raises(NotASigner):
        services.submit(actor=outsider, client=client_a, intake=intake())


def test_a_draft_may_be_withdrawn_by_its_requester(client_a, people):
    draft = services.save_draft(services.Intake(title="Idea"), client=client_a, requester=people["requester"])
    with pytest.raises(NotASigner):
        services.cancel(draft, actor=people["ops"])
    services.cancel(draft, actor=people["requester"])
    draft.refresh_from_db()
    assert draft.status == RequestStatus.CANCELLED and draft.closed_at


# -- the moves -------------------------------------------------------------------------------------------------------
@pytest.fixture
def submitted(client_a, people):
    return services.submit(actor=people["requester"], client=client_a, intake=intake())


def test_every_move_outside_the_table_is_refused(submitted):
    for before, allowed in REQUEST_TRANSITIONS.items():
        for after in RequestStatus.values:
            if after in allowed or after == before:
                continue
            CreativeRequest.objects.filter(pk=submitted.pk).update(status=before)
            with pytest.raises(services.InvalidTransition):
                services._move(submitted, after, action="test")
    assert REQUEST_TRANSITIONS[RequestStatus.DELIVERED] == frozenset()


def test_triage_accepts_asks_and_declines_with_reasons(submitted, people):
    triage = task(submitted, services.TRIAGE)
    with pytest.raises(NotASigner):
        services.triage(submitted, actor=people["creative"], outcome="accept")  # content operations only
    with pytest.raises(services.RequestRefused):
        services.triage(submitted, actor=people["ops"], outcome="ask")  # the question is the reason
    services.triage(submitted, actor=people["ops"], outcome="ask", reason="Which trail?")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.NEEDS_INFO and submitted.question == "Which trail?"
    with pytest.raises(services.InvalidTransition, match="no open task"):
        services.triage(submitted, actor=people["ops"], outcome="accept")  # decided already
    triage.refresh_from_db()
    assert triage.outcome == "ask"

    answer = task(submitted, services.ANSWER)
    assert answer.assignee == people["requester"]
    for someone in (people["other_requester"], people["ops"], people["creative"]):
        with pytest.raises(NotASigner):
            services.answer(submitted, actor=someone, text="The Alps")
    with pytest.raises(services.RequestRefused):
        services.answer(submitted, actor=people["requester"], text="")
    services.answer(submitted, actor=people["requester"], text="The Alps")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.TRIAGE and submitted.answer == "The Alps"

    task(submitted, services.TRIAGE)
    services.triage(submitted, actor=people["ops"], outcome="decline", reason="Not this season")
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.DECLINED and submitted.decline_reason == "Not this season"
    assert submitted.closed_at


def test_a_decision_without_an_open_task_says_so(submitted, people):
    with pytest.raises(services.InvalidTransition, match="no open task"):
        services.triage(submitted, actor=people["ops"], outcome="accept")


@pytest.fixture
def in_creation(submitted, people):
    task(submitted, services.TRIAGE)
    services.triage(submitted, actor=people["ops"], outcome="accept")
    task(submitted, services.PICK)
    submitted.refresh_from_db()
    return submitted


def test_the_creative_shortlists_and_delivers_the_clients_available_assets_only(
    in_creation, people, client_a, client_b
):
    ours, withdrawn, theirs = asset(client_a), asset(client_a, approval=ApprovalState.WITHDRAWN), asset(client_b)
    with pytest.raises(NotASigner):
        services.shortlist_add(in_creation, ours, actor=people["requester"])
    for refused in (withdrawn, theirs):
        with pytest.raises(services.RequestRefused):
            services.shortlist_add(in_creation, refused, actor=people["creative"])
    services.shortlist_add(in_creation, ours, actor=people["creative"])
    services.shortlist_add(in_creation, ours, actor=people["creative"])  # once
    assert in_creation.shortlist.count() == 1
    with pytest.raises(services.RequestRefused):
        services.deliver(in_creation, [theirs], actor=people["creative"])
    with pytest.raises(services.RequestRefused):
        services.deliver(in_creation, [], actor=people["creative"])
    services.deliver(in_creation, None, actor=people["creative"], note="Two crops")
    in_creation.refresh_from_db()
    assert in_creation.status == RequestStatus.IN_REVIEW
    delivery = in_creation.deliveries.get()
    assert list(delivery.items.values_list("asset_id", flat=True)) == [ours.pk]
    assert delivery.note == "Two crops" and delivery.delivered_by == people["creative"]
    event = UsageEvent.objects.get(asset=ours)
    assert event.client_id == client_a.pk and event.event == "share" and event.source == "creative"
    assert not UsageEvent.objects.filter(asset=theirs).exists()
    with pytest.raises(services.InvalidTransition):
        services.shortlist_add(in_creation, ours, actor=people["creative"])  # delivered: no longer in creation


def test_the_requester_accepts_or_asks_for_changes(in_creation, people, client_a):
    services.deliver(in_creation, [asset(client_a)], actor=people["creative"])
    task(in_creation, services.REVIEW)
    with pytest.raises(services.RequestRefused):
        services.review(in_creation, actor=people["requester"], outcome="changes_requested")  # say what
    services.review(in_creation, actor=people["requester"], outcome="changes_requested", reason="Warmer")
    in_creation.refresh_from_db()
    assert in_creation.status == RequestStatus.IN_CREATION and in_creation.changes_reason == "Warmer"
    task(in_creation, services.PICK)
    services.deliver(in_creation, [asset(client_a)], actor=people["creative"])
    task(in_creation, services.REVIEW)
    with pytest.raises(NotASigner):
        services.review(in_creation, actor=people["other_requester"], outcome="accepted")
    services.review(in_creation, actor=people["requester"], outcome="accepted")
    in_creation.refresh_from_db()
    assert in_creation.status == RequestStatus.DELIVERED
    latest = services.latest_delivery(in_creation)
    assert latest.accepted_by == people["requester"]
    assert in_creation.deliveries.exclude(pk=latest.pk).get().changes_requested_at


def test_the_run_ending_elsewhere_cancels_an_open_request(submitted):
    from apps.creative import flows

    run = WorkflowRun.objects.get(subject_type=services.SUBJECT, subject_id=submitted.pk)
    run.outcome = ""
    flows.on_end(run)
    submitted.refresh_from_db()
    assert submitted.status == RequestStatus.CANCELLED and submitted.closed_at


def test_a_replacement_moves_delivered_uses_to_the_new_asset(in_creation, people, client_a, client_b):
    from apps.assets import events

    old, new = asset(client_a), asset(client_a)
    services.deliver(in_creation, [old], actor=people["creative"])
    events.replaced(old, new, reason="Case 1")
    item = in_creation.deliveries.get().items.get()
    assert (item.asset_id, item.replaced_asset_id) == (new.pk, old.pk)
    assert services.move_deliveries(new, asset(client_b)) == 0  # never across clients


# -- tenancy ---------------------------------------------------------------------------------------------------------
def test_another_clients_request_and_vocabulary_are_invisible(client_a, client_b, people):
    theirs_requester = member(client_b, RoleCode.REQUESTER)
    theirs = services.submit(actor=theirs_requester, client=client_b, intake=intake())
    for user in people.values():
        assert not CreativeRequest.objects.visible_to(user).filter(pk=theirs.pk).exists()
    Format.objects.create(client=client_b, name="Billboard")
    assert not Format.objects.visible_to(people["requester"]).exists()
    with pytest.raises(NotASigner):
        services.submit(actor=people["requester"], client=client_b, intake=intake())
