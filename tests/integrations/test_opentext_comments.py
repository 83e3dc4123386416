"""Comments and task changes both ways with OpenText (issue 15 item 4), over HTTP against the emulator in its strict
(Flowable) form, with faults injected through its control routes: a comment written in OpenText comes into the
subject's conversation once (pulled twice, a hint delivered again), a portal comment reaches OpenText once (its
answer lost after OpenText stored it, 5xx, 429), and a task reassigned, completed or cancelled in OpenText shows in
the portal, on its timeline, as the one decision."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from django.conf import settings
from django.test import Client as HttpClient
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.integrations import tasks as integration_tasks
from apps.integrations.models import InboundEvent
from apps.integrations.opentext import sync as opentext_sync
from apps.integrations.opentext.client import OpenTextClient
from apps.integrations.signing import sign
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage
from apps.workflows import services as workflows
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Comment, CommentSource, Decision, Task
from apps.workflows.subject_pages import Thread
from tests.factories import member
from tests.platform_fixtures import settle
from tests.reviews.test_flow import open_task as review

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "test-notify-secret-0123456789"


@pytest.fixture
def cycle(cycle):
    """The cycle (tests/platform_fixtures.py) once OpenText's history knows its tasks: a task's comments are read
    through its history, so a task younger than the history lag has none to read yet (a 404) and a comment sent
    to it waits. The tests here are about comments, not the lag (one sets a lag of its own)."""
    time.sleep(settings.EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS)
    return cycle


def comment_in_opentext(platforms, user: str, message: str, *, task: Task | None = None, instance: str = "") -> dict:
    """Someone writing a comment in OpenText's own task application, not through Greenlight."""
    where = {"task": task.remote_id} if task is not None else {"instance": instance}
    return platforms.control("opentext", "comments", {"user": user, "message": message, **where})


def at_opentext(task: Task) -> list[str]:
    return sorted(c["message"] for c in OpenTextClient().task_comments(task.remote_id))


def at_opentext_runtime(platforms, task: Task) -> bool:
    state = platforms.control("opentext", f"process-instances/{task.run.remote_id}", method="GET")
    return any(t["id"] == task.remote_id for t in state["openTasks"])


def drain_now() -> None:
    OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
    outbox.drain(max_seconds=20)


def pulled(run) -> list[Comment]:
    return list(Comment.objects.filter(run=run, source=CommentSource.OPENTEXT).order_by("created_at", "id"))


# -- OpenText -> portal ---------------------------------------------------------------------------------------------
def test_a_comment_written_in_opentext_appears_once_attributed_and_in_time(platforms, cycle, reviewers):
    legal_task = review(cycle, "legal")
    first = comment_in_opentext(platforms, "legal@acme.example", "Model release is on file.", task=legal_task)
    second = comment_in_opentext(
        platforms, "agency.reviewer@partner.example", "Crop is fine.", instance=cycle.remote_id
    )
    opentext_sync.reconcile()
    opentext_sync.reconcile()  # pulled twice: still once each
    notes = pulled(cycle)
    assert [n.remote_id for n in notes] == [first["id"], second["id"]]  # ordered by when they were written
    legal_note, agency_note = notes
    # attributed to the member whose e-mail is the author; otherwise shown under the OpenText user id
    assert (legal_note.author, legal_note.author_label, legal_note.task) == (
        reviewers["legal"],
        "legal@acme.example",
        legal_task,
    )
    assert (agency_note.author, agency_note.author_label, agency_note.task) == (
        None,
        "agency.reviewer@partner.example",
        None,
    )
    assert all(n.in_opentext for n in notes)
    assert AuditEvent.objects.filter(action="workflows.comment.pull").count() == 2
    assert legal_note.created_at.isoformat(timespec="seconds") == first["time"][:19] + "+00:00"


def _hint(business_key: str, event_id: str) -> None:
    body = json.dumps({"event_id": event_id, "event": "step-reached", "businessKey": business_key}).encode()
    stamp = int(time.time())
    headers = {"X-Timestamp": str(stamp), "X-Signature": sign(body, stamp, SECRET)}
    response = HttpClient().post(
        "/integrations/opentext/callback/", body, content_type="application/json", headers=headers
    )
    assert response.status_code in (200, 202), response.content


def test_a_hint_delivered_again_brings_a_comment_in_once(platforms, cycle, settings):
    settings.NOTIFY_SECRETS = [SECRET]
    comment_in_opentext(platforms, "brand@acme.example", "Logo clearance too small.", task=review(cycle, "brand"))
    _hint(cycle.business_key, "ot-comment-1")
    _hint(cycle.business_key, "ot-comment-1")  # the same hint again
    for event in InboundEvent.objects.order_by("id"):
        integration_tasks.process_inbound_event(event.pk)
    _hint(cycle.business_key, "ot-comment-2")  # another hint about the same run
    integration_tasks.process_inbound_event(InboundEvent.objects.get(event_id="ot-comment-2").pk)
    assert [n.body for n in pulled(cycle)] == ["Logo clearance too small."]


