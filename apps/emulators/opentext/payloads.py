"""Wire representations: dates, variables, paging envelope and the JSON of instances, tasks and comments."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from . import contract
from .engine import ProcessModel
from .errors import BadRequest
from .models import OtComment, OtProcessInstance, OtTask


def format_date(value: datetime | None) -> str | None:
    """``yyyy-MM-ddTHH:mm:ss.SSS+0000``, the format of OpenText's (Flowable's) samples."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"


def page(items: Sequence[dict], *, key: str, total: int, offset: int, count: int) -> dict:
    """The HAL list envelope; ``_embedded`` is left out when nothing matched, as the real service does."""
    body: dict[str, Any] = {}
    if items:
        body["_embedded"] = {key: list(items)}
    body["page"] = {
        "size": count,
        "totalElements": total,
        "totalPages": (total + count - 1) // count if count else 0,
        "number": offset // count if count else 0,
    }
    return body


# --- variables -------------------------------------------------------------------------------------------------------
def _coerce(name: str, value: Any, kind: str | None) -> Any:
    """A wire variable's value as the engine stores it; dates stay ISO strings so the state remains plain JSON."""
    if value is None or kind in (None, "json", "date"):
        return value
    if kind == "string":
        return value if isinstance(value, str) else str(value)
    try:
        if kind == "boolean":
            return _boolean(value)
        if isinstance(value, bool):
            raise ValueError("a boolean is not a number")
        return float(value) if kind == "double" else int(value)
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"Variable '{name}' has a value that is not of type '{kind}'") from exc


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "false"):
        return str(value).lower() == "true"
    raise ValueError("not true/false")


def read_variables(raw: Any, *, field: str = "variables") -> dict[str, Any]:
    """A request's variable list (``[{name, value, type?, scope?}]``) as a dict."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise BadRequest(f"'{field}' must be a list of {{name, value}} objects")
    variables: dict[str, Any] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise BadRequest("Variable name is required")
        kind = item.get("type")
        if kind is not None and kind not in contract.VARIABLE_TYPES:
            raise BadRequest(f"Variable '{item['name']}' has an unknown type '{kind}'")
        variables[item["name"]] = _coerce(item["name"], item.get("value"), kind)
    return variables


def _type_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, str):
        return "string"
    return "json"


def write_variables(values: dict[str, Any]) -> list[dict]:
    """Process variables as Flowable's RestVariable list, sorted by name for stable output."""
    return [
        {"name": name, "type": _type_of(value), "value": value, "scope": contract.VARIABLE_SCOPE}
        for name, value in sorted(values.items())
    ]


# --- resources -------------------------------------------------------------------------------------------------------
def process_instance(instance: OtProcessInstance, *, include_variables: bool = False) -> dict:
    body = {
        "id": str(instance.public_id),
        "name": instance.name or None,
        "businessKey": instance.business_key or None,
        "activityId": instance.activity_id or None,
        "startTime": format_date(instance.start_time),
        "startUserId": instance.start_user_id or None,
        "dueDate": None,
        "completed": instance.completed,
        "ended": instance.ended,
        "endTime": format_date(instance.end_time),
        "deleteReason": instance.delete_reason or None,
        "suspended": False,
        "processDefinitionId": instance.definition_id,
        "processDefinitionKey": instance.definition_key,
        "processDefinitionName": instance.definition_name or None,
        "superProcessInstanceId": None,
        "callbackId": None,
        "callbackType": None,
        "tenantId": instance.tenant.tenant_id,
        "subscriptionId": None,
    }
    if include_variables:
        body["variables"] = write_variables(instance.variables)
    return body


def assignments(task: OtTask) -> list[dict]:
    """Candidate groups and users as OpenText's task ``assignments`` (``{type, user, group}``)."""
    return [{"type": "candidate", "user": c.user or None, "group": c.group or None} for c in task.candidates.all()]


def _outcome_fields(task: OtTask) -> dict:
    """OpenText's approval-task attributes; only with the tenant's ``task_outcomes_in_json`` switch (or ``full``)."""
    return {"possibleOutcomes": task.possible_outcomes, "outcomeVariable": task.outcome_variable or None}


