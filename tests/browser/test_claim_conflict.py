"""Two reviewers with the same role see the same unassigned task; the first claims it, the second, on a page loaded
before that, presses Claim too and must be told in that row who holds the task."""

import re

import pytest
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.workflows.models import Task
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)

# Chromium reports every 4xx answer to a fetch in the console; a 409 is the conflict answer by design.
# The answer is in by then: an expectation that fails has nothing left to wait for.
SWAPPED = 2_000
CONFLICT_LOGGED = re.compile(r"status of 409 \(Conflict\)")


@pytest.fixture
def two_reviewers(client_a):
    first = member(client_a, RoleCode.LEGAL, email="first-legal@acme.example")
    second = member(client_a, RoleCode.LEGAL, email="second-legal@acme.example")
    return first, second


@pytest.fixture
def open_task(client_a):
    review_task(approval_run(licensed_asset(client_a, name="Desert road")), "legal", due_in_hours=48)
    return review_task(approval_run(licensed_asset(client_a, name="Glacier lake")), "legal")


def _row(page, task):
    return page.locator(f"#task-{task.pk}")


def test_claiming_from_the_team_list_with_the_keyboard_moves_the_task_to_the_reviewer(
    page, sign_in, open_task, two_reviewers
):
    first, _second = two_reviewers
    sign_in(first, "/?tab=team")
    row = _row(page, open_task)
    row.get_by_role("button", name="Claim Glacier lake").focus()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Claimed. It is in “My tasks”.")
    expect(row.locator("td.col-holder")).to_have_text("You")
    expect(row.get_by_role("button", name="Release Glacier lake")).to_be_visible()
    assert Task.objects.get(pk=open_task.pk).assignee == first
    assert OutboxMessage.objects.filter(kind="opentext.claim").count() == 1
    page.get_by_role("link", name=re.compile("^My tasks")).click()
    expect(page.locator("#inbox")).to_contain_text("Glacier lake")
    page.watch.assert_clean()


def test_after_claiming_the_keyboard_stays_in_the_row(page, sign_in, open_task, two_reviewers):
    first, _second = two_reviewers
    sign_in(first, "/?tab=team")
    row = _row(page, open_task)
    row.get_by_role("button", name="Claim Glacier lake").focus()
    page.keyboard.press("Enter")
    expect(row).to_contain_text("Claimed.")
    expect(row.locator(":focus")).to_have_count(1, timeout=SWAPPED)


def test_the_second_claim_on_a_stale_page_says_who_holds_the_task_in_that_row(
    page, sign_in, second_person, open_task, two_reviewers
):
    first, second = two_reviewers
    sign_in(second, "/?tab=team")  # the second reviewer's page, loaded while nobody holds the task
    stale_row = _row(page, open_task)
    expect(stale_row.get_by_role("button", name="Claim Glacier lake")).to_be_visible()

    theirs = second_person(first, "/?tab=team")  # meanwhile the first reviewer claims it
    theirs.locator(f"#task-{open_task.pk}").get_by_role("button", name="Claim Glacier lake").click()
    expect(theirs.locator(f"#task-{open_task.pk}")).to_contain_text("Claimed.")
    theirs.watch.assert_clean()

    with page.expect_response(re.compile(rf"/tasks/{open_task.pk}/claim/$")) as answer:
        stale_row.get_by_role("button", name="Claim Glacier lake").click()
    assert answer.value.status == 409
    assert Task.objects.get(pk=open_task.pk).assignee == first  # nothing changed for the loser ...
    assert OutboxMessage.objects.filter(kind="opentext.claim").count() == 1
    # ... and the row they acted on says who holds the task now
    expect(stale_row.get_by_role("status")).to_contain_text("first-legal@acme.example", timeout=SWAPPED)
    expect(stale_row.locator("td.col-holder")).to_have_text("first-legal@acme.example")
    expect(stale_row.get_by_role("button", name=re.compile("^Claim"))).to_have_count(0)
    expect(page.locator("tr", has_text="Desert road").get_by_role("status")).to_have_count(0)
    expect(stale_row.locator(":focus")).to_have_count(1)
    assert [e for e in page.watch.console_errors if not CONFLICT_LOGGED.search(e)] == []
    assert page.watch.foreign_requests == []
