"""A content manager triages a missing-keywords exception, fixes the keywords on the case page (a fix that changes
nothing is refused where it was made, focus on the field), and the asset returns to circulation; Smint.io hears one
metadata PATCH and ``cleared``."""

import pytest
from playwright.sync_api import expect

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.exceptions import detection
from apps.exceptions.models import Case
from apps.integrations.smintio.sync import pull
from tests.factories import member
from tests.platform_fixtures import metadata_patches, settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def missing_keywords(platforms, client_a):
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=20), full=True)
    Asset.objects.filter(client=client_a).update(approval_state=ApprovalState.APPROVED)
    client_a.required_metadata_fields = ["keywords"]
    client_a.save()
    detection.sweep(client=client_a)
    settle()
    return Case.objects.filter(client=client_a, key="metadata#1").order_by("pk").first()


def test_a_content_manager_fixes_missing_keywords_and_the_asset_returns_to_circulation(
    page, sign_in, missing_keywords, client_a
):
    case = missing_keywords
    asset = Asset.objects.get(pk=case.asset_id)
    assert asset.on_hold and not asset.is_available
    manager = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    sign_in(manager, f"/assets/{asset.pk}/")
    hold = page.locator("#on-hold")
    expect(hold).to_contain_text("Missing keywords")
    hold.get_by_role("link", name=case.title).click()
    expect(page.locator("h1")).to_have_text(case.title)
    expect(page.locator("#finding-title")).to_be_visible()
    form = page.locator("form.decision-form")
    form.get_by_role("radio", name="Content manager fixes it").check()
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Content manager fixes it")
    settle()

    page.reload()
    form = page.locator("form.decision-form")
    form.get_by_role("radio", name="Fixed").check()
    form.get_by_role("button", name="Record decision").click()  # nothing filled in: refused in place
    alert = page.locator("form.decision-form [role=alert]")
    expect(alert).to_contain_text("Nothing was changed")
    keywords = page.get_by_label("Keywords")
    expect(keywords).to_be_focused()
    keywords.fill("ridge, hiker, dawn")
    page.locator("form.decision-form").get_by_role("radio", name="Fixed").check()
    page.locator("form.decision-form").get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Fixed")
    settle()

    page.reload()
    expect(page.locator(".page-head")).to_contain_text("Cleared")
    asset.refresh_from_db()
    assert asset.keywords == ["ridge", "hiker", "dawn"] and asset.is_available
    assert len(metadata_patches(asset)) == 1 and statuses_at_smintio(asset) == ["cleared"]
    page.goto(f"/assets/{asset.pk}/")
    expect(page.locator("#on-hold")).to_have_count(0)
    expect(page.locator(".page-head")).to_contain_text("Available to creatives")
    refused = "status of 400"  # the refused fix: the browser logs the 400 the page was answered with
    assert [e for e in page.watch.console_errors if refused not in e] == []
    assert page.watch.foreign_requests == []
