"""A reviewer comments on an asset under review and mentions a colleague by @e-mail; the mention is published as
``comment.mentioned`` (the notifications app tells the colleague). Empty comments are refused where they were
typed."""

import re

import pytest
from playwright.sync_api import expect

from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.workflows import services as workflows
from apps.workflows.models import Comment, WorkflowRun
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

pytestmark = pytest.mark.django_db(transaction=True)

MENTION = "@brand@acme.example can you check the logo on the left?"


@pytest.fixture
def asset(client_a):
    asset = licensed_asset(client_a, name="Fjord at dawn")
    review_task(approval_run(asset), "legal")
    return asset


@pytest.fixture
def brand(client_a):
    return member(client_a, RoleCode.BRAND, email="brand@acme.example")


def test_a_mention_posted_with_the_keyboard_is_published_for_the_person(page, sign_in, asset, legal, brand, published):
    sign_in(legal, f"/assets/{asset.pk}/")
    thread = page.locator("#thread")
    expect(thread).to_contain_text("No comments yet.")
    box = page.get_by_label("Add a comment")
    box.focus()
    page.keyboard.type(MENTION)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Post comment")).to_be_focused()
    page.keyboard.press("Enter")

    comment = thread.locator("article.comment")
    expect(comment).to_have_count(1)
    expect(comment).to_contain_text(legal.email)
    expect(comment).to_contain_text(MENTION)
    expect(comment).to_contain_text("Legal review")  # on the open task, so OpenText sees it too
    expect(page.get_by_label("Add a comment")).to_have_value("")
    note = Comment.objects.get()
    assert list(note.mentions.all()) == [brand]
    assert OutboxMessage.objects.get(kind="opentext.comment").payload["message"] == f"{legal.email}: {MENTION}"
    page.watch.assert_clean()
    [mentioned] = published.named("comment.mentioned")
    assert mentioned.key == f"comment.mentioned:comment-{note.pk}"
    assert mentioned.data["mentioned"] == [brand.pk] and mentioned.data["excerpt"] == MENTION
    assert mentioned.data["url"] == f"/assets/{asset.pk}/" and mentioned.data["title"] == "Fjord at dawn"


def test_an_empty_comment_is_refused_by_the_form_before_anything_is_sent(page, sign_in, asset, legal):
    sent = []
    page.on("request", lambda request: "/comment/" in request.url and sent.append(request.url))
    sign_in(legal, f"/assets/{asset.pk}/")
    box = page.get_by_label("Add a comment")
    page.get_by_role("button", name="Post comment").click()
    assert box.evaluate("element => element.matches(':invalid')")
    assert box.evaluate("element => element.validationMessage")  # the browser's own message at the field
    expect(box).to_be_focused()
    assert sent == [] and not Comment.objects.exists()
    page.watch.assert_clean()


def test_a_comment_of_spaces_is_refused_with_a_message_where_it_was_typed(page, sign_in, asset, legal):
    sign_in(legal, f"/assets/{asset.pk}/")
    page.get_by_label("Add a comment").fill("   ")  # passes the form's `required`, refused by the server
    with page.expect_response(re.compile(rf"/assets/{asset.pk}/comment/$")) as answer:
        page.get_by_role("button", name="Post comment").click()
    assert answer.value.status == 400
    assert not Comment.objects.exists()
    expect(page.locator("#thread").get_by_role("alert")).to_contain_text("A comment cannot be empty.", timeout=2_000)
    box = page.get_by_label("Add a comment")
    expect(box).to_be_focused()  # at the field to fix, which says why
    expect(box).to_have_attribute("aria-invalid", "true")


def test_after_posting_the_keyboard_stays_in_the_comment_form(page, sign_in, asset, legal):
    sign_in(legal, f"/assets/{asset.pk}/")
    page.get_by_label("Add a comment").fill("Second look, please")
    page.get_by_role("button", name="Post comment").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#thread article.comment")).to_have_count(1)
    expect(page.get_by_role("button", name="Post comment")).to_be_focused(timeout=2_000)
    expect(page.get_by_label("Add a comment")).to_have_value("")
    page.keyboard.press("Shift+Tab")  # and on to the next comment, from the keyboard
    expect(page.get_by_label("Add a comment")).to_be_focused()


POLL = re.compile(r"/assets/\d+/comments/\?since=")


def test_a_comment_being_typed_survives_the_threads_own_refresh(page, sign_in, asset, legal, brand):
    sign_in(legal, f"/assets/{asset.pk}/")
    box = page.get_by_label("Add a comment")
    box.fill("@brand@acme.example half-way through a long")
    with page.expect_response(POLL, timeout=15_000) as quiet:
        pass  # the thread's next refresh: nothing new, nothing sent, nothing swapped
    assert quiet.value.status == 204 and quiet.value.body() == b""
    run = WorkflowRun.objects.get()
    workflows.comment(run, actor=brand, body="The logo is fine.")  # meanwhile, a colleague answers
    with page.expect_response(POLL, timeout=15_000) as news:
        pass
    assert news.value.status == 200 and "Post comment" not in news.value.text()  # the list only, never the form
    expect(page.locator("#thread article.comment")).to_contain_text("The logo is fine.")
    expect(page.get_by_label("Add a comment")).to_have_value("@brand@acme.example half-way through a long")
    page.watch.assert_clean()
