"""Overdue approval tasks escalate to the client's escalation contacts (issue 15, item 10): once per task, the event
``task.escalated`` naming each contact with a login there as a recipient, audited, on the approval flow's schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.reviews.models import ApprovalEscalation
from apps.reviews.services import escalate_overdue
from apps.workflows import flows
from apps.workflows.choices import TaskStatus
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(client_a):
    asset = licensed_asset(client_a)
    run = approval_run(asset)
    return review_task(run, "brand", due_in_hours=-2)


def test_an_overdue_task_escalates_once_to_the_contacts_with_a_login(client_a, client_b, overdue, published):
    boss = member(client_a, RoleCode.AGENCY_ADMIN, email="boss@acme.example")
    outsider = member(client_b, RoleCode.AGENCY_ADMIN, email="other@beta.example")  # a contact of Acme's, not a member
    client_a.escalation_contacts = ["Boss@acme.example", "other@beta.example", "nobody@acme.example"]
    client_a.save()
    on_time = review_task(overdue.run, "legal", due_in_hours=5)

    assert escalate_overdue() == 1
    [event] = published.named("task.escalated")
    assert event.key == f"task.escalated:task-{overdue.pk}"
    assert event.client == client_a
    assert event.data["recipients"] == [boss.pk]  # not the outsider: a contact of Acme's without a login there
    assert outsider.pk not in event.data["recipients"]
    assert event.data["task"] == overdue.pk and event.data["task_name"] == overdue.name
    assert event.data["run"] == overdue.run_id and event.data["process_key"] == "asset_approval"
    assert event.data["subject_type"] == "assets.asset" and event.data["url"] == f"/assets/{overdue.run.subject_id}/"
    assert event.data["due_at"] == overdue.due_at.isoformat()
    row = ApprovalEscalation.objects.get(task=overdue)
    assert row.notified == ["boss@acme.example"]
    event = AuditEvent.objects.get(action="reviews.task.escalate")
    assert event.after == {
        "contacts": ["boss@acme.example", "other@beta.example", "nobody@acme.example"],
        "notified": ["boss@acme.example"],
    }
    assert event.client_id == client_a.pk
    assert not ApprovalEscalation.objects.filter(task=on_time).exists()

    assert escalate_overdue() == 0  # once per task
    assert escalate_overdue(now=timezone.now() + timedelta(days=3)) == 1  # the legal task, when it is late in turn
    assert [e.data["task"] for e in published.named("task.escalated")] == [overdue.pk, on_time.pk]


def test_closed_tasks_and_clients_without_contacts_are_left_alone(client_a, overdue):
    assert escalate_overdue() == 0  # no contacts: nothing recorded, so contacts added later still hear of it
    assert not ApprovalEscalation.objects.exists()
    client_a.escalation_contacts = ["boss@acme.example"]
    client_a.save()
    type(overdue).objects.filter(pk=overdue.pk).update(status=TaskStatus.COMPLETED)
    assert escalate_overdue() == 0


def test_it_runs_on_the_approval_flows_schedule():
    names = {s.name: s for s in flows.schedules()}
    assert names["reviews.escalate_overdue"].func == "apps.reviews.tasks.escalate_overdue"
