"""The core's state changes (``apps.workflows.services``), for any flow: a person's claim, release, completion and
decision, and the mirror corrected from what OpenText reports. Database tests build runs with factories and mirror
their tasks as OpenText's task list reports them; the tests at the end run against the OpenText emulator over HTTP.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.models import Notice
from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.exceptions.choices import CaseState, Disposition
from apps.exceptions.models import Case
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage
from apps.workflows import flows
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun
from apps.workflows.services import (
    SYSTEM_ASSIGNEE,
    DecisionRefused,
    InvalidTransition,
    StaleTask,
    UnknownOutcome,
    apply_remote_closed,
    apply_remote_end,
    apply_remote_tasks,
    claim_task,
    complete_task,
    decide,
    lost_race,
    queue_task_comment,
    settled_elsewhere,
    start_run,
    unclaim_task,
)
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset

from .conftest import compliance_case, mirror, remote_task, renewal_case, running

pytestmark = pytest.mark.django_db

APPROVAL_OUTCOMES = ["approved", "rejected", "changes_requested"]


def calls(run: WorkflowRun) -> list[tuple[str, dict]]:
    """The OpenText calls queued for ``run``, in the order they will be delivered."""
    rows = OutboxMessage.objects.filter(ordering_key=f"opentext:run:{run.business_key}").order_by("id")
    return [(row.kind, row.payload) for row in rows]


def kinds(run: WorkflowRun) -> list[str]:
    return [kind for kind, _payload in calls(run)]


def audited(action: str, obj) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(obj.pk)).order_by("id"))


def signer(task: Task):
    """A new member of the task's client holding the roles that sign it; a task naming no role (a creative
    request's requester task) is assigned to them, as OpenText creates it assigned."""
    if not task.candidate_roles:
        person = member(task.client, "requester")
        Task.objects.filter(pk=task.pk).update(assignee=person, assignee_email=person.email)
        task.assignee, task.assignee_email = person, person.email
        return person
    return member(task.client, *task.candidate_roles)


def fresh(task: Task) -> Task:
    return Task.objects.select_related("run", "client", "assignee").get(pk=task.pk)


# -- claim and release ---------------------------------------------------------------------------------------------
def test_claims_and_releases_are_audited_and_queued_behind_the_runs_start_in_its_order(client_a, legal, colleague):
    asset = licensed_asset(client_a, name="Harbour at night")
    run = start_run(client=client_a, process_key="asset_approval", subject=asset, variables={})
    task = mirror(running(run), "legal_review")
    other = mirror(approval_run(licensed_asset(client_a)), "legal_review")
    seen = task.version

    claimed = claim_task(task, actor=legal, expected_version=seen)
    assert (claimed.assignee, claimed.assignee_email, claimed.version) == (legal, legal.email, seen + 1)
    assert claimed.claimed_at is not None
    assert [e.actor for e in audited("workflows.task.claim", task)] == [legal]
    unclaim_task(claimed, actor=legal, expected_version=claimed.version)
    assert fresh(task).assignee is None and fresh(task).claimed_at is None
    assert [e.actor for e in audited("workflows.task.unclaim", task)] == [legal]
    claim_task(other, actor=legal)  # another run's calls have their own order
    decide(fresh(task), actor=colleague, outcome="approved")

    assert calls(run) == [
        ("opentext.start_process", {"run": run.pk}),
        ("opentext.claim", {"task": task.pk, "remote_id": task.remote_id, "assignee": legal.email}),
        ("opentext.claim", {"task": task.pk, "remote_id": task.remote_id, "assignee": None}),
        ("opentext.claim", {"task": task.pk, "remote_id": task.remote_id, "assignee": colleague.email}),
        ("opentext.complete", calls(run)[-1][1]),
    ]
    assert calls(run)[-1][1]["assignee"] == colleague.email
    assert kinds(other.run) == ["opentext.claim"]


