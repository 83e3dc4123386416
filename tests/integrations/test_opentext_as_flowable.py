"""Nothing decided is lost against an OpenText that behaves like the Flowable engine it is built on (issue 9): an
ended instance is a 404 at runtime and lives on in the history, the history is written late, tasks carry no list of
outcomes, and anyone with the right may complete a task whoever holds it. All over HTTP against the emulator in its
strict (default) form; each test would have lost or corrupted a decision before the portal read OpenText this way.
"""

from __future__ import annotations

import time

import pytest
from django.utils import timezone

from apps.accounts.models import Notice
from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.integrations.opentext import sync as opentext_sync
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage
from apps.reviews import services
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun
from apps.workflows.services import claim_task, decide
from tests.platform_fixtures import settle
from tests.reviews.test_flow import open_task as review
from tests.reviews.test_flow import statuses_at_smintio as smintio_statuses

pytestmark = pytest.mark.django_db(transaction=True)

TENANT = "greenlight"  # settings.OT_TENANT_ID when the emulators are mounted


def statuses_at_smintio(run) -> list[str]:
    return smintio_statuses(Asset.objects.get(pk=run.subject_id))


def at_opentext(platforms, run) -> dict:
    return platforms.control("opentext", f"process-instances/{run.remote_id}", method="GET")


def in_opentext(platforms, task: Task, user: str, **body) -> None:
    """Someone acting in OpenText itself (its own UI), not through Greenlight."""
    platforms.control(
        "opentext",
        f"tasks/{task.remote_id}/{'complete' if 'outcome' in body else 'claim'}",
        {
            "user": user,
            **body,
        },
    )


def history_delay(platforms, seconds: float) -> None:
    platforms.control("opentext", f"tenants/{TENANT}/settings", {"history_delay_seconds": seconds})


def drain_now() -> None:
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
    outbox.drain(max_seconds=20)


