"""An agency admin changes a client's approval policy in the browser: a quorum larger than the role's members is
refused at its field (focused, marked invalid, what was typed kept, nothing saved); corrected, it is saved and the
page says what cycles started now follow, and that running ones keep theirs. Keyboard only."""

import re

import pytest
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from apps.reviews import policy
from tests.factories import member

pytestmark = pytest.mark.django_db(transaction=True)

REFUSAL_LOGGED = re.compile(r"status of 400 \(Bad Request\)")


def test_a_refused_quorum_is_shown_at_its_field_then_the_policy_is_saved(page, sign_in, client_a, agency_admin):
    member(client_a, RoleCode.BRAND)
    member(client_a, RoleCode.BRAND)
    sign_in(agency_admin, f"/clients/{client_a.slug}/")
    page.get_by_role("link", name="Approval policy").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Approval policy of Acme Outdoor")
    expect(page.locator("#policy-scope")).to_contain_text("affects only approval cycles started afterwards")

    page.get_by_label("One after the other, by order (sequential)").check()
    page.get_by_label("People who must approve").nth(1).fill("3")  # brand: 3 of 2 members
    page.get_by_label("A client stakeholder approves last").check()
    page.get_by_role("button", name="Save the policy").focus()
    page.keyboard.press("Enter")

    quorum = page.locator("#quorum_brand")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(quorum).to_be_focused()
    expect(quorum).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#quorum_brand-error")).to_contain_text("could never finish")
    expect(quorum).to_have_value("3")
    expect(page.get_by_label("One after the other, by order (sequential)")).to_be_checked()
    expect(page.get_by_label("A client stakeholder approves last")).to_be_checked()
    assert policy.policy_for(client_a).sequential is False

    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.get_by_role("button", name="Save the policy").focus()
    page.keyboard.press("Enter")
    expect(page.locator(".toast")).to_contain_text("approval cycles started from now on follow it")
    expect(page.locator("#current-shape")).to_have_text(
        "Legal, then Brand (2 people), then Marketing, then a client stakeholder"
    )
    saved = policy.policy_for(client_a)
    assert (saved.sequential, saved.quorum, saved.stakeholder_step) == (True, {"brand": 2}, True)
    assert [e for e in page.watch.console_errors if not REFUSAL_LOGGED.search(e)] == []