def test_a_decision_reason_sent_with_the_completion_is_not_pulled_back_as_a_comment(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    workflows.decide(task, actor=reviewers["legal"], outcome="rejected", reason="No model release")
    settle()
    assert "No model release" in at_opentext(task)  # OpenText has the reason as a comment of our service
    opentext_sync.reconcile()
    assert not Comment.objects.filter(run=cycle).exists()  # shown as the decision already


def test_a_reason_whose_completion_failed_is_sent_once_after_the_late_history_knows_the_task(
    platforms, cycle, reviewers
):
    """The first attempt leaves the reason as a comment, but its answer is lost. The retry must not comment
    again, so it reads the task's comments first; that list looks the task up in the late history (a 404 until
    then): the row waits for it, neither commenting twice nor taking the task for gone."""
    task = review(cycle, "legal")
    platforms.control("opentext", f"tenants/{settings.OT_TENANT_ID}/settings", {"history_delay_seconds": 4})
    platforms.fault("opentext", kind="delay", delay_seconds=3, count=1, path_contains="/comments", method="POST")
    workflows.decide(task, actor=reviewers["legal"], outcome="rejected", reason="No model release")
    drain_now()  # attempt 1: OpenText stores the comment, our client gives up waiting
    drain_now()  # attempt 2: the comments are not readable yet (late history): waits, changes nothing
    row = OutboxMessage.objects.get(kind="opentext.complete")
    assert row.status == OutboxStatus.PENDING and "not readable yet" in row.last_error
    assert at_opentext_runtime(platforms, task)  # still open at OpenText: not completed, not taken for gone
    platforms.control("opentext", f"tenants/{settings.OT_TENANT_ID}/settings", {"history_delay_seconds": 0})
    platforms.wait_for_held_calls()  # the first attempt's comment is stored
    settle()
    assert at_opentext(task).count("No model release") == 1
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.DONE


# -- portal -> OpenText, exactly once ---------------------------------------------------------------------------
def test_a_portal_comment_reaches_opentext_once_when_the_answer_is_lost_after_it_was_stored(
    platforms, cycle, reviewers
):
    task = review(cycle, "legal")
    platforms.fault("opentext", kind="delay", delay_seconds=3, path_contains="/comments", method="POST")
    note = workflows.comment(cycle, actor=reviewers["legal"], body="Checked the release.", task=task)
    drain_now()  # OpenText stores it, but our client gave up waiting
    row = OutboxMessage.objects.get(kind="opentext.comment")
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    platforms.wait_for_held_calls()  # the delayed POST has been stored meanwhile
    settle()
    assert at_opentext(task) == ["legal@acme.example: Checked the release."]
    note.refresh_from_db()
    row.refresh_from_db()
    assert row.status == OutboxStatus.DONE and row.result["already"] is True
    assert note.remote_id == row.result["id"]
    assert not pulled(cycle)  # and it never comes back as a second copy


def test_a_pull_before_the_retry_keeps_our_comment_once(platforms, cycle, reviewers):
    """The answer of our POST was lost and a reconcile runs before the outbox retries: the comment it finds is the
    portal comment (same task, our very text), not one written in OpenText; the retry then finds it done."""
    task = review(cycle, "brand")
    platforms.fault("opentext", kind="delay", delay_seconds=3, path_contains="/comments", method="POST")
    note = workflows.comment(cycle, actor=reviewers["brand"], body="Please check the crop.", task=task)
    drain_now()
    platforms.wait_for_held_calls()  # the delayed POST has been stored meanwhile
    opentext_sync.reconcile()
    note.refresh_from_db()
    assert note.remote_id and not pulled(cycle)
    settle()
    assert at_opentext(task) == ["brand@acme.example: Please check the crop."]
    assert Comment.objects.filter(run=cycle).count() == 1


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "status", "status_code": 503, "count": 2, "method": "POST"},
        {"kind": "status", "status_code": 500, "count": 1, "method": "POST"},
        {"kind": "status", "status_code": 429, "retry_after": 1, "count": 2},
    ],
    ids=["503", "500", "429"],
)
def test_a_portal_comment_retried_after_faults_is_stored_once(platforms, cycle, reviewers, fault):
    task = review(cycle, "marketing")
    platforms.fault("opentext", path_contains="/comments", **fault)
    note = workflows.comment(cycle, actor=reviewers["marketing"], body="Fine for web.", task=task)
    settle()
    assert at_opentext(task) == ["marketing@acme.example: Fine for web."]
    row = OutboxMessage.objects.get(kind="opentext.comment")
    assert row.status == OutboxStatus.DONE and row.attempts > 1
    note.refresh_from_db()
    assert note.remote_id