def task(
    task: OtTask,
    *,
    include_variables: bool = False,
    include_assignments: bool = False,
    include_comments: bool = False,
    full: bool = False,
) -> dict:
    """A runtime task (Flowable's ``TaskResponse``); ``full`` (control routes) adds what the switches hide."""
    instance = task.process_instance
    body = {
        "id": str(task.public_id),
        "name": task.name,
        "description": task.description or None,
        "assignee": task.assignee or None,
        "owner": task.owner or None,
        "category": task.category or None,
        "claimTime": format_date(task.claim_time),
        "createTime": format_date(task.create_time),
        "dueDate": format_date(task.due_date),
        "delegationState": None,
        "executionId": str(task.spiff_task_id),
        "formKey": task.form_key or None,
        "parentTaskId": None,
        "priority": task.priority,
        "suspended": False,
        "taskDefinitionKey": task.task_definition_key,
        "processInstanceId": str(instance.public_id),
        "processDefinitionId": instance.definition_id,
        "tenantId": task.tenant.tenant_id,
    }
    if full or task.tenant.task_outcomes_in_json:
        body.update(_outcome_fields(task))
    if include_assignments:
        body["assignments"] = assignments(task)
    if include_comments:
        body["comments"] = [comment(c) for c in task.comments.all()]
    if include_variables:
        body["variables"] = write_variables(instance.variables)
    return body


def _millis(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() * 1000)


def _seen_end(end_time: datetime | None, as_of: datetime | None) -> datetime | None:
    """The end as history shows it ``as_of`` then (async history); ``None`` shows the real end."""
    if end_time is None or (as_of is not None and end_time > as_of):
        return None
    return end_time


def historic_task(
    item: OtTask,
    *,
    as_of: datetime | None = None,
    include_process_variables: bool = False,
    include_local_variables: bool = False,
    full: bool = False,
) -> dict:
    """Flowable's ``HistoricTaskInstanceResponse`` fields; a task that ended after ``as_of`` still looks open.

    ``variables`` appears only when asked: process variables with ``include_process_variables``, task-local ones
    (the emulator keeps none) with ``include_local_variables``. ``full`` (control routes) shows the real end and
    what the switches hide.
    """
    instance = item.process_instance
    tenant = item.tenant
    end = _seen_end(item.end_time, None if full else as_of)
    body = {
        "id": str(item.public_id),
        "processDefinitionId": instance.definition_id,
        "processInstanceId": str(instance.public_id),
        "executionId": str(item.spiff_task_id),
        "name": item.name,
        "description": item.description or None,
        "deleteReason": (item.delete_reason or None) if end else None,
        "owner": item.owner or None,
        "assignee": item.assignee or None,
        "startTime": format_date(item.create_time),
        "endTime": format_date(end),
        "durationInMillis": _millis(item.create_time, end),
        "workTimeInMillis": _millis(item.claim_time, end),
        "claimTime": format_date(item.claim_time),
        "taskDefinitionKey": item.task_definition_key,
        "formKey": item.form_key or None,
        "priority": item.priority,
        "dueDate": format_date(item.due_date),
        "parentTaskId": None,
        "tenantId": tenant.tenant_id,
        "category": item.category or None,
    }
    if full or tenant.task_outcomes_in_json:
        body.update(_outcome_fields(item))
    if full or tenant.historic_task_outcome:
        body["outcome"] = (item.outcome or None) if end else None
    if include_process_variables or include_local_variables:
        body["variables"] = write_variables(instance.variables) if include_process_variables else []
    return body


def historic_process_instance(
    instance: OtProcessInstance, *, as_of: datetime | None = None, include_variables: bool = False
) -> dict:
    """Flowable's ``HistoricProcessInstanceResponse`` fields; an instance that ended after ``as_of`` looks running.

    The variables are the current (possibly final) ones even then: only ``endTime`` says the instance is over.
    """
    end = _seen_end(instance.end_time if instance.ended else None, as_of)
    body = {
        "id": str(instance.public_id),
        "businessKey": instance.business_key or None,
        "name": instance.name or None,
        "processDefinitionId": instance.definition_id,
        "processDefinitionKey": instance.definition_key,
        "processDefinitionName": instance.definition_name or None,
        "startTime": format_date(instance.start_time),
        "endTime": format_date(end),
        "durationInMillis": _millis(instance.start_time, end),
        "startUserId": instance.start_user_id or None,
        "startActivityId": instance.start_activity_id or None,
        "endActivityId": (instance.activity_id or None) if end else None,
        "deleteReason": (instance.delete_reason or None) if end else None,
        "superProcessInstanceId": None,
        "tenantId": instance.tenant.tenant_id,
    }
    if include_variables:
        body["variables"] = write_variables(instance.variables)
    return body


def comment(item: OtComment) -> dict:
    return {
        "id": str(item.public_id),
        "message": item.message,
        "author": item.author,
        "time": format_date(item.time),
        "taskId": str(item.task.public_id) if item.task_id else None,
        "processInstanceId": str(item.process_instance.public_id) if item.on_instance else None,
    }


def model(model: ProcessModel) -> dict:
    return {
        "id": model.definition_id,
        "key": model.key,
        "name": model.name,
        "version": model.version,
        "resourceName": model.filename,
    }


def tasks(items: Iterable[OtTask], **options: bool) -> list[dict]:
    return [task(item, **options) for item in items]
