"""Issue 15, item 7, in the browser: a client stakeholder without an account opens the review link they were sent
and, with the keyboard only, approves one asset and rejects another; the reject without a reason is refused where
they acted (the message at the field, the focus on it, their choice kept), then accepted with one. A member sends
the link from the review links page, and a refused link form keeps what was typed with the focus on the field."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from apps.reviews import links
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)


def tab_to(page, locator, *, limit: int = 40) -> None:
    """Press Tab until ``locator`` has the focus (the keyboard's way there), failing after ``limit`` presses."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {locator}")


@pytest.fixture
def sent(client_a):
    sender = member(client_a, RoleCode.CONTENT_MANAGER, email="cm@acme.example")
    assets = [licensed_asset(client_a, name=name) for name in ("Harbour dawn", "Summit trail")]
    steps = [review_task(approval_run(asset), RoleCode.EXTERNAL) for asset in assets]
    link = links.create_link(
        actor=sender, name="Dana Stakeholder", email="dana@partner.example", assets=[a.pk for a in assets]
    )
    return {"sender": sender, "assets": assets, "steps": steps, "url": f"/review/{links.token_for(link)}/"}


def test_a_stakeholder_approves_and_rejects_through_the_link_with_the_keyboard(page, sent):
    page.goto(sent["url"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Review for Dana Stakeholder")
    expect(page.get_by_role("navigation")).to_have_count(0)
    harbour = page.locator(f"#asset-{sent['assets'][0].pk}")
    summit = page.locator(f"#asset-{sent['assets'][1].pk}")
    expect(harbour).to_contain_text("May be used")

    # approve the first: Tab into its choices (Approve is the first), Space, Tab past the reason to the button
    approve = harbour.get_by_role("radio", name="Approve")
    tab_to(page, approve)
    page.keyboard.press("Space")
    expect(approve).to_be_checked()
    tab_to(page, harbour.get_by_role("button", name="Send my decision"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your decision on “Harbour dawn” was recorded: approved")
    expect(page.locator(f"#asset-{sent['assets'][0].pk}")).to_contain_text("Nothing waits for your decision")

    # reject the second without a reason: refused in place, the reason field focused, the choice kept
    summit = page.locator(f"#asset-{sent['assets'][1].pk}")
    tab_to(page, summit.get_by_role("radio", name="Approve"))
    page.keyboard.press("ArrowDown")  # to Reject
    reject = summit.get_by_role("radio", name="Reject")
    expect(reject).to_be_checked()
    tab_to(page, summit.get_by_role("button", name="Send my decision"))
    page.keyboard.press("Enter")
    summit = page.locator(f"#asset-{sent['assets'][1].pk}")
    expect(summit.get_by_role("alert")).to_contain_text("needs a reason")
    reason = summit.get_by_label("Reason (needed to reject")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(summit.get_by_role("radio", name="Reject")).to_be_checked()
    page.keyboard.type("The season is wrong for the spring launch")
    tab_to(page, summit.get_by_role("button", name="Send my decision"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Your decision on “Summit trail” was recorded: rejected")

    first, second = (step.__class__.objects.get(pk=step.pk) for step in sent["steps"])
    assert (first.status, first.outcome) == (TaskStatus.COMPLETED, "approved")
    assert (second.status, second.outcome) == (TaskStatus.COMPLETED, "rejected")
    assert sorted(Decision.objects.values_list("actor_label", "reason")) == [
        ("dana@partner.example", ""),
        ("dana@partner.example", "The season is wrong for the spring launch"),
    ]
    assert page.watch.foreign_requests == []  # nothing left the portal (the preview is the portal's own)
    assert all("status of 400" in error for error in page.watch.console_errors), page.watch.console_errors


def test_a_member_sends_a_link_and_a_refusal_keeps_what_was_typed(page, sign_in, sent):
    sign_in(sent["sender"], "/review-links/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review links")
    page.get_by_label("Their name").fill("Lee Partner")
    page.get_by_label("Their e-mail").fill("not an address")
    page.get_by_role("checkbox", name="Harbour dawn").check()
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator("#review-link-form [role=alert]")).to_contain_text("e-mail address")
    expect(page.get_by_label("Their e-mail")).to_be_focused()
    expect(page.get_by_label("Their name")).to_have_value("Lee Partner")
    expect(page.get_by_role("checkbox", name="Harbour dawn")).to_be_checked()
    page.get_by_label("Their e-mail").fill("lee@partner.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_label("Link for Lee Partner")).to_have_value(re.compile(r"/review/\d+\."))
