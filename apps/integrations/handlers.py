"""The outbox's handlers: one function per kind of remote effect. Each raises a ``PlatformError`` on failure (the
relay decides on retry or parking) and returns a small dict recorded on the delivered row."""

from __future__ import annotations

import copy

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.outbox.services import handler
from apps.workflows import services as workflows
from apps.workflows.models import Comment, Task, WorkflowRun

from .http import ONE_ATTEMPT, Conflict, NotFound, NotYet, TransientError
from .opentext import sync as opentext_sync
from .opentext.client import OpenTextClient, for_client
from .smintio.client import SmintioClient


def _smintio(message) -> SmintioClient:
    connection = SmintioConnection.objects.filter(client_id=message.client_id).first()
    if connection is None or not connection.is_usable:
        # Waiting is right: the effect is kept and goes out once someone reconnects the client.
        raise TransientError("Smint.io", f"{message.client} has no working Smint.io connection")
    return SmintioClient(connection, policy=ONE_ATTEMPT)


def _opentext(message) -> OpenTextClient:
    """The tenant of the row's client (its own OpenText connection, else the environment's)."""
    return for_client(message.client_id, policy=ONE_ATTEMPT)


@handler("smintio.workflow_status")
def smintio_workflow_status(message) -> dict:
    """Tell Smint.io an asset's workflow status (approved, rejected, withdrawn...), idempotently."""
    payload = message.payload
    return _smintio(message).put_workflow_status(
        payload["content_element_uuid"], payload["body"], idempotency_key=message.idempotency_key
    )


@handler("smintio.metadata")
def smintio_metadata(message) -> dict:
    """Patch an asset's metadata at Smint.io (keywords, categories, usage rules...), idempotently. A hook of issue
    14: nothing queues it yet; metadata enrichment (exceptions for missing metadata, onboarding) will, with
    ``{"content_element_uuid", "body"}`` and an idempotency key (tests/integrations/test_delivery.py pins it)."""
    payload = message.payload
    return _smintio(message).patch_metadata(
        payload["content_element_uuid"], payload["body"], idempotency_key=message.idempotency_key
    )


@handler("smintio.revoke")
def smintio_revoke(message) -> dict:
    """Revoke a refresh token given up (a disconnect, or a new connection that replaced it) at the tenant it was
    issued by (``tenant``: the connection may point at another one since); then forget it."""
    connection = SmintioConnection.objects.get(client_id=message.client_id)
    if connection.token_to_revoke:
        issuer = copy.copy(connection)
        issuer.tenant = message.payload.get("tenant") or connection.tenant
        SmintioClient(issuer, policy=ONE_ATTEMPT).revoke(connection.token_to_revoke)
        SmintioConnection.objects.filter(pk=connection.pk).update(token_to_revoke="")
    return {"revoked": True, "status": ConnectionStatus(connection.status).label}


@handler("opentext.start_process")
def opentext_start(message) -> dict:
    run = WorkflowRun.objects.get(pk=message.payload["run"])
    return {"instance": opentext_sync.start(run, _opentext(message))}


def _task(message) -> Task:
    return Task.objects.select_related("run", "client").get(pk=message.payload["task"])


def _lost(task: Task, message, holder: str, action: str) -> dict:
    workflows.lost_race(task, loser_email=message.payload.get("assignee") or "", holder_email=holder, action=action)
    return {"conflict": True, "holder": holder}


@handler("opentext.claim")
def opentext_claim(message) -> dict:
    """Claim (or release, ``assignee`` null) a task at OpenText; someone else holding it there wins."""
    task, api = _task(message), _opentext(message)
    try:
        api.claim(task.remote_id, message.payload["assignee"])
    except Conflict:
        return _lost(task, message, str(api.get_task(task.remote_id).get("assignee") or ""), "claim")
    except NotFound:
        return opentext_sync.settle_gone_task(task, message, api)
    return {"ok": True}


