"""Issue 15, item 8, in the browser: a reviewer names a delegate without the role they sign with; the refusal is
shown where they acted (the message, the focus on the delegate picker, the dates kept), then a colleague who holds
it is accepted; the page passes axe in both states."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from apps.accounts.models import Membership
from apps.common.roles import RoleCode
from tests.browser.test_accessibility import Findings
from tests.factories import member

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_delegate_without_the_role_is_refused_in_place(page, sign_in, client_a):
    lena = member(client_a, RoleCode.LEGAL, email="lena@acme.example")
    member(client_a, RoleCode.BRAND, email="bea@acme.example")
    member(client_a, RoleCode.LEGAL, email="lars@acme.example")
    sign_in(lena, "/accounts/profile/")
    page.get_by_role("link", name="Delegation and out of office").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delegation and out of office")
    found = Findings(page)
    found.check("delegation page")
    last_day = (timezone.localdate() + timedelta(days=3)).isoformat()
    page.get_by_label("Delegate").select_option(label="bea@acme.example (brand)")
    page.get_by_label("Last day away").fill(last_day)
    page.get_by_role("button", name="Hand over my tasks at Acme").click()
    expect(page.get_by_role("alert")).to_contain_text("never skipped")
    expect(page.get_by_label("Delegate")).to_be_focused()
    expect(page.get_by_label("Last day away")).to_have_value(last_day)
    found.check("delegation refused")
    page.keyboard.press("ArrowDown")  # the keyboard picks the next colleague in the focused picker
    page.get_by_label("Delegate").select_option(label="lars@acme.example (legal)")
    page.get_by_role("button", name="Hand over my tasks at Acme").click()
    expect(page.get_by_role("region", name="Acme Outdoor")).to_contain_text("lars@acme.example stands in for you")
    assert Membership.objects.get(user=lena, client=client_a).delegate.email == "lars@acme.example"
    found.assert_none()
