"""The asset-approval BPMN run through the OpenText emulator over HTTP, decided in the portal, the result written
back to the Smint.io emulator: approve, reject and request-changes paths, and platforms down for a while."""

from __future__ import annotations

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import CircuitBreaker, OutboxMessage
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task
from apps.workflows.services import decide
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


def open_task(run, role) -> Task:
    return Task.objects.get(run=run, status=TaskStatus.OPEN, candidate_roles=[role])


def statuses_at_smintio(asset) -> list[str]:
    from apps.emulators.smintio.models import WorkflowStatusRecord

    return list(
        WorkflowStatusRecord.objects.filter(content_element__uuid=asset.content_element_uuid).values_list(
            "status", flat=True
        )
    )


def test_three_approvals_make_the_asset_available_and_smintio_hears_once(cycle, reviewers):
    for role in ("legal", "brand", "marketing"):
        decide(open_task(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    settle()
    cycle.refresh_from_db()
    asset = Asset.objects.get(pk=cycle.subject_id)
    assert (cycle.status, cycle.outcome) == (RunStatus.COMPLETED, "approved")
    assert asset.approval_state == ApprovalState.APPROVED
    assert Asset.objects.available().filter(pk=asset.pk).exists()
    assert statuses_at_smintio(asset) == ["approved"]
    settle()  # more rounds change nothing
    assert statuses_at_smintio(asset) == ["approved"]


def test_one_rejection_ends_the_cycle_at_once_with_its_reason(cycle, reviewers):
    decide(open_task(cycle, "brand"), actor=reviewers["brand"], outcome="rejected", reason="Off-brand colours")
    settle()
    cycle.refresh_from_db()
    asset = Asset.objects.get(pk=cycle.subject_id)
    assert (cycle.status, cycle.outcome) == (RunStatus.COMPLETED, "rejected")
    assert asset.approval_state == ApprovalState.REJECTED
    assert not Task.objects.filter(run=cycle, status=TaskStatus.OPEN).exists()
    from apps.emulators.smintio.models import WorkflowStatusRecord

    record = WorkflowStatusRecord.objects.get(content_element__uuid=asset.content_element_uuid)
    assert (record.status, record.reason) == ("rejected", "Off-brand colours")


def test_changes_requested_go_to_the_owner_and_the_review_restarts(cycle, reviewers):
    decide(open_task(cycle, "legal"), actor=reviewers["legal"], outcome="approved", reason="Cleared")
    decide(open_task(cycle, "brand"), actor=reviewers["brand"], outcome="approved", reason="Cleared")
    decide(
        open_task(cycle, "marketing"), actor=reviewers["marketing"], outcome="changes_requested", reason="Add alt text"
    )
    settle()
    asset = Asset.objects.get(pk=cycle.subject_id)
    assert asset.approval_state == ApprovalState.CHANGES_REQUESTED
    revise = open_task(cycle, "content_owner")
    assert revise.name == "Revise asset"
    decide(revise, actor=reviewers["owner"], outcome="resubmitted")
    settle()
    asset.refresh_from_db()
    assert asset.approval_state == ApprovalState.IN_REVIEW
    for role in ("legal", "brand", "marketing"):
        decide(open_task(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    settle()
    cycle.refresh_from_db()
    assert cycle.outcome == "approved"
    assert statuses_at_smintio(Asset.objects.get(pk=cycle.subject_id)) == ["approved"]


def test_a_change_at_smintio_resubmits_the_asset_for_review_by_itself(platforms, client_a, cycle, reviewers):
    """After "changes requested", the owner fixes the asset at Smint.io; the next pull resubmits it (no button)."""
    from apps.integrations.tasks import pull_smintio

    decide(open_task(cycle, "legal"), actor=reviewers["legal"], outcome="changes_requested", reason="Needs a release")
    for role in ("brand", "marketing"):
        decide(open_task(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    settle()
    asset = Asset.objects.get(pk=cycle.subject_id)
    revise = open_task(cycle, "content_owner")
    assert asset.approval_state == ApprovalState.CHANGES_REQUESTED

    connection = client_a.smintio_connection
    lpt = asset.license_purchases.order_by("pk").first()
    pull_smintio(connection.pk)  # nothing changed yet: the owner's task stays open
    assert Task.objects.get(pk=revise.pk).status == TaskStatus.OPEN
    platforms.control("smintio", f"tenants/{client_a.slug}/lpts/{lpt.uuid}/bump", {"licensee_name": "With release"})
    pull_smintio(connection.pk)
    pull_smintio(connection.pk)  # a second pull changes nothing more
    revise.refresh_from_db()
    asset.refresh_from_db()
    assert (revise.status, revise.outcome, revise.assignee_email) == (TaskStatus.COMPLETED, "resubmitted", "greenlight")
    assert asset.approval_state == ApprovalState.IN_REVIEW
    settle()
    roles = sorted(r for t in Task.objects.filter(run=cycle, status=TaskStatus.OPEN) for r in t.candidate_roles)
    assert roles == ["brand", "legal", "marketing"]  # a new round opened at OpenText and was mirrored
    calls = platforms.requests_to("opentext", f"/tasks/{revise.remote_id}")
    posts = [r.path.rstrip("/").rsplit("/", 1)[-1] for r in calls if r.method == "POST"]
    assert posts == [revise.remote_id, "comments", revise.remote_id]  # claim as "greenlight", the reason, complete
    for role in ("legal", "brand", "marketing"):
        decide(open_task(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    settle()
    assert statuses_at_smintio(asset) == ["approved"]


def test_decisions_made_while_both_platforms_are_down_arrive_once_afterwards(platforms, cycle, reviewers):
    platforms.fault("opentext", kind="status", status_code=503, count=10_000, path_contains="/tasks/")
    platforms.fault("smintio", kind="status", status_code=503, count=10_000, path_contains="workflow-status")
    for role in ("legal", "brand", "marketing"):
        decide(open_task(cycle, role), actor=reviewers[role], outcome="approved", reason="Cleared")
    for _ in range(3):
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
        CircuitBreaker.objects.update(open_until=None, probing_until=None, consecutive_failures=0)
        outbox.drain(max_seconds=30)
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING, attempts__gt=0).exists()
    cycle.refresh_from_db()
    assert cycle.status == RunStatus.RUNNING  # nothing is lost, only delayed
    platforms.clear_faults("opentext")
    settle()
    cycle.refresh_from_db()
    assert cycle.outcome == "approved"
    asset = Asset.objects.get(pk=cycle.subject_id)
    assert statuses_at_smintio(asset) == []  # Smint.io is still down: the write-back waits
    platforms.clear_faults("smintio")
    settle()
    assert statuses_at_smintio(asset) == ["approved"]
    assert OutboxMessage.objects.filter(status=OutboxStatus.FAILED).count() == 0