def test_a_claim_from_a_stale_page_is_refused_and_says_who_was_first(approval, legal, colleague):
    seen = approval.version
    claim_task(approval, actor=colleague, expected_version=seen)
    with pytest.raises(StaleTask, match=r"changed by colleague@acme\.example while you were looking"):
        claim_task(approval, actor=legal, expected_version=seen)
    task = fresh(approval)
    assert (task.assignee, task.version) == (colleague, seen + 1)
    assert kinds(task.run) == ["opentext.claim"] and len(audited("workflows.task.claim", task)) == 1


def test_a_task_someone_else_holds_cannot_be_claimed_even_without_a_version(approval, legal, colleague):
    claim_task(approval, actor=colleague)
    with pytest.raises(StaleTask, match=r"^colleague@acme\.example has already claimed this task\.$"):
        claim_task(approval, actor=legal)
    assert fresh(approval).assignee == colleague


def test_a_task_that_changed_unclaimed_is_stale_without_naming_anyone(approval, legal):
    Task.objects.filter(pk=approval.pk).update(version=approval.version + 1)  # e.g. a new due date from OpenText
    with pytest.raises(StaleTask, match=r"^This task changed while you were looking at it\.$"):
        claim_task(approval, actor=legal, expected_version=approval.version)


def test_claiming_a_task_one_holds_changes_nothing(approval, legal):
    claim_task(approval, actor=legal)
    version = fresh(approval).version
    claim_task(approval, actor=legal)
    assert fresh(approval).version == version and kinds(approval.run) == ["opentext.claim"]


def test_a_closed_task_cannot_be_claimed_or_released(approval, legal, colleague):
    decide(approval, actor=colleague, outcome="approved")
    with pytest.raises(InvalidTransition, match="completed"):
        claim_task(approval, actor=legal)
    with pytest.raises(InvalidTransition, match="Only an open task you hold"):
        unclaim_task(approval, actor=colleague)


def test_only_the_holder_releases_a_task_and_a_stale_release_is_refused(approval, legal, colleague):
    with pytest.raises(InvalidTransition, match="Only an open task you hold can be released"):
        unclaim_task(approval, actor=legal)  # nobody holds it
    claim_task(approval, actor=colleague)
    with pytest.raises(InvalidTransition, match="Only an open task you hold can be released"):
        unclaim_task(approval, actor=legal)
    with pytest.raises(StaleTask, match=r"colleague@acme\.example"):
        unclaim_task(approval, actor=colleague, expected_version=approval.version)  # the version before the claim
    assert fresh(approval).assignee == colleague
    assert kinds(approval.run) == ["opentext.claim"]


# -- complete_task ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("outcome", "said"),
    [("approve", "'approve' is not an outcome of this task"), ("", "Choose an outcome"), ("withdrawn", "not an")],
)
def test_completing_with_an_outcome_the_bpmn_does_not_declare_names_the_allowed_ones(approval, legal, outcome, said):
    with pytest.raises(UnknownOutcome) as refused:
        complete_task(approval, actor=legal, outcome=outcome)
    assert refused.value.allowed == APPROVAL_OUTCOMES  # legal_review's, not the process's ("withdrawn" is the owner's)
    assert said in str(refused.value) and "one of approved, rejected, changes_requested." in str(refused.value)
    task = fresh(approval)
    assert (task.status, task.outcome, task.version) == (TaskStatus.OPEN, "", approval.version)
    assert calls(task.run) == [] and not AuditEvent.objects.filter(object_id=str(task.pk)).exists()


def test_a_task_our_bpmn_does_not_know_can_only_be_decided_in_opentext(client_a, legal):
    foreign = mirror(approval_run(licensed_asset(client_a)), "", name="Ad-hoc check added in OpenText")
    assert foreign.possible_outcomes == []
    with pytest.raises(UnknownOutcome, match=r"declare no outcomes .* can only be decided in OpenText") as refused:
        complete_task(foreign, actor=legal, outcome="approved")
    assert refused.value.allowed == []


