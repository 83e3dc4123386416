"""Exception detection (flow 4): each rule fires on a crafted asset and stays quiet on a clean one; one case per asset
and cause (also two sweeps at once on PostgreSQL); an open exception holds the asset out of circulation everywhere
(matching's filter, the library filter, the API), whatever its approval; hold and release are audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets import holds
from apps.assets.choices import ApprovalState, HoldKind, RightsState, SignalKind
from apps.assets.models import Asset, AssetHold, AssetSignal
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.exceptions import detection
from apps.exceptions.choices import CaseKind, Trigger
from apps.exceptions.models import Case, ExceptionPolicy
from apps.workflows.models import WorkflowRun
from tests.concurrency import at_once
from tests.factories import member
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db

CLEAN_METADATA = {
    "categories": [{"culture": "en", "metadata_element": {"key": "nature", "name": "Nature"}}],
    "release_details": {"model_release_state": "release_state_released"},
    "is_ai": False,
}


def clean(client, **changes):
    """An approved asset that breaks no rule of a client that requires name, keywords, copyright and categories."""
    asset = licensed_asset(client, approval=ApprovalState.APPROVED)
    asset.description = "A hiker on a ridge."
    asset.keywords = ["hiking", "alps"]
    asset.copyright_notices = ["© Jane Doe"]
    asset.metadata = dict(CLEAN_METADATA)
    for name, value in changes.items():
        setattr(asset, name, value)
    asset.save()
    return asset


@pytest.fixture
def strict(client_a):
    client_a.required_metadata_fields = ["title", "keywords", "copyright_notice", "categories", "usage_restrictions"]
    client_a.review_usages = ["usage_web", "usage_advertising"]
    client_a.save()
    ExceptionPolicy.objects.create(
        client=client_a,
        accepted_providers=["getty", "shutterstock"],
        accepted_license_types=["royalty_free"],
        refused_flags=["is_ai"],
    )
    return client_a


def causes(asset) -> list[str]:
    ctx = detection.Context(asset.client)
    return sorted(f.cause for f in detection.findings_for(Asset.objects.get(pk=asset.pk), ctx))


def test_a_clean_asset_fires_no_rule(strict):
    asset = clean(strict)
    assert causes(asset) == []
    assert detection.sweep(client=strict).get("findings", 0) == 0
    assert not Case.objects.filter(kind=CaseKind.EXCEPTION).exists()


def test_missing_required_metadata_fires_and_names_each_missing_field(strict):
    asset = clean(strict, keywords=[], copyright_notices=[])
    asset.metadata = {**CLEAN_METADATA, "categories": []}
    asset.save()
    ctx = detection.Context(strict)
    (finding,) = detection.findings_for(asset, ctx)
    assert finding.cause == "metadata"
    assert finding.evidence["missing"] == ["keywords", "copyright notice", "categories"]
    # usage_restrictions is not carried by the content element at all: unknown, not missing (invariant 5)
    assert "usage restrictions" not in finding.summary


def test_rights_lapsed_while_approved_fires(strict):
    asset = clean(strict)
    Asset.objects.filter(pk=asset.pk).update(rights_state=RightsState.EXPIRED)
    assert causes(asset) == ["rights_expired"]
    Asset.objects.filter(pk=asset.pk).update(
        rights_state=RightsState.VALID, rights_until=timezone.now() - timedelta(minutes=1)
    )
    assert causes(asset) == ["rights_expired"]  # lapsed by the clock before any job noticed
    Asset.objects.filter(pk=asset.pk).update(approval_state=ApprovalState.PENDING)
    assert causes(asset) == []  # not in circulation: the approval review speaks for it


def test_a_cancelled_licence_signal_fires_until_another_licence_is_in_force(strict):
    asset = clean(strict)
    AssetSignal.objects.create(client=strict, asset=asset, kind=SignalKind.LICENSE_CANCELLED, reference="lpt-x")
    assert causes(asset) == []  # rights still valid (another licence in force): nothing to do
    Asset.objects.filter(pk=asset.pk).update(rights_state=RightsState.WITHDRAWN, approval_state="pending")
    assert causes(asset) == ["licence_cancelled:lpt-x"]


def test_policy_rules_fire_on_approved_assets(strict):
    editorial = clean(strict, is_editorial=True)
    assert causes(editorial) == ["editorial_commercial"]
    unreleased = clean(strict)
    unreleased.metadata = {**CLEAN_METADATA, "release_details": {"model_release_state": "release_state_not_released"}}
    unreleased.save()
    assert causes(unreleased) == ["release_advertising"]
    strict.review_usages = ["usage_web"]
    strict.save()
    assert causes(unreleased) == []  # not approved for advertising


def test_provider_licence_type_and_flag_the_client_refuses(strict):
    asset = clean(strict, provider="bynder")
    asset.license_purchases.update(license_type="rights_managed")
    asset.metadata = {**CLEAN_METADATA, "is_ai": True}
    asset.save()
    assert causes(asset) == ["flagged:is_ai", "licence_type", "provider"]
    ExceptionPolicy.objects.filter(client=strict).update(accepted_providers=[], accepted_license_types=[])
    ExceptionPolicy.objects.filter(client=strict).update(refused_flags=[])
    assert causes(asset) == []  # empty lists: any provider and licence type, no flag refused


def test_withdrawn_and_rejected_assets_are_not_judged(strict):
    asset = clean(strict, keywords=[], approval_state=ApprovalState.WITHDRAWN)
    assert causes(asset) == []


# -- cases and the hold -----------------------------------------------------------------------------------------------
def test_one_case_per_asset_and_cause_and_the_asset_goes_on_hold(strict, api, api_token, legal):
    asset = clean(strict, keywords=[], is_editorial=True)
    first = detection.sweep(client=strict)
    assert (first["findings"], first["opened"]) == (2, 2)
    again = detection.sweep(client=strict)
    assert (again.get("opened", 0), again["known"]) == (0, 2)
    found = Case.objects.filter(asset=asset, kind=CaseKind.EXCEPTION)
    assert sorted(found.values_list("key", flat=True)) == ["editorial_commercial#1", "metadata#1"]
    assert sorted(found.values_list("trigger", flat=True)) == [Trigger.METADATA, Trigger.POLICY]
    runs = WorkflowRun.objects.filter(subject_type="exceptions.case", process_key="asset_exception")
    assert runs.count() == 2
    metadata_run = runs.get(subject_id=found.get(key="metadata#1").pk)
    assert metadata_run.variables["routeTo"] == "content_manager" and metadata_run.variables["cause"] == "metadata"
    asset.refresh_from_db()
    assert asset.on_hold and asset.approval_state == ApprovalState.APPROVED
    assert AssetHold.objects.filter(asset=asset, released_at__isnull=True).count() == 2
    assert AuditEvent.objects.filter(action="assets.asset.hold", object_id=str(asset.pk)).count() == 2


def test_on_hold_means_unavailable_everywhere_whatever_the_approval(client_a, legal, login, api, api_token):
    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    assert Asset.objects.available().filter(pk=asset.pk).exists() and asset.is_available
    holds.place(asset, kind=HoldKind.EXCEPTION, reference="exceptions.case:1", reason="Missing keywords")
    holds.place(asset, kind=HoldKind.ONBOARDING, reference="onboarding:1", reason="Not onboarded yet")
    asset.refresh_from_db()
    assert not asset.is_available
    assert not Asset.objects.available().filter(pk=asset.pk).exists()  # matching and the library read this
    http = api(api_token(legal, "read"))
    listed = http.get("/api/v1/assets/?available=true").json()
    assert asset.pk not in [row["id"] for row in listed["results"]]
    assert http.get(f"/api/v1/assets/{asset.pk}/").json()["available"] is False
    page = login(legal).get("/assets/?available=true").content.decode()
    assert f"/assets/{asset.pk}/" not in page
    detail = login(legal).get(f"/assets/{asset.pk}/").content.decode()
    assert "On hold" in detail and "Missing keywords" in detail
    # released by one flow, still held by the other; released by both, back in circulation
    holds.release(asset, kind=HoldKind.EXCEPTION, reference="exceptions.case:1", reason="Cleared")
    asset.refresh_from_db()
    assert asset.on_hold and not Asset.objects.available().filter(pk=asset.pk).exists()
    holds.release(asset, kind=HoldKind.ONBOARDING, reference="onboarding:1", reason="Published")
    asset.refresh_from_db()
    assert not asset.on_hold and Asset.objects.available().filter(pk=asset.pk).exists()
    assert http.get(f"/api/v1/assets/{asset.pk}/").json()["available"] is True
    trail = list(
        AuditEvent.objects.filter(object_id=str(asset.pk), action__startswith="assets.asset.")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert trail == ["assets.asset.hold", "assets.asset.hold", "assets.asset.release", "assets.asset.release"]
    assert holds.resync() == 0  # the column agrees with the holds


def test_a_cause_that_returns_after_its_case_closed_opens_a_new_case(strict):
    from apps.exceptions.choices import CaseState

    asset = clean(strict, keywords=[])
    detection.sweep(client=strict)
    Case.objects.filter(asset=asset).update(state=CaseState.CLOSED)
    detection.sweep(client=strict)
    assert sorted(Case.objects.filter(asset=asset).values_list("key", flat=True)) == ["metadata#1", "metadata#2"]


def test_a_person_reports_a_problem_from_the_asset_page(client_a, login):
    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    creative = member(client_a, RoleCode.CREATIVE, email="cat@acme.example")
    http = login(creative)
    refused = http.post(f"/assets/{asset.pk}/report/", {"reason": "  "})
    assert refused.status_code == 400 and "Say what is wrong with the asset." in refused.content.decode()
    done = http.post(f"/assets/{asset.pk}/report/", {"reason": "The logo on the shirt is a competitor's"})
    case = Case.objects.get(asset=asset, kind=CaseKind.EXCEPTION)
    assert done.status_code == 302 and done["Location"] == case.get_absolute_url()
    assert case.key == "report#1" and case.trigger == Trigger.REPORT
    http.post(f"/assets/{asset.pk}/report/", {"reason": "Also the model looks underage"})
    case.refresh_from_db()
    assert Case.objects.filter(asset=asset).count() == 1
    assert [r["reason"] for r in case.evidence["reports"]] == [
        "The logo on the shirt is a competitor's",
        "Also the model looks underage",
    ]
    asset.refresh_from_db()
    assert asset.on_hold


def test_outsiders_cannot_report_or_check_and_checks_are_for_operators(client_a, client_b, outsider, login, legal):
    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    assert login(outsider).post(f"/assets/{asset.pk}/report/", {"reason": "x"}).status_code == 404
    assert login(legal).post(f"/assets/{asset.pk}/check/").status_code == 403
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    checked = login(manager).post(f"/assets/{asset.pk}/check/")
    assert checked.status_code == 302
    assert Case.objects.get(asset=asset).key == "metadata#1"


def test_the_api_reports_and_runs_detection(client_a, legal, api, api_token):
    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    http = api(api_token(legal, "write"))
    made = http.post(
        "/api/v1/cases/report/", {"asset": asset.pk, "reason": "Wrong credit"}, content_type="application/json"
    )
    assert made.status_code == 201 and made.json()["kind"] == "exception"
    assert (
        http.post("/api/v1/cases/detect/", {"client": client_a.slug}, content_type="application/json").status_code
        == 403
    )
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    counts = api(api_token(manager, "write")).post(
        "/api/v1/cases/detect/", {"client": client_a.slug}, content_type="application/json"
    )
    assert counts.status_code == 200 and counts.json()["opened"] == 1


def test_detection_runs_after_every_pull(client_a):
    from apps.assets import events

    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    events.synced(client_a)
    assert Case.objects.get(asset=asset, kind=CaseKind.EXCEPTION).key == "metadata#1"


def test_a_sweep_that_read_the_open_cases_before_another_opened_one_takes_that_case(strict):
    """The race CI once caught (6 cases for 5 assets): sweep B reads the open cases, sweep A opens the asset's case
    and commits, then B reaches the asset. B must take A's case, not open the cause's next generation beside it."""
    asset = clean(strict, keywords=[])
    (finding,) = detection.findings_for(asset, detection.Context(strict))
    read_by_b = {}  # what sweep B read at its start: no open case
    assert detection.record(strict, asset, finding, known={}) is True  # sweep A
    assert detection.record(strict, asset, finding, known=read_by_b) is False  # sweep B
    assert list(Case.objects.filter(asset=asset).values_list("key", flat=True)) == ["metadata#1"]
    assert AssetHold.objects.filter(asset=asset, released_at__isnull=True).count() == 1
    assert read_by_b[(asset.pk, finding.cause)].key == "metadata#1"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_open_each_case_once(strict):
    assets = [clean(strict, keywords=[], name=f"Asset {n}") for n in range(5)]
    results = at_once(lambda: detection.sweep(client=strict), 4)
    assert sum(r.get("opened", 0) for r in results) == 5
    assert Case.objects.filter(kind=CaseKind.EXCEPTION).count() == 5
    assert WorkflowRun.objects.filter(process_key="asset_exception").count() == 5
    for asset in assets:
        assert AssetHold.objects.filter(asset=asset, released_at__isnull=True).count() == 1
        asset.refresh_from_db()
        assert asset.on_hold


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_open_one_case_per_asset_and_cause(strict):
    """Each asset breaks two rules (missing keywords, a provider the client does not accept): four sweeps at once
    open exactly one case per asset and cause, and hold each asset once per case."""
    assets = [clean(strict, keywords=[], name=f"Asset {n}") for n in range(3)]
    Asset.objects.filter(pk__in=[a.pk for a in assets]).update(provider="alamy")
    results = at_once(lambda: detection.sweep(client=strict), 4)
    assert sum(r.get("opened", 0) for r in results) == 6
    for asset in assets:
        cases = Case.objects.filter(asset=asset, kind=CaseKind.EXCEPTION)
        assert sorted(detection.cause_of(case) for case in cases) == ["metadata", "provider"]
        assert AssetHold.objects.filter(asset=asset, released_at__isnull=True).count() == 2
    assert WorkflowRun.objects.filter(process_key="asset_exception").count() == 6
    again = at_once(lambda: detection.sweep(client=strict), 2)  # known now: nothing more opens
    assert sum(r.get("opened", 0) for r in again) == 0 and Case.objects.count() == 6


def test_the_demo_seeds_each_clients_exception_policy(settings, capsys):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins")  # idempotent
    contoso = ExceptionPolicy.objects.get(client__slug="contoso")
    assert "rights_managed" not in contoso.accepted_license_types
    assert ExceptionPolicy.objects.count() == 2


def test_the_library_wide_check_runs_in_a_worker_for_operators_only(client_a, legal, login):
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    from apps.exceptions import tasks

    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    asset = licensed_asset(client_a, approval=ApprovalState.APPROVED)
    assert login(legal).post(f"/clients/{client_a.slug}/exceptions/detect/").status_code == 403
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    started = login(manager).post(f"/clients/{client_a.slug}/exceptions/detect/")
    assert started.status_code == 302
    jobs = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
    assert [job["args"] for job in jobs if job["func"] == "apps.exceptions.tasks.detect_exceptions_for"] == [
        (client_a.pk,)
    ]
    assert tasks.detect_exceptions_for(client_a.pk)["opened"] == 1  # what the worker runs
    assert Case.objects.get(asset=asset).key == "metadata#1"
    assert tasks.detect_exceptions()["known"] == 1  # the hourly sweep: nothing new
