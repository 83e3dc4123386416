"""Flow 5 in the browser: a campaign in EMEA and APAC; each region's marketing reviewer opens the campaign page,
sees a "Decide" link in their region's cell only, and decides from there; the APAC reviewer first restricts to a
country outside the campaign and is refused in place (message, field marked, focus on it, nothing typed lost); the
matrix then shows both regions approved, and the page refreshes the matrix by itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.assets.models import Asset
from apps.campaigns import services
from apps.campaigns.choices import CellState
from apps.campaigns.models import CampaignAssetRegion
from apps.common.roles import RoleCode
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task
from tests.campaigns.conftest import OT_PEOPLE, REGIONS, plan, reviewer_email
from tests.factories import RegionFactory, member
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def campaign_in_review(platforms, client_a):
    platforms.opentext_tenant(users=OT_PEOPLE)
    platforms.approved_library(client_a, 3)
    regions = {
        code: RegionFactory(code=code, name=name, countries=countries) for code, (name, countries) in REGIONS.items()
    }
    people = {
        (role, code): member(client_a, role, email=reviewer_email(role.value, code), regions=[regions[code]])
        for code in ("emea", "apac")
        for role in (RoleCode.MARKETING, RoleCode.COMPLIANCE, RoleCode.PRODUCT)
    }
    planner = member(client_a, RoleCode.CONTENT_MANAGER, email="planner@acme.example")
    campaign = services.create(plan("emea", "apac"), client=client_a, actor=planner)
    asset = Asset.objects.filter(client=client_a).order_by("pk").first()
    services.add_assets(campaign, [asset], actor=planner)
    services.start_review(campaign, actor=planner)
    settle()
    # compliance and product sign in both regions without the browser; marketing decides in it
    for (role, code), person in people.items():
        if role != RoleCode.MARKETING:
            task = Task.objects.get(status=TaskStatus.OPEN, candidate_roles=[role.value], regions=[code])
            workflows.decide(task, actor=person, outcome="approved")
    return campaign, asset, people


def _cell(campaign, code):
    return CampaignAssetRegion.objects.get(campaign_asset__campaign=campaign, campaign_region__region__code=code)


def test_two_regional_reviewers_approve_their_regions_and_a_restriction_outside_the_campaign_is_refused_in_place(
    page, sign_in, campaign_in_review
):
    campaign, _asset, people = campaign_in_review
    emea_cell, apac_cell = _cell(campaign, "emea"), _cell(campaign, "apac")

    sign_in(people[(RoleCode.MARKETING, "emea")], campaign.get_absolute_url())
    matrix = page.locator("#matrix")
    expect(matrix.locator("caption")).to_contain_text("refreshed every 15 seconds")
    expect(page.locator(f"#cell-{apac_cell.pk}")).to_contain_text("In review")
    expect(page.locator(f"#cell-{apac_cell.pk}").get_by_role("link", name=re.compile("^Decide"))).to_have_count(0)
    decide = page.locator(f"#cell-{emea_cell.pk}").get_by_role("link", name=re.compile("^Decide"))
    decide.focus()
    page.keyboard.press("Enter")  # the keyboard reaches the decision
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast, .alert").first).to_contain_text("Approve")
    expect(page).to_have_url(re.compile(rf"/campaigns/{campaign.pk}/#cell-{emea_cell.pk}$"))  # back at the cell
    page.get_by_role("button", name="Sign out").click()

    sign_in(people[(RoleCode.MARKETING, "apac")], campaign.get_absolute_url())
    expect(page.locator(f"#cell-{emea_cell.pk}").get_by_role("link", name=re.compile("^Decide"))).to_have_count(0)
    page.locator(f"#cell-{apac_cell.pk}").get_by_role("link", name=re.compile("^Decide")).click()
    page.get_by_label("Approve with restrictions").check()
    page.get_by_label("Only these countries").fill("JP, DE")
    page.get_by_label("Reason").fill("Not for Germany")
    page.get_by_role("button", name="Record decision").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("DE is outside the campaign in APAC")
    countries = page.get_by_label("Only these countries")
    expect(countries).to_have_attribute("aria-invalid", "true")
    expect(countries).to_be_focused()
    expect(countries).to_have_value("JP, DE")
    expect(page.get_by_label("Reason")).to_have_value("Not for Germany")
    assert not Task.objects.get(pk=_open_marketing_task(apac_cell)).decisions.exists()
    assert all("400" in e for e in page.watch.console_errors)  # the refusal's answer, just asserted
    page.watch.console_errors.clear()
    page.get_by_label("Approve", exact=True).check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast, .alert").first).to_contain_text("Approve")

    settle()
    page.goto(campaign.get_absolute_url())
    expect(page.locator(f"#cell-{emea_cell.pk}")).to_contain_text("Approved")
    expect(page.locator(f"#cell-{apac_cell.pk}")).to_contain_text("Approved")
    assert {_cell(campaign, c).state for c in ("emea", "apac")} == {CellState.APPROVED}
    page.watch.assert_clean()


def _open_marketing_task(cell) -> int:
    return Task.objects.get(
        run__subject_type=services.SUBJECT, run__subject_id=cell.pk, candidate_roles=["marketing"]
    ).pk


def test_the_matrix_refreshes_itself_without_a_reload(page, sign_in, campaign_in_review):
    campaign, _asset, people = campaign_in_review
    emea_cell = _cell(campaign, "emea")
    sign_in(people[(RoleCode.MARKETING, "emea")], campaign.get_absolute_url())
    page.evaluate("window.__notReloaded = true")
    task = Task.objects.get(pk=_open_marketing_task(emea_cell))
    workflows.decide(task, actor=people[(RoleCode.MARKETING, "emea")], outcome="approved")
    settle()
    expect(page.locator(f"#cell-{emea_cell.pk}")).to_contain_text("Approved", timeout=25_000)
    assert page.evaluate("window.__notReloaded") is True
    page.watch.assert_clean()
