"""State changes of the workflow service: start, claim, complete, update, comment, cancel.

Each change runs in one transaction that locks the process instance row, loads the instance's SpiffWorkflow state,
acts, runs the engine to the next wait state and writes the state back together with the task rows. Any engine
failure rolls everything back, so the stored JSON and the task rows never disagree.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from . import contract
from .engine import EngineError, ProcessModel, ReadyUserTask, WorkflowEngine, parse_datetime
from .errors import BadRequest, Conflict, EngineFailure, Forbidden, NotFound
from .models import OtComment, OtProcessInstance, OtTask, OtTaskCandidate, OtTenant
from .provisioning import user_groups


def default_engine() -> WorkflowEngine:
    return WorkflowEngine()


@dataclass(frozen=True)
class StartRequest:
    """A start request after parsing; exactly one of key, definition id and message must be set."""

    process_definition_key: str = ""
    process_definition_id: str = ""
    message: str = ""
    business_key: str = ""
    name: str = ""
    variables: dict[str, Any] | None = None


def as_uuid(value: str) -> UUID | None:
    try:
        return UUID(str(value))
    except (TypeError, ValueError):
        return None


# --- lookups ---------------------------------------------------------------------------------------------------------
def get_instance(tenant: OtTenant | None, instance_id: str) -> OtProcessInstance:
    """An instance of the tenant (any tenant when ``None``), running or ended, without its serialized state."""
    uid = as_uuid(instance_id)
    qs = OtProcessInstance.objects.select_related("tenant").defer("workflow_json")
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    instance = qs.filter(public_id=uid).first() if uid else None
    if instance is None:
        raise NotFound(f"Could not find a process instance with id '{instance_id}'.")
    return instance


def get_runtime_instance(tenant: OtTenant, instance_id: str) -> OtProcessInstance:
    """An instance as the runtime API sees it: an ended one is a 404 (Flowable moved it to history) unless the
    tenant's ``ended_instances_readable`` switch is on."""
    instance = get_instance(tenant, instance_id)
    if instance.ended and not tenant.ended_instances_readable:
        raise NotFound(f"Could not find a process instance with id '{instance_id}'.")
    return instance


def get_task(tenant: OtTenant | None, task_id: str, *, open_only: bool = False) -> OtTask:
    """A task of the tenant (any tenant when ``None``: control routes act "inside OpenText")."""
    uid = as_uuid(task_id)
    qs = OtTask.objects.select_related("tenant", "process_instance", "process_instance__tenant").defer(
        "process_instance__workflow_json"
    )
    if tenant is not None:
        qs = qs.filter(tenant=tenant)
    if open_only:
        qs = qs.filter(end_time__isnull=True)
    task = qs.filter(public_id=uid).first() if uid else None
    if task is None:
        raise NotFound(f"Could not find a task with id '{task_id}'.")
    return task


def _resolve_model(engine: WorkflowEngine, request: StartRequest) -> ProcessModel:
    given = [v for v in (request.process_definition_key, request.process_definition_id, request.message) if v]
    if len(given) != 1:
        raise BadRequest("Either processDefinitionId, processDefinitionKey or message is required.")
    try:
        if request.process_definition_key:
            found = engine.model(request.process_definition_key)
            missing = f"No process definition found for key '{request.process_definition_key}'."
        elif request.process_definition_id:
            found = engine.model_by_definition_id(request.process_definition_id)
            missing = f"No process definition found for id '{request.process_definition_id}'."
        else:
            found = None
            missing = f"No process definition found for message '{request.message}'."
    except EngineError as exc:
        raise EngineFailure(str(exc)) from exc
    if found is None:
        raise BadRequest(missing)
    return found


# --- engine <-> rows -------------------------------------------------------------------------------------------------
def _task_row(instance: OtProcessInstance, ready: ReadyUserTask, now: datetime) -> OtTask:
    return OtTask(
        tenant=instance.tenant,
        process_instance=instance,
        spiff_task_id=ready.spiff_task_id,
        task_definition_key=ready.definition_key,
        name=ready.name,
        description=ready.description,
        category=ready.category,
        form_key=ready.form_key,
        priority=contract.DEFAULT_PRIORITY if ready.priority is None else ready.priority,
        possible_outcomes=[{"name": o.name, "value": o.value} for o in ready.possible_outcomes],
        outcome_variable=ready.outcome_variable,
        create_time=now,
        due_date=ready.due_date,
        assignee=ready.assignee,
        claim_time=now if ready.assignee else None,
    )