def test_the_same_words_twice_are_two_comments_at_opentext(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    for _ in range(2):
        workflows.comment(cycle, actor=reviewers["legal"], body="+1", task=task)
    settle()
    assert at_opentext(task) == ["legal@acme.example: +1", "legal@acme.example: +1"]
    assert len(set(Comment.objects.filter(run=cycle).values_list("remote_id", flat=True))) == 2


def test_a_comment_on_a_task_completed_in_opentext_first_stays_in_greenlight(platforms, cycle, reviewers):
    task = review(cycle, "brand")
    note = workflows.comment(cycle, actor=reviewers["brand"], body="One more thing.", task=task)
    platforms.control(
        "opentext", f"tasks/{task.remote_id}/complete", {"user": "brand@acme.example", "outcome": "approved"}
    )
    settle()
    row = OutboxMessage.objects.get(kind="opentext.comment")
    # Flowable takes no new comment on a finished task (404): the row says so instead of failing for ever
    assert row.status == OutboxStatus.DONE and "Greenlight only" in row.result["not_sent"]
    assert at_opentext(task) == []
    note.refresh_from_db()
    assert note.remote_id == "" and Comment.objects.filter(run=cycle).count() == 1


# -- task changes in OpenText ---------------------------------------------------------------------------------------
def test_a_task_reassigned_in_opentext_shows_the_new_holder_and_is_on_its_timeline(
    platforms, cycle, reviewers, client_a, login
):
    other = member(client_a, RoleCode.LEGAL, email="someone-else@acme.example")
    task = review(cycle, "legal")
    platforms.control("opentext", f"tasks/{task.remote_id}/claim", {"user": "legal@acme.example"})
    opentext_sync.reconcile()
    platforms.control("opentext", f"tasks/{task.remote_id}/claim", {"user": "someone-else@acme.example", "force": True})
    opentext_sync.reconcile()
    task.refresh_from_db()
    assert (task.assignee_email, task.assignee) == ("someone-else@acme.example", other)
    events = list(AuditEvent.objects.filter(action="workflows.task.reassign", object_id=str(task.pk)).order_by("id"))
    assert [(e.actor_label, e.before, e.after) for e in events] == [
        ("OpenText", {"assignee": ""}, {"assignee": "legal@acme.example"}),
        ("OpenText", {"assignee": "legal@acme.example"}, {"assignee": "someone-else@acme.example"}),
    ]
    assert events[1].reason == "Reassigned in OpenText from legal@acme.example to someone-else@acme.example."
    page = login(reviewers["legal"]).get(cycle.subject_url).content.decode()
    assert "Reassigned in OpenText from legal@acme.example to someone-else@acme.example." in page
    # the one who held it before cannot decide it over the new holder's head
    with pytest.raises(workflows.StaleTask):
        workflows.decide(task, actor=reviewers["legal"], outcome="approved", reason="Cleared")


def test_a_task_held_in_opentext_by_someone_without_an_account_here_is_not_decided_here(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    platforms.control(
        "opentext", f"tasks/{task.remote_id}/claim", {"user": "legal.agency@partner.example", "force": True}
    )
    opentext_sync.reconcile()
    task.refresh_from_db()
    assert (task.assignee_email, task.assignee) == ("legal.agency@partner.example", None)
    with pytest.raises(workflows.StaleTask, match=r"legal\.agency@partner\.example holds this task"):
        workflows.decide(task, actor=reviewers["legal"], outcome="approved", reason="Cleared")
    assert not Decision.objects.filter(task=task).exists()


def test_a_completion_in_opentext_is_the_one_decision(platforms, cycle, reviewers):
    task = review(cycle, "marketing")
    platforms.control(
        "opentext", f"tasks/{task.remote_id}/complete", {"user": "marketing@acme.example", "outcome": "approved"}
    )
    settle()
    task.refresh_from_db()
    assert (task.status, task.outcome, task.assignee_email) == (
        TaskStatus.COMPLETED,
        "approved",
        "marketing@acme.example",
    )
    with pytest.raises(workflows.StaleTask):
        workflows.decide(task, actor=reviewers["marketing"], outcome="rejected", reason="Too late")
    assert not Decision.objects.filter(task=task).exists()
    event = AuditEvent.objects.get(action="workflows.task.complete_elsewhere", object_id=str(task.pk))
    assert event.after["assignee"] == "marketing@acme.example"


def test_a_cancellation_in_opentext_closes_the_run_and_its_tasks_on_the_timeline(platforms, cycle, reviewers, login):
    platforms.control("opentext", f"process-instances/{cycle.remote_id}/cancel", {"reason": "withdrawn by legal"})
    settle()
    cycle.refresh_from_db()
    assert cycle.status == RunStatus.CANCELLED
    assert set(Task.objects.filter(run=cycle).values_list("status", flat=True)) == {TaskStatus.CANCELLED}
    events = AuditEvent.objects.filter(action="workflows.task.cancel")
    assert events.count() == 3 and all(e.after["delete_reason"] == "withdrawn by legal" for e in events)
    page = login(reviewers["legal"]).get(cycle.subject_url)
    assert page.status_code == 200
    assert b"workflows.task.cancel" in page.content and b"workflows.run.cancel" in page.content


def test_the_thread_shows_opentext_comments_with_their_marker(platforms, cycle, reviewers, login):
    comment_in_opentext(platforms, "ext.user@partner.example", "Seen in OpenText.", instance=cycle.remote_id)
    workflows.comment(cycle, actor=reviewers["legal"], body=f"Written here {uuid.uuid4().hex[:6]}")
    opentext_sync.reconcile()
    page = login(reviewers["legal"]).get(cycle.subject_url).content.decode()
    assert "ext.user@partner.example" in page and "in OpenText" in page
    thread = Thread(_asset(cycle), route="workflows:asset", can_post=True)
    assert [n.in_opentext for n in thread.notes] == [True, False]


def _asset(run):
    from apps.assets.models import Asset

    return Asset.objects.get(pk=run.subject_id)


def test_a_parked_comment_whose_task_finished_at_opentext_is_let_go_and_the_decision_kept(platforms, cycle, reviewers):
    """A comment that failed for good (parked) no longer holds back its run once its task finished at OpenText: it
    is marked as kept in Greenlight only, and says nothing about how the task ended (our decision stays applied)."""
    task = review(cycle, "legal")
    workflows.comment(cycle, actor=reviewers["legal"], body="Parked one.", task=task)
    row = OutboxMessage.objects.get(kind="opentext.comment")
    OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.FAILED, last_error="gave up")  # the relay's
    workflows.decide(task, actor=reviewers["legal"], outcome="rejected", reason="No model release")
    platforms.control(
        "opentext", f"tasks/{task.remote_id}/complete", {"user": "legal@acme.example", "outcome": "rejected"}
    )
    assert opentext_sync.reconcile()["parked_resolved"] == 1
    row.refresh_from_db()
    assert row.status == OutboxStatus.DONE and "Greenlight only" in row.result["not_sent"]
    assert Decision.objects.get(task=task).applied


def test_the_demo_seeds_a_comment_typed_in_opentext_once(platforms, cycle, reviewers, settings):
    from apps.demo.comments import DEMO_MESSAGE, seed_opentext_comment

    settings.EMULATORS = True
    assert seed_opentext_comment(cycle.client) == "commented"
    [note] = pulled(cycle)
    assert (note.body, note.author, note.task) == (DEMO_MESSAGE, reviewers["legal"], review(cycle, "legal"))
    assert seed_opentext_comment(cycle.client) == "already"
    assert len(pulled(cycle)) == 1


def test_a_comment_on_a_task_opentext_does_not_know_is_kept_here_and_not_retried_for_ever(platforms, cycle, reviewers):
    task = review(cycle, "legal")
    Task.objects.filter(pk=task.pk).update(remote_id=str(uuid.uuid4()))  # a task OpenText never had
    task.refresh_from_db()
    workflows.comment(cycle, actor=reviewers["legal"], body="Anyone?", task=task)
    drain_now()
    row = OutboxMessage.objects.get(kind="opentext.comment")
    assert row.status == OutboxStatus.DONE and "does not know the task" in row.result["not_sent"]


def test_hints_that_end_in_a_poll_still_bring_the_named_runs_comments_in(platforms, cycle, settings):
    settings.NOTIFY_SECRETS = [SECRET]
    comment_in_opentext(platforms, "legal@acme.example", "Seen by legal.", instance=cycle.remote_id)
    _hint(cycle.business_key, "ot-a")
    _hint("acme:asset_approval:unknown:x", "ot-b")  # a run we do not know: the whole poll runs
    first = InboundEvent.objects.get(event_id="ot-a")
    assert integration_tasks.process_inbound_event(first.pk) == "polled"
    assert [n.body for n in pulled(cycle)] == ["Seen by legal."]
