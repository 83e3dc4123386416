"""The inbox keeps the list the reviewer is on: searching and filtering stay on "Unassigned for my roles", a tab
clicked right after typing is not lost, and the counts on the tabs follow a claim and a release."""

import re

import pytest
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox(client_a, legal):
    for name in ("Glacier lake", "Glacier cave", "Desert road"):
        review_task(approval_run(licensed_asset(client_a, name=name)), "legal")
    review_task(approval_run(licensed_asset(client_a, name="Held harbour")), "legal", assignee=legal)


def _tab(page, name):
    return page.locator("#inbox-tabs").get_by_role("link", name=re.compile(f"^{name}"))


def test_search_and_filter_stay_on_the_tab_the_reviewer_chose(page, sign_in, inbox, legal):
    sign_in(legal)
    expect(_tab(page, "My tasks")).to_have_attribute("aria-current", "page")
    _tab(page, "Unassigned for my roles").click()
    expect(_tab(page, "Unassigned for my roles")).to_have_attribute("aria-current", "page")
    rows = page.locator("#inbox table.tasks tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Search").fill("glacier")
    expect(rows).to_have_count(2)
    expect(_tab(page, "Unassigned for my roles")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"tab=team"))
    page.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(2)
    expect(_tab(page, "Unassigned for my roles")).to_have_attribute("aria-current", "page")
    page.get_by_label("Role").select_option("legal")
    expect(page).to_have_url(re.compile(r"role=legal"))
    expect(_tab(page, "Unassigned for my roles")).to_have_attribute("aria-current", "page")
    expect(rows).to_have_count(2)
    page.watch.assert_clean()


def test_a_tab_clicked_right_after_typing_is_not_lost(page, sign_in, inbox, legal):
    sign_in(legal, "/?tab=team")
    page.get_by_label("Search").fill("desert")
    _tab(page, "My tasks").click()  # the search's own request (on change, after a pause) is still to come
    expect(_tab(page, "My tasks")).to_have_attribute("aria-current", "page")
    page.wait_for_timeout(800)  # past the search's delay: its answer must not take the list back
    expect(_tab(page, "My tasks")).to_have_attribute("aria-current", "page")
    expect(page).to_have_url(re.compile(r"tab=mine"))
    page.watch.assert_clean()


def test_a_search_typed_before_the_page_is_ready_is_not_lost(page, sign_in, inbox, legal):
    """Typed while htmx is still on its way (a slow page, a busy machine): the list follows once the scripts run."""
    sign_in(legal)
    held = []
    page.route("**/htmx.min.js*", lambda route: held.append(route))  # the page shows; its scripts wait for htmx
    page.goto("/?tab=team", wait_until="commit")
    page.get_by_label("Search").fill("glacier")
    rows = page.locator("#inbox table.tasks tbody tr")
    expect(rows).to_have_count(3)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    held[0].continue_()
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=glacier"))
    expect(_tab(page, "Unassigned for my roles")).to_have_attribute("aria-current", "page")
    page.watch.assert_clean()


def test_the_tab_counts_follow_a_claim_and_a_release(page, sign_in, client_a, inbox, legal):
    member(client_a, RoleCode.LEGAL, email="colleague@acme.example")
    sign_in(legal, "/?tab=team")
    expect(_tab(page, "My tasks").locator(".count")).to_have_text("1")
    expect(_tab(page, "Unassigned for my roles").locator(".count")).to_have_text("3")
    page.get_by_role("button", name="Claim Desert road").click()
    expect(page.locator("tr", has_text="Desert road")).to_contain_text("Claimed.")
    expect(_tab(page, "My tasks").locator(".count")).to_have_text("2")
    expect(_tab(page, "Unassigned for my roles").locator(".count")).to_have_text("2")
    page.get_by_role("button", name="Release Desert road").click()
    expect(page.locator("tr", has_text="Desert road")).to_contain_text("Released")
    expect(_tab(page, "My tasks").locator(".count")).to_have_text("1")
    expect(_tab(page, "Unassigned for my roles").locator(".count")).to_have_text("3")
    _tab(page, "My tasks").click()
    expect(page.locator("#inbox table.tasks tbody tr")).to_have_count(1)
    page.watch.assert_clean()
