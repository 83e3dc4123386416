"""The outbox's handlers: one function per kind of remote effect. Each raises a ``PlatformError`` on failure (the
relay decides on retry or parking) and returns a small dict recorded on the delivered row."""

from __future__ import annotations

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.workflows import services as workflows
from apps.workflows.models import Task, WorkflowRun

from .http import ONE_ATTEMPT, Conflict, NotFound, TransientError
from .opentext import sync as opentext_sync
from .opentext.client import OpenTextClient
from .outbox import handler
from .smintio.client import SmintioClient


def _smintio(message) -> SmintioClient:
    connection = SmintioConnection.objects.filter(client_id=message.client_id).first()
    if connection is None or not connection.is_usable:
        # Waiting is right: the effect is kept and goes out once someone reconnects the client.
        raise TransientError("Smint.io", f"{message.client} has no working Smint.io connection")
    return SmintioClient(connection, policy=ONE_ATTEMPT)


def _opentext() -> OpenTextClient:
    return OpenTextClient(policy=ONE_ATTEMPT)


@handler("smintio.workflow_status")
def smintio_workflow_status(message) -> dict:
    """Tell Smint.io an asset's workflow status (approved, rejected, withdrawn...), idempotently."""
    payload = message.payload
    return _smintio(message).put_workflow_status(
        payload["content_element_uuid"], payload["body"], idempotency_key=message.idempotency_key
    )


@handler("smintio.metadata")
def smintio_metadata(message) -> dict:
    payload = message.payload
    return _smintio(message).patch_metadata(
        payload["content_element_uuid"], payload["body"], idempotency_key=message.idempotency_key
    )


@handler("smintio.revoke")
def smintio_revoke(message) -> dict:
    """Revoke the refresh token a person disconnected; then forget it."""
    connection = SmintioConnection.objects.get(client_id=message.client_id)
    if connection.token_to_revoke:
        SmintioClient(connection, policy=ONE_ATTEMPT).revoke(connection.token_to_revoke)
        SmintioConnection.objects.filter(pk=connection.pk).update(token_to_revoke="")
    return {"revoked": True, "status": ConnectionStatus(connection.status).label}


@handler("opentext.start_process")
def opentext_start(message) -> dict:
    run = WorkflowRun.objects.get(pk=message.payload["run"])
    return {"instance": opentext_sync.start(run, _opentext())}


def _task_action(message, action: str, call) -> dict:
    task = Task.objects.select_related("run").get(pk=message.payload["task"])
    api = _opentext()
    try:
        call(api, task)
    except Conflict:
        remote = api.get_task(task.remote_id)
        workflows.lost_race(
            task,
            loser_email=message.payload.get("assignee") or "",
            holder_email=str(remote.get("assignee") or ""),
            action=action,
        )
        return {"conflict": True, "holder": remote.get("assignee")}
    return {"ok": True}


@handler("opentext.claim")
def opentext_claim(message) -> dict:
    return _task_action(message, "claim", lambda api, task: api.claim(task.remote_id, message.payload["assignee"]))


@handler("opentext.comment")
def opentext_comment(message) -> dict:
    """A portal comment on an open task, copied to OpenText (once: a lost answer is checked before resending)."""
    payload = message.payload
    api = _opentext()
    if any(c.get("message") == payload["message"] for c in api.task_comments(payload["remote_id"])):
        return {"already": True}
    return api.add_comment(payload["remote_id"], payload["message"])


@handler("opentext.complete")
def opentext_complete(message) -> dict:
    payload = message.payload

    def complete(api: OpenTextClient, task: Task) -> None:
        # Neither call is idempotent at OpenText, so each checks what a lost earlier answer may have done.
        comment = payload.get("comment")
        if comment and not any(c.get("message") == comment for c in api.task_comments(task.remote_id)):
            api.add_comment(task.remote_id, comment)
        try:
            api.complete(task.remote_id, outcome=payload["outcome"], values=payload.get("variables") or {})
        except NotFound:
            done = {str(h["id"]): h for h in api.historic_tasks(task.run.remote_id)}.get(task.remote_id)
            if not done or done.get("deleteReason"):
                raise  # gone without being completed: nothing to complete any more

    result = _task_action(message, "decision", complete)
    task = Task.objects.select_related("run").get(pk=payload["task"])
    opentext_sync.mirror_run(task.run, _opentext())
    return result
