"""A creative_request started by a business user in OpenText (not by Greenlight) is discovered by the OpenText sync
over HTTP and mirrored once, with its variables; bad or missing variables make an incomplete request, never a crash
or a duplicate; an instance naming no client of ours is left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.creative import services
from apps.creative.choices import RequestStatus, Source
from apps.creative.models import CampaignType, CreativeRequest, Format
from apps.emulators.opentext import provisioning
from apps.integrations.opentext import sync
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


def _start(**variables):
    return provisioning.start_as_business_user(
        settings.OT_TENANT_ID, "creative_request", email="asker@acme.example", variables=variables
    )


def test_a_request_started_in_opentext_is_mirrored_once_with_its_variables(opentext, client_a, people):
    launch = CampaignType.objects.create(client=client_a, name="Product launch")
    banner = Format.objects.create(client=client_a, name="Web banner", content_type="image", orientation="landscape")
    deadline = timezone.localdate() + timedelta(days=9)
    instance = _start(
        client="acme",
        title="Autumn boots",
        brief="Boots in wet leaves",
        campaignType="product launch",
        format="Web banner",
        countries="de, fr",
        usages="usage_web,usage_social_media",
        deadline=deadline.isoformat(),
        requester="asker@acme.example",
    )
    settle()
    settle()  # a second pass finds nothing new
    request = CreativeRequest.objects.get()
    assert request.remote_instance_id == str(instance.public_id)
    assert (request.source, request.status, request.title) == (Source.OPENTEXT, RequestStatus.TRIAGE, "Autumn boots")
    assert request.campaign_type == launch and request.format == banner
    assert request.countries == ["DE", "FR"] and request.usages == ["usage_social_media", "usage_web"]
    assert request.deadline == deadline and request.requester == people["requester"]
    assert request.incomplete == {}
    run = WorkflowRun.objects.get(subject_type=services.SUBJECT, subject_id=request.pk)
    assert run.status == RunStatus.RUNNING and run.remote_id == request.remote_instance_id
    triage = Task.objects.get(run=run, status=TaskStatus.OPEN)
    assert triage.task_key == services.TRIAGE

    # worked from Greenlight like any other request, to its end at OpenText
    services.triage(request, actor=people["ops"], outcome="decline", reason="Out of scope")
    settle()
    run.refresh_from_db()
    request.refresh_from_db()
    assert run.status == RunStatus.COMPLETED and run.outcome == "declined"
    assert request.status == RequestStatus.DECLINED


def test_bad_or_missing_variables_make_an_incomplete_request_never_a_crash(opentext, client_a, people):
    _start(client="acme", countries="DE,XX", usages="usage_web,usage_nonsense", deadline="next week", format="A0")
    _start(
        client="acme",
        title=["not", "text"],
        requester="nobody@else.example",
        runFrom="2031-05-01",
        runUntil="2031-04-01",
    )
    settle()
    first, second = CreativeRequest.objects.order_by("id")
    assert first.countries == ["DE"] and first.usages == ["usage_web"] and first.deadline is None
    assert set(first.incomplete) >= {"title", "countries", "usages", "deadline", "format"}
    assert first.title.startswith("Request started in OpenText")
    assert second.requester is None and second.requester_email == "nobody@else.example"
    assert set(second.incomplete) >= {"title", "requester", "run_until", "usages"}
    assert second.run_until is None  # never stored out of order
    assert WorkflowRun.objects.filter(subject_type=services.SUBJECT).count() == 2


def test_an_instance_naming_no_client_of_ours_is_left_alone(opentext, client_a):
    _start(title="Whose?")
    _start(client="someone-else", title="Not ours")
    assert sync.discover()["skipped"] == 2
    assert sync.discover()["skipped"] == 2  # looked at again, never mirrored, never an error
    assert not CreativeRequest.objects.exists()


def test_our_own_runs_are_never_discovered_as_started_elsewhere(library, people):
    from .conftest import intake

    services.submit(actor=people["requester"], client=library, intake=intake())
    settle()
    assert sync.discover() == {"adopted": 0, "skipped": 0, "discovery_failed": 0}
    assert CreativeRequest.objects.count() == 1


def test_an_opentext_that_refuses_the_instance_list_costs_the_discovery_never_the_task_sync(
    opentext, platforms, library, people
):
    """Listing instances by process key is an [A] of the contract: where OpenText refuses it, the poll goes on."""
    from .conftest import intake

    request = services.submit(actor=people["requester"], client=library, intake=intake())
    settle()
    run = WorkflowRun.objects.get(subject_type=services.SUBJECT, subject_id=request.pk)
    remote_task = Task.objects.get(run=run, status=TaskStatus.OPEN)
    Task.objects.filter(pk=remote_task.pk).delete()  # the mirror lost it: the poll must bring it back
    platforms.fault("opentext", kind="status", status_code=400, count=10_000, path_contains="process-instances")
    totals = sync.poll()
    platforms.clear_faults("opentext")
    assert totals["discovery_failed"] == 1 and totals["created"] == 1
    assert Task.objects.get(run=run, status=TaskStatus.OPEN).remote_id == remote_task.remote_id