@handler("opentext.comment")
def opentext_comment(message) -> dict:
    """A portal comment on an open task, copied to OpenText exactly once. A POST is not idempotent at OpenText and
    its answer may be lost after OpenText stored it (a timeout), so the task's comments are read first: the comment
    whose id we recorded, or else one with our very text that no other comment of ours holds, is ours already (its
    id is recorded). A task that finished at OpenText before the comment got there takes no new comment (404):
    the comment stays in the portal's conversation only, and the row says so."""
    payload = message.payload
    api = _opentext(message)
    note = Comment.objects.filter(pk=payload.get("comment")).first() if payload.get("comment") else None
    try:
        there = api.task_comments(payload["remote_id"])
    except NotFound:  # the list reads the history, written late: an open task may not be in it yet
        try:
            api.get_task(payload["remote_id"])
        except NotFound:
            return {"not_sent": "OpenText does not know the task: the comment is in Greenlight only."}
        raise NotYet("OpenText", "The task's comments are not readable yet (its history is written late)") from None
    ids = [str(c["id"]) for c in there]
    if note is not None and note.remote_id in ids:
        return {"already": True, "id": note.remote_id}
    taken = set(
        Comment.objects.filter(client_id=message.client_id, remote_id__in=ids).values_list("remote_id", flat=True)
    )
    ours = next((c for c in there if c.get("message") == payload["message"] and str(c["id"]) not in taken), None)
    if ours is not None:
        workflows.confirm_sent_comment(payload.get("comment"), str(ours["id"]))
        return {"already": True, "id": str(ours["id"])}
    try:
        created = api.add_comment(payload["remote_id"], payload["message"])
    except NotFound:
        return {"not_sent": "The task was no longer open at OpenText: the comment is in Greenlight only."}
    workflows.confirm_sent_comment(payload.get("comment"), str(created.get("id") or ""))
    return {"id": str(created.get("id") or "")}


def _comment_there(api, remote_id: str, comment: str, *, first_attempt: bool) -> bool:
    """Whether an earlier attempt of this row already left ``comment`` on a task just found open. On the first
    attempt none did, so nothing is read. Later, the list is read; it looks the task up in OpenText's history,
    written late: a 404 there means "not yet", not "gone" (which would settle the task from a history that does not
    know it), so the row waits for it."""
    if first_attempt:
        return False
    try:
        return any(c.get("message") == comment for c in api.task_comments(remote_id))
    except NotFound:
        raise NotYet("OpenText", "The task's comments are not readable yet (its history is written late)") from None


@handler("opentext.complete")
def opentext_complete(message) -> dict:
    """Complete a task at OpenText with the decision taken here. OpenText, like Flowable, lets anyone with the right
    complete a task whoever holds it, so who holds it is checked first: a task someone else holds there is theirs
    (our decision is kept, not applied, never sent); a task no longer open is settled from the history."""
    payload = message.payload
    task, api = _task(message), _opentext(message)
    ours = str(payload.get("assignee") or "")
    try:
        holder = str(api.get_task(task.remote_id).get("assignee") or "")
        if holder and holder.lower() != ours.lower():
            return _lost(task, message, holder, "decision")
        if not holder:
            api.claim(task.remote_id, ours)  # released in OpenText meanwhile: take it back before completing
        # Neither call is idempotent at OpenText, so each checks what a lost earlier answer may have done.
        comment = payload.get("comment")
        if comment and not _comment_there(api, task.remote_id, comment, first_attempt=message.attempts <= 1):
            api.add_comment(task.remote_id, comment)
        api.complete(task.remote_id, outcome=payload["outcome"], values=payload.get("variables") or {})
    except Conflict:
        return _lost(task, message, str(api.get_task(task.remote_id).get("assignee") or ""), "decision")
    except NotFound:
        result = opentext_sync.settle_gone_task(task, message, api)
    else:
        result = {"ok": True}
    opentext_sync.mirror_run(Task.objects.select_related("run").get(pk=task.pk).run, api)
    return result
