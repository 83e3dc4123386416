"""An owner replaces an asset whose rights lapse soon, legal signs it off, and the replacement is the one offered."""

import re

import pytest
from playwright.sync_api import expect

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.exceptions import services
from apps.exceptions.choices import Trigger
from apps.exceptions.models import Case
from apps.integrations.smintio.sync import pull
from tests.factories import member
from tests.platform_fixtures import settle
from tests.reviews.test_flow import statuses_at_smintio

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lapsing_case(platforms, client_a):
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=40), full=True)
    Asset.objects.filter(client=client_a).update(approval_state=ApprovalState.APPROVED)
    services.sweep_rights(client=client_a)
    settle()
    case = Case.objects.filter(client=client_a, trigger=Trigger.LAPSE).order_by("pk").first()
    replacement = services.replacement_choices(case).first()
    return case, replacement


def test_the_owner_replaces_legal_signs_off_and_the_replacement_is_the_available_one(
    page, sign_in, lapsing_case, client_a
):
    case, replacement = lapsing_case
    owner = member(client_a, RoleCode.CONTENT_OWNER, email="owner@acme.example")
    sign_in(owner, "/cases/")
    page.get_by_role("link", name=case.title).click()
    expect(page.locator("h1")).to_have_text(case.title)
    form = page.locator("form.decision-form")
    form.get_by_role("radio", name="Replace").check()
    form.get_by_label("Replacement (for “Replace”)").select_option(str(replacement.pk))
    form.get_by_label("Reason").fill("A newer shot of the same scene")
    form.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Replace")
    page.get_by_role("button", name="Sign out").click()
    settle()

    legal = member(client_a, RoleCode.LEGAL, email="legal@acme.example")
    sign_in(legal)
    page.get_by_role("link", name=re.compile("Unassigned for my roles")).click()
    page.locator("tr", has_text=case.title).get_by_role("link", name=re.compile("^Open case")).click()
    expect(page.locator("dl.facts")).to_contain_text(replacement.name)  # what legal signs off
    page.locator("form.decision-form").get_by_role("radio", name="Sign off").check()
    page.locator("form.decision-form").get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text("Sign off")
    settle()

    page.reload()
    expect(page.locator(".page-head")).to_contain_text("Replaced")
    asset = Asset.objects.get(pk=case.asset_id)
    assert not asset.is_available and Asset.objects.get(pk=replacement.pk).is_available
    assert statuses_at_smintio(asset) == ["withdrawn"]
    page.goto(f"/assets/{replacement.pk}/")
    expect(page.locator(".page-head")).to_contain_text("Available to creatives")
    page.watch.assert_clean()
