"""Mirroring OpenText into the portal: process starts (idempotent by business key), open tasks (polled), tasks that
closed elsewhere, and process ends. OpenText has no webhooks, so this polling is the source of truth; callbacks
only make it prompt."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage
from apps.workflows import bpmn, flows
from apps.workflows import services as workflows
from apps.workflows.choices import OPEN_RUN_STATUSES, RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun

from ..http import NotFound, NotYet, PlatformError
from . import contract
from .client import OpenTextClient, for_client, parse_date

logger = logging.getLogger(__name__)

OUTCOME_VARIABLE = bpmn.OUTCOME_VARIABLE


def variables_of(body: dict | None) -> dict:
    return {v.get("name"): v.get("value") for v in (body or {}).get("variables") or [] if isinstance(v, dict)}


def map_task(task: dict) -> workflows.RemoteTask:
    """A task of OpenText's task list in our vocabulary. What it may be decided with is not on the task (OpenText
    does not send it): the portal reads it from its own BPMN files when it mirrors the task."""
    groups = [a.get("group") for a in task.get("assignments") or [] if a.get("group")]
    groups = groups or [g.strip() for g in str(task.get("candidateGroups") or "").split(",") if g.strip()]
    return workflows.RemoteTask(
        remote_id=str(task["id"]),
        process_instance_id=str(task.get("processInstanceId") or ""),
        task_key=str(task.get("taskDefinitionKey") or ""),
        name=str(task.get("name") or "")[:200],
        description=str(task.get("description") or ""),
        assignee_email=str(task.get("assignee") or ""),
        candidate_roles=groups,
        due_at=parse_date(task.get("dueDate")),
        created_at=parse_date(task.get("createTime")),
        claimed_at=parse_date(task.get("claimTime")),
    )


# -- reading the history ----------------------------------------------------------------------------------------
def terminated_by_model(reason: str) -> bool:
    return reason.startswith(contract.TERMINATED_BY_MODEL)


@dataclass(frozen=True)
class RemoteEnd:
    """How a process instance or a task ended, as OpenText's history tells it (its fields are the keyword arguments
    of ``workflows.apply_remote_closed`` and ``workflows.settled_elsewhere``)."""

    ended_at: datetime | None
    completed: bool  # False: cancelled (an administrator, the engine); True: the model ran to an end
    outcome: str
    assignee_email: str = ""
    reason: str = ""  # the delete reason


def instance_end(past: dict | None) -> RemoteEnd | None:
    """The end of an instance from its history entry; ``None`` while the history does not say it ended (no entry
    yet, or no ``endTime``: history is written asynchronously). A delete reason other than the model's own
    terminate end event (or ``completed: false``) is a cancellation, whatever the variables say."""
    if not past or not past.get("endTime"):
        return None
    reason = str(past.get("deleteReason") or "")
    own_end = not reason or terminated_by_model(reason)
    completed = own_end and past.get("completed") is not False
    outcome = str(variables_of(past).get(OUTCOME_VARIABLE) or "") if completed else ""
    return RemoteEnd(ended_at=parse_date(past["endTime"]), completed=completed, outcome=outcome, reason=reason)


def task_end(run: WorkflowRun, task: Task, past: dict | None, variables: Callable[[], dict]) -> RemoteEnd | None:
    """The end of one task from its history entry, ``None`` while the history does not say it ended. A task with a
    delete reason was removed by the engine, not completed. The outcome of a completion is read from the history
    entry where the platform gives it, else from the task's outcome variable (named in our BPMN) among the
    instance's variables, and only when it is one of the task's declared outcomes."""
    if not past or not past.get("endTime"):
        return None
    ended_at = parse_date(past["endTime"])
    assignee = str(past.get("assignee") or "")
    reason = str(past.get("deleteReason") or "")
    if reason:
        return RemoteEnd(ended_at=ended_at, completed=False, outcome="", assignee_email=assignee, reason=reason)
    allowed = [value for _label, value in task.possible_outcomes]
    outcome = str(past.get("outcome") or "")
    if not outcome:
        spec = bpmn.task_spec(run.process_key, task.task_key, task.name)
        if spec and spec.outcome_variable:
            outcome = str(variables_of(past).get(spec.outcome_variable) or variables().get(spec.outcome_variable) or "")
    return RemoteEnd(
        ended_at=ended_at, completed=True, outcome=outcome if outcome in allowed else "", assignee_email=assignee
    )


def instance_variables(api: OpenTextClient, run: WorkflowRun) -> Callable[[], dict]:
    """The instance's variables from the history, fetched on first use."""

    @functools.cache
    def load() -> dict:
        return variables_of(api.historic_process(run.remote_id))

    return load


