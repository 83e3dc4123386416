"""A reviewer selects several tasks in the inbox with the keyboard and approves them at once: each is checked on its
own, those whose licence needs a reason stay open and the reviewer is told which."""

import re

import pytest
from playwright.sync_api import expect

from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox(client_a):
    """Four unassigned legal tasks: two clean, one whose licence does not cover the intended use, one not chosen."""
    tasks = {
        name: review_task(approval_run(licensed_asset(client_a, name=name)), "legal", due_in_hours=hours)
        for name, hours in [("Clean fjord", 10), ("Clean harbour", 20), ("Untouched meadow", 40)]
    }
    risky = licensed_asset(client_a, name="Risky desert", geographies=["geography_germany_de"])
    tasks["Risky desert"] = review_task(approval_run(risky, countries=("US",)), "legal", due_in_hours=30)
    return tasks


def tab_to(page, target, *, backwards=False, limit=40):
    """Press Tab (or Shift+Tab) until ``target`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} cannot be reached with the keyboard")


def test_approving_selected_tasks_leaves_the_ones_needing_a_reason_open_and_names_them(page, sign_in, inbox, legal):
    sign_in(legal)
    page.get_by_role("link", name=re.compile("Unassigned for my roles")).click()
    tasks = page.locator("#inbox table.tasks")
    expect(tasks.locator("tbody tr")).to_have_count(4)
    approve = page.get_by_role("button", name="Approve selected")
    approve.focus()
    for name in ("Clean fjord", "Clean harbour", "Risky desert"):
        box = page.get_by_role("checkbox", name=f"Select {name}")
        tab_to(page, box)
        page.keyboard.press("Space")
        expect(box).to_be_checked()
    expect(page.get_by_role("checkbox", name="Select Untouched meadow")).not_to_be_checked()
    tab_to(page, approve, backwards=True)
    page.keyboard.press("Enter")

    toasts = page.locator(".toast")
    expect(toasts).to_have_count(1)  # one summary, not a message per task
    expect(toasts).to_contain_text("2 approved, 1 needs a reason: “Risky desert”")
    expect(page).to_have_url(re.compile(r"tab=team"))  # back on the list the reviewer acted on
    rows = page.locator("#inbox table.tasks tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#inbox")).not_to_contain_text("Clean fjord")
    expect(page.locator("#inbox")).not_to_contain_text("Clean harbour")
    expect(rows.filter(has_text="Risky desert")).to_have_count(1)
    expect(rows.filter(has_text="Untouched meadow")).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile("Unassigned for my roles"))).to_contain_text("2")

    statuses = {name: Task.objects.get(pk=task.pk).status for name, task in inbox.items()}
    assert statuses == {
        "Clean fjord": TaskStatus.COMPLETED,
        "Clean harbour": TaskStatus.COMPLETED,
        "Risky desert": TaskStatus.OPEN,
        "Untouched meadow": TaskStatus.OPEN,
    }
    assert sorted(Decision.objects.values_list("task__run__title", "actor__email", "outcome")) == [
        ("Clean fjord", legal.email, "approved"),
        ("Clean harbour", legal.email, "approved"),
    ]
    page.watch.assert_clean()


def test_the_task_left_open_is_then_approved_with_its_reason_from_the_inbox(page, sign_in, inbox, legal):
    sign_in(legal, "/?tab=team")
    page.get_by_role("checkbox", name="Select Risky desert").check()
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".toast", has_text="needs a reason")).to_contain_text("Risky desert")
    page.locator("tr", has_text="Risky desert").get_by_role("link", name=re.compile("^Decide")).click()
    panel = page.locator("#decision")
    expect(panel.get_by_role("alert")).to_contain_text("does not clearly cover the intended use")
    panel.get_by_label("Approve").check()
    panel.get_by_label("Reason").fill("US use cleared with the agency")
    panel.get_by_role("button", name="Record decision").click()
    expect(page.locator(".toast", has_text="Approve")).to_contain_text("Risky desert")
    expect(page.locator("#inbox")).not_to_contain_text("Risky desert")
    decision = Decision.objects.get(task=inbox["Risky desert"])
    assert decision.reason == "US use cleared with the agency" and decision.warnings
    page.watch.assert_clean()


def test_approving_with_nothing_selected_says_so_and_approves_nothing(page, sign_in, inbox, legal):
    sign_in(legal, "/?tab=team")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".toast")).to_contain_text("Select the tasks to approve first.")
    expect(page.locator("#inbox table.tasks tbody tr")).to_have_count(4)
    assert not Decision.objects.exists()
    page.watch.assert_clean()


def test_the_rows_needing_a_reason_are_marked_before_and_one_reason_approves_the_whole_page(
    page, sign_in, inbox, legal
):
    sign_in(legal, "/?tab=team")
    rows = page.locator("#inbox table.tasks tbody tr")
    marked = rows.filter(has_text="Needs a reason")
    expect(marked).to_have_count(1)
    expect(marked).to_contain_text("Risky desert")
    expect(page.get_by_role("checkbox", name="Select Risky desert")).to_have_accessible_description(
        re.compile("Needs a reason")
    )
    expect(page.locator("#bulk-help")).to_contain_text("1 on this page needs a reason (marked)")

    select_all = page.get_by_role("checkbox", name="Select all on this page")
    select_all.check()
    for name in inbox:
        expect(page.get_by_role("checkbox", name=f"Select {name}")).to_be_checked()
    page.get_by_role("checkbox", name="Select Untouched meadow").uncheck()
    assert select_all.evaluate("box => box.indeterminate")
    page.get_by_role("checkbox", name="Select Untouched meadow").check()
    assert select_all.evaluate("box => box.checked && !box.indeterminate")

    page.get_by_label("Reason, for the selected tasks that need one").fill("Cleared with the agency for the US")
    page.get_by_role("button", name="Approve selected").click()
    expect(page.locator(".toast")).to_have_count(1)
    expect(page.locator(".toast")).to_contain_text("4 approved.")
    expect(page.locator("#inbox")).to_contain_text("No unassigned tasks")
    risky = Decision.objects.get(task=inbox["Risky desert"])
    assert risky.reason == "Cleared with the agency for the US" and risky.warnings
    assert Decision.objects.filter(outcome="approved").count() == 4
    page.watch.assert_clean()


@pytest.fixture
def mixed_inbox(client_a):
    """Five unassigned legal tasks whose licence covers the use and four that need a reason."""
    clean = [
        review_task(approval_run(licensed_asset(client_a, name=f"Clean {n}")), "legal", due_in_hours=10 + n)
        for n in range(5)
    ]
    risky = [
        review_task(
            approval_run(
                licensed_asset(client_a, name=f"Risky {n}", geographies=["geography_germany_de"]), countries=("US",)
            ),
            "legal",
            due_in_hours=20 + n,
        )
        for n in range(4)
    ]
    return clean, risky


def test_show_them_selects_the_tasks_left_for_a_reason_and_one_reason_approves_them(page, sign_in, mixed_inbox, legal):
    clean, risky = mixed_inbox
    sign_in(legal, "/?tab=team")
    page.get_by_role("checkbox", name="Select all on this page").check()
    page.get_by_role("checkbox", name="Select Risky 3").uncheck()  # not part of this approval
    page.get_by_role("button", name="Approve selected").click()

    toast = page.locator(".toast")
    expect(toast).to_have_count(1)
    expect(toast).to_contain_text("5 approved, 3 need a reason: “Risky 0”, “Risky 1”, “Risky 2”.")
    show = toast.get_by_role("button", name="Show them")
    expect(show).to_be_focused()  # the answer to what was just done, first for the keyboard
    page.keyboard.press("Enter")

    for n in range(3):
        expect(page.get_by_role("checkbox", name=f"Select Risky {n}")).to_be_checked()
        expect(page.locator(f"#task-{risky[n].pk}")).to_have_class(re.compile(r"\bis-pointed\b"))
    expect(page.get_by_role("checkbox", name="Select Risky 3")).not_to_be_checked()
    assert page.get_by_role("checkbox", name="Select all on this page").evaluate("box => box.indeterminate")
    reason = page.get_by_label("Reason, for the selected tasks that need one")
    expect(reason).to_be_focused()
    expect(reason).to_have_accessible_description(re.compile("3 tasks needing a reason are selected"))
    expect(page.locator(f"#task-{risky[0].pk}")).to_be_in_viewport()
    expect(toast).to_be_visible()  # a message with something to do stays until dismissed

    page.keyboard.type("Cleared with the agency for the US")
    page.keyboard.press("Enter")
    expect(page.locator(".toast")).to_have_text(re.compile(r"3 approved\."))
    rows = page.locator("#inbox table.tasks tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Risky 3")
    assert {d.task_id: d.reason for d in Decision.objects.filter(task__in=risky)} == {
        task.pk: "Cleared with the agency for the US" for task in risky[:3]
    }
    assert Decision.objects.filter(task__in=clean, reason="").count() == 5
    page.watch.assert_clean()
