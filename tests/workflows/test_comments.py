"""Comments, a workflows noun: on a run of any flow, through the service, the API (``/api/v1/comments/``) and a
subject's page (``workflows.views``: the list its page polls, posting); and the length of a person's text."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.assets.models import Asset
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.outbox.models import OutboxMessage
from apps.workflows import services
from apps.workflows.models import Comment, Decision
from apps.workflows.services import TEXT_LIMIT
from apps.workflows.subject_pages import thread_version
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset, review_task

from .conftest import compliance_case, mirror

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def run(client_a):
    return approval_run(licensed_asset(client_a, name="Alpine hero"), region="emea")


@pytest.fixture
def legal_task(run):
    return review_task(run, "legal")


@pytest.fixture
def legal_api(legal, api_token, api):
    return api(api_token(legal, "write"))


@pytest.fixture
def reviewer_api(regional_reviewer, api_token, api):
    return api(api_token(regional_reviewer, "write"))


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# -- the service --------------------------------------------------------------------------------------------------
def test_a_comment_mentions_notify_people_of_the_client_only(legal_task, legal, client_b, outsider, published):
    brand = member(legal_task.client, RoleCode.BRAND, email="brand@acme.example")
    note = services.comment(
        legal_task.run,
        actor=legal,
        body="@brand@acme.example, @legal@acme.example and @admin@beta.example: see the logo",
        task=legal_task,
    )
    assert set(note.mentions.all()) == {brand, legal}
    [event] = published.named("comment.mentioned")  # the author is not told of their own mention, the outsider never
    assert (event.key, event.client, event.actor) == (f"comment.mentioned:comment-{note.pk}", legal_task.client, legal)
    assert event.data == {
        "url": f"/assets/{legal_task.run.subject_id}/",
        "title": legal_task.run.title,
        "comment": note.pk,
        "run": legal_task.run_id,
        "task": legal_task.pk,
        "author_label": legal.email,
        "excerpt": note.body[:200],
        "mentioned": [brand.pk],
    }
    assert outsider.pk not in event.data["mentioned"]
    assert OutboxMessage.objects.get(kind="opentext.comment").payload["message"].endswith("see the logo")
    assert AuditEvent.objects.get(action="workflows.comment.create").object_id == str(note.pk)


def test_empty_comments_are_refused(legal_task, legal):
    with pytest.raises(services.DecisionRefused) as refused:
        services.comment(legal_task.run, actor=legal, body="   ")
    assert refused.value.field == "body"


def test_a_comment_on_a_case_run_goes_to_opentext_like_any_other(client_a, legal):
    """Comments are the core's: the run of a compliance case takes one as an approval cycle does."""
    _case, run = compliance_case(client_a)
    task = mirror(run, "investigate_legal")
    note = services.comment(run, actor=legal, body="Asked the agency why.", task=task)
    assert note.run == run and note.task == task
    assert OutboxMessage.objects.get(kind="opentext.comment").payload["remote_id"] == task.remote_id


def test_a_comment_of_the_limit_is_kept_one_character_more_is_refused(legal_task, legal):
    with pytest.raises(services.DecisionRefused) as refused:
        services.comment(legal_task.run, actor=legal, body="x" * (TEXT_LIMIT + 1), task=legal_task)
    assert refused.value.field == "body"
    assert str(refused.value) == "A comment can be at most 10,000 characters; this one has 10,001."
    assert not Comment.objects.exists() and not OutboxMessage.objects.exists()
    note = services.comment(legal_task.run, actor=legal, body="x" * TEXT_LIMIT)
    assert len(note.body) == TEXT_LIMIT


