"""The onboarding trigger (an ingest gate) and its ingest checks, on crafted assets: each check fails on an asset
made to fail it and passes on a clean one; only the sources the client chose onboard; an asset that onboards is
held and never reviewed meanwhile; exception detection leaves it to the onboarding."""

from __future__ import annotations

import pytest

from apps.assets.choices import ApprovalState, HoldKind, RightsState
from apps.assets.models import Asset, AssetHold, Binary, LicensePurchase, LicenseTerm
from apps.audit.models import AuditEvent
from apps.exceptions import detection
from apps.exceptions.models import Case
from apps.onboarding import checks, services
from apps.onboarding.models import Onboarding, OnboardingPolicy
from apps.reviews import services as reviews
from apps.workflows.models import WorkflowRun
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)
IMAGE = {"image_details": {"width": 1200, "height": 800}}


def make(client, name="Spring hero", *, provider="bynder", licence_type="in_house", **fields) -> Asset:
    fields.setdefault("metadata", IMAGE)
    fields.setdefault("content_type", "image")
    asset = Asset.objects.create(
        client=client, content_element_uuid=f"el-{name}-{Asset.objects.count()}", name=name, provider=provider, **fields
    )
    LicensePurchase.objects.create(
        client=client, asset=asset, uuid=f"lpt-{asset.pk}", state="completed", version=1, license_type=licence_type
    )
    return asset


def with_file(asset, url) -> Binary:
    return Binary.objects.create(license_purchase=asset.license_purchases.get(), uuid="b1", download_url=url)


def with_terms(asset) -> None:
    LicenseTerm.objects.create(license_purchase=asset.license_purchases.get(), sequence_number=1, name="Owned")


def result(asset, name) -> dict:
    return next(check for check in checks.run(asset) if check["check"] == name)


def test_the_file_check_asks_the_download_url(client_a, live_server):
    asset = make(client_a)
    assert result(asset, "binary")["passed"] is False  # no file at all
    binary = with_file(asset, f"{live_server.url}/no-such-file/")
    missing = result(asset, "binary")
    assert not missing["passed"] and "404" in missing["detail"]
    Binary.objects.filter(pk=binary.pk).update(download_url=f"{live_server.url}/healthz")
    assert result(asset, "binary")["passed"]


def test_type_and_dimensions(client_a):
    assert result(make(client_a, "a"), "type") == {
        "check": "type",
        "passed": True,
        "detail": "An image of 1200 by 800 pixels.",
        "label": "Type and dimensions read",
    }
    assert not result(make(client_a, "b", metadata={}), "type")["passed"]  # an image without dimensions
    assert not result(make(client_a, "c", content_type=""), "type")["passed"]
    assert result(make(client_a, "d", content_type="video", metadata={}), "type")["passed"]


def test_required_metadata(client_a):
    client_a.required_metadata_fields = ["keywords", "description"]
    client_a.save()
    asset = make(client_a, keywords=["spring"])
    check = result(asset, "metadata")
    assert not check["passed"] and check["detail"] == "Missing: description."
    Asset.objects.filter(pk=asset.pk).update(description="Hero visual")
    asset.refresh_from_db()
    assert result(asset, "metadata")["passed"]


def test_likely_duplicates_by_name_or_checksum(client_a, client_b):
    asset = make(client_a, "Spring hero", metadata={**IMAGE, "checksum": "abc"})
    make(client_b, "spring HERO")  # another client's asset is no duplicate
    assert result(asset, "duplicate")["passed"]
    other = make(client_a, "SPRING HERO")
    check = result(asset, "duplicate")
    assert not check["passed"] and f"#{other.pk}" in check["detail"]
    Asset.objects.filter(pk=other.pk).update(name="Another")
    assert result(asset, "duplicate")["passed"]
    make(client_a, "Autumn", metadata={"checksum": "abc"})
    assert not result(asset, "duplicate")["passed"]


def test_rights_information(client_a):
    asset = make(client_a)
    assert not result(asset, "rights")["passed"]
    with_terms(asset)
    assert result(asset, "rights")["passed"]
    bare = make(client_a, "bare", rights_state=RightsState.VALID)
    assert result(bare, "rights")["passed"]


def test_only_the_sources_the_client_chose_onboard(client_a, client_b):
    dam = make(client_a, "dam", provider="bynder", licence_type="royalty_free")
    owned = make(client_a, "owned", provider="getty", licence_type="in_house")
    stock = make(client_a, "stock", provider="getty", licence_type="royalty_free")
    other_client = make(client_b, "other", provider="bynder")  # B has no policy: nothing onboards
    assert services.onboard_new() == 0  # no client chose a source yet
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder", "in_house"])
    assert services.onboard_new() == 2
    assert Onboarding.objects.get(asset=dam).source == "bynder"
    assert Onboarding.objects.get(asset=owned).source == "in_house"
    assert not Onboarding.objects.filter(asset__in=[stock, other_client]).exists()
    for asset in (dam, owned):
        asset.refresh_from_db()
        assert asset.on_hold and AssetHold.objects.open().get(asset=asset).kind == HoldKind.ONBOARDING
        run = WorkflowRun.objects.get(subject_type="assets.asset", subject_id=asset.pk)
        assert run.process_key == services.PROCESS
        assert set(run.variables["checksFailed"]) >= {"binary", "rights"}  # crafted without file and terms
    assert services.onboard_new() == 0  # once per asset


