"""The analytics page in a browser: its charts draw (Chart.js from our own static files, the figures read from a
JSON element, so the CSP holds and the console stays clean), each chart has its table, axe finds nothing serious,
and the filter form works from the keyboard."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from tests.analytics.factories import run, task
from tests.factories import member

from .test_accessibility import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def history(client_a):
    now = timezone.now()
    reviewer = member(client_a, RoleCode.LEGAL, email="reviewer@acme.example")
    approval, exception = run(client_a), run(client_a, "asset_exception")
    for n in range(12):
        available = now - timedelta(days=3 * n + 1, hours=n)
        task(
            approval,
            "legal_review" if n % 2 else "brand_review",
            available=available,
            claimed=available + timedelta(hours=n + 1),
            completed=available + timedelta(hours=2 * n + 3),
            due=available + timedelta(days=1),
            roles=["legal"] if n % 2 else ["brand"],
        )
    task(exception, "triage", available=now - timedelta(days=9), roles=["content_manager"])
    task(approval, "legal_review", available=now - timedelta(hours=5), assignee=reviewer)
    task(approval, "brand_review", available=now - timedelta(days=20), roles=["brand"])
    return client_a


def test_analytics_page_draws_its_charts_with_tables_and_passes_axe(page, sign_in, agency_admin, history):
    sign_in(agency_admin, "/analytics/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Where reviews wait: Acme Outdoor")
    canvases = page.locator("canvas[data-chart]")
    expect(canvases).to_have_count(4)
    # Chart.js drew into each canvas (it sizes the canvas and registers the chart)
    page.wait_for_function(
        "() => document.querySelectorAll('canvas[data-chart]').length === 4 && "
        "[...document.querySelectorAll('canvas[data-chart]')].every(c => window.Chart.getChart(c))"
    )
    for caption in [
        "Stages: waiting for a claim and time to decide",
        "Open tasks by how long they have been available",
        "Open tasks nobody has claimed, per candidate role",
        "Open tasks people have claimed (longest queues first)",
    ]:
        expect(page.get_by_role("table", name=caption)).to_be_visible()
    expect(page.get_by_role("row", name="Brand review").first).to_be_visible()
    assert page.locator("details >> table").count() == 1  # the weeks' table is one click away
    assert axe_violations(page) == []
    page.watch.assert_clean()


def test_the_filter_form_works_from_the_keyboard(page, sign_in, agency_admin, history):
    sign_in(agency_admin, "/analytics/")
    flow = page.get_by_label("Flow")
    flow.focus()
    flow.select_option("asset_exception")  # a select changes with the arrow keys; the choice is what matters
    page.keyboard.press("Tab")  # to Stage
    page.keyboard.press("Tab")  # Role
    page.keyboard.press("Tab")  # Region
    page.keyboard.press("Tab")  # the Show button
    expect(page.get_by_role("button", name="Show")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url("**/analytics/?*flow=asset_exception*")
    expect(page.get_by_role("row", name="Brand review")).to_have_count(0)
    expect(page.locator(".kpi").filter(has_text="Open now")).to_contain_text("1")
    page.watch.assert_clean()