def test_line_breaks_as_a_browser_sends_them_count_once(legal_task, legal):
    """A textarea's ``maxlength`` counts a line break once; the form sends it as CRLF."""
    typed = ("y" * 99 + "\r\n") * (TEXT_LIMIT // 100)  # 10,000 characters in the browser, 10,100 as sent
    note = services.comment(legal_task.run, actor=legal, body=typed)
    assert "\r" not in note.body and len(note.body) == TEXT_LIMIT - 1  # the last line break is trimmed


def test_a_decision_reason_over_the_limit_is_refused_before_anything_changes(legal_task, legal):
    with pytest.raises(services.DecisionRefused) as refused:
        services.decide(legal_task, actor=legal, outcome="rejected", reason="n" * (TEXT_LIMIT + 1))
    assert refused.value.field == "reason"
    legal_task.refresh_from_db()
    assert legal_task.is_open and not Decision.objects.exists() and not OutboxMessage.objects.exists()


# -- the API ------------------------------------------------------------------------------------------------------
def test_comments_are_listed_and_created_with_mentions(
    client_a, run, legal, legal_task, regional_reviewer, legal_api, published
):
    created = legal_api.post(
        "/api/v1/comments/",
        {"run": run.pk, "body": "Can you check the EMEA usage, @reviewer@acme.example?"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["run"] == run.pk and body["task"] == legal_task.pk and body["parent"] is None
    assert body["author"] == legal.email and body["mentions"] == [regional_reviewer.email]
    [mentioned] = published.named("comment.mentioned")
    assert mentioned.data["mentioned"] == [regional_reviewer.pk] and mentioned.data["comment"] == body["id"]
    assert OutboxMessage.objects.filter(kind="opentext.comment", payload__task=legal_task.pk).count() == 1

    reply = legal_api.post(
        "/api/v1/comments/", {"run": run.pk, "body": "Done.", "parent": body["id"]}, content_type="application/json"
    )
    assert reply.status_code == 201 and reply.json()["parent"] == body["id"]
    other_run = approval_run(licensed_asset(client_a))
    legal_api.post("/api/v1/comments/", {"run": other_run.pk, "body": "Elsewhere"}, content_type="application/json")

    listed = legal_api.get("/api/v1/comments/", {"run": run.pk}).json()["results"]
    assert [c["body"] for c in listed] == ["Can you check the EMEA usage, @reviewer@acme.example?", "Done."]
    assert len(_ids(legal_api.get("/api/v1/comments/", {"asset": run.subject_id}))) == 2
    assert len(_ids(legal_api.get("/api/v1/comments/"))) == 3


def test_a_comment_goes_on_no_task_when_the_caller_sees_none(run, legal_task, regional_reviewer, reviewer_api):
    created = reviewer_api.post("/api/v1/comments/", {"run": run.pk, "body": "FYI"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["task"] is None
    assert not OutboxMessage.objects.filter(kind="opentext.comment").exists()


def test_empty_comments_and_replies_to_another_conversation_are_refused(client_a, run, legal_api):
    empty = legal_api.post("/api/v1/comments/", {"run": run.pk, "body": "   "}, content_type="application/json")
    assert empty.status_code == 400 and "body" in empty.json()["errors"]
    other_run = approval_run(licensed_asset(client_a))
    first = legal_api.post("/api/v1/comments/", {"run": other_run.pk, "body": "x"}, content_type="application/json")
    stray = legal_api.post(
        "/api/v1/comments/", {"run": run.pk, "body": "y", "parent": first.json()["id"]}, content_type="application/json"
    )
    assert stray.status_code == 400
    assert stray.json()["errors"]["parent"] == ["A reply belongs to the same conversation."]
    assert Comment.objects.count() == 1


def test_an_api_comment_over_the_limit_is_a_400_problem(run, legal_task, legal_api):
    response = legal_api.post(
        "/api/v1/comments/", {"run": run.pk, "body": "z" * (TEXT_LIMIT + 1)}, content_type="application/json"
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "10000" in response.json()["errors"]["body"][0]
    assert not Comment.objects.exists() and not OutboxMessage.objects.exists()


def test_an_api_decision_reason_over_the_limit_is_a_400_problem(legal_task, legal_api):
    response = legal_api.post(
        f"/api/v1/tasks/{legal_task.pk}/decision/",
        {"outcome": "rejected", "reason": "r" * (TEXT_LIMIT + 1)},
        content_type="application/json",
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "reason" in response.json()["errors"]
    legal_task.refresh_from_db()
    assert legal_task.is_open and not Decision.objects.exists()


def test_a_case_decision_reason_over_the_limit_is_a_400_problem(client_a, legal, api_token, api):
    case, run = compliance_case(client_a)
    mirror(run, "investigate_legal")
    response = api(api_token(legal, "write")).post(
        f"/api/v1/cases/{case.pk}/decision/",
        {"outcome": "usage_withdrawn", "reason": "r" * (TEXT_LIMIT + 1)},
        content_type="application/json",
    )
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "reason" in response.json()["errors"]
    assert not Decision.objects.exists()


# -- a subject's page: the list it polls, posting -------------------------------------------------------------------
def test_the_poll_answers_the_list_only_and_204_while_nothing_changed(run, legal_task, legal, login):
    services.comment(run, actor=legal, body="First look: fine.", task=legal_task)
    http = login(legal)
    page = http.get(f"/assets/{run.subject_id}/").content.decode()
    version = thread_version(Asset.objects.get(pk=run.subject_id))
    assert f"/assets/{run.subject_id}/comments/?since={version}" in page

    fragment = http.get(f"/assets/{run.subject_id}/comments/", headers=HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "First look: fine." in html
    assert "<form" not in html and "Licence" not in html and "Timeline" not in html and "<html" not in html
    assert f"since={version}" in html  # the list carries the version it shows, for the next poll

    unchanged = http.get(f"/assets/{run.subject_id}/comments/", {"since": version}, headers=HTMX)
    assert unchanged.status_code == 204 and unchanged.content == b""

    services.comment(run, actor=legal, body="Second look: the logo.")
    changed = http.get(f"/assets/{run.subject_id}/comments/", {"since": version}, headers=HTMX)
    assert changed.status_code == 200 and "Second look: the logo." in changed.content.decode()
    assert version != thread_version(Asset.objects.get(pk=run.subject_id))


def test_a_stale_or_malformed_since_gets_the_list(run, legal, login):
    http = login(legal)
    for since in ("", "abc", "1.1", "²", "9" * 400):  # none is what the page shows ("0.0")
        response = http.get(f"/assets/{run.subject_id}/comments/", {"since": since}, headers=HTMX)
        assert response.status_code == 200, since


def test_an_unchanged_poll_costs_a_handful_of_queries(run, legal_task, legal, login):
    for n in range(20):
        services.comment(run, actor=legal, body=f"Note {n}")
    http = login(legal)
    http.get("/")  # the session's first page marks its notices read
    since = thread_version(Asset.objects.get(pk=run.subject_id))
    with CaptureQueriesContext(connection) as queries:
        response = http.get(f"/assets/{run.subject_id}/comments/", {"since": since}, headers=HTMX)
    assert response.status_code == 204
    # session, user, notices, the memberships with their roles and regions (is the viewer external here: what was
    # shared with them is all they see), the asset, the version
    assert len(queries) <= 8, [q["sql"] for q in queries]


def test_posting_answers_a_fresh_form_and_the_new_list_out_of_band(run, legal_task, legal, login):
    response = login(legal).post(f"/assets/{run.subject_id}/comment/", {"body": "Second look?"}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.index('id="comment-form"') < html.index('id="comments"')
    assert 'hx-swap-oob="true"' in html and "Second look?" in html
    assert 'id="comment-post"' in html  # htmx gives the focus back to the button, found by its id
    assert "></textarea>" in html  # a fresh, empty box
    note = Comment.objects.get()
    assert note.task == legal_task and note.author == legal


def test_a_refused_comment_comes_back_as_typed_with_the_message_at_the_field(run, legal, login):
    too_long = "w" * (TEXT_LIMIT + 1)
    response = login(legal).post(f"/assets/{run.subject_id}/comment/", {"body": too_long}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert "A comment can be at most 10,000 characters; this one has 10,001." in html
    assert 'role="alert"' in html and 'aria-invalid="true"' in html and "autofocus" in html
    assert too_long in html and 'id="comments"' not in html
    assert not Comment.objects.exists()


def test_without_htmx_a_refusal_is_a_message_on_the_page(run, legal, login):
    http = login(legal)
    response = http.post(f"/assets/{run.subject_id}/comment/", {"body": "  "})
    assert response.status_code == 302 and response.url == f"/assets/{run.subject_id}/#thread"
    assert "A comment cannot be empty." in http.get(response.url).content.decode()


@pytest.mark.parametrize("parent", ["abc", "²", "-1", "99999999999999999999999", "0"])
def test_a_malformed_or_unknown_parent_is_a_400(run, legal, login, parent):
    response = login(legal).post(f"/assets/{run.subject_id}/comment/", {"body": "hi", "parent": parent}, headers=HTMX)
    assert response.status_code == 400
    assert "not in this conversation" in response.content.decode()
    assert not Comment.objects.exists()


def test_a_reply_on_the_page_is_shown_under_its_comment(run, legal, login):
    first = services.comment(run, actor=legal, body="Which region?")
    response = login(legal).post(
        f"/assets/{run.subject_id}/comment/", {"body": "EMEA only.", "parent": first.pk}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Which region?") < html.index("comment comment-reply") < html.index("EMEA only.")


def test_an_asset_without_a_run_has_no_form_and_refuses_a_comment(client_a, legal, login):
    asset = licensed_asset(client_a)
    http = login(legal)
    page = http.get(f"/assets/{asset.pk}/").content.decode()
    assert "No comments yet." in page and 'id="comment-form"' not in page and "every 10s" not in page
    response = http.post(f"/assets/{asset.pk}/comment/", {"body": "hello"}, headers=HTMX)
    assert response.status_code == 400 and not Comment.objects.exists()


def test_a_case_page_has_its_conversation(client_a, legal, login):
    case, run = compliance_case(client_a)
    task = mirror(run, "investigate_legal")
    http = login(legal)
    page = http.get(f"/cases/{case.pk}/").content.decode()
    assert f'action="/cases/{case.pk}/comment/"' in page and "No comments yet." in page
    response = http.post(f"/cases/{case.pk}/comment/", {"body": "Asked the agency."}, headers=HTMX)
    assert response.status_code == 200 and "Asked the agency." in response.content.decode()
    assert Comment.objects.get().task == task
    page = http.get(f"/cases/{case.pk}/").content.decode()
    assert "Asked the agency." in page and "commented" in page  # in the thread and in the timeline
    assert http.get(f"/cases/{case.pk}/comments/", headers=HTMX).status_code == 200


def test_another_clients_subject_is_a_404_for_the_list_and_the_post(client_b, legal, login):
    foreign = approval_run(licensed_asset(client_b))
    http = login(legal)
    assert http.get(f"/assets/{foreign.subject_id}/comments/", headers=HTMX).status_code == 404
    assert http.post(f"/assets/{foreign.subject_id}/comment/", {"body": "hi"}, headers=HTMX).status_code == 404
    assert not Comment.objects.exists()


def test_a_case_reason_over_the_limit_comes_back_on_the_case_page_at_the_field(client_a, legal, login):
    case, run = compliance_case(client_a)
    task = mirror(run, "investigate_legal")
    typed = "q" * (TEXT_LIMIT + 1)
    http = login(legal)
    assert f'maxlength="{TEXT_LIMIT}"' in http.get(f"/cases/{case.pk}/").content.decode()
    response = http.post(
        f"/tasks/{task.pk}/decide/",
        {"outcome": "usage_withdrawn", "reason": typed, "version": task.version, "next": f"/cases/{case.pk}/"},
    )
    page = response.content.decode()
    assert response.status_code == 400 and case.title in page  # the case page, evidence and all
    assert "A reason can be at most 10,000 characters" in page
    assert 'aria-invalid="true" autofocus' in page and typed in page
    assert 'id="comment-error"' not in page and page.count('aria-invalid="true"') == 1  # the thread's form is not it
    assert not Decision.objects.exists()


# -- comments written in OpenText (pulled: tests/integrations/test_opentext_comments.py over HTTP) -----------------
def _remote(remote_id, message, author, minutes_ago, task=""):
    from datetime import timedelta

    from django.utils import timezone

    return services.RemoteComment(
        remote_id=remote_id,
        message=message,
        author=author,
        time=timezone.now() - timedelta(minutes=minutes_ago),
        task_remote_id=task,
    )


def test_pulled_comments_are_kept_once_in_their_time_and_say_where_they_were_written(
    client_a, run, legal, legal_task, legal_api, client_b
):
    services.comment(run, actor=legal, body="Written here")
    pulled = [
        _remote("c-2", "Later, by someone outside", "ext@partner.example", 1),
        _remote("c-1", "Earlier, by legal", legal.email, 30, task=legal_task.remote_id),
        _remote("c-1", "Earlier, by legal", legal.email, 30, task=legal_task.remote_id),  # listed twice
    ]
    assert services.apply_remote_comments(run, pulled) == 2
    assert services.apply_remote_comments(run, pulled) == 0
    # another client may have a comment with the same OpenText id (another tenant): ids are unique per client
    other = approval_run(licensed_asset(client_b))
    assert services.apply_remote_comments(other, [_remote("c-1", "Elsewhere", "x@beta.example", 2)]) == 1

    listed = legal_api.get("/api/v1/comments/", {"run": run.pk}).json()["results"]  # by id: a stable keyset
    listed.sort(key=lambda c: c["created_at"])  # when each was written, at OpenText for a pulled one
    assert [(c["body"], c["author"], c["source"]) for c in listed] == [
        ("Earlier, by legal", legal.email, "opentext"),
        ("Later, by someone outside", "ext@partner.example", "opentext"),
        ("Written here", legal.email, "portal"),  # now, after both though pulled before them
    ]
    assert Comment.objects.get(remote_id="c-1", client=client_a).author == legal
    assert AuditEvent.objects.filter(action="workflows.comment.pull", client=client_a).count() == 2


def test_a_pulled_comment_of_our_own_is_recognised_not_copied(run, legal, legal_task):
    note = services.comment(run, actor=legal, body="Checked", task=legal_task)
    ours = _remote("c-9", services.opentext_message(note), "greenlight-service", 0, task=legal_task.remote_id)
    reason = _remote("c-10", "A decision's reason", "greenlight-service", 0, task=legal_task.remote_id)
    assert services.apply_remote_comments(run, [ours, reason], own_author="greenlight-service") == 0
    note.refresh_from_db()
    assert note.remote_id == "c-9" and Comment.objects.count() == 1


def test_a_pulled_comment_mentioning_a_member_tells_them(run, legal, client_a, published):
    brand = member(client_a, RoleCode.BRAND, email="brand@acme.example")
    item = _remote("c-20", "@brand@acme.example and @nobody@else.example: see the crop", "ext@partner.example", 0)
    assert services.apply_remote_comments(run, [item]) == 1
    note = Comment.objects.get(remote_id="c-20")
    assert list(note.mentions.all()) == [brand]
    [event] = published.named("comment.mentioned")
    assert event.key == f"comment.mentioned:comment-{note.pk}" and event.actor is None
    assert event.data["mentioned"] == [brand.pk] and event.data["author_label"] == "ext@partner.example"
    assert event.data["excerpt"] == note.body and event.data["task"] is None
    assert services.apply_remote_comments(run, [item]) == 0  # pulled again: kept once, said once
    assert len(published.named("comment.mentioned")) == 1
