"""Issue 12 items 8 and 9: navigation by role, an external member refused a case not shared with them, and the
portal's pages at phone width with no sideways scrolling and filters collapsed."""

import pytest
from playwright.sync_api import expect

from apps.audit import services as audit
from apps.common.roles import RoleCode
from apps.sharing import services as sharing
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task
from tests.sharing.conftest import renewal_case

pytestmark = pytest.mark.django_db(transaction=True)

NO_SIDEWAYS = "document.documentElement.scrollWidth <= window.innerWidth"


def test_the_navigation_follows_the_role(page, sign_in, client_a, agency_admin):
    reviewer = member(client_a, RoleCode.REVIEWER, email="reviewer@acme.example")
    sign_in(reviewer)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Review inbox")).to_be_visible()
    for hidden in ["Sync", "Audit", "Admin", "API docs"]:
        expect(nav.get_by_role("link", name=hidden, exact=True)).to_have_count(0)
    assert page.goto("/sync/").status == 403
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Sync log")
    page.watch.console_errors.clear()  # the 403 just asserted
    page.get_by_role("button", name="Sign out").click()
    sign_in(agency_admin)
    nav = page.get_by_role("navigation", name="Main")
    for shown in ["Sync", "Audit", "Admin", "API docs"]:
        expect(nav.get_by_role("link", name=shown, exact=True)).to_be_visible()
    page.watch.assert_clean()


def test_an_external_member_is_refused_a_case_not_shared_with_them(page, sign_in, client_a, legal, external):
    from datetime import timedelta

    from django.utils import timezone

    shared, _ = renewal_case(licensed_asset(client_a, name="Shared hero"), "Shared case")
    hidden, _ = renewal_case(licensed_asset(client_a, name="Secret hero"), "Unshared case")
    sharing.share(shared, user=external, actor=legal, until=timezone.localdate() + timedelta(days=10))
    sign_in(external, f"/cases/{shared.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Shared case")
    nav = page.get_by_role("navigation", name="Main")
    for hidden_link in ["Sync", "Audit", "Admin", "API docs"]:
        expect(nav.get_by_role("link", name=hidden_link, exact=True)).to_have_count(0)
    response = page.goto(f"/cases/{hidden.pk}/")
    assert response.status == 404
    expect(page.locator("main")).not_to_contain_text("Unshared case")
    assert page.goto("/clients/acme/").status == 404
    assert all("404" in error for error in page.watch.console_errors)  # the two refusals, nothing else


@pytest.fixture
def phone_pages(client_a, agency_admin, legal):
    asset = licensed_asset(client_a, name="A rather long asset name that would push a narrow page sideways.jpg")
    run = approval_run(asset)
    review_task(run, "agency_admin")
    case, _ = renewal_case(asset, "Renew the licence of a rather long asset name before it lapses")
    audit.record("reviews.asset.approve", actor=legal, client=client_a, obj=asset, reason="Fine for the web")
    return {
        "inbox": "/",
        "asset": f"/assets/{asset.pk}/",
        "case": f"/cases/{case.pk}/",
        "audit": "/audit/",
        "sync": "/sync/",
        "cases": "/cases/",
        # issue 15's and 16's pages
        "campaigns": "/campaigns/",
        "agency": "/agency/",
        "delegation": "/accounts/delegation/",
        "approval policy": f"/clients/{client_a.slug}/approval-policy/",
        "review links": "/review-links/",
        "notifications": "/notifications/",
        "notification preferences": "/notifications/preferences/",
        "analytics": "/analytics/",
        "webhooks": "/webhooks/",
    }


@pytest.mark.parametrize("width", [390, 360])
def test_no_page_scrolls_sideways_on_a_phone(page, sign_in, agency_admin, phone_pages, width):
    page.set_viewport_size({"width": width, "height": 780})
    sign_in(agency_admin)
    wide = {}
    for name, path in phone_pages.items():
        assert page.goto(path).status == 200, name
        if not page.evaluate(NO_SIDEWAYS):
            wide[name] = page.evaluate("document.documentElement.scrollWidth")
    assert wide == {}, f"pages wider than {width} px: {wide}"
    # Every link of the navigation is on screen (it wraps; nothing is cut at "Sync").
    for link in page.get_by_role("navigation", name="Main").get_by_role("link").all():
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, link.text_content()
    page.watch.assert_clean()


def test_filters_are_collapsed_on_a_phone_and_open_on_a_laptop(page, sign_in, agency_admin, phone_pages):
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(agency_admin, "/audit/")
    filters = page.locator("details.filters-disclosure")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.get_by_label("Search")).to_be_hidden()
    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_label("Search")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/cases/")
    expect(page.locator("details.filters-disclosure")).to_have_attribute("open", "")
    page.watch.assert_clean()
