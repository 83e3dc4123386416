"""asset_exception over HTTP: OpenText (the emulator) runs each path, Smint.io (the emulator) hears one metadata PATCH
per fix and one workflow status per resolved exception, also when its answers are lost or refused for a while;
an external agency remediates through a signed link that shows nothing else and stops working when revoked or
expired."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.exceptions import remediation
from apps.exceptions.choices import CaseKind, CaseState, Disposition
from apps.exceptions.models import AgencyLink, Case
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task
from apps.workflows.services import DecisionRefused, decide
from tests.factories import member
from tests.platform_fixtures import metadata_patches, settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


def open_task(case, key=None) -> Task:
    tasks = Task.objects.filter(run__subject_type="exceptions.case", run__subject_id=case.pk, status=TaskStatus.OPEN)
    return tasks.get(task_key=key) if key else tasks.get()


@pytest.fixture
def people(client_a):
    return {
        "ops": member(client_a, RoleCode.CONTENT_MANAGER, email="ops@acme.example"),
        "legal": member(client_a, RoleCode.LEGAL, email="lex@acme.example"),
    }


@pytest.fixture
def library(platforms, client_a):
    """The demo library pulled from the Smint.io emulator; the pull's detection opens the exception cases."""
    from apps.integrations.tasks import pull_smintio

    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    platforms.opentext_tenant()
    counts = pull_smintio(platforms.smintio_tenant(client_a, count=20).pk, full=True)  # as the worker pulls
    assert "skipped" not in counts
    settle()
    return client_a


def metadata_case(client) -> Case:
    return Case.objects.filter(client=client, kind=CaseKind.EXCEPTION, key="metadata#1").order_by("pk").first()


def test_a_content_manager_fixes_missing_keywords_and_the_asset_returns_to_circulation(library, people, platforms):
    case = metadata_case(library)
    assert case is not None, "the demo library has assets without keywords"
    asset = Asset.objects.get(pk=case.asset_id)
    assert asset.on_hold and case.evidence["missing"] == ["keywords"]
    triage = open_task(case)
    assert (triage.task_key, triage.candidate_roles) == ("triage", ["content_manager"])
    decide(triage, actor=people["ops"], outcome="content_manager")
    settle()
    fix = open_task(case, "fix_metadata")
    with pytest.raises(DecisionRefused, match="Nothing was changed"):
        decide(fix, actor=people["ops"], outcome="fixed", inputs={"fix": {"keywords": []}})
    # the answer to the PATCH is lost once: the retry replays with the same key, Smint.io applies it once
    platforms.fault("smintio", kind="delay", delay_seconds=3, count=1, path_contains="/metadata")
    decide(
        fix, actor=people["ops"], outcome="fixed", inputs=remediation.read_inputs({"keywords": "ridge, hiker"}, None)
    )
    settle()
    case.refresh_from_db()
    asset.refresh_from_db()
    assert (case.state, case.disposition) == (CaseState.CLOSED, Disposition.CLEARED)
    assert asset.keywords == ["ridge", "hiker"] and not asset.on_hold
    assert case.evidence["verification"]["result"] == "passed"
    patches = metadata_patches(asset)
    assert len(patches) == 1
    assert [k["metadata_element"]["key"] for k in patches[0]["keywords"]] == ["ridge", "hiker"]
    assert statuses_at_smintio(asset) == ["cleared"]
    settle()
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]  # once
    assert AuditEvent.objects.filter(action="assets.asset.release", object_id=str(asset.pk)).exists()


def test_a_fix_that_leaves_the_rule_firing_goes_back_to_remediation_with_the_finding(library, people):
    library.required_metadata_fields = ["keywords", "description"]
    library.save()
    case = metadata_case(library)
    asset = Asset.objects.get(pk=case.asset_id)
    Asset.objects.filter(pk=asset.pk).update(description="")
    decide(open_task(case), actor=people["ops"], outcome="content_manager")
    settle()
    decide(open_task(case, "fix_metadata"), actor=people["ops"], outcome="fixed", inputs={"fix": {"keywords": ["a"]}})
    settle()
    case.refresh_from_db()
    assert case.is_open and case.evidence["verification"]["result"] == "still_firing"
    assert case.evidence["missing"] == ["description"]
    again = open_task(case, "fix_metadata")  # back to the same remediation
    decide(again, actor=people["ops"], outcome="fixed", inputs={"fix": {"description": "A ridge at dawn."}})
    settle()
    case.refresh_from_db()
    assert case.disposition == Disposition.CLEARED
    assert len(metadata_patches(asset)) == 2  # one per fix
    assert statuses_at_smintio(asset) == ["cleared"]