def test_completing_queues_claim_then_completion_with_the_reason_and_values(approval, legal):
    done = complete_task(approval, actor=legal, outcome="rejected", reason="No release", values={"x": 1})
    assert (done.status, done.outcome, done.assignee, done.version) == (
        TaskStatus.COMPLETED,
        "rejected",
        legal,
        approval.version + 1,
    )
    assert done.completed_at is not None and done.claimed_at is not None
    assert calls(done.run) == [
        ("opentext.claim", {"task": done.pk, "remote_id": done.remote_id, "assignee": legal.email}),
        (
            "opentext.complete",
            {
                "task": done.pk,
                "remote_id": done.remote_id,
                "assignee": legal.email,
                "outcome": "rejected",
                "variables": {"x": 1},
                "comment": "No release",
            },
        ),
    ]
    (event,) = audited("workflows.task.rejected", done)
    assert (event.actor, event.before, event.after, event.reason) == (
        legal,
        {"status": "open"},
        {"status": "completed", "outcome": "rejected"},
        "No release",
    )


def test_the_holder_completing_queues_no_second_claim(approval, legal):
    claim_task(approval, actor=legal)
    complete_task(approval, actor=legal, outcome="approved")
    assert kinds(approval.run) == ["opentext.claim", "opentext.complete"]


def test_a_completed_task_is_stale_and_says_by_whom(approval, legal, colleague):
    complete_task(approval, actor=colleague, outcome="approved")
    with pytest.raises(StaleTask, match=r"^This task is already completed by colleague@acme\.example\.$"):
        complete_task(approval, actor=legal, outcome="rejected", reason="late")
    Task.objects.filter(pk=approval.pk).update(status=TaskStatus.CANCELLED, assignee_email="")
    with pytest.raises(StaleTask, match=r"^This task is already cancelled\.$"):
        complete_task(approval, actor=legal, outcome="approved")


def test_a_task_someone_else_holds_cannot_be_completed(approval, legal, colleague):
    claim_task(approval, actor=colleague)
    with pytest.raises(StaleTask, match=r"colleague@acme\.example holds this task"):
        complete_task(approval, actor=legal, outcome="approved")
    assert fresh(approval).status == TaskStatus.OPEN


def test_greenlight_itself_completes_in_the_holders_name_or_as_the_system(approval, client_a, legal):
    done = complete_task(approval, actor=None, outcome="approved", reason="resubmitted by a change")
    assert done.assignee_email == SYSTEM_ASSIGNEE
    assert [(k, p["assignee"]) for k, p in calls(done.run)] == [
        ("opentext.claim", SYSTEM_ASSIGNEE),
        ("opentext.complete", SYSTEM_ASSIGNEE),
    ]
    assert audited("workflows.task.approved", done)[0].actor_label == "system"

    held = mirror(approval_run(licensed_asset(client_a)), "legal_review", assignee_email=legal.email)
    done = complete_task(held, actor=None, outcome="approved")
    assert done.assignee_email == legal.email
    assert [(k, p["assignee"]) for k, p in calls(done.run)] == [("opentext.complete", legal.email)]


# -- decide: the one path of every decision -------------------------------------------------------------------------
def _reasoned_outcomes() -> list[tuple[str, str, str]]:
    """(flow, task, outcome) for every task outcome a registered flow says needs a reason."""
    return [
        (flow.key, task.key, value)
        for flow in flows.all_flows()
        for task in flow.process.tasks.values()
        for value in task.outcome_values
        if flow.outcome(value).needs_reason
    ]


REASONED = _reasoned_outcomes()


def test_every_flow_has_outcomes_that_need_a_reason():
    assert {flow for flow, _task, _outcome in REASONED} == {f.key for f in flows.all_flows()}


@pytest.mark.parametrize(("process_key", "task_key", "outcome"), REASONED)
def test_an_outcome_the_flow_says_needs_a_reason_is_refused_without_one(client_a, process_key, task_key, outcome):
    flow = flows.get(process_key)
    run = WorkflowRun.objects.create(
        client=client_a,
        process_key=process_key,
        business_key=f"acme:{process_key}:{task_key}:{outcome}",
        subject_type=flow.subject,
        subject_id=0,  # refused before the flow looks at its subject
        status=RunStatus.RUNNING,
        remote_id=f"pi-{process_key}-{task_key}-{outcome}",
    )
    task = mirror(run, task_key)
    with pytest.raises(DecisionRefused) as refused:
        decide(task, actor=signer(task), outcome=outcome, reason=" \n ")
    assert refused.value.field == "reason"
    assert str(refused.value) == f"Say why: “{flow.label_of(outcome)}” needs a reason."
    assert fresh(task).status == TaskStatus.OPEN
    assert not Decision.objects.exists() and calls(run) == []


