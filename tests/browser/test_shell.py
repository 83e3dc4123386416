"""A person signs in, sees the dashboard, and uses the shell with the keyboard, under the real CSP."""

import re

import pytest
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from tests.factories import PASSWORD, AuditEventFactory, MembershipFactory, member

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_and_see_the_dashboard(page, sign_in, client_a, legal):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    sign_in(legal)
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review inbox")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Audit")
    expect(page.get_by_role("link", name="My tasks")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Nothing is waiting for you")
    page.watch.assert_clean()


def test_wrong_password_shows_a_generic_error_and_keeps_the_email(page, client_a, legal):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail address").fill(legal.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an active account")
    expect(page.get_by_label("E-mail address")).to_have_value(legal.email)


def test_keyboard_only_sign_in_and_skip_link(page, client_a, legal):
    page.goto("/accounts/login/")
    expect(page.get_by_label("E-mail address")).to_be_focused()  # autofocus: type straight away
    page.keyboard.type(legal.email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review inbox")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to content")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


def test_audit_filters_swap_results_with_htmx_and_keep_the_url(page, sign_in, client_a, legal):
    AuditEventFactory(client=client_a, object_repr="Alpine hero image")
    AuditEventFactory(client=client_a, object_repr="Beach banner")
    sign_in(legal, "/audit/")
    expect(page.locator("#results")).to_contain_text("Beach banner")
    page.evaluate("window.__stillTheSamePage = true")
    page.get_by_label("Search").fill("alpine")
    expect(page.locator("#results")).not_to_contain_text("Beach banner")
    expect(page.locator("#results")).to_contain_text("Alpine hero image")
    expect(page).to_have_url(re.compile(r"q=alpine"))
    assert page.evaluate("window.__stillTheSamePage") is True  # swapped in place, no full reload
    page.watch.assert_clean()


def test_saving_the_profile_shows_a_toast_that_escape_dismisses(page, sign_in, client_a, legal):
    sign_in(legal, "/accounts/profile/")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_role("button", name="Save").click()
    toast = page.locator(".toast")
    expect(toast).to_contain_text("Profile saved.")
    page.keyboard.press("Escape")
    expect(toast).to_have_count(0)
    page.goto("/")
    expect(page.locator("main")).to_contain_text("times in Europe/Berlin")


def test_an_agency_admin_switches_client_from_the_top_bar(page, sign_in, client_a, client_b):
    admin = member(client_a, RoleCode.AGENCY_ADMIN, email="agency@example.com")
    MembershipFactory(user=admin, client=client_b, roles=[RoleCode.AGENCY_ADMIN])
    sign_in(admin)
    page.get_by_label("Working in").select_option(label="Beta Brands")
    page.get_by_role("button", name="Switch").click()
    expect(page.locator(".page-head")).to_contain_text("Beta Brands")


def test_api_docs_render_offline(page, client_a):
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Greenlight API")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    page.watch.assert_clean()
