"""Mirroring OpenText into the portal: process starts (idempotent by business key), open tasks (polled), tasks that
closed elsewhere, and process ends. OpenText has no webhooks, so this polling is the source of truth; callbacks
only make it prompt."""

from __future__ import annotations

import logging

from apps.workflows import services as workflows
from apps.workflows.choices import OPEN_RUN_STATUSES, RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun

from ..http import NotFound
from .client import OpenTextClient, parse_date

logger = logging.getLogger(__name__)

# The process variable each model sets to its final outcome ([A]: our BPMN files' convention).
OUTCOME_VARIABLE = "approvalStatus"


def parse_outcomes(value) -> list[list[str]]:
    """``"Approve:approved,Reject:rejected"`` (OpenText's ``possibleoutcomes``) or a list → ``[[label, value]]``."""
    if not value:
        return []
    if isinstance(value, str):
        pairs = []
        for part in value.split(","):
            label, _, key = part.strip().partition(":")
            if label:
                pairs.append([label.strip(), (key or label).strip()])
        return pairs
    result = []
    for item in value:
        if isinstance(item, dict):
            result.append([str(item.get("name") or item.get("label") or item.get("value")), str(item.get("value"))])
        elif isinstance(item, list | tuple) and len(item) == 2:
            result.append([str(item[0]), str(item[1])])
        else:
            result.append([str(item), str(item)])
    return result


def variables_of(body: dict) -> dict:
    return {v.get("name"): v.get("value") for v in body.get("variables") or [] if isinstance(v, dict)}


def map_task(task: dict) -> workflows.RemoteTask:
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
        possible_outcomes=parse_outcomes(task.get("possibleOutcomes")),
        due_at=parse_date(task.get("dueDate")),
        created_at=parse_date(task.get("createTime")),
        claimed_at=parse_date(task.get("claimTime")),
    )


def start(run: WorkflowRun, api: OpenTextClient | None = None) -> str:
    """Start the run's process unless OpenText already has an instance with its business key (a retried start
    after a lost answer must not create a second instance). Returns the instance id."""
    api = api or OpenTextClient()
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
    """Bring one run's tasks and state up to date with OpenText."""
    api = api or OpenTextClient()
    if not run.remote_id:
        return {}
    remote = [map_task(t) for t in api.tasks(processInstanceId=run.remote_id)]
    counts = workflows.apply_remote_tasks({run.remote_id: run}, remote)
    counts["closed"] = _close_missing(run, {t.remote_id for t in remote}, api)
    counts["ended"] = int(_check_end(run, api, open_remote=bool(remote)))
    return counts


def _close_missing(run: WorkflowRun, open_remote_ids: set[str], api: OpenTextClient) -> int:
    vanished = list(Task.objects.filter(run=run, status=TaskStatus.OPEN).exclude(remote_id__in=open_remote_ids))
    if not vanished:
        return 0
    history = {str(h["id"]): h for h in api.historic_tasks(run.remote_id)}
    closed = 0
    for task in vanished:
        past = history.get(task.remote_id)
        if past is None:
            continue  # history is written asynchronously; the next poll decides
        completed = not past.get("deleteReason")
        workflows.apply_remote_closed(
            task,
            completed=completed,
            outcome=str(past.get("outcome") or ""),
            assignee_email=str(past.get("assignee") or ""),
            ended_at=parse_date(past.get("endTime")),
        )
        closed += 1
    return closed


def _check_end(run: WorkflowRun, api: OpenTextClient, *, open_remote: bool) -> bool:
    if open_remote:
        return False
    try:
        instance = api.get_process(run.remote_id)
    except NotFound:
        return workflows.apply_remote_end(run, outcome="", cancelled=True)
    if not (instance.get("ended") or instance.get("completed")):
        return False
    outcome = str(variables_of(instance).get(OUTCOME_VARIABLE) or "")
    return workflows.apply_remote_end(run, outcome=outcome, cancelled=not outcome)


def poll(api: OpenTextClient | None = None) -> dict:
    """One pass over every process key with open runs: mirror all their open tasks in a few paged calls, then
    settle runs that no longer have open tasks."""
    api = api or OpenTextClient()
    totals = {"created": 0, "updated": 0, "closed": 0, "ended": 0}
    runs = {r.remote_id: r for r in WorkflowRun.objects.filter(status=RunStatus.RUNNING).exclude(remote_id="")}
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
        totals["closed"] += _close_missing(run, remote_by_run.get(instance, set()), api)
        totals["ended"] += int(_check_end(run, api, open_remote=bool(remote_by_run.get(instance))))
    return totals


def reconcile(api: OpenTextClient | None = None) -> dict:
    """The slow, thorough pass: every open run one by one (also runs whose start is still queued)."""
    api = api or OpenTextClient()
    totals: dict[str, int] = {}
    for run in WorkflowRun.objects.filter(status__in=OPEN_RUN_STATUSES):
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