# -- 1, 3: the end of a run comes from the history, and only once the history says so ------------------------------
def test_an_ended_cycle_waits_for_the_late_history_and_is_then_applied_once(platforms, cycle, reviewers):
    history_delay(platforms, 1.5)
    for role in ("legal", "brand", "marketing"):
        decide(review(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    drain_now()
    opentext_sync.poll()
    cycle.refresh_from_db()
    # OpenText's runtime already forgot the instance (404) and its history has no end yet: not cancelled, waiting
    assert cycle.status == RunStatus.RUNNING and cycle.remote_missing_since is not None
    assert Asset.objects.get(pk=cycle.subject_id).approval_state == ApprovalState.IN_REVIEW
    assert at_opentext(platforms, cycle)["instance"]["ended"] is True
    time.sleep(1.6)
    settle()
    cycle.refresh_from_db()
    assert (cycle.status, cycle.outcome) == (RunStatus.COMPLETED, "approved")
    assert Asset.objects.get(pk=cycle.subject_id).approval_state == ApprovalState.APPROVED
    assert statuses_at_smintio(cycle) == ["approved"]
    assert WorkflowRun.objects.filter(subject_id=cycle.subject_id).count() == 1  # nobody is asked again


def test_a_rejection_ended_by_the_models_terminate_event_is_a_rejection_not_a_cancellation(platforms, cycle, reviewers):
    decide(review(cycle, "brand"), actor=reviewers["brand"], outcome="rejected", reason="Off-brand")
    settle()
    cycle.refresh_from_db()
    assert (cycle.status, cycle.outcome) == (RunStatus.COMPLETED, "rejected")
    assert statuses_at_smintio(cycle) == ["rejected"]
    removed = Task.objects.filter(run=cycle).exclude(candidate_roles=["brand"])
    assert set(removed.values_list("status", flat=True)) == {TaskStatus.CANCELLED}


# -- 2: an administrator's cancellation is a cancellation, whatever the variables say ------------------------------
def test_a_cycle_an_administrator_cancels_is_never_applied_even_with_an_outcome_variable(platforms, cycle, reviewers):
    # someone in OpenText wrote the final variable through a task, then an administrator deleted the instance
    in_opentext(
        platforms,
        review(cycle, "legal"),
        "legal@acme.example",
        outcome="approved",
        variables=[{"name": "approvalStatus", "value": "approved"}],
    )
    platforms.control("opentext", f"process-instances/{cycle.remote_id}/cancel", {"reason": "asset deleted in DAM"})
    assert at_opentext(platforms, cycle)["variables"]["approvalStatus"] == "approved"
    settle()
    cycle.refresh_from_db()
    assert (cycle.status, cycle.outcome) == (RunStatus.CANCELLED, "")
    assert Asset.objects.get(pk=cycle.subject_id).approval_state == ApprovalState.PENDING
    assert statuses_at_smintio(cycle) == []
    assert not OutboxMessage.objects.filter(kind="smintio.workflow_status").exists()
    engine_removed = Task.objects.filter(run=cycle).exclude(candidate_roles=["legal"])
    assert set(engine_removed.values_list("status", flat=True)) == {TaskStatus.CANCELLED}


# -- 3: history entries without an end time are not ends; tasks the engine deleted are not completions -------------
def test_a_task_completed_in_opentext_is_closed_only_when_the_history_has_its_end(platforms, cycle):
    history_delay(platforms, 1.5)
    task = review(cycle, "marketing")
    in_opentext(platforms, task, "marketing@acme.example", outcome="changes_requested")
    opentext_sync.poll()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN  # gone from the runtime, not yet ended in the history
    time.sleep(1.6)
    opentext_sync.poll()
    task.refresh_from_db()
    assert (task.status, task.outcome, task.assignee_email) == (
        TaskStatus.COMPLETED,
        "changes_requested",  # read from the task's outcome variable, named in our BPMN
        "marketing@acme.example",
    )
    assert AuditEvent.objects.filter(action="workflows.task.complete_elsewhere", object_id=str(task.pk)).exists()


def test_tasks_the_engine_removed_are_cancelled_not_completed_elsewhere(platforms, cycle):
    in_opentext(platforms, review(cycle, "legal"), "legal@acme.example", outcome="rejected")
    settle()
    removed = list(Task.objects.filter(run=cycle).exclude(candidate_roles=["legal"]))
    assert {t.status for t in removed} == {TaskStatus.CANCELLED}
    elsewhere = AuditEvent.objects.filter(action="workflows.task.complete_elsewhere")
    assert not elsewhere.filter(object_id__in=[str(t.pk) for t in removed]).exists()


# -- 4: outcomes come from our BPMN files, and nothing else is accepted --------------------------------------------
def test_mirrored_tasks_take_their_outcomes_from_our_bpmn_not_from_opentext(platforms, cycle):
    from apps.integrations.opentext.client import OpenTextClient

    task = review(cycle, "legal")
    remote = OpenTextClient().get_task(task.remote_id)
    assert remote["name"] == "Legal review" and "possibleOutcomes" not in remote  # the platform does not send them
    assert [value for _label, value in task.possible_outcomes] == ["approved", "rejected", "changes_requested"]


@pytest.mark.parametrize("outcome", ["approve", ""])
def test_an_unknown_or_empty_outcome_is_refused_with_the_allowed_values(cycle, reviewers, api, api_token, outcome):
    task = review(cycle, "legal")
    key = api_token(reviewers["legal"], scope="write")
    response = api(key).post(f"/api/v1/tasks/{task.pk}/decision/", {"outcome": outcome, "reason": "x"})
    assert response.status_code == 400, response.content
    body = response.json()
    assert "approved, rejected, changes_requested" in str(body)
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert not Decision.objects.exists()
    assert not OutboxMessage.objects.filter(kind="opentext.complete").exists()


def test_the_decision_page_refuses_an_unknown_outcome_and_says_which_are_allowed(cycle, reviewers, login):
    task = review(cycle, "legal")
    response = login(reviewers["legal"]).post(
        f"/tasks/{task.pk}/decide/", {"outcome": "approve", "reason": "x", "version": task.version}
    )
    assert response.status_code == 400
    assert "approved, rejected, changes_requested" in response.content.decode()
    assert not Decision.objects.exists()


# -- 5: a claim race lost at OpenText: the winner's outcome everywhere, once ---------------------------------------
def test_a_race_lost_at_opentext_keeps_the_winners_outcome_everywhere(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    in_opentext(platforms, task, "someone-else@acme.example")  # the winner holds the task in OpenText
    decide(task, actor=reviewers["legal"], outcome="rejected", reason="No model release")
    settle()
    task.refresh_from_db()
    assert (task.status, task.assignee_email) == (TaskStatus.OPEN, "someone-else@acme.example")
    lost = Decision.objects.get(task=task)
    assert not lost.applied and "someone-else@acme.example" in lost.not_applied_reason
    assert OutboxMessage.objects.get(kind="opentext.complete").status == OutboxStatus.DISCARDED
    assert "did not go through" in Notice.objects.get(user=reviewers["legal"]).text
    in_opentext(platforms, task, "someone-else@acme.example", outcome="approved")
    for role in ("brand", "marketing"):
        decide(review(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    settle()
    cycle.refresh_from_db()
    task.refresh_from_db()
    assert (cycle.status, cycle.outcome) == (RunStatus.COMPLETED, "approved")
    assert (task.outcome, task.assignee_email) == ("approved", "someone-else@acme.example")
    closed = at_opentext(platforms, cycle)["closedTasks"]
    assert {t["name"]: t["assignee"] for t in closed}["Legal review"] == "someone-else@acme.example"
    assert statuses_at_smintio(cycle) == ["approved"]


def test_a_task_taken_in_opentext_between_our_claim_and_completion_is_not_completed_by_us(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    decide(task, actor=reviewers["legal"], outcome="rejected", reason="No model release")
    claim = OutboxMessage.objects.get(kind="opentext.claim")
    outbox.deliver(outbox.claim(1)[0])  # our claim reaches OpenText ...
    assert OutboxMessage.objects.get(pk=claim.pk).status == OutboxStatus.DONE
    platforms.control(  # ... then someone takes the task over in OpenText before our completion is sent
        "opentext", f"tasks/{task.remote_id}/claim", {"user": "someone-else@acme.example", "force": True}
    )
    settle()
    cycle.refresh_from_db()
    assert cycle.status == RunStatus.RUNNING  # our rejection never reached OpenText
    assert not Decision.objects.get(task=task).applied
    assert OutboxMessage.objects.get(kind="opentext.complete").status == OutboxStatus.DONE
    assert OutboxMessage.objects.get(kind="opentext.complete").result["conflict"] is True
    assert [t["name"] for t in at_opentext(platforms, cycle)["openTasks"]].count("Legal review") == 1


# -- 6: a task completed in OpenText while our decision was queued ------------------------------------------------
def test_a_task_completed_in_opentext_first_shows_their_outcome_and_unblocks_the_run(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    decide(task, actor=reviewers["legal"], outcome="rejected", reason="No model release")
    in_opentext(platforms, task, "someone-else@acme.example", outcome="approved")  # before our calls are sent
    for role in ("brand", "marketing"):
        decide(review(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    settle()
    task.refresh_from_db()
    cycle.refresh_from_db()
    assert (task.status, task.outcome, task.assignee_email) == (
        TaskStatus.COMPLETED,
        "approved",
        "someone-else@acme.example",
    )
    ours = Decision.objects.get(task=task)
    assert not ours.applied and "completed this task in OpenText first" in ours.not_applied_reason
    assert (cycle.status, cycle.outcome) == (RunStatus.COMPLETED, "approved")  # later calls were not held back
    assert statuses_at_smintio(cycle) == ["approved"]
    assert not OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]).exists()


def test_a_parked_call_for_a_task_settled_in_opentext_is_resolved_by_the_reconcile(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    decide(task, actor=reviewers["legal"], outcome="approved", reason="Cleared")
    claim = OutboxMessage.objects.get(kind="opentext.claim")
    OutboxMessage.objects.filter(pk=claim.pk).update(status=OutboxStatus.FAILED, last_error="parked earlier")
    in_opentext(platforms, task, "someone-else@acme.example", outcome="changes_requested")
    drain_now()
    assert OutboxMessage.objects.get(kind="opentext.complete").status == OutboxStatus.PENDING  # held back
    time.sleep(0.4)  # the history catches up
    assert opentext_sync.reconcile()["parked_resolved"] == 1
    assert set(OutboxMessage.objects.filter(kind__startswith="opentext.c").values_list("status", flat=True)) == {
        OutboxStatus.DISCARDED
    }
    task.refresh_from_db()
    assert (task.outcome, task.assignee_email) == ("changes_requested", "someone-else@acme.example")
    assert Asset.objects.get(pk=cycle.subject_id).approval_state == ApprovalState.CHANGES_REQUESTED


def test_a_parked_call_whose_task_is_closed_for_good_here_waits_for_an_operator(platforms, cycle, reviewers):
    """The history says the task was completed in OpenText, but here it was already closed with its run: a cancelled
    task never becomes completed (``TASK_TRANSITIONS``), so the reconcile leaves the row parked and goes on."""
    task = review(cycle, "legal")
    claim_task(task, actor=reviewers["legal"])
    claim = OutboxMessage.objects.get(kind="opentext.claim")
    OutboxMessage.objects.filter(pk=claim.pk).update(status=OutboxStatus.FAILED, last_error="parked earlier")
    in_opentext(platforms, task, "someone-else@acme.example", outcome="approved")
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.CANCELLED)  # closed here before the history knew
    time.sleep(0.4)  # the history catches up
    assert opentext_sync.reconcile()["parked_resolved"] == 0
    assert OutboxMessage.objects.get(pk=claim.pk).status == OutboxStatus.FAILED
    task.refresh_from_db()
    assert (task.status, task.outcome) == (TaskStatus.CANCELLED, "")


# -- 7: every outcome the flow can end with is applied, changes requested included ---------------------------------
def test_every_outcome_the_approval_flow_can_end_with_is_applied_and_written_back():
    final = services.FLOW.process.end_outcomes
    assert final and all(services.FLOW.outcomes[value].smintio for value in final)


def test_a_cycle_ending_with_changes_requested_reaches_the_owner_and_smintio_once(platforms, cycle, reviewers):
    from apps.emulators.opentext.models import OtProcessInstance

    # The history keeps the end to itself until the administrator's change below is in: the portal may poll at any
    # moment while the outbox drains (a loaded machine drains slowly), and must not read the end before it.
    history_delay(platforms, 600)
    for role in ("legal", "brand", "marketing"):
        decide(review(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    drain_now()
    # an OpenText administrator's variant of the model ends the cycle with "changes_requested"
    instance = OtProcessInstance.objects.get(public_id=cycle.remote_id)
    OtProcessInstance.objects.filter(pk=instance.pk).update(
        variables={**instance.variables, "approvalStatus": "changes_requested"}
    )
    history_delay(platforms, 0)
    settle()
    cycle.refresh_from_db()
    assert (cycle.status, cycle.outcome) == (RunStatus.COMPLETED, "changes_requested")
    assert Asset.objects.get(pk=cycle.subject_id).approval_state == ApprovalState.CHANGES_REQUESTED
    assert statuses_at_smintio(cycle) == ["changes_requested"]
    assert WorkflowRun.objects.filter(subject_id=cycle.subject_id).count() == 1