def test_outcomes_that_need_no_reason_are_taken_without_one(approval, client_a, legal):
    assert decide(approval, actor=legal, outcome="approved").reason == ""
    _case, run = compliance_case(client_a)
    decision = decide(mirror(run, "investigate_legal"), actor=legal, outcome="no_issue")
    assert (decision.outcome, decision.applied) == ("no_issue", True)


@pytest.mark.parametrize(
    ("task_key", "outcome", "inputs", "field"),
    [
        ("owner_decision", "replace", {}, "replacement"),
        ("procurement_renewal", "renewed", {}, "renewed_until"),
        ("procurement_renewal", "renewed", {"renewed_until": timezone.now() - timedelta(days=1)}, "renewed_until"),
    ],
)
def test_a_flows_own_refusal_names_its_field_and_changes_nothing(client_a, task_key, outcome, inputs, field):
    _case, run = renewal_case(client_a)
    task = mirror(run, task_key)
    with pytest.raises(DecisionRefused) as refused:
        decide(task, actor=signer(task), outcome=outcome, reason="because", inputs=inputs)
    assert refused.value.field == field
    assert fresh(task).status == TaskStatus.OPEN and not Decision.objects.exists()
    assert kinds(run) == ["opentext.start_process"]


def test_approving_over_licence_warnings_is_refused_at_the_reason(client_a, legal):
    asset = licensed_asset(client_a, geographies=["geography_germany_de"])
    task = mirror(approval_run(asset, countries=("US",)), "legal_review")
    with pytest.raises(DecisionRefused, match="approving needs a reason") as refused:
        decide(task, actor=legal, outcome="approved")
    assert refused.value.field == "reason"


def test_of_two_decisions_at_once_one_is_applied_and_the_other_told_who_won(approval, legal, colleague):
    mine, theirs = fresh(approval), fresh(approval)  # both forms were loaded while the task was open
    decide(theirs, actor=colleague, outcome="approved")
    with pytest.raises(StaleTask, match=r"already completed by colleague@acme\.example"):
        decide(mine, actor=legal, outcome="rejected", reason="No release")
    assert list(Decision.objects.values_list("actor__email", "outcome", "applied")) == [
        (colleague.email, "approved", True)
    ]
    assert kinds(approval.run) == ["opentext.claim", "opentext.complete"]
    with pytest.raises(IntegrityError), transaction.atomic():  # and the database would refuse a second one anyway
        Decision.objects.create(client=approval.client, run=approval.run, task=approval, actor=legal, outcome="x")


def test_a_closed_task_is_said_to_be_closed_before_anything_about_the_input(approval, legal, colleague):
    decide(approval, actor=colleague, outcome="approved")
    with pytest.raises(StaleTask, match="already completed"):
        decide(fresh(approval), actor=legal, outcome="no such outcome")


# -- mirroring OpenText's task list ------------------------------------------------------------------------------
def test_mirrored_tasks_take_outcomes_and_roles_from_our_bpmn_when_opentext_sends_none(client_a, emea, legal):
    run = approval_run(licensed_asset(client_a), region="emea")
    by_key = remote_task(run, "legal_review", assignee_email=legal.email)
    by_name = remote_task(run, "", name="Brand review")
    given = remote_task(run, "marketing_review", candidate_roles=["marketing", "brand"])
    elsewhere = remote_task(run, "legal_review", process_instance_id="pi-not-ours")
    before = timezone.now()

    counts = apply_remote_tasks({run.remote_id: run}, [by_key, by_name, given, elsewhere])

    assert counts == {"created": 3, "updated": 0}
    legal_task = Task.objects.get(remote_id=by_key.remote_id)
    assert (legal_task.task_key, legal_task.candidate_roles) == ("legal_review", ["legal"])
    assert legal_task.roles_key == ",legal,"
    assert legal_task.possible_outcomes == [
        ["Approve", "approved"],
        ["Reject", "rejected"],
        ["Request changes", "changes_requested"],
    ]
    assert (legal_task.regions, legal_task.assignee, legal_task.status) == (["emea"], legal, TaskStatus.OPEN)
    assert legal_task.regions_key == ",emea,"
    assert before + timedelta(days=6) < legal_task.due_at <= timezone.now() + timedelta(days=7)  # no due date given
    brand = Task.objects.get(remote_id=by_name.remote_id)
    assert (brand.task_key, brand.candidate_roles) == ("brand_review", ["brand"])
    assert Task.objects.get(remote_id=given.remote_id).candidate_roles == ["marketing", "brand"]  # OpenText's win
    assert not Task.objects.filter(remote_id=elsewhere.remote_id).exists()