def test_legal_removes_the_asset_and_smintio_hears_withdrawn_with_the_reason_once(library, people, platforms):
    case = metadata_case(library)
    asset = Asset.objects.get(pk=case.asset_id)
    decide(open_task(case), actor=people["ops"], outcome="legal")
    settle()
    legal_task = open_task(case, "legal_review")
    assert legal_task.candidate_roles == ["legal"]
    with pytest.raises(DecisionRefused):
        decide(legal_task, actor=people["legal"], outcome="remove")  # a removal needs its reason
    platforms.fault("smintio", kind="status", status_code=503, count=2, path_contains="workflow-status")
    decide(legal_task, actor=people["legal"], outcome="remove", reason="The agency cannot supply the keywords")
    settle()
    case.refresh_from_db()
    asset.refresh_from_db()
    assert case.disposition == Disposition.REMOVED
    assert asset.approval_state == ApprovalState.WITHDRAWN and not asset.on_hold
    assert statuses_at_smintio(asset) == ["withdrawn"]
    from apps.emulators.smintio.models import WorkflowStatusRecord

    record = WorkflowStatusRecord.objects.get(content_element__uuid=asset.content_element_uuid)
    assert "The agency cannot supply the keywords" in (record.reason or "")
    assert metadata_patches(asset) == []


def test_triage_may_remove_at_once(library, people):
    case = metadata_case(library)
    decide(open_task(case), actor=people["ops"], outcome="remove", reason="Duplicate of another asset")
    settle()
    case.refresh_from_db()
    assert case.disposition == Disposition.REMOVED
    assert statuses_at_smintio(case.asset) == ["withdrawn"]


def test_an_agency_corrects_through_its_link_which_shows_nothing_else(library, people, login):
    from django.test import Client as Browser

    case = metadata_case(library)
    asset = Asset.objects.get(pk=case.asset_id)
    other = Asset.objects.filter(client=library).exclude(pk=asset.pk).first()
    decide(open_task(case), actor=people["ops"], outcome="agency")
    settle()
    with pytest.raises(remediation.LinkRefused):
        remediation.create_link(case, actor=people["legal"], agency="Pixel Agency")  # not content operations
    made = login(people["ops"]).post(f"/cases/{case.pk}/agency-links/", {"agency": "Pixel Agency", "days": "7"})
    assert made.status_code == 302
    link = AgencyLink.objects.get(case=case)
    url = f"/agency/{remediation.token_for(link)}/"
    agency = Browser()  # no account
    page = agency.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and (asset.name or asset.content_element_uuid) in body
    assert other.name not in body and "/assets/" not in body and "/cases/" not in body
    refused = agency.post(url, {"keywords": "", "note": ""})
    assert refused.status_code == 400 and "Change the metadata" in refused.content.decode()
    assert agency.get(url[:-5] + "xxxx/").status_code == 404  # a forged token
    done = agency.post(url, {"keywords": "beach, sunset", "note": "Keywords added"})
    assert done.status_code == 200 and "the check passes" in done.content.decode()
    settle()
    case.refresh_from_db()
    assert case.disposition == Disposition.CLEARED
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]
    uses = AuditEvent.objects.filter(object_id=str(case.pk), action__startswith="exceptions.agency_link.")
    assert sorted(uses.values_list("action", flat=True)) == [
        "exceptions.agency_link.create",
        "exceptions.agency_link.submit",
        "exceptions.agency_link.view",
    ]
    assert agency.get(url).status_code == 404  # the case is closed: the link no longer works


def test_a_revoked_or_expired_link_stops_working(library, people, login):
    from django.test import Client as Browser

    case = metadata_case(library)
    link = remediation.create_link(case, actor=people["ops"], agency="Pixel Agency", days=3)
    url = f"/agency/{remediation.token_for(link)}/"
    agency = Browser()
    assert agency.get(url).status_code == 200
    login(people["ops"]).post(f"/cases/{case.pk}/agency-links/{link.pk}/revoke/")
    link.refresh_from_db()
    assert link.state == "revoked"
    gone = agency.get(url)
    assert gone.status_code == 404 and "This link no longer works" in gone.content.decode()
    later = remediation.create_link(case, actor=people["ops"], agency="Other Agency", days=1)
    AgencyLink.objects.filter(pk=later.pk).update(
        created_at=timezone.now() - timedelta(days=3), expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert agency.get(f"/agency/{remediation.token_for(later)}/").status_code == 404
    assert agency.post(f"/agency/{remediation.token_for(later)}/", {"keywords": "x"}).status_code == 404


def test_the_metadata_edit_through_the_api(library, people, api, api_token):
    case = metadata_case(library)
    http = api(api_token(people["ops"], "write"))
    triage = open_task(case)
    decided = http.post(
        f"/api/v1/cases/{case.pk}/decision/",
        {"task": triage.pk, "outcome": "content_manager"},
        content_type="application/json",
    )
    assert decided.status_code == 201
    settle()
    fix = open_task(case, "fix_metadata")
    empty = http.post(
        f"/api/v1/cases/{case.pk}/decision/", {"task": fix.pk, "outcome": "fixed"}, content_type="application/json"
    )
    assert empty.status_code == 400 and "keywords" in empty.json()["errors"]
    fixed = http.post(
        f"/api/v1/cases/{case.pk}/decision/",
        {"task": fix.pk, "outcome": "fixed", "keywords": ["forest", "mist"]},
        content_type="application/json",
    )
    assert fixed.status_code == 201
    settle()
    case.refresh_from_db()
    assert case.disposition == Disposition.CLEARED
    assert len(metadata_patches(case.asset)) == 1