def start(run: WorkflowRun, api: OpenTextClient | None = None) -> str:
    """Start the run's process unless OpenText already has an instance with its business key (a retried start
    after a lost answer must not create a second instance). Returns the instance id. The instance goes to the run's
    client's tenant (``for_client``)."""
    api = api or for_client(run.client_id)
    instance = api.find_process(run.process_key, run.business_key)
    if instance is None:
        instance = api.start_process(
            run.process_key, business_key=run.business_key, values=run.variables, name=run.business_key
        )
    workflows.apply_remote_start(run, remote_id=str(instance["id"]), started_at=parse_date(instance.get("startTime")))
    run.refresh_from_db()
    mirror_run(run, api)
    return run.remote_id


def mirror_run(run: WorkflowRun, api: OpenTextClient | None = None) -> dict:
    """Bring one run's tasks and state up to date with OpenText (its client's tenant)."""
    api = api or for_client(run.client_id)
    if not run.remote_id:
        return {}
    remote = [map_task(t) for t in api.tasks(processInstanceId=run.remote_id)]
    counts = {**workflows.apply_remote_tasks({run.remote_id: run}, remote), "closed": 0, "ended": 0, "waiting": 0}
    _settle(run, {t.remote_id for t in remote}, api, counts)
    counts["comments"] = pull_comments(run, api)
    return counts


def map_comment(item: dict) -> workflows.RemoteComment:
    return workflows.RemoteComment(
        remote_id=str(item["id"]),
        message=str(item.get("message") or ""),
        author=str(item.get("author") or ""),
        time=parse_date(item.get("time")),
        task_remote_id=str(item.get("taskId") or ""),
    )


def pull_comments(run: WorkflowRun, api: OpenTextClient) -> int:
    """Bring the comments people added in OpenText into the run's conversation (``workflows.apply_remote_comments``
    keeps each once): the instance's list and each mirrored task's (a task comment is in the instance's list only
    when it was saved with the instance's id, ``contract`` says). A task the history does not know yet is read at
    the next pass, and so is an instance it does not know yet (both lists look their subject up there). Returns how
    many were added."""
    if not run.remote_id:
        return 0
    try:
        found = [map_comment(c) for c in api.process_comments(run.remote_id)]
    except NotFound:
        found = []
    for remote_id in Task.objects.filter(run=run).order_by("id").values_list("remote_id", flat=True):
        try:
            found += [map_comment(c) for c in api.task_comments(remote_id)]
        except NotFound:
            continue
    for item in found:  # a comment listed with the instance may name its task only as the task's list does
        item.task_remote_id = item.task_remote_id or next(
            (other.task_remote_id for other in found if other.remote_id == item.remote_id and other.task_remote_id),
            "",
        )
    return workflows.apply_remote_comments(run, found, own_author=api.client_id)


def _settle(run: WorkflowRun, open_remote_ids: set[str], api: OpenTextClient, counts: dict) -> None:
    """Close what OpenText's history says has ended: tasks no longer listed, then the run itself. ``waiting``
    counts what the history does not know yet (it is written asynchronously): the next poll looks again."""
    closed, waiting = _close_missing(run, open_remote_ids, api)
    counts["closed"] += closed
    counts["waiting"] += waiting
    if not open_remote_ids:
        ended = _check_end(run, api)
        counts["ended"] += ended is True
        counts["waiting"] += ended is None