def test_approval_cycles_wait_for_the_gate(client_a):
    """start_pending_approvals runs the ingest gate first: the DAM asset onboards, the stock one is reviewed."""
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder"])
    dam, stock = make(client_a, "dam"), make(client_a, "stock", provider="getty", licence_type="royalty_free")
    Asset.objects.update(rights_state=RightsState.VALID)
    assert reviews.start_pending_approvals(client_a) == 1
    approval = WorkflowRun.objects.filter(process_key=reviews.APPROVAL)
    assert list(approval.values_list("subject_id", flat=True)) == [stock.pk]
    assert Onboarding.objects.filter(asset=dam).exists()
    assert reviews.start_pending_approvals(client_a) == 0  # the held asset still waits


def test_a_reviewed_asset_never_onboards(client_a):
    asset = make(client_a)
    Asset.objects.filter(pk=asset.pk).update(rights_state=RightsState.VALID)
    assert reviews.start_pending_approvals(client_a) == 1  # no policy yet: straight to approval
    Asset.objects.filter(pk=asset.pk).update(approval_state=ApprovalState.PENDING)  # e.g. the cycle was cancelled
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder"])
    assert services.onboard_new(client_a) == 0


def test_exception_detection_leaves_an_onboarding_asset_to_its_checks(client_a):
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder"])
    held = make(client_a, "held")
    services.onboard_new(client_a)
    loose = make(client_a, "loose", provider="getty", licence_type="royalty_free")
    detection.sweep_client(client_a)
    assert not Case.objects.filter(asset=held).exists()
    assert Case.objects.filter(asset=loose, key__startswith="metadata").exists()


def test_the_demo_clients_onboard_their_dam_content(settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins")  # idempotent
    policies = {p.client.slug: p for p in OnboardingPolicy.objects.select_related("client")}
    assert sorted(policies) == ["contoso", "northwind"]
    assert {"bynder", "brandfolder"} <= set(policies["northwind"].sources) and policies["northwind"].approval_after
    assert policies["contoso"].approval_after is False
    assert (policies["northwind"].shape, policies["contoso"].shape) == ("sequential", "parallel")  # both shown


def test_a_run_cancelled_in_opentext_releases_the_hold_and_approval_takes_the_asset(client_a):
    from apps.outbox.models import OutboxMessage

    OnboardingPolicy.objects.create(client=client_a, sources=["bynder"])
    asset = make(client_a, rights_state=RightsState.VALID)
    services.onboard_new(client_a)
    run = WorkflowRun.objects.get(process_key=services.PROCESS, subject_id=asset.pk)
    WorkflowRun.objects.filter(pk=run.pk).update(status="cancelled", outcome="")
    run.refresh_from_db()
    services.apply_outcome(run)  # what the OpenText sync calls when the run ended without an outcome
    asset.refresh_from_db()
    onboarding = Onboarding.objects.get(asset=asset)
    assert onboarding.state == "cancelled" and not asset.on_hold
    assert asset.approval_state == ApprovalState.PENDING
    assert not OutboxMessage.objects.filter(kind__startswith="smintio.").exists()  # Smint.io hears nothing
    assert reviews.start_pending_approvals(client_a) == 1
    services.apply_outcome(run)  # applied twice: nothing more
    assert Onboarding.objects.get(asset=asset).state == "cancelled"


@pytest.mark.postgres
def test_two_ingests_of_the_same_asset_at_once_start_one_onboarding_run(client_a):
    """Workers pulling the same DAM asset at the same instant (the ingest gate after each pull): one onboarding,
    one hold, one run; the others find the row taken and start nothing."""
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder"])
    asset = make(client_a)
    assert sum(at_once(lambda: services.onboard_new(client_a), 4)) == 1
    assert_onboarded_once(asset)


@pytest.mark.postgres
def test_two_starts_of_a_fresh_asset_at_once_start_one_run(client_a):
    """The same race one level down: ``start`` itself, called at once for an asset nobody onboarded yet (the
    database's one-per-asset constraint decides; the loser's hold and run roll back with it)."""
    OnboardingPolicy.objects.create(client=client_a, sources=["bynder"])
    asset = make(client_a)
    results = at_once(
        lambda: services.start(Asset.objects.select_related("client").get(pk=asset.pk), source="bynder"), 3
    )
    assert sum(result is not None for result in results) == 1
    assert_onboarded_once(asset)


def assert_onboarded_once(asset):
    assert Onboarding.objects.filter(asset=asset).count() == 1
    assert WorkflowRun.objects.filter(process_key=services.PROCESS, subject_id=asset.pk).count() == 1
    assert AssetHold.objects.filter(asset=asset, kind=HoldKind.ONBOARDING, released_at__isnull=True).count() == 1
    assert AuditEvent.objects.filter(action="onboarding.onboarding.start", object_id=str(asset.pk)).count() == 1