def test_assignee_due_date_and_name_follow_opentext_and_an_unchanged_report_changes_nothing(approval, colleague):
    due = timezone.now() + timedelta(days=1)
    claimed = timezone.now()
    report = remote_task(
        approval.run,
        "legal_review",
        remote_id=approval.remote_id,
        assignee_email=colleague.email,
        due_at=due,
        claimed_at=claimed,
    )
    assert apply_remote_tasks({approval.run.remote_id: approval.run}, [report]) == {"created": 0, "updated": 1}
    task = fresh(approval)
    assert (task.assignee, task.assignee_email, task.due_at, task.claimed_at) == (
        colleague,
        colleague.email,
        due,
        claimed,
    )
    assert task.version == approval.version + 1  # a page showing the old state is now stale
    assert apply_remote_tasks({approval.run.remote_id: approval.run}, [report]) == {"created": 0, "updated": 0}
    assert fresh(approval).version == task.version

    released = remote_task(approval.run, "legal_review", remote_id=approval.remote_id, due_at=due)
    apply_remote_tasks({approval.run.remote_id: approval.run}, [released])
    assert (fresh(approval).assignee, fresh(approval).assignee_email) == (None, "")


def test_a_task_with_a_local_change_on_its_way_keeps_ours_until_it_is_delivered(approval, legal, colleague):
    claim_task(approval, actor=legal)
    stale_view = remote_task(
        approval.run, "legal_review", remote_id=approval.remote_id, due_at=timezone.now() + timedelta(hours=1)
    )
    assert apply_remote_tasks({approval.run.remote_id: approval.run}, [stale_view]) == {"created": 0, "updated": 0}
    assert fresh(approval).assignee == legal and fresh(approval).due_at == approval.due_at

    OutboxMessage.objects.filter(kind="opentext.claim").update(status=OutboxStatus.DONE)  # our claim arrived
    taken_over = remote_task(approval.run, "legal_review", remote_id=approval.remote_id, assignee_email=colleague.email)
    apply_remote_tasks({approval.run.remote_id: approval.run}, [taken_over])
    assert fresh(approval).assignee == colleague  # then OpenText's word counts again


def test_a_task_decided_here_is_not_reopened_by_opentext_still_listing_it(approval, legal):
    decide(approval, actor=legal, outcome="approved")
    OutboxMessage.objects.update(status=OutboxStatus.DONE)
    still_open = remote_task(approval.run, "legal_review", remote_id=approval.remote_id)
    apply_remote_tasks({approval.run.remote_id: approval.run}, [still_open])
    assert (fresh(approval).status, fresh(approval).outcome) == (TaskStatus.COMPLETED, "approved")


# -- tasks that ended in OpenText --------------------------------------------------------------------------------
def test_a_task_completed_in_opentext_takes_their_outcome_and_actor_once(approval, colleague):
    ended = timezone.now() - timedelta(minutes=3)
    assert apply_remote_closed(
        approval, completed=True, outcome="changes_requested", assignee_email=colleague.email, ended_at=ended
    )
    task = fresh(approval)
    assert (task.status, task.outcome, task.assignee, task.completed_at) == (
        TaskStatus.COMPLETED,
        "changes_requested",
        colleague,
        ended,
    )
    (event,) = audited("workflows.task.complete_elsewhere", task)
    assert (event.before, event.after) == (
        {"status": "open"},
        {"status": "completed", "outcome": "changes_requested", "assignee": colleague.email, "delete_reason": ""},
    )
    asset = Asset.objects.get(pk=task.run.subject_id)
    assert asset.approval_state == ApprovalState.CHANGES_REQUESTED  # the flow followed (on_task_settled)
    assert not apply_remote_closed(approval, completed=True, outcome="approved")  # reported twice: once
    assert fresh(approval).outcome == "changes_requested"
    assert len(audited("workflows.task.complete_elsewhere", task)) == 1