def settle_gone_task(task: Task, message, api: OpenTextClient) -> dict:
    """A queued call (``message``) finds its task no longer open at OpenText. The history says what became of it;
    until it does (it is written asynchronously) the call is retried. Our own completion whose answer was lost is
    done; anything else (someone completed the task in OpenText, the engine removed it) settles the task their way,
    keeps our decision as not applied and withdraws our other calls for the task."""
    end = task_end(task.run, task, api.historic_task(task.remote_id), instance_variables(api, task.run))
    if end is None:
        raise NotYet("OpenText", "The task is no longer open at OpenText and its history does not say why yet")
    payload = message.payload
    ours = (
        message.kind == "opentext.complete"
        and end.completed
        and end.assignee_email.lower() == str(payload.get("assignee") or "").lower()
        and end.outcome in ("", payload.get("outcome"))
    )
    if ours:
        return {"already": True}
    workflows.settled_elsewhere(task, **asdict(end))
    return {"settled_elsewhere": True, "completed": end.completed, "outcome": end.outcome, "by": end.assignee_email}


def resolve_parked(api: OpenTextClient | None = None) -> int:
    """Parked task calls (failed for good) whose task OpenText has settled meanwhile: a call we made after all is
    marked delivered, any other is withdrawn with the history's account applied, so a parked row never holds back
    its run's later calls for good. Rows whose task is still open at OpenText wait for an operator (sync page).
    Each task is asked of its client's tenant (``api`` given: of that one)."""
    chosen = api
    resolved = 0
    parked = OutboxMessage.objects.filter(status=OutboxStatus.FAILED, kind__in=workflows.TASK_CALLS).order_by("id")
    for message in parked:
        task = Task.objects.select_related("run", "client").filter(pk=message.payload.get("task")).first()
        if task is None or not task.run.remote_id:
            continue
        api = chosen or for_client(task.client_id)
        try:
            api.get_task(task.remote_id)
            continue  # still open at OpenText: a person decides (retry or discard)
        except NotFound:
            pass
        if message.kind == "opentext.comment":
            # a finished task takes no new comment, and a comment says nothing of how the task ended
            OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.FAILED).update(
                status=OutboxStatus.DONE,
                sent_at=timezone.now(),
                result={"not_sent": "The task was no longer open at OpenText: the comment is in Greenlight only."},
                last_error="",
            )
            outbox.kick()
            resolved += 1
            continue
        try:
            result = settle_gone_task(task, message, api)
        except NotYet:
            continue
        except workflows.InvalidTransition:
            continue  # a task closed for good here cannot take the history's account: an operator decides
        if result.get("already"):
            OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.FAILED).update(
                status=OutboxStatus.DONE, sent_at=timezone.now(), result=result, last_error=""
            )
            outbox.kick()
        resolved += 1
    return resolved


def _close_missing(run: WorkflowRun, open_remote_ids: set[str], api: OpenTextClient) -> tuple[int, int]:
    """Tasks open here that OpenText no longer lists: closed as the history says, once it says so. Returns how
    many were closed and how many wait for the history."""
    vanished = list(Task.objects.filter(run=run, status=TaskStatus.OPEN).exclude(remote_id__in=open_remote_ids))
    if not vanished:
        return 0, 0
    history = {str(h["id"]): h for h in api.historic_tasks(run.remote_id)}
    variables = instance_variables(api, run)
    closed = waiting = 0
    for task in vanished:
        end = task_end(run, task, history.get(task.remote_id), variables)
        if end is None:
            waiting += 1  # not ended as far as the (asynchronous) history knows: the next poll decides
            continue
        closed += workflows.apply_remote_closed(task, **asdict(end))
    return closed, waiting