def _create_task_rows(instance: OtProcessInstance, ready: Iterable[ReadyUserTask], now: datetime) -> None:
    for item in ready:
        row = _task_row(instance, item, now)
        row.save()
        OtTaskCandidate.objects.bulk_create(
            [OtTaskCandidate(task=row, group=g) for g in item.candidate_groups]
            + [OtTaskCandidate(task=row, user=u) for u in item.candidate_users]
        )


def _close_open_rows(instance: OtProcessInstance, keep: set[UUID], reason: str, now: datetime) -> None:
    instance.tasks.filter(end_time__isnull=True).exclude(spiff_task_id__in=keep).update(
        end_time=now, delete_reason=reason
    )


def _persist(
    instance: OtProcessInstance, workflow: BpmnWorkflow, engine: WorkflowEngine, *, step_began: float | None = None
) -> None:
    """Write the workflow state and mirror its ready user tasks: new ones get rows, vanished ones are closed.

    An instance ended by a terminate end event gets Flowable's delete reason, as do the tasks it cut off; one that
    reached a normal end event has none.
    """
    now = timezone.now()
    completed = engine.is_completed(workflow)
    terminated = completed and engine.ended_by_terminate(workflow)
    instance.workflow_json = engine.dump(workflow)
    instance.variables = engine.variables(workflow, previous=instance.variables, changed_after=step_began)
    instance.activity_id = engine.current_activity(workflow)
    if completed and not instance.ended:
        instance.ended = instance.completed = True
        instance.end_time = now
        if terminated:
            instance.delete_reason = contract.DELETE_REASON_TERMINATE_END_EVENT
    instance.save()

    ready = engine.ready_user_tasks(workflow)
    ready_ids = {r.spiff_task_id for r in ready}
    reason = (
        contract.DELETE_REASON_TERMINATE_END_EVENT if terminated else contract.DELETE_REASON_BOUNDARY_EVENT_INTERRUPTING
    )
    _close_open_rows(instance, ready_ids, reason, now)
    known = set(instance.tasks.filter(spiff_task_id__in=ready_ids).values_list("spiff_task_id", flat=True))
    _create_task_rows(instance, (r for r in ready if r.spiff_task_id not in known), now)


def _load(instance: OtProcessInstance, engine: WorkflowEngine) -> BpmnWorkflow:
    try:
        return engine.load(instance.workflow_json)
    except EngineError as exc:
        raise EngineFailure(str(exc)) from exc


# --- process instances -----------------------------------------------------------------------------------------------
def start_process(
    tenant: OtTenant, request: StartRequest, *, start_user: str = "", engine: WorkflowEngine | None = None
) -> OtProcessInstance:
    """Start an instance and run it to its first wait state inside this call (as Flowable does)."""
    engine = engine or default_engine()
    model = _resolve_model(engine, request)
    with transaction.atomic():
        try:
            workflow = engine.start(model, dict(request.variables or {}))
        except EngineError as exc:
            raise EngineFailure(str(exc)) from exc
        instance = OtProcessInstance(
            tenant=tenant,
            definition_key=model.key,
            definition_id=model.definition_id,
            definition_name=model.name,
            name=request.name,
            business_key=request.business_key,
            start_user_id=start_user,
            start_activity_id=engine.start_activity(workflow),
            start_time=timezone.now(),
            variables=dict(request.variables or {}),
        )
        _persist(instance, workflow, engine)
        return instance