def test_a_task_the_engine_removed_is_cancelled_and_never_carries_an_outcome(approval):
    assert apply_remote_closed(approval, completed=False, outcome="approved", reason="terminated by end event")
    task = fresh(approval)
    assert (task.status, task.outcome) == (TaskStatus.CANCELLED, "")
    (event,) = audited("workflows.task.cancel", task)
    assert event.after["delete_reason"] == "terminated by end event"
    assert not audited("workflows.task.complete_elsewhere", task)
    assert Asset.objects.get(pk=task.run.subject_id).approval_state == ApprovalState.IN_REVIEW


def test_settled_elsewhere_keeps_our_decision_as_not_applied_withdraws_its_calls_and_tells_the_decider(
    approval, client_a, legal, colleague
):
    decide(approval, actor=legal, outcome="rejected", reason="No model release")
    queue_task_comment(approval, "legal@acme.example: see the release")
    brand = mirror(approval.run, "brand_review")
    claim_task(brand, actor=member(client_a, RoleCode.BRAND, email="brand@acme.example"))

    settled_elsewhere(approval, completed=True, outcome="approved", assignee_email=colleague.email)

    task = fresh(approval)
    assert (task.status, task.outcome, task.assignee) == (TaskStatus.COMPLETED, "approved", colleague)
    why = "colleague@acme.example completed this task in OpenText first (approved)."
    assert list(Decision.objects.values_list("outcome", "applied", "not_applied_reason")) == [("rejected", False, why)]
    statuses = {
        (row.kind, row.payload["task"]): row.status for row in OutboxMessage.objects.filter(platform="opentext")
    }
    assert statuses == {
        ("opentext.claim", task.pk): OutboxStatus.DISCARDED,
        ("opentext.complete", task.pk): OutboxStatus.DISCARDED,
        ("opentext.comment", task.pk): OutboxStatus.DISCARDED,
        ("opentext.claim", brand.pk): OutboxStatus.PENDING,  # another task's call goes on
    }
    (notice,) = Notice.objects.filter(user=legal)
    assert notice.level == "warning"
    assert notice.text == f"Your decision “rejected” on “Legal review” was not applied: {why}"
    assert [e.reason for e in audited("workflows.task.complete_elsewhere", task)] == [why]
    assert len(AuditEvent.objects.filter(action="workflows.decision.not_applied")) == 1
    assert AuditEvent.objects.filter(action="integrations.outbox.withdraw").count() == 3


def test_settled_elsewhere_as_removed_by_the_engine_is_a_cancellation_without_an_outcome(approval, legal):
    decide(approval, actor=legal, outcome="approved")
    settled_elsewhere(approval, completed=False, outcome="approved", reason="process instance deleted")
    task = fresh(approval)
    assert (task.status, task.outcome) == (TaskStatus.CANCELLED, "")
    decision = Decision.objects.get()
    assert not decision.applied
    assert decision.not_applied_reason == (
        "OpenText removed the task before it was completed (process instance deleted)."
    )
    assert audited("workflows.task.cancel", task)


def test_a_change_request_opentext_did_not_take_no_longer_shows_on_the_asset(approval, legal, colleague):
    decide(approval, actor=legal, outcome="changes_requested", reason="Crop the logo")
    asset = Asset.objects.get(pk=approval.run.subject_id)
    assert asset.approval_state == ApprovalState.CHANGES_REQUESTED  # shown at once, before OpenText took it
    settled_elsewhere(approval, completed=True, outcome="approved", assignee_email=colleague.email)
    asset.refresh_from_db()
    assert asset.approval_state == ApprovalState.IN_REVIEW