def _check_end(run: WorkflowRun, api: OpenTextClient) -> bool | None:
    """Settle a run with no open task left once OpenText's history says its instance ended. The runtime answers
    404 for an ended instance, and the history may not know the end yet: both mean "wait" (``None``), never
    "cancelled". ``True``: ended now; ``False``: still running (or ended before)."""
    try:
        running = api.get_process(run.remote_id)
    except NotFound:
        running = None
    if running is not None and not (running.get("ended") or running.get("completed")):
        WorkflowRun.objects.filter(pk=run.pk, remote_missing_since__isnull=False).update(remote_missing_since=None)
        return False  # waiting somewhere that is no user task
    end = instance_end(api.historic_process(run.remote_id))
    if end is None:
        return _await_history(run)
    # The history has the end, so it has the tasks that led there: settle them from it first (a task completed
    # just before the end would otherwise be closed with the run as cancelled).
    _close_missing(run, set(), api)
    return workflows.apply_remote_end(
        run, outcome=end.outcome, cancelled=not end.completed, ended_at=end.ended_at, reason=end.reason
    )


def _await_history(run: WorkflowRun) -> bool | None:
    """The runtime has forgotten the instance and the history does not say it ended yet. Normally the history
    catches up within seconds; an instance that neither knows for ``OPENTEXT_HISTORY_PATIENCE_HOURS`` was deleted
    without a trace, and the run is closed as cancelled (its subject goes back to be reviewed again)."""
    now = timezone.now()
    if run.remote_missing_since is None:
        WorkflowRun.objects.filter(pk=run.pk, remote_missing_since__isnull=True).update(remote_missing_since=now)
        return None
    if now - run.remote_missing_since < timedelta(hours=settings.OPENTEXT_HISTORY_PATIENCE_HOURS):
        return None
    logger.error("OpenText has no record of the end of %s; closing it as cancelled", run)
    return workflows.apply_remote_end(run, outcome="", cancelled=True, reason="unknown to OpenText")


def discover(api: OpenTextClient | None = None, *, accept: frozenset | None = None, refuse=frozenset()) -> dict:
    """Processes people started in OpenText, not Greenlight: each running instance of an adoptable flow
    (``flows.adoptable``) that no run of ours knows (by instance id or business key) is handed to its flow, which
    mirrors it once (``Flow.adopt``). An instance the flow cannot place (no client it knows) is left alone and
    counted; a broken one never stops the others. Listing instances by process key is an [A] of the contract: an
    OpenText that refuses or fails it costs the discovery of that pass (logged, counted), never the task sync.

    Tenants are kept apart: on a tenant of some clients' own (``accept``: their slugs) only instances naming one of
    them are placed; on the environment's tenant, instances naming a client with a tenant of its own (``refuse``)
    are left alone (that client's runs live on its tenant, and every later call for the run would go there)."""
    api = api or OpenTextClient()
    counts = {"adopted": 0, "skipped": 0, "discovery_failed": 0}
    for flow in flows.adoptable():
        try:
            listed = [i for i in api.running_instances(flow.key) if isinstance(i, dict) and i.get("id")]
        except PlatformError as exc:
            logger.warning("Could not list %s instances started in OpenText: %s", flow.key, exc)
            counts["discovery_failed"] += 1
            continue
        if not listed:
            continue
        ids = {str(i["id"]) for i in listed}
        keys = {str(i.get("businessKey") or "") for i in listed} - {""}
        known_ids = set(WorkflowRun.objects.filter(remote_id__in=ids).values_list("remote_id", flat=True))
        known_keys = set(WorkflowRun.objects.filter(business_key__in=keys).values_list("business_key", flat=True))
        for item in listed:
            instance_id, business_key = str(item["id"]), str(item.get("businessKey") or "")
            if instance_id in known_ids or (business_key and business_key in known_keys):
                continue
            if "variables" not in item:  # the list left them out: read the instance itself
                try:
                    item = {**item, **api.get_process(instance_id)}
                except NotFound:
                    continue  # ended meanwhile: nothing to work on
            named = str(variables_of(item).get("client") or "")
            if (accept is not None and named not in accept) or named in refuse:
                counts["skipped"] += 1
                continue
            started = flows.Started(
                process_key=flow.key,
                remote_id=instance_id,
                business_key=business_key,
                started_by=str(item.get("startUserId") or ""),
                started_at=parse_date(item.get("startTime")),
                variables=variables_of(item),
            )
            try:
                adopted = flow.adopt(started)
            except Exception:  # one instance's surprise must not stop the sync
                logger.exception("Could not mirror the %s instance %s started in OpenText", flow.key, instance_id)
                adopted = None
            counts["adopted" if adopted is not None else "skipped"] += 1
    return counts