def cancel_process_instance(
    instance_id: str, *, tenant: OtTenant | None = None, reason: str = "", engine: WorkflowEngine | None = None
) -> OtProcessInstance:
    """An administrator deletes a running instance (Flowable's ``deleteProcessInstance``).

    The instance and its open tasks get the reason (default ``process instance deleted``); the variables stay as they
    were, including any outcome an earlier task wrote.
    """
    engine = engine or default_engine()
    reason = reason or contract.DELETE_REASON_PROCESS_INSTANCE_DELETED
    with transaction.atomic():
        qs = OtProcessInstance.objects.select_for_update().select_related("tenant")
        if tenant is not None:
            qs = qs.filter(tenant=tenant)
        uid = as_uuid(instance_id)
        instance = qs.filter(public_id=uid).first() if uid else None
        if instance is None:
            raise NotFound(f"Could not find a process instance with id '{instance_id}'.")
        if instance.ended:
            raise Conflict(f"Process instance '{instance_id}' has already ended.")
        workflow = _load(instance, engine)
        engine.cancel(workflow)
        now = timezone.now()
        instance.workflow_json = engine.dump(workflow)
        instance.ended = True
        instance.completed = False
        instance.end_time = now
        instance.delete_reason = reason
        instance.activity_id = ""
        instance.save()
        _close_open_rows(instance, set(), reason, now)
        return instance


# --- tasks -----------------------------------------------------------------------------------------------------------
def _lock_open_task(tenant: OtTenant | None, task_id: str) -> OtTask:
    """Lock the instance first, then the task: every writer takes the locks in this order."""
    task = get_task(tenant, task_id, open_only=True)
    OtProcessInstance.objects.select_for_update().filter(pk=task.process_instance_id).first()
    task = (
        OtTask.objects.select_for_update()
        .select_related("tenant", "process_instance", "process_instance__tenant")
        .get(pk=task.pk)
    )
    if not task.is_open:
        raise NotFound(f"Could not find a task with id '{task_id}'.")
    return task


def claim_task(tenant: OtTenant | None, task_id: str, assignee: str | None, *, force: bool = False) -> OtTask:
    """Claim for ``assignee`` (``None`` unclaims); a task held by someone else is a 409 unless ``force``."""
    with transaction.atomic():
        task = _lock_open_task(tenant, task_id)
        if not assignee:
            task.assignee = ""
            task.claim_time = None
        elif task.assignee and task.assignee.lower() != assignee.lower() and not force:
            raise Conflict(f"Task '{task_id}' is already claimed by someone else.", message=contract.ALREADY_CLAIMED)
        elif task.assignee.lower() != assignee.lower():
            task.assignee = assignee
            task.claim_time = timezone.now()
        task.save(update_fields=["assignee", "claim_time"])
        return task


