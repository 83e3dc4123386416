"""Reviewers click through the approval of a synced asset; the emulators play Smint.io and OpenText."""

import re

import pytest
from playwright.sync_api import expect

from apps.assets.choices import ApprovalState
from apps.assets.models import Asset
from apps.common.roles import RoleCode
from apps.integrations.smintio.sync import pull
from apps.reviews import services
from apps.workflows.models import WorkflowRun
from tests.factories import member
from tests.platform_fixtures import settle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synced_cycle(platforms, client_a):
    platforms.opentext_tenant()
    pull(platforms.smintio_tenant(client_a, count=3), full=True)
    asset = Asset.objects.filter(client=client_a, rights_state="valid").order_by("pk").first()
    Asset.objects.filter(client=client_a).exclude(pk=asset.pk).update(approval_state=ApprovalState.APPROVED)
    services.start_pending_approvals(client_a)
    settle()
    return WorkflowRun.objects.get(subject_id=asset.pk), asset


def _decide_in_the_inbox(page, sign_in, user, asset, outcome_label, reason):
    sign_in(user)
    page.get_by_role("link", name=re.compile("Unassigned for my roles")).click()
    row = page.locator("tr", has_text=asset.name)
    row.get_by_role("link", name=re.compile("^Decide")).click()
    panel = page.locator("#decision")
    expect(panel).to_contain_text(asset.name)
    panel.get_by_label(outcome_label).check()
    panel.get_by_label("Reason").fill(reason)
    panel.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast")).to_contain_text(outcome_label)
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile("/accounts/login/"))


def test_three_reviewers_approve_one_after_the_other_and_the_asset_becomes_available(
    page, sign_in, synced_cycle, client_a
):
    _run, asset = synced_cycle
    for role, email in [(RoleCode.LEGAL, "legal"), (RoleCode.BRAND, "brand"), (RoleCode.MARKETING, "marketing")]:
        reviewer = member(client_a, role, email=f"{email}@acme.example")
        _decide_in_the_inbox(page, sign_in, reviewer, asset, "Approve", "Licence checked against the campaign")
    settle()
    sign_in(member(client_a, RoleCode.CREATIVE, email="creative@acme.example"), f"/assets/{asset.pk}/")
    expect(page.locator(".page-head")).to_contain_text("Available to creatives")
    expect(page.locator(".page-head")).to_contain_text("Approved")
    page.watch.assert_clean()


def test_a_rejection_with_its_reason_reaches_the_asset_page(page, sign_in, synced_cycle, client_a):
    _run, asset = synced_cycle
    brand = member(client_a, RoleCode.BRAND, email="brand@acme.example")
    _decide_in_the_inbox(page, sign_in, brand, asset, "Reject", "Logo too small for print")
    settle()
    sign_in(member(client_a, RoleCode.LEGAL, email="legal@acme.example"), f"/assets/{asset.pk}/")
    expect(page.locator(".page-head")).to_contain_text("Rejected")
    expect(page.locator(".timeline")).to_contain_text("Logo too small for print")
    page.watch.assert_clean()


def test_a_decision_opentext_did_not_take_is_told_and_shown_as_not_applied(
    page, sign_in, synced_cycle, platforms, client_a
):
    """Someone completed the task in OpenText before the reviewer's decision was sent: the reviewer hears it on
    the next page, and the asset page keeps the decision, marked not applied, beside OpenText's outcome."""
    from apps.workflows.models import Task

    run, asset = synced_cycle
    legal = member(client_a, RoleCode.LEGAL, email="legal@acme.example")
    _decide_in_the_inbox(page, sign_in, legal, asset, "Reject", "No model release on file")
    task = Task.objects.get(run=run, candidate_roles=["legal"])
    platforms.control(  # before the worker sends ours, a colleague approves it in OpenText itself
        "opentext", f"tasks/{task.remote_id}/complete", {"user": "someone-else@acme.example", "outcome": "approved"}
    )
    settle()
    sign_in(legal, f"/assets/{asset.pk}/")
    expect(page.locator(".toast")).to_contain_text("was not applied")
    expect(page.locator(".toast")).to_contain_text("someone-else@acme.example completed this task in OpenText first")
    timeline = page.locator(".timeline")
    expect(timeline).to_contain_text("No model release on file")
    expect(timeline.locator(".tag-warn", has_text="not applied")).to_be_visible()
    expect(page.locator(".page-head")).not_to_contain_text("Rejected")
    page.watch.assert_clean()