def test_a_claim_lost_at_opentext_shows_the_holder_and_tells_the_loser_once(approval, legal, colleague):
    claim_task(approval, actor=legal)
    lost_race(approval, loser_email=legal.email, holder_email=colleague.email, action="claim")
    task = fresh(approval)
    assert (task.status, task.assignee, task.assignee_email) == (TaskStatus.OPEN, colleague, colleague.email)
    assert OutboxMessage.objects.get(kind="opentext.claim").status == OutboxStatus.DISCARDED
    assert list(Notice.objects.filter(user=legal).values_list("text", flat=True)) == [
        "Your claim of “Legal review” did not go through: colleague@acme.example took the task in OpenText first. "
        "The task shows their claim now."
    ]
    (event,) = audited("workflows.task.lost_race", task)
    assert (event.before, event.after) == (
        {"status": "open"},
        {"status": "open", "holder": colleague.email, "loser": legal.email, "action": "claim", "calls_withdrawn": 1},
    )


def test_a_decision_lost_at_opentext_reopens_the_task_for_the_holder_who_can_then_decide(approval, legal, colleague):
    decide(approval, actor=legal, outcome="rejected", reason="No model release")
    lost_race(approval, loser_email=legal.email, holder_email=colleague.email, action="decision")
    task = fresh(approval)
    assert (task.status, task.outcome, task.completed_at, task.assignee) == (TaskStatus.OPEN, "", None, colleague)
    lost = Decision.objects.get()
    assert not lost.applied and lost.not_applied_reason == "colleague@acme.example held the task in OpenText first."
    assert Notice.objects.filter(user=legal).count() == 1  # told once, not for the race and again for the decision
    assert audited("workflows.task.lost_race", task)[0].after["calls_withdrawn"] == 2
    decide(task, actor=colleague, outcome="approved")  # the not-applied decision does not block the holder's
    assert list(Decision.objects.order_by("id").values_list("actor__email", "applied")) == [
        (legal.email, False),
        (colleague.email, True),
    ]


def test_a_holder_the_portal_does_not_know_is_shown_by_email(approval, legal):
    claim_task(approval, actor=legal)
    lost_race(approval, loser_email=legal.email, holder_email="someone-else@acme.example", action="claim")
    task = fresh(approval)
    assert (task.assignee, task.assignee_email) == (None, "someone-else@acme.example")


# -- the end of a run ------------------------------------------------------------------------------------------------
def _write_backs(run) -> list[dict]:
    return [m.payload["body"] for m in OutboxMessage.objects.filter(kind="smintio.workflow_status")]


def test_a_runs_end_closes_it_cancels_its_open_tasks_and_applies_the_outcome_once(approval, client_a, legal):
    decide(approval, actor=legal, outcome="approved")
    brand = mirror(approval.run, "brand_review")
    run = approval.run
    assert apply_remote_end(run, outcome="approved")
    run.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.COMPLETED, "approved") and run.ended_at is not None
    assert fresh(brand).status == TaskStatus.CANCELLED
    (event,) = audited("workflows.run.complete", run)
    assert (event.before, event.after) == (
        {"status": "running"},
        {"status": "completed", "outcome": "approved", "delete_reason": ""},
    )
    (closed,) = audited("workflows.task.cancel", brand)  # the task the run's end closed, on its own trail
    assert (closed.before, closed.after) == (
        {"status": "open"},
        {"status": "cancelled", "run": run.pk, "delete_reason": "the run ended"},
    )
    assert Asset.objects.get(pk=run.subject_id).approval_state == ApprovalState.APPROVED
    assert [body["status"] for body in _write_backs(run)] == ["approved"]

    assert not apply_remote_end(run, outcome="rejected")  # reported again, or differently: applied once
    assert not apply_remote_end(run, outcome="approved", cancelled=True)
    run.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.COMPLETED, "approved")
    assert len(_write_backs(run)) == 1 and len(audited("workflows.run.complete", run)) == 1


