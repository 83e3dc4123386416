"""Overdue creative requests are escalated once to the client's escalation contacts, by the flow's schedule, as
renewal cases are (issue 13, item 3: "SLA and escalation from the client's policy")."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.creative import services
from apps.creative.models import CreativeRequest
from apps.workflows import flows
from tests.factories import member

from . import helpers
from .conftest import intake

pytestmark = pytest.mark.django_db


@pytest.fixture
def contacts(client_a, client_b):
    boss = member(client_a, RoleCode.CONTENT_MANAGER, email="boss@acme.example")
    elsewhere = member(client_b, RoleCode.CONTENT_MANAGER, email="beta-boss@beta.example")
    client_a.escalation_contacts = ["Boss@acme.example", "beta-boss@beta.example", "nobody@elsewhere.example"]
    client_a.save()
    return boss, elsewhere


def _submitted(client, people, title="Spring hiking launch", *, due_in_hours: float):
    request = services.submit(actor=people["requester"], client=client, intake=intake(title=title))
    task = helpers.task(request, "triage")
    task.due_at = timezone.now() + timedelta(hours=due_in_hours)
    task.save(update_fields=["due_at"])
    return request, task


def test_a_request_past_its_sla_is_escalated_once_to_the_contacts_with_a_login_there(
    client_a, people, contacts, published
):
    boss, elsewhere = contacts
    late, task = _submitted(client_a, people, "Late launch", due_in_hours=-2)
    _submitted(client_a, people, "On time", due_in_hours=5)
    assert services.escalate_overdue() == 1
    assert services.escalate_overdue() == 0  # once
    late.refresh_from_db()
    assert late.escalated_at is not None
    [escalated] = published.named("task.escalated")  # once
    assert escalated.key == f"task.escalated:request-{late.pk}"
    assert escalated.client == client_a
    # a contact without a login at this client hears nothing
    assert escalated.data["recipients"] == [boss.pk] and elsewhere.pk not in escalated.data["recipients"]
    assert escalated.data["task"] == task.pk and escalated.data["task_name"] == task.name
    assert escalated.data["subject_type"] == "creative.creativerequest" and escalated.data["subject_id"] == late.pk
    assert escalated.data["title"] == "Late launch" and escalated.data["url"] == late.get_absolute_url()
    event = AuditEvent.objects.get(action="creative.request.escalate", object_id=str(late.pk))
    assert event.after["notified"] == ["boss@acme.example"]
    assert "nobody@elsewhere.example" in event.after["contacts"]
    assert CreativeRequest.objects.get(title="On time").escalated_at is None


def test_closed_requests_and_decided_tasks_are_not_escalated(client_a, people, contacts, published):
    from apps.workflows.choices import TaskStatus

    _, task = _submitted(client_a, people, due_in_hours=-2)
    task.status = TaskStatus.COMPLETED
    task.save(update_fields=["status"])
    assert services.escalate_overdue() == 0
    declined, _ = _submitted(client_a, people, "Declined one", due_in_hours=-2)
    CreativeRequest.objects.filter(pk=declined.pk).update(status="declined")
    assert services.escalate_overdue() == 0
    assert not published.named("task.escalated")


def test_the_flow_schedules_the_escalation_every_quarter_hour():
    from apps.creative.tasks import escalate_overdue

    schedule = next(s for s in flows.schedules() if s.name == "creative.escalate_overdue")
    assert (schedule.func, schedule.minutes) == ("apps.creative.tasks.escalate_overdue", 15)
    assert escalate_overdue() == 0
