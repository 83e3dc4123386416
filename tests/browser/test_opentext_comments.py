"""Comments written in OpenText show in the subject's conversation (issue 15 item 4): a reviewer with the asset's
page open sees one arrive on the thread's own refresh, with its author and the "in OpenText" marker; a comment the
portal refuses (too long) is said where it was typed, with the text kept."""

import re

import pytest
from playwright.sync_api import expect

from apps.integrations.opentext import sync as opentext_sync
from apps.workflows.models import Comment
from apps.workflows.services import TEXT_LIMIT

pytestmark = pytest.mark.django_db(transaction=True)

POLL = re.compile(r"/assets/\d+/comments/\?since=")


def test_a_comment_written_in_opentext_arrives_on_the_open_page_with_its_author_and_marker(
    page, sign_in, platforms, cycle, reviewers
):
    sign_in(reviewers["legal"], cycle.subject_url)
    thread = page.locator("#thread")
    expect(thread).to_contain_text("No comments yet.")
    legal_task = cycle.tasks.get(candidate_roles=["legal"])
    platforms.control(
        "opentext",
        "comments",
        {"user": "brand@acme.example", "message": "Logo clearance checked in OpenText.", "task": legal_task.remote_id},
    )
    platforms.control(
        "opentext",
        "comments",
        {
            "user": "agency.reviewer@partner.example",
            "message": "Crop approved by the agency.",
            "instance": cycle.remote_id,
        },
    )
    opentext_sync.reconcile()  # what the worker's reconcile or an OpenText hint does
    with page.expect_response(POLL, timeout=15_000) as news:
        pass
    assert news.value.status == 200
    notes = thread.locator("article.comment")
    expect(notes).to_have_count(2)
    member_note, outside_note = notes.nth(0), notes.nth(1)
    expect(member_note).to_contain_text("brand@acme.example")
    expect(member_note).to_contain_text("in OpenText")
    expect(member_note).to_contain_text("Logo clearance checked in OpenText.")
    expect(member_note).to_contain_text("Legal review")  # the task it was written on
    expect(outside_note).to_contain_text("agency.reviewer@partner.example")
    expect(outside_note.locator(".tag", has_text="in OpenText")).to_have_count(1)
    # the timeline (not refreshed in place) says where it was written too, on the next visit
    page.reload()
    expect(page.locator(".timeline")).to_contain_text("agency.reviewer@partner.example commented in OpenText")
    page.watch.assert_clean()


def test_a_comment_too_long_is_refused_where_it_was_typed_and_the_text_is_kept(
    page, sign_in, platforms, cycle, reviewers
):
    sign_in(reviewers["legal"], cycle.subject_url)
    box = page.get_by_label("Add a comment")
    text = "x" * (TEXT_LIMIT + 1)
    # a client that does not hold to the form's maxlength (an old browser, a script): the server refuses
    box.evaluate("element => element.removeAttribute('maxlength')")
    box.fill(text)
    with page.expect_response(re.compile(r"/assets/\d+/comment/$")) as answer:
        page.get_by_role("button", name="Post comment").click()
    assert answer.value.status == 400
    alert = page.locator("#thread").get_by_role("alert")
    expect(alert).to_contain_text(f"at most {TEXT_LIMIT:,} characters")
    box = page.get_by_label("Add a comment")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-invalid", "true")
    assert box.input_value() == text  # nothing typed is lost
    assert not Comment.objects.exists()