def test_a_cancelled_cycle_never_carries_an_outcome_and_writes_nothing_back(approval, legal):
    decide(approval, actor=legal, outcome="approved")
    run = approval.run
    assert apply_remote_end(run, outcome="approved", cancelled=True, reason="asset deleted in DAM")
    run.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.CANCELLED, "")
    assert audited("workflows.run.cancel", run)[0].after == {
        "status": "cancelled",
        "outcome": "",
        "delete_reason": "asset deleted in DAM",
    }
    assert Asset.objects.get(pk=run.subject_id).approval_state == ApprovalState.PENDING  # to be reviewed again
    assert _write_backs(run) == []


def test_a_compliance_case_closes_with_its_corrective_action_and_a_cancelled_one_with_none(client_a, legal):
    case, run = compliance_case(client_a)
    decide(mirror(run, "investigate_legal"), actor=legal, outcome="usage_withdrawn", reason="Copies deleted")
    assert apply_remote_end(run, outcome="usage_withdrawn")
    assert apply_remote_end(run, outcome="usage_withdrawn") is False
    case.refresh_from_db()
    assert (case.state, case.disposition, case.closed_by) == (CaseState.CLOSED, Disposition.USAGE_WITHDRAWN, legal)
    assert [body["status"] for body in _write_backs(run)] == ["restricted"]

    other, cancelled = compliance_case(client_a)
    assert apply_remote_end(cancelled, outcome="escalated", cancelled=True)
    other.refresh_from_db()
    cancelled.refresh_from_db()
    assert cancelled.outcome == "" and (other.state, other.disposition) == (CaseState.CLOSED, Disposition.CANCELLED)
    assert len(_write_backs(cancelled)) == 1  # still only the first case's
    assert Case.objects.filter(state=CaseState.OPEN).count() == 0


def test_an_end_the_flow_does_not_declare_is_never_guessed_at(approval):
    run = approval.run
    assert apply_remote_end(run, outcome="maybe")
    run.refresh_from_db()
    assert (run.status, run.outcome) == (RunStatus.COMPLETED, "maybe")
    asset = Asset.objects.get(pk=run.subject_id)
    assert asset.approval_state == ApprovalState.PENDING and _write_backs(run) == []
    assert AuditEvent.objects.filter(action="reviews.asset.outcome_unknown", object_id=str(asset.pk)).exists()


# -- against the OpenText emulator over HTTP -------------------------------------------------------------------------
def _at_opentext(platforms, task) -> dict:
    state = platforms.control("opentext", f"process-instances/{task.run.remote_id}", method="GET")
    return next(t for t in state["openTasks"] if t["id"] == task.remote_id)


@pytest.mark.django_db(transaction=True)
def test_a_claim_and_a_release_reach_opentext_and_the_poll_keeps_them(platforms, cycle, reviewers):
    from tests.platform_fixtures import settle

    legal = reviewers["legal"]
    task = Task.objects.get(run=cycle, task_key="legal_review")
    claim_task(task, actor=legal, expected_version=task.version)
    settle()
    assert _at_opentext(platforms, task)["assignee"] == legal.email
    assert fresh(task).assignee == legal
    unclaim_task(fresh(task), actor=legal)
    settle()
    assert not _at_opentext(platforms, task)["assignee"]
    assert fresh(task).assignee_email == ""
    assert OutboxMessage.objects.filter(kind="opentext.claim", status=OutboxStatus.DONE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_claim_opentext_refuses_shows_who_holds_it_and_tells_the_reviewer(platforms, cycle, reviewers):
    from tests.platform_fixtures import settle

    legal = reviewers["legal"]
    task = Task.objects.get(run=cycle, task_key="legal_review")
    platforms.control("opentext", f"tasks/{task.remote_id}/claim", {"user": "someone-else@acme.example"})
    claim_task(task, actor=legal)  # our mirror did not know yet
    settle()
    task = fresh(task)
    assert (task.status, task.assignee_email) == (TaskStatus.OPEN, "someone-else@acme.example")
    assert _at_opentext(platforms, task)["assignee"] == "someone-else@acme.example"
    (notice,) = Notice.objects.filter(user=legal)
    assert notice.text.startswith("Your claim of “Legal review” did not go through: someone-else@acme.example")
    assert audited("workflows.task.lost_race", task)[0].after["action"] == "claim"
