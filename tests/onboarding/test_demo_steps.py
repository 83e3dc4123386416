"""The demo's worked examples (``apps.demo.onboarding.advance_demo``), through the people's real decisions settled
by the emulators: onboarding runs wait at each step, and the editorial and release exception causes are open from
the start, their exception processes waiting for triage (worked to cleared or removed as in tests/exceptions); a
run waiting at categorisation is published with its one PATCH and status at the Smint.io emulator."""

from __future__ import annotations

import pytest

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.demo import creative
from apps.demo import onboarding as demo
from apps.exceptions import detection
from apps.exceptions.choices import CaseKind
from apps.exceptions.models import Case
from apps.onboarding import services
from apps.onboarding.choices import OnboardingState, Shape
from apps.onboarding.models import Onboarding, OnboardingPolicy
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun
from apps.workflows.services import decide
from tests.factories import member
from tests.platform_fixtures import metadata_patches, settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_client(platforms, client_a, reviewers):
    from apps.integrations.tasks import pull_smintio

    member(client_a, RoleCode.CONTENT_MANAGER, email="content-manager@acme.example")
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder", "brandfolder"], shape=Shape.SEQUENTIAL)
    client_a.required_metadata_fields = ["keywords"]
    client_a.review_usages = ["usage_web", "usage_advertising"]
    client_a.save()
    platforms.opentext_tenant()
    pull_smintio(platforms.smintio_tenant(client_a, count=60).pk, full=True)
    settle()
    return client_a


def until_done(step, client, rounds=12) -> str:
    outcome = ""
    for _ in range(rounds):
        outcome = step(client)
        settle()
        if outcome == "done":
            break
    return outcome


def open_keys(run) -> list[str]:
    return sorted(run.tasks.filter(status=TaskStatus.OPEN).values_list("task_key", flat=True))


def test_onboarding_runs_wait_at_each_step_and_one_is_worked_to_published(demo_client, reviewers):
    assert until_done(demo.advance_onboarding, demo_client) == "done"
    runs = list(WorkflowRun.objects.filter(client=demo_client, process_key=services.PROCESS).order_by("pk"))
    at = {tuple(open_keys(run)) for run in runs}
    assert (services.ENRICH,) in at and (services.RIGHTS,) in at and (services.CATEGORISE,) in at
    by_demo = Decision.objects.filter(reason=demo.REASON)
    assert set(by_demo.values_list("actor__email", flat=True)) == {"content-manager@acme.example", "legal@acme.example"}
    assert demo.advance_onboarding(demo_client) == "done"  # and left as it is
    # the run waiting at categorisation is worked to published: one PATCH and one status at Smint.io
    run = next(run for run in runs if open_keys(run) == [services.CATEGORISE])
    asset = Asset.objects.get(pk=run.subject_id)
    decide(
        run.tasks.get(status=TaskStatus.OPEN),
        actor=Decision.objects.filter(reason=demo.REASON, task__task_key=services.ENRICH).first().actor,
        outcome="ready",
        inputs=services.read_inputs({"categories": "Outdoor", "visibility": "internal"}),
    )
    settle()
    assert Onboarding.objects.get(asset=asset).state == OnboardingState.PUBLISHED
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]


def test_the_editorial_and_release_causes_are_open_from_the_start(demo_client, reviewers):
    from apps.reviews import services as reviews

    reviews.start_pending_approvals(demo_client)
    settle()
    assert demo.open_exception_examples(demo_client) == "waiting for the walkthrough's approvals"
    assert creative.approve_for_walkthrough(demo_client, {"DE"}, {"usage_web"}, (14, 74), 2, 0) > 0
    settle()
    assert until_done(demo.open_exception_examples, demo_client) == "done"
    cases = Case.objects.filter(client=demo_client, kind=CaseKind.EXCEPTION)
    causes = {detection.cause_of(case) for case in cases}
    assert {"editorial_commercial", "release_advertising"} <= causes
    assert {"metadata"} <= causes  # the first pull's missing keywords, as before
    example = next(case for case in cases if detection.cause_of(case) == "editorial_commercial")
    example_asset = Asset.objects.get(pk=example.asset_id)
    assert example_asset.on_hold and example_asset.approval_state == ApprovalState.APPROVED
    signers = set(
        Decision.objects.filter(reason=demo.REASON, task__run__subject_id=example.asset_id).values_list(
            "actor__email", flat=True
        )
    )
    assert signers == {"legal@acme.example", "brand@acme.example", "marketing@acme.example"}
    settle()
    triage = Task.objects.filter(
        run__subject_type="exceptions.case", run__subject_id=example.pk, status=TaskStatus.OPEN
    )
    assert triage.exists()  # its exception process waits for content operations, as every case's does


def test_the_schedule_is_queued_once_and_waits_without_demo_clients(db):
    from django_q.models import Schedule

    demo.queue_advance()
    demo.queue_advance()
    assert Schedule.objects.filter(name=demo.ADVANCE_SCHEDULE, func=demo.ADVANCE_JOB).count() == 1
    assert demo.advance_demo() == {"northwind": "no client", "contoso": "no client"}
    assert Schedule.objects.filter(name=demo.ADVANCE_SCHEDULE).exists()  # not done: it keeps waiting


def test_a_parallel_client_with_strict_metadata_also_gets_runs_at_each_step(demo_client):
    """As Contoso: the three tasks at once, and required metadata beyond keywords (as the demo client requires)."""
    OnboardingPolicy.objects.filter(client=demo_client).update(shape=Shape.PARALLEL)
    demo_client.required_metadata_fields = ["title", "keywords", "copyright_notice", "model_release"]
    demo_client.save()
    from apps.onboarding.models import Onboarding as Run

    Run.objects.filter(client=demo_client).delete()  # the pull's runs were sequential: start them again in parallel
    WorkflowRun.objects.filter(client=demo_client, process_key=services.PROCESS).delete()
    Asset.objects.filter(client=demo_client, on_hold=True).update(on_hold=False)
    from apps.assets.models import AssetHold

    AssetHold.objects.filter(asset__client=demo_client).delete()
    assert services.onboard_new(demo_client) > 3
    settle()
    assert until_done(demo.advance_onboarding, demo_client) == "done"
    shapes = {
        tuple(open_keys(run))
        for run in WorkflowRun.objects.filter(client=demo_client, process_key=services.PROCESS, status="running")
    }
    assert tuple(sorted((services.RIGHTS, services.CATEGORISE))) in shapes  # enrichment decided
    assert (services.CATEGORISE,) in shapes  # enrichment and rights decided
    assert tuple(sorted(services.STEPS)) in shapes  # untouched: all three open at once
