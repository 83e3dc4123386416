"""The outbox's handlers: one function per kind of remote effect. Each raises a ``PlatformError`` on failure (the
relay decides on retry or parking) and returns a small dict recorded on the delivered row."""

from __future__ import annotations

import copy

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.outbox.services import handler
from apps.workflows import services as workflows
from apps.workflows.models import Task, WorkflowRun

from .http import ONE_ATTEMPT, Conflict, NotFound, TransientError
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
    """A portal comment on an open task, copied to OpenText (once: a lost answer is checked before resending)."""
    payload = message.payload
    api = _opentext(message)
    if any(c.get("message") == payload["message"] for c in api.task_comments(payload["remote_id"])):
        return {"already": True}
    return api.add_comment(payload["remote_id"], payload["message"])


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
        if comment and not any(c.get("message") == comment for c in api.task_comments(task.remote_id)):
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
