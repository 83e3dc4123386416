"""asset_onboarding over HTTP: DAM content pulled from the Smint.io emulator is held and onboarded instead of going
to approval; OpenText (the emulator) runs each path; Smint.io (the emulator) hears exactly one metadata PATCH and
one workflow status per completed onboarding, also when its answers fail for a while; then approval follows, or
the asset is published approved, per the client's policy."""

from __future__ import annotations

import pytest

from apps.assets.choices import ApprovalState, RightsState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.onboarding import services
from apps.onboarding.choices import OnboardingState, Shape
from apps.onboarding.models import Onboarding, OnboardingPolicy
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import DecisionRefused, decide
from tests.factories import member
from tests.platform_fixtures import metadata_patches, settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)
DAM = ("bynder", "brandfolder")


def open_task(asset, key=None) -> Task:
    tasks = Task.objects.filter(
        run__subject_type="assets.asset",
        run__subject_id=asset.pk,
        run__process_key=services.PROCESS,
        status=TaskStatus.OPEN,
    )
    return tasks.get(task_key=key) if key else tasks.get()


def approval_runs(asset):
    return WorkflowRun.objects.filter(process_key="asset_approval", subject_type="assets.asset", subject_id=asset.pk)


@pytest.fixture
def people(client_a):
    return {
        "ops": member(client_a, RoleCode.CONTENT_MANAGER, email="ops@acme.example"),
        "legal": member(client_a, RoleCode.LEGAL, email="lex@acme.example"),
    }


@pytest.fixture
def library(platforms, client_a):
    """The demo library pulled from the Smint.io emulator by a client that onboards its DAM content."""
    from apps.integrations.tasks import pull_smintio

    OnboardingPolicy.objects.create(client=client_a, sources=list(DAM))
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    platforms.opentext_tenant()
    counts = pull_smintio(platforms.smintio_tenant(client_a, count=20).pk, full=True)  # as the worker pulls
    assert "skipped" not in counts
    settle()
    return client_a


def an_onboarding(client) -> Onboarding:
    onboarding = Onboarding.objects.filter(client=client).order_by("pk").first()
    assert onboarding is not None, "the demo library has DAM assets"
    return onboarding


def enrich(asset, actor, **fields):
    inputs = services.read_inputs({"name": asset.name, "keywords": "brand, launch", **fields})
    decide(open_task(asset, services.ENRICH), actor=actor, outcome="enriched", inputs=inputs)
    settle()


RIGHTS = {"ownership": "owned", "territories": "DE, geography_europe", "usages": ["usage_web", "usage_print"]}


def test_dam_content_onboards_held_and_checked_instead_of_going_to_approval(library):
    dam = Asset.objects.filter(client=library, provider__in=DAM)
    stock = Asset.objects.filter(client=library).exclude(provider__in=DAM)
    assert dam.exists() and stock.exists()
    for asset in dam:
        onboarding = Onboarding.objects.get(asset=asset)
        assert onboarding.is_open and onboarding.source == asset.provider
        assert asset.on_hold and not asset.is_available
        assert not approval_runs(asset).exists()
        assert {c["check"] for c in onboarding.checks} == {"binary", "type", "metadata", "duplicate", "rights"}
        binary = next(c for c in onboarding.checks if c["check"] == "binary")
        assert binary["passed"], binary  # the emulator's file answered the HEAD request
        assert open_task(asset).task_key == services.ENRICH
        assert open_task(asset).candidate_roles == ["content_manager"]
    assert not Onboarding.objects.filter(asset__in=stock).exists()
    reviewable = stock.exclude(rights_state__in=[RightsState.WITHDRAWN, RightsState.EXPIRED])
    assert reviewable.exists()
    for asset in reviewable:
        assert approval_runs(asset).exists()  # straight to approval, as before
    # hold = unavailable, everywhere availability is read
    assert not Asset.objects.available().filter(pk__in=dam.values("pk")).exists()
    # the ingest gate is idempotent: another pass starts nothing new
    assert services.onboard_new(library) == 0


