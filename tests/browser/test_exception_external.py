"""An external agency as a member (the ``external`` role): a content manager shares one exception case with them
and triage sends it to the agency; signed in, they see that case's asset and the correction form only (the agency
link's form and service), a wrong submission is refused where they acted (focus on the field), their correction
clears the case; another case of the same client is a 404 for them, and every use is audited with who."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.exceptions import detection
from apps.exceptions.choices import Disposition
from apps.exceptions.models import Case
from apps.integrations.smintio.sync import pull
from apps.sharing import services as sharing
from apps.workflows.services import decide
from tests.exceptions.test_exception_flow import metadata_patches, open_task
from tests.factories import member
from tests.platform_fixtures import settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def two_cases(platforms, client_a):
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=20), full=True)
    Asset.objects.filter(client=client_a).update(approval_state=ApprovalState.APPROVED)
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    detection.sweep(client=client_a)
    settle()
    cases = list(Case.objects.filter(client=client_a, key="metadata#1").order_by("pk")[:2])
    assert len(cases) == 2, "the demo library has assets without keywords"
    return cases


def test_an_external_member_corrects_the_case_sent_to_them_and_nothing_else(page, sign_in, two_cases, client_a):
    case, other = two_cases
    asset = Asset.objects.get(pk=case.asset_id)
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    agency = member(client_a, RoleCode.EXTERNAL, email="studio@pixel.example")
    sharing.share(case, user=agency, actor=manager, until=timezone.localdate() + timedelta(days=7))
    decide(open_task(case), actor=manager, outcome="agency")
    settle()

    sign_in(agency, f"/cases/{case.pk}/")
    expect(page).to_have_url(f"{page.url.split('/cases/')[0]}/cases/{case.pk}/correct/")
    expect(page.locator("h1")).to_contain_text(asset.name or asset.content_element_uuid)
    expect(page.locator(".page-head")).to_contain_text("Shared with you")
    expect(page.locator("form.decision-form")).to_have_count(0)  # not the case page: no tasks, no timeline
    page.get_by_role("button", name="Send the correction").click()  # nothing changed, no note: refused in place
    expect(page.locator("#agency-form [role=alert]")).to_contain_text("Change the metadata")
    keywords = page.get_by_label("Keywords")
    expect(keywords).to_be_focused()
    keywords.fill("harbour, morning")
    page.get_by_label("What you corrected").fill("Keywords from the shoot notes")
    page.get_by_role("button", name="Send the correction").click()
    expect(page.locator("h1")).to_have_text("Correction received")
    expect(page.locator(".page-head")).to_contain_text("the check passes")
    settle()

    case.refresh_from_db()
    asset.refresh_from_db()
    assert case.disposition == Disposition.CLEARED and asset.keywords == ["harbour", "morning"]
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]
    uses = AuditEvent.objects.filter(object_id=str(case.pk), action__startswith="exceptions.external.")
    assert {(e.action, e.actor_id) for e in uses} == {
        ("exceptions.external.view", agency.pk),
        ("exceptions.external.submit", agency.pk),
    }
    edit = AuditEvent.objects.get(action="assets.asset.metadata_edit", object_id=str(asset.pk))
    assert edit.actor_id == agency.pk

    # Nothing else: another case of the client, its correction page, the asset's page, all 404
    for path in (f"/cases/{other.pk}/", f"/cases/{other.pk}/correct/", f"/assets/{asset.pk}/"):
        response = page.goto(path)
        assert response.status == 404, path
    # the case is closed now: its page no longer answers the agency either
    assert page.goto(f"/cases/{case.pk}/correct/").status == 404
    assert page.watch.foreign_requests == []
