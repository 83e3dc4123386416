"""An agency admin changes a client's usage-compliance rules and its policies; an invalid value is shown at its
field, what was typed is kept and nothing is saved; a reviewer can read the rules but change neither."""

import re

import pytest
from playwright.sync_api import expect

from apps.audit.models import AuditEvent
from apps.clients.models import Client
from apps.exceptions import compliance
from apps.exceptions.choices import RuleKind
from apps.exceptions.models import ComplianceRule

pytestmark = pytest.mark.django_db(transaction=True)

BURST = "Burst of downloads by one person"
TERRITORY = "Use in a country the licence does not allow"
OVER_LIMIT = "Downloads beyond the licence limit"
# Chromium logs a page answered 400 or 403 in the console; refused forms and forbidden pages answer so by design.
REFUSAL_LOGGED = re.compile(r"status of 40[03] \((Bad Request|Forbidden)\)")


def rule(client, kind) -> ComplianceRule:
    return ComplianceRule.objects.get(client=client, kind=kind)


def only_refusals_logged(page) -> None:
    assert [e for e in page.watch.console_errors if not REFUSAL_LOGGED.search(e)] == []
    assert page.watch.foreign_requests == []


@pytest.fixture
def rules(client_a):
    return compliance.ensure_rules(client_a)


# -- compliance rules ------------------------------------------------------------------------------------------------
def test_an_agency_admin_changes_the_compliance_rules(page, sign_in, client_a, agency_admin, rules):
    sign_in(agency_admin, f"/clients/{client_a.slug}/")
    page.get_by_role("link", name="Compliance rules").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Usage compliance rules of Acme Outdoor")
    burst = page.locator("tr", has_text=BURST)
    burst.get_by_label("Downloads", exact=True).fill("25")
    burst.get_by_label("Routed to").select_option(label="Content operations")
    page.get_by_label(f"{TERRITORY} on").focus()
    page.keyboard.press("Space")
    expect(page.get_by_label(f"{TERRITORY} on")).not_to_be_checked()
    page.get_by_role("button", name="Save rules").focus()
    page.keyboard.press("Enter")

    expect(page.locator(".toast")).to_contain_text("2 rules of Acme Outdoor saved.")
    expect(burst.get_by_label("Downloads", exact=True)).to_have_value("25")
    expect(burst.get_by_label("Routed to")).to_have_value("content_manager")
    expect(page.get_by_label(f"{TERRITORY} on")).not_to_be_checked()
    saved = rule(client_a, RuleKind.BURST)
    assert (saved.burst_downloads, saved.route_to) == (25, "content_manager")
    assert not rule(client_a, RuleKind.TERRITORY).enabled
    events = AuditEvent.objects.filter(action="exceptions.rule.update", actor=agency_admin)
    assert sorted((e.after for e in events), key=sorted) == [
        {"burst_downloads": 25, "route_to": "content_manager"},
        {"enabled": False},
    ]
    page.watch.assert_clean()


