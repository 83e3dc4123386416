"""The inbox by keyboard: j/k move between tasks, x selects, a/r/c open the decision panel with that outcome
chosen, / searches, ? lists the shortcuts; none of them fires while the person types in a field."""

import re

import pytest
from playwright.sync_api import expect

from apps.workflows.models import Decision
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tasks(client_a):
    return [
        review_task(approval_run(licensed_asset(client_a, name=name)), "legal", due_in_hours=hours)
        for name, hours in [("Clean fjord", 10), ("Clean harbour", 20), ("Clean meadow", 30)]
    ]


def _focused_row_id(page):
    return page.evaluate("() => document.activeElement.closest('tr') && document.activeElement.closest('tr').id")


def test_moving_selecting_and_approving_with_the_keyboard(page, sign_in, tasks, legal):
    sign_in(legal, "/?tab=team")
    page.keyboard.press("j")
    assert _focused_row_id(page) == f"task-{tasks[0].pk}"
    page.keyboard.press("j")
    page.keyboard.press("j")
    assert _focused_row_id(page) == f"task-{tasks[2].pk}"
    page.keyboard.press("k")
    assert _focused_row_id(page) == f"task-{tasks[1].pk}"
    page.keyboard.press("x")
    expect(page.get_by_role("checkbox", name="Select Clean harbour")).to_be_checked()
    page.keyboard.press("x")
    expect(page.get_by_role("checkbox", name="Select Clean harbour")).not_to_be_checked()

    page.keyboard.press("a")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_contain_text("Clean harbour")
    expect(dialog.get_by_label("Approve")).to_be_checked()
    expect(dialog.get_by_label("Approve")).to_be_focused()
    page.keyboard.press("Enter")  # the form's own submit, from the chosen outcome
    expect(page.locator(".toast", has_text="Clean harbour")).to_be_visible()
    assert list(Decision.objects.values_list("task", "outcome")) == [(tasks[1].pk, "approved")]
    page.wait_for_load_state("load")  # back on the list the reviewer was on, its script running
    expect(page).to_have_url(re.compile(r"tab=team"))

    page.keyboard.press("j")
    page.keyboard.press("r")
    expect(page.get_by_role("dialog").get_by_label("Reject")).to_be_checked()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.keyboard.press("c")
    expect(page.get_by_role("dialog").get_by_label("Request changes")).to_be_checked()
    page.watch.assert_clean()


def test_slash_searches_and_typing_there_triggers_no_shortcut(page, sign_in, tasks, legal):
    sign_in(legal, "/?tab=team")
    page.keyboard.press("/")
    search = page.get_by_label("Search")
    expect(search).to_be_focused()
    page.keyboard.type("jar")  # j, a and r are letters here
    expect(search).to_have_value("jar")
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert not Decision.objects.exists()
    page.watch.assert_clean()


def test_the_shortcuts_are_listed_from_a_visible_link_and_with_question_mark(page, sign_in, tasks, legal):
    sign_in(legal, "/?tab=team")
    page.get_by_role("button", name="Keyboard shortcuts").click()
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    for shortcut in ("Next / previous task", "Decide: approve", "Decide: reject", "Decide: request changes", "Search"):
        expect(help_dialog).to_contain_text(shortcut)
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()
    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    help_dialog.get_by_role("button", name="Close").click()
    expect(help_dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Keyboard shortcuts")).to_have_attribute(
        "aria-keyshortcuts", re.compile(r"\?")
    )
    page.watch.assert_clean()