def test_an_onboarding_is_published_with_one_patch_and_one_status_then_approval_follows(library, people, platforms):
    onboarding = an_onboarding(library)
    asset = onboarding.asset
    with pytest.raises(DecisionRefused, match="requires: keywords"):
        decide(
            open_task(asset),
            actor=people["ops"],
            outcome="enriched",
            inputs=services.read_inputs({"keywords": ""}),
        )
    enrich(asset, people["ops"], description="Our spring launch visual.")
    rights = open_task(asset, services.RIGHTS)
    assert rights.candidate_roles == ["legal"]
    with pytest.raises(DecisionRefused) as refused:
        decide(rights, actor=people["legal"], outcome="rights_valid", inputs=services.read_inputs({"ownership": ""}))
    assert refused.value.field == "ownership"
    decide(rights, actor=people["legal"], outcome="rights_valid", inputs=services.read_inputs(RIGHTS))
    settle()
    categorise = open_task(asset, services.CATEGORISE)
    with pytest.raises(DecisionRefused) as refused:
        decide(
            categorise,
            actor=people["ops"],
            outcome="ready",
            inputs=services.read_inputs({"categories": "Brand", "visibility": "restricted"}),
        )
    assert refused.value.field == "groups"
    # Smint.io fails twice: the outbox retries with the same keys, Smint.io applies each once
    platforms.fault("smintio", kind="status", status_code=503, count=2, path_contains="/metadata")
    platforms.fault("smintio", kind="delay", delay_seconds=3, count=1, path_contains="workflow-status")
    decide(
        categorise,
        actor=people["ops"],
        outcome="ready",
        inputs=services.read_inputs({"categories": "Brand, Spring", "visibility": "restricted", "groups": "marketing"}),
    )
    settle()
    onboarding.refresh_from_db()
    asset.refresh_from_db()
    assert onboarding.state == OnboardingState.PUBLISHED
    assert not asset.on_hold
    patches = metadata_patches(asset)
    assert len(patches) == 1
    patch = patches[0]
    assert [k["metadata_element"]["key"] for k in patch["keywords"]] == ["brand", "launch"]
    assert [c["metadata_element"]["key"] for c in patch["categories"]] == ["Brand", "Spring"]
    assert patch["access"] == {"visibility": "restricted", "groups": ["marketing"]}
    assert "Owned by the client" in patch["usage_rules"][0]["value"] and "Web" in patch["usage_rules"][0]["value"]
    assert statuses_at_smintio(asset) == ["cleared"]
    settle()
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]  # once
    # then the approval flow takes it (the client's policy: approval after onboarding)
    assert approval_runs(asset).count() == 1
    assert asset.approval_state == ApprovalState.IN_REVIEW
    assert AuditEvent.objects.filter(action="assets.asset.release", object_id=str(asset.pk)).exists()
    assert AuditEvent.objects.filter(action="assets.asset.metadata_edit", object_id=str(asset.pk)).count() == 2


def test_a_client_that_skips_approval_has_the_asset_published_approved(library, people):
    OnboardingPolicy.objects.filter(client=library).update(approval_after=False)
    asset = an_onboarding(library).asset
    enrich(asset, people["ops"])
    decide(open_task(asset), actor=people["legal"], outcome="rights_valid", inputs=services.read_inputs(RIGHTS))
    settle()
    decide(
        open_task(asset),
        actor=people["ops"],
        outcome="ready",
        inputs=services.read_inputs({"categories": "Brand", "visibility": "internal"}),
    )
    settle()
    asset.refresh_from_db()
    assert asset.approval_state == ApprovalState.APPROVED and not asset.on_hold
    assert not approval_runs(asset).exists()
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]


@pytest.mark.parametrize("step", [services.ENRICH, services.RIGHTS, services.CATEGORISE])
def test_each_task_may_reject_with_a_reason_and_smintio_hears_rejected_once(library, people, step):
    asset = an_onboarding(library).asset
    if step != services.ENRICH:
        enrich(asset, people["ops"])
    if step == services.CATEGORISE:
        decide(open_task(asset), actor=people["legal"], outcome="rights_valid", inputs=services.read_inputs(RIGHTS))
        settle()
    task = open_task(asset, step)
    actor = people["legal"] if step == services.RIGHTS else people["ops"]
    with pytest.raises(DecisionRefused):
        decide(task, actor=actor, outcome="reject")  # a rejection needs its reason
    decide(task, actor=actor, outcome="reject", reason="A duplicate of the campaign master")
    settle()
    asset.refresh_from_db()
    onboarding = Onboarding.objects.get(asset=asset)
    assert onboarding.state == OnboardingState.REJECTED
    assert asset.approval_state == ApprovalState.WITHDRAWN and not asset.on_hold and not asset.is_available
    assert statuses_at_smintio(asset) == ["rejected"]
    assert metadata_patches(asset) == []
    assert not approval_runs(asset).exists()


