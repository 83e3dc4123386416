"""The task events (docs/events.md) are published where the mirror and the claims change a task, once per
occurrence: mirroring the same OpenText task list again, or claiming a task one already holds, says nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts import delegation
from apps.accounts.models import Membership
from apps.common.roles import RoleCode
from apps.workflows import services
from apps.workflows.models import Task, WorkflowRun
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

from .conftest import remote_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(client_a):
    return approval_run(licensed_asset(client_a, name="Glacier lake"), region="emea")


def test_a_task_first_mirrored_open_is_available_once(run, published):
    due = timezone.now() + timedelta(days=2)
    remote = remote_task(run, "legal_review", due_at=due)

    services.apply_remote_tasks({run.remote_id: run}, [remote])
    services.apply_remote_tasks({run.remote_id: run}, [remote])  # the next poll sees the same task

    task = Task.objects.get(remote_id=remote.remote_id)
    [event] = published
    assert (event.name, event.key, event.client, event.actor) == (
        "task.available",
        f"task.available:task-{task.pk}",
        run.client,
        None,
    )
    assert event.data == {
        "url": f"/assets/{run.subject_id}/",
        "title": "Glacier lake",
        "task": task.pk,
        "task_name": task.name,
        "task_key": "legal_review",
        "roles": task.candidate_roles,
        "regions": ["emea"],
        "due_at": due.isoformat(),
        "run": run.pk,
        "process_key": "asset_approval",
        "subject_type": "assets.asset",
        "subject_id": run.subject_id,
    }
    assert task.candidate_roles  # from our BPMN file: the people the notifications app tells


def test_a_claim_seen_in_opentext_assigns_the_task_once(run, legal, published):
    remote = remote_task(run, "legal_review")
    services.apply_remote_tasks({run.remote_id: run}, [remote])
    remote.assignee_email, remote.claimed_at = legal.email, timezone.now()

    services.apply_remote_tasks({run.remote_id: run}, [remote])
    services.apply_remote_tasks({run.remote_id: run}, [remote])  # the same claim seen again

    task = Task.objects.get(remote_id=remote.remote_id)
    [assigned] = published.named("task.assigned")
    assert assigned.key == f"task.assigned:task-{task.pk}:v{task.version}"
    assert (assigned.data["assignee"], assigned.data["by"], assigned.data["task"]) == (legal.pk, None, task.pk)
    assert not published.named("task.delegated")  # legal is not away


def test_a_task_first_mirrored_already_claimed_is_assigned_not_available(run, legal, published):
    remote = remote_task(run, "legal_review", assignee_email=legal.email, claimed_at=timezone.now())
    services.apply_remote_tasks({run.remote_id: run}, [remote])

    task = Task.objects.get(remote_id=remote.remote_id)
    assert [e.name for e in published] == ["task.assigned"]
    assert published[0].data["assignee"] == legal.pk and published[0].data["task"] == task.pk


def test_a_claim_in_the_portal_assigns_the_task_by_the_person_once(run, legal, published):
    remote = remote_task(run, "legal_review")
    services.apply_remote_tasks({run.remote_id: run}, [remote])
    task = Task.objects.get(remote_id=remote.remote_id)

    services.claim_task(task, actor=legal)
    services.claim_task(task, actor=legal)  # a second click: they hold it already

    task.refresh_from_db()
    [assigned] = published.named("task.assigned")
    assert assigned.key == f"task.assigned:task-{task.pk}:v{task.version}"
    assert assigned.actor == legal and assigned.data["assignee"] == legal.pk and assigned.data["by"] == legal.pk


def test_a_task_opentext_gives_to_someone_away_reaches_their_delegate(client_a, run, legal, published):
    stand_in = member(client_a, RoleCode.LEGAL, email="standin@acme.example")
    now = timezone.now()
    Membership.objects.filter(user=legal, client=client_a).update(
        delegate=stand_in, away_from=now - timedelta(days=1), away_until=now + timedelta(days=3)
    )
    remote = remote_task(run, "legal_review")
    services.apply_remote_tasks({run.remote_id: run}, [remote])
    remote.assignee_email = legal.email

    services.apply_remote_tasks({run.remote_id: run}, [remote])
    services.apply_remote_tasks({run.remote_id: run}, [remote])

    task = Task.objects.get(remote_id=remote.remote_id)
    [delegated] = published.named("task.delegated")
    assert delegated.key == f"task.delegated:task-{task.pk}:v{task.version}:to-{stand_in.pk}"
    assert (delegated.data["delegate"], delegated.data["on_behalf_of"]) == (stand_in.pk, legal.pk)
    assert delegated.data["task"] == task.pk and delegated.data["url"] == f"/assets/{run.subject_id}/"


def test_the_asset_owner_is_who_started_its_latest_approval(client_a, legal, regional_reviewer):
    asset = licensed_asset(client_a)
    assert services.asset_owner(asset.pk) is None
    first = approval_run(asset)
    WorkflowRun.objects.filter(pk=first.pk).update(started_by=legal, status="completed")
    assert services.asset_owner(asset.pk) == legal.pk
    latest = approval_run(asset)
    WorkflowRun.objects.filter(pk=latest.pk).update(started_by=regional_reviewer)
    assert services.asset_owner(asset.pk) == regional_reviewer.pk
    assert services.asset_owner(None) is None


def test_a_delegation_in_effect_today_hands_the_held_open_tasks_to_the_delegate(client_a, run, legal, published):
    stand_in = member(client_a, RoleCode.LEGAL, email="standin@acme.example")
    held = review_task(run, "legal", assignee=legal)
    review_task(run, "legal")  # unassigned: already offered to everyone with the role (task.available)
    mine = Membership.objects.get(user=legal, client=client_a)
    today = timezone.localdate()

    delegation.set_delegation(mine, actor=legal, delegate_id=stand_in.pk, start=today, end=today + timedelta(days=3))

    [delegated] = published.named("task.delegated")
    assert delegated.key == f"task.delegated:task-{held.pk}:v{held.version}:to-{stand_in.pk}"
    assert (delegated.data["task"], delegated.data["delegate"], delegated.data["on_behalf_of"]) == (
        held.pk,
        stand_in.pk,
        legal.pk,
    )


def test_a_delegation_from_a_later_day_says_nothing_yet(client_a, run, legal, published):
    stand_in = member(client_a, RoleCode.LEGAL, email="standin@acme.example")
    review_task(run, "legal", assignee=legal)
    mine = Membership.objects.get(user=legal, client=client_a)
    later = timezone.localdate() + timedelta(days=2)

    delegation.set_delegation(mine, actor=legal, delegate_id=stand_in.pk, start=later, end=later + timedelta(days=3))

    assert not published.named("task.delegated")