def _outcome_data(task: OtTask, outcome: str | None, variables: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Validate the outcome against the task's possible outcomes; return it and the data written into the engine."""
    data = dict(variables)
    allowed = [o["value"] for o in task.possible_outcomes]
    if outcome is None and task.outcome_variable and task.outcome_variable in data:
        outcome = data[task.outcome_variable]
    if outcome is not None and not isinstance(outcome, str):
        raise BadRequest("outcome must be a string")
    if allowed and not outcome:
        raise BadRequest(f"An outcome is required; possible outcomes: {', '.join(allowed)}.")
    if outcome and allowed and outcome not in allowed:
        raise BadRequest(f"Outcome '{outcome}' is not a possible outcome of this task ({', '.join(allowed)}).")
    if outcome and task.outcome_variable:
        data[task.outcome_variable] = outcome
    return outcome or "", data


def _may_complete(task: OtTask, user: str) -> bool:
    """The user holds the task, is one of its candidate users or in one of its candidate groups."""
    if task.assignee and task.assignee.lower() == user.lower():
        return True
    match = Q(user__iexact=user)
    groups = user_groups(task.tenant, user)
    if groups:
        match |= Q(group__in=groups)
    return task.candidates.filter(match).exists()


def _check_completion(task: OtTask, task_id: str, *, user: str, assignee: str) -> None:
    """Who may complete: a user with a right to the task (else 403); anyone with the tenant's relaxed default.

    With the ``complete_requires_assignee`` switch, a task someone other than the acting user (``user``, or the
    ``assignee`` a service client names) holds is a 409.
    """
    if user and not _may_complete(task, user):
        raise Forbidden(f"User '{user}' is neither the assignee nor a candidate of task '{task_id}'.")
    actor = user or assignee
    if task.tenant.complete_requires_assignee and actor and task.assignee and task.assignee.lower() != actor.lower():
        raise Conflict(f"Task '{task_id}' is assigned to someone else.")


def complete_task(
    tenant: OtTenant | None,
    task_id: str,
    *,
    outcome: str | None = None,
    variables: dict[str, Any] | None = None,
    user: str = "",
    assignee: str = "",
    force: bool = False,
    engine: WorkflowEngine | None = None,
) -> OtTask:
    """Complete a task and advance the engine synchronously.

    ``user`` is a signed-in user (a user token, or a person acting inside OpenText): they need a right to the task
    (assignee, candidate user or candidate group), else 403. ``assignee`` is the acting user a service client names
    in its body; a service client needs no right (Flowable's ``TaskService.complete`` checks none). The task keeps
    its assignee; an unassigned one records the acting user, so history says who decided. ``force`` skips the
    checks. See ``_check_completion`` for the ``complete_requires_assignee`` switch.
    """
    engine = engine or default_engine()
    with transaction.atomic():
        task = _lock_open_task(tenant, task_id)
        if not force:
            _check_completion(task, task_id, user=user, assignee=assignee)
        chosen, data = _outcome_data(task, outcome, variables or {})
        instance = task.process_instance
        workflow = _load(instance, engine)
        step_began = time.time()  # Spiff stamps state changes with time.time()
        try:
            engine.complete(workflow, task.spiff_task_id, data)
        except EngineError as exc:
            raise EngineFailure(str(exc)) from exc
        task.end_time = timezone.now()
        task.outcome = chosen
        actor = user or assignee
        if actor and not task.assignee:
            task.assignee = actor
        task.save(update_fields=["end_time", "outcome", "assignee"])
        _persist(instance, workflow, engine, step_began=step_began)
        return task


_TEXT_FIELDS = {
    "assignee": "assignee",
    "owner": "owner",
    "name": "name",
    "description": "description",
    "category": "category",
    "formKey": "form_key",
}


def update_task(tenant: OtTenant, task_id: str, changes: dict[str, Any]) -> OtTask:
    """PUT semantics of Flowable: only the fields present change; ``assignee`` here bypasses claim rules."""
    with transaction.atomic():
        task = _lock_open_task(tenant, task_id)
        fields = []
        for wire, attr in _TEXT_FIELDS.items():
            if wire in changes:
                setattr(task, attr, _text(changes[wire], wire))
                fields.append(attr)
        if "assignee" in changes:
            task.claim_time = timezone.now() if task.assignee else None
            fields.append("claim_time")
        if "priority" in changes:
            task.priority = _integer(changes["priority"], "priority")
            fields.append("priority")
        if "dueDate" in changes:
            task.due_date = _due_date(changes["dueDate"])
            fields.append("due_date")
        if fields:
            task.save(update_fields=fields)
        return task


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequest(f"'{field}' must be a string")
    return value


def _integer(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRequest(f"'{field}' must be an integer")
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"'{field}' must be an integer") from exc


def _due_date(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise BadRequest("'dueDate' must be an ISO-8601 date-time")
    return parsed


# --- comments --------------------------------------------------------------------------------------------------------
def add_comment(
    tenant: OtTenant, task_id: str, message: Any, *, author: str, save_instance_id: bool = False
) -> OtComment:
    """A comment on an open task (Flowable's ``POST runtime/tasks/{id}/comments`` reads the runtime task: a
    finished or unknown task is a 404). It carries the instance id only when asked (``saveProcessInstanceId``)."""
    task = get_task(tenant, task_id, open_only=True)
    return _comment(task.process_instance, task, message, author, on_instance=save_instance_id)


def add_instance_comment(instance: OtProcessInstance, message: Any, *, author: str) -> OtComment:
    """A comment on the instance itself (the ``comment`` of a start request)."""
    return _comment(instance, None, message, author, on_instance=True)


def _comment(
    instance: OtProcessInstance, task: OtTask | None, message: Any, author: str, *, on_instance: bool
) -> OtComment:
    if not isinstance(message, str) or not message.strip():
        raise BadRequest("Comment message is required.")
    return OtComment.objects.create(
        tenant=instance.tenant,
        process_instance=instance,
        task=task,
        message=message,
        author=author,
        time=timezone.now(),
        on_instance=on_instance,
    )