# -- the parallel shape: one BPMN, the policy's choice given as the run's ``parallel`` variable ----------------------
@pytest.fixture
def parallel_library(platforms, client_a):
    """The demo library pulled by a client whose onboarding runs its three tasks at once."""
    from apps.integrations.tasks import pull_smintio

    OnboardingPolicy.objects.create(client=client_a, sources=list(DAM), shape=Shape.PARALLEL)
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    platforms.opentext_tenant()
    pull_smintio(platforms.smintio_tenant(client_a, count=20).pk, full=True)
    settle()
    return client_a


def test_a_sequential_run_opens_one_task_at_a_time(library):
    asset = an_onboarding(library).asset
    run = WorkflowRun.objects.get(process_key=services.PROCESS, subject_id=asset.pk)
    assert run.variables["parallel"] is False
    assert list(open_tasks(asset)) == [services.ENRICH]


def open_tasks(asset):
    return (
        Task.objects.filter(run__process_key=services.PROCESS, run__subject_id=asset.pk, status=TaskStatus.OPEN)
        .order_by("task_key")
        .values_list("task_key", flat=True)
    )


def test_a_parallel_run_opens_all_three_tasks_at_once_and_publishes_after_the_last(parallel_library, people):
    onboarding = an_onboarding(parallel_library)
    asset = onboarding.asset
    run = WorkflowRun.objects.get(process_key=services.PROCESS, subject_id=asset.pk)
    assert run.variables["parallel"] is True
    assert set(open_tasks(asset)) == {services.ENRICH, services.RIGHTS, services.CATEGORISE}
    # any order: categorisation first, then rights, enrichment last
    decide(
        open_task(asset, services.CATEGORISE),
        actor=people["ops"],
        outcome="ready",
        inputs=services.read_inputs({"categories": "Brand", "visibility": "internal"}),
    )
    settle()
    decide(
        open_task(asset, services.RIGHTS),
        actor=people["legal"],
        outcome="rights_valid",
        inputs=services.read_inputs(RIGHTS),
    )
    settle()
    onboarding.refresh_from_db()
    assert onboarding.is_open and list(open_tasks(asset)) == [services.ENRICH]  # the join waits for the last one
    assert metadata_patches(asset) == [] and statuses_at_smintio(asset) == []
    enrich(asset, people["ops"])
    onboarding.refresh_from_db()
    asset.refresh_from_db()
    assert onboarding.state == OnboardingState.PUBLISHED and not asset.on_hold
    patches = metadata_patches(asset)
    assert len(patches) == 1 and statuses_at_smintio(asset) == ["cleared"]
    assert [k["metadata_element"]["key"] for k in patches[0]["keywords"]] == ["brand", "launch"]
    assert [c["metadata_element"]["key"] for c in patches[0]["categories"]] == ["Brand"]
    assert approval_runs(asset).count() == 1


def test_a_rejection_in_a_parallel_run_ends_it_and_cancels_the_other_tasks(parallel_library, people):
    onboarding = an_onboarding(parallel_library)
    asset = onboarding.asset
    enrich(asset, people["ops"])
    decide(open_task(asset, services.RIGHTS), actor=people["legal"], outcome="reject", reason="Not ours to use")
    settle()
    onboarding.refresh_from_db()
    asset.refresh_from_db()
    assert onboarding.state == OnboardingState.REJECTED
    assert list(open_tasks(asset)) == []  # categorisation was cut off by the terminate end event
    assert Task.objects.get(run__subject_id=asset.pk, task_key=services.CATEGORISE).status == TaskStatus.CANCELLED
    assert asset.approval_state == ApprovalState.WITHDRAWN
    assert statuses_at_smintio(asset) == ["rejected"] and metadata_patches(asset) == []
