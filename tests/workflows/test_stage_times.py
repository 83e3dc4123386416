"""Time in each stage of a run (``workflows.timeline.stage_times``): the one helper behind the asset page's stages
and the creative request page's "where it waits"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.creative import services as creative
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task
from apps.workflows.timeline import stage_times
from tests.creative import helpers as creative_helpers
from tests.creative.conftest import intake
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db


def _at(task, *, available, completed=None, status=None):
    Task.objects.filter(pk=task.pk).update(
        remote_created_at=available, completed_at=completed, status=status or task.status
    )


def test_each_stage_from_available_until_closed_or_now(client_a, legal):
    now = timezone.now()
    run = approval_run(licensed_asset(client_a))
    decided = review_task(run, "legal", assignee=legal)
    waiting = review_task(run, "brand")
    _at(decided, available=now - timedelta(hours=30), completed=now - timedelta(hours=6), status=TaskStatus.COMPLETED)
    _at(waiting, available=now - timedelta(hours=6))
    stages = stage_times(type(run).objects.prefetch_related("tasks").get(pk=run.pk), now)
    assert [(s.name, s.seconds, s.is_open) for s in stages] == [
        ("Legal review", 24 * 3600.0, False),
        ("Brand review", 6 * 3600.0, True),
    ]
    assert stages[0].waits_for == "legal@acme.example"
    assert stages[1].waits_for == "anyone with the role Brand"


def test_the_asset_page_shows_where_the_review_waits_and_the_time_in_each_stage(client_a, agency_admin, login):
    now = timezone.now()
    asset = licensed_asset(client_a)
    run = approval_run(asset)
    first = review_task(run, "legal")
    second = review_task(run, "brand")
    _at(first, available=now - timedelta(days=2), completed=now - timedelta(days=1), status=TaskStatus.COMPLETED)
    _at(second, available=now - timedelta(days=1, minutes=1))
    html = login(agency_admin).get(f"/assets/{asset.pk}/").content.decode()
    assert "<caption>Time in each stage</caption>" in html
    assert "<strong>Waits at Brand review</strong> for anyone with the role Brand" in html
    assert "<td>1 d</td>" in html  # the legal review took a day; the brand review waits for 1 d (and a minute)


def test_the_requester_sees_where_their_request_waits(client_a, login):
    requester = member(client_a, RoleCode.REQUESTER, email="asker@acme.example")
    request = creative.submit(actor=requester, client=client_a, intake=intake())
    triage = creative_helpers.task(request, "triage")
    _at(triage, available=timezone.now() - timedelta(hours=3, minutes=10))
    html = login(requester).get(request.get_absolute_url()).content.decode()
    assert "<strong>Waits at Triage the creative request</strong>" in html
    assert "<strong>3 h 10 min</strong>" in html