def poll(api: OpenTextClient | None = None) -> dict:
    """One pass over every tenant (the environment's, and each one clients have of their own): processes started in
    OpenText are discovered first (``discover``), then every process key with open runs there has all its open tasks
    mirrored in a few paged calls, then runs that no longer have open tasks are settled. A run is only ever read at
    its client's tenant. ``api`` given: everything goes to that one tenant."""
    from apps.clients.models import OpenTextConnection

    running = WorkflowRun.objects.filter(status=RunStatus.RUNNING).exclude(remote_id="")
    if api is not None:
        return _poll_tenant(api, running)
    default = OpenTextClient()
    groups: dict[tuple, tuple[OpenTextClient, dict[int, str]]] = {}
    for connection in OpenTextConnection.objects.select_related("client").order_by("pk"):
        if connection.identity == default.identity:
            continue  # a connection naming the environment's own tenant: its runs are polled with it
        tenant_api, clients = groups.setdefault(connection.identity, (for_client(connection.client_id), {}))
        clients[connection.client_id] = connection.client.slug
    away = {client_id: slug for _api, clients in groups.values() for client_id, slug in clients.items()}
    totals = _poll_tenant(default, running.exclude(client_id__in=list(away)), refuse=frozenset(away.values()))
    for tenant_api, clients in groups.values():
        counts = _poll_tenant(
            tenant_api, running.filter(client_id__in=list(clients)), accept=frozenset(clients.values())
        )
        for name, count in counts.items():
            totals[name] = totals.get(name, 0) + count
    return totals


def _poll_tenant(api: OpenTextClient, runs_qs, *, accept: frozenset | None = None, refuse=frozenset()) -> dict:
    totals = {"created": 0, "updated": 0, "closed": 0, "ended": 0, "waiting": 0}
    totals.update(discover(api, accept=accept, refuse=refuse))
    runs = {r.remote_id: r for r in runs_qs}
    if not runs:
        return totals
    remote_by_run: dict[str, set[str]] = {instance: set() for instance in runs}
    for key in {run.process_key for run in runs.values()}:
        remote = [map_task(t) for t in api.tasks(processDefinitionKey=key)]
        for task in remote:
            remote_by_run.setdefault(task.process_instance_id, set()).add(task.remote_id)
        for name, count in workflows.apply_remote_tasks(runs, remote).items():
            totals[name] += count
    for instance, run in runs.items():
        _settle(run, remote_by_run.get(instance, set()), api, totals)
    return totals


def reconcile(api: OpenTextClient | None = None) -> dict:
    """The slow, thorough pass: every open run one by one (also runs whose start is still queued), each at its
    client's tenant (``api`` given: all at that one)."""
    chosen = api
    apis: dict[int, OpenTextClient] = {}

    def api_for(client_id: int) -> OpenTextClient:
        if chosen is not None:
            return chosen
        if client_id not in apis:
            apis[client_id] = for_client(client_id)
        return apis[client_id]

    totals: dict[str, int] = {"parked_resolved": resolve_parked(chosen)}
    for run in WorkflowRun.objects.filter(status__in=OPEN_RUN_STATUSES):
        api = api_for(run.client_id)
        if run.status == RunStatus.STARTING:
            instance = api.find_process(run.process_key, run.business_key)
            if instance is None:
                continue  # its start is still in the outbox
            workflows.apply_remote_start(
                run, remote_id=str(instance["id"]), started_at=parse_date(instance.get("startTime"))
            )
            run.refresh_from_db()
        for name, count in mirror_run(run, api).items():
            totals[name] = totals.get(name, 0) + count
    return totals
