"""The decision panel in the inbox: it opens in view as a dialog wherever the row is, the keyboard goes into it and
comes back, and a refusal (400) or a decision overtaken by someone else (409) is said in the panel, in the server's
words, with the task as it is now."""

import re

import pytest
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium logs every 4xx answer to a fetch; 400 and 409 are these answers by design.
REFUSAL_LOGGED = re.compile(r"status of 40[039]|Response Status Error Code 40[039]")


def _clean_but_refusals(page):
    assert [e for e in page.watch.console_errors if not REFUSAL_LOGGED.search(e)] == []
    assert page.watch.foreign_requests == []


def _in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    viewport = page.viewport_size
    return box is not None and 0 <= box["y"] < viewport["height"] and box["y"] + 10 <= viewport["height"]


def _focus_inside(page, selector) -> bool:
    return page.evaluate(f"() => document.querySelector({selector!r}).contains(document.activeElement)")


@pytest.fixture
def many_tasks(client_a):
    return [
        review_task(approval_run(licensed_asset(client_a, name=f"Asset {n:02d}")), "legal", due_in_hours=n + 1)
        for n in range(45)
    ]


def test_decide_on_row_40_opens_the_panel_in_view_with_the_focus_in_it_and_escape_gives_it_back(
    page, sign_in, many_tasks, legal
):
    sign_in(legal, "/?tab=team")
    rows = page.locator("#inbox table.tasks tbody tr")
    expect(rows).to_have_count(45)
    decide = page.get_by_role("link", name="Decide on Asset 39")  # the 40th row
    decide.scroll_into_view_if_needed()
    decide.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_contain_text("Asset 39")
    assert _in_viewport(page, dialog.locator("#decide-title"))
    page.wait_for_function("() => document.getElementById('decision-dialog').contains(document.activeElement)")
    assert page.evaluate("() => document.activeElement.name") == "outcome"  # the first field
    # Tab goes on inside the panel (a modal dialog: the page behind is inert) to its buttons
    record = dialog.get_by_role("button", name="Record decision")
    for _ in range(12):
        page.keyboard.press("Tab")
        assert _focus_inside(page, "#decision-dialog")
        if record.evaluate("element => element === document.activeElement"):
            break
    else:
        raise AssertionError("Tab never reached “Record decision”")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert decide.evaluate("element => element === document.activeElement")
    # Cancel does the same
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=re.compile("^Cancel")).click()
    expect(dialog).to_be_hidden()
    assert decide.evaluate("element => element === document.activeElement")
    page.watch.assert_clean()


def test_approving_without_the_reason_the_licence_needs_says_why_in_the_panel(page, sign_in, client_a, legal):
    risky = licensed_asset(client_a, name="Risky desert", geographies=["geography_germany_de"])
    task = review_task(approval_run(risky, countries=("US",)), "legal")
    sign_in(legal, "/?tab=team")
    page.get_by_role("link", name="Decide on Risky desert").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Approve").check()
    with page.expect_response(re.compile(rf"/tasks/{task.pk}/decide/$")) as answer:
        dialog.get_by_role("button", name="Record decision").click()
    assert answer.value.status == 400
    expect(dialog.get_by_role("alert").filter(has_text="intended use; approving needs a reason")).to_be_visible()
    expect(dialog.get_by_label("Reason")).to_be_focused()
    expect(dialog.get_by_label("Approve")).to_be_checked()  # what was chosen stays
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN and not Decision.objects.exists()
    dialog.get_by_label("Reason").fill("Cleared for the US with the agency")
    dialog.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast", has_text="Risky desert")).to_be_visible()
    assert Decision.objects.get(task=task).reason == "Cleared for the US with the agency"
    _clean_but_refusals(page)


def test_a_decision_overtaken_by_another_reviewer_says_who_in_the_panel_with_the_task_as_it_is(
    page, sign_in, client_a, legal
):
    other = member(client_a, RoleCode.LEGAL, email="other-legal@acme.example")
    task = review_task(approval_run(licensed_asset(client_a, name="Glacier lake")), "legal")
    sign_in(legal, "/?tab=team")
    page.get_by_role("link", name="Decide on Glacier lake").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Approve").check()
    workflows.decide(Task.objects.get(pk=task.pk), actor=other, outcome="rejected", reason="Wrong season")
    with page.expect_response(re.compile(rf"/tasks/{task.pk}/decide/$")) as answer:
        dialog.get_by_role("button", name="Record decision").click()
    assert answer.value.status == 409
    alert = dialog.get_by_role("alert")
    expect(alert).to_contain_text("already completed by other-legal@acme.example")
    expect(alert).to_contain_text("Here is the task as it is now")
    expect(alert).to_be_focused()
    expect(dialog).to_contain_text("Nothing more to decide here")  # the fresh state: no form to send again
    expect(dialog.get_by_role("button", name="Record decision")).to_have_count(0)
    assert list(Decision.objects.values_list("actor__email", "outcome")) == [("other-legal@acme.example", "rejected")]
    _clean_but_refusals(page)