def test_an_invalid_rule_is_shown_at_its_field_with_the_typed_values_and_nothing_is_saved(
    page, sign_in, client_a, agency_admin, rules
):
    threshold = rule(client_a, RuleKind.OVER_LIMIT).threshold_percent
    sign_in(agency_admin, f"/clients/{client_a.slug}/compliance-rules/")
    burst = page.locator("tr", has_text=BURST)
    over_limit = page.locator("tr", has_text=OVER_LIMIT)
    burst.get_by_label("Downloads", exact=True).fill("1")
    burst.get_by_label("Within minutes").fill("30")  # valid, but saved only with the rest
    over_limit.get_by_label("Share of the limit (%)", exact=True).fill("0")
    page.get_by_role("button", name="Save rules").click()

    expect(page.locator(".toast-error")).to_contain_text("Nothing was saved: correct the highlighted fields.")
    expect(burst.get_by_role("alert")).to_have_text("Downloads: At least 2 downloads make a burst.")
    expect(over_limit.get_by_role("alert")).to_have_text("Share of the limit (%): Between 1 and 1000 %.")
    expect(page.locator("tr", has_text=TERRITORY).get_by_role("alert")).to_have_count(0)
    expect(burst.get_by_label("Downloads", exact=True)).to_have_value("1")
    expect(burst.get_by_label("Downloads", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(burst.get_by_label("Within minutes")).to_have_value("30")
    expect(over_limit.get_by_label("Share of the limit (%)", exact=True)).to_have_value("0")
    saved = rule(client_a, RuleKind.BURST)
    assert (saved.burst_downloads, saved.burst_minutes) == (10, 60)
    assert rule(client_a, RuleKind.OVER_LIMIT).threshold_percent == threshold
    assert not AuditEvent.objects.filter(action="exceptions.rule.update").exists()

    burst.get_by_label("Downloads", exact=True).fill("5")
    over_limit.get_by_label("Share of the limit (%)", exact=True).fill("90")
    page.get_by_role("button", name="Save rules").click()
    expect(page.locator(".toast")).to_contain_text("2 rules of Acme Outdoor saved.")
    saved = rule(client_a, RuleKind.BURST)
    assert (saved.burst_downloads, saved.burst_minutes) == (5, 30)
    only_refusals_logged(page)


# -- client policies -------------------------------------------------------------------------------------------------
def test_an_agency_admin_changes_a_client_policy(page, sign_in, client_a, agency_admin):
    sign_in(agency_admin, f"/clients/{client_a.slug}/")
    page.get_by_role("link", name="Edit policies").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Policies of Acme Outdoor")
    page.get_by_label("Rights warning days").fill("45")
    page.get_by_label("Escalation contacts").fill("Legal@Acme.example\nops@acme.example")
    page.get_by_label("Reason").fill("Procurement needs more lead time")
    page.keyboard.press("Enter")  # submits from the last field, as a keyboard user would

    expect(page).to_have_url(re.compile(rf"/clients/{client_a.slug}/$"))
    expect(page.locator(".toast")).to_contain_text("Policies of Acme Outdoor saved.")
    facts = page.locator("section", has=page.get_by_role("heading", name="Policies")).locator("dl.facts")
    expect(facts).to_contain_text("45 days before rights lapse")
    expect(facts).to_contain_text("legal@acme.example, ops@acme.example")
    client = Client.objects.get(pk=client_a.pk)
    assert (client.rights_warning_days, client.escalation_contacts) == (45, ["legal@acme.example", "ops@acme.example"])
    event = AuditEvent.objects.get(action="clients.client.update_policies")
    assert (event.actor, event.reason) == (agency_admin, "Procurement needs more lead time")
    assert event.after["rights_warning_days"] == 45
    assert event.after["escalation_contacts"] == ["legal@acme.example", "ops@acme.example"]
    page.watch.assert_clean()


def test_saving_one_policy_leaves_the_default_slas_alone(page, sign_in, client_a, agency_admin):
    assert client_a.sla_hours == {}
    sign_in(agency_admin, f"/clients/{client_a.slug}/policies/")
    page.get_by_label("Rights warning days").fill("45")
    page.get_by_role("button", name="Save policies").click()
    expect(page.locator(".toast")).to_contain_text("Policies of Acme Outdoor saved.")
    event = AuditEvent.objects.get(action="clients.client.update_policies")
    assert event.after == {"rights_warning_days": 45}
    assert Client.objects.get(pk=client_a.pk).sla_hours == {}
    expect(page.get_by_role("table", name="Service levels")).to_contain_text("(default)")


def test_an_invalid_policy_is_shown_at_its_field_with_the_typed_values_and_nothing_is_saved(
    page, sign_in, client_a, agency_admin
):
    before = Client.objects.get(pk=client_a.pk)
    sign_in(agency_admin, f"/clients/{client_a.slug}/policies/")
    page.get_by_label("Name").fill("Acme Outdoor Europe")  # valid, but saved only with the rest
    page.get_by_label("Rights warning days").fill("0")
    page.get_by_label("Escalation contacts").fill("legal@acme.example\nnot-an-address")
    page.get_by_role("button", name="Save policies").click()

    expect(page.locator(".toast-error")).to_contain_text("Nothing was saved: correct the highlighted fields.")
    days = page.get_by_label("Rights warning days")
    days_field = page.locator(".field", has=days)
    expect(days_field.locator(".error")).to_have_text("Ensure this value is greater than or equal to 1.")
    expect(days).to_have_attribute("aria-invalid", "true")
    expect(days).to_have_value("0")
    contacts = page.get_by_label("Escalation contacts")
    expect(page.locator(".field", has=contacts).locator(".error")).to_have_text("Not an e-mail address: not-an-address")
    expect(contacts).to_have_value("legal@acme.example\nnot-an-address")
    expect(page.get_by_label("Name")).to_have_value("Acme Outdoor Europe")
    expect(page.locator(".field", has=page.get_by_label("Name")).locator(".error")).to_have_count(0)
    after = Client.objects.get(pk=client_a.pk)
    assert (after.name, after.rights_warning_days, after.escalation_contacts) == (
        before.name,
        before.rights_warning_days,
        before.escalation_contacts,
    )
    assert not AuditEvent.objects.filter(action="clients.client.update_policies").exists()
    only_refusals_logged(page)


@pytest.mark.parametrize(
    ("path", "field", "value"),
    [("policies/", re.compile(r"^Rights warning days"), "0"), ("compliance-rules/", re.compile("^Downloads$"), "1")],
    ids=["policies", "rules"],
)
def test_after_a_refused_save_the_keyboard_is_at_the_first_invalid_field(
    page, sign_in, client_a, agency_admin, rules, path, field, value
):
    sign_in(agency_admin, f"/clients/{client_a.slug}/{path}")
    page.get_by_label(field).fill(value)
    page.get_by_role("button", name=re.compile("^Save")).click()
    expect(page.locator(".toast-error")).to_contain_text("Nothing was saved")
    expect(page.get_by_label(field)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(field)).to_be_focused(timeout=2_000)


# -- without the right -----------------------------------------------------------------------------------------------
def test_a_reviewer_reads_the_rules_but_can_change_neither_rules_nor_policies(page, sign_in, client_a, legal, rules):
    sign_in(legal, f"/clients/{client_a.slug}/")
    expect(page.get_by_role("link", name="Edit policies")).to_have_count(0)
    page.get_by_role("link", name="Compliance rules").click()
    expect(page.locator(".page-head")).to_contain_text("Only the client's agency admins can change them.")
    expect(page.locator("tr", has_text=BURST).get_by_label("Downloads", exact=True)).to_have_value("10")
    expect(page.get_by_role("button", name="Save rules")).to_have_count(0)

    # a crafted submit of the read-only form (there is no button) is refused
    page.locator("tr", has_text=BURST).get_by_label("Downloads", exact=True).fill("2")
    with page.expect_navigation() as refused:
        page.locator("form.card").evaluate("form => form.submit()")
    assert refused.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("Only the client's agency admins may change its compliance rules.")
    assert rule(client_a, RuleKind.BURST).burst_downloads == 10

    response = page.goto(f"/clients/{client_a.slug}/policies/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
    expect(page.locator("main")).to_contain_text("Only the client's agency admins may change its policies.")
    expect(page.get_by_label("Rights warning days")).to_have_count(0)
    assert not AuditEvent.objects.filter(action__in=["exceptions.rule.update", "clients.client.update_policies"])
    only_refusals_logged(page)
