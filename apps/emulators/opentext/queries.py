"""Read side of the workflow service: task, history and instance queries with Flowable's parameter names.

Unknown parameters are ignored (as Flowable does); malformed paging or sort values are a 400. The runtime queries see
running instances only (unless the tenant's ``ended_instances_readable`` switch is on); the history queries see the
state as of ``history_as_of`` (async history, ``contract``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Case, DateTimeField, F, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from . import contract
from .engine import parse_datetime
from .errors import BadRequest, NotFound
from .models import OtComment, OtProcessInstance, OtTask, OtTaskCandidate, OtTenant
from .provisioning import user_groups
from .services import as_uuid


@dataclass(frozen=True)
class Paging:
    offset: int
    count: int


def boolean(params: Mapping[str, str], name: str) -> bool:
    return str(params.get(name, "")).lower() == "true"


def paging(params: Mapping[str, str]) -> Paging:
    """``offset`` (default 0) and ``count`` (default 10, capped) as OpenText pages its lists."""
    try:
        offset = int(params.get("offset") or 0)
        count = int(params.get("count") or contract.DEFAULT_COUNT)
    except ValueError as exc:
        raise BadRequest("offset and count must be integers") from exc
    if offset < 0 or count < 1:
        raise BadRequest("offset must be >= 0 and count >= 1")
    return Paging(offset=offset, count=min(count, contract.MAX_COUNT))


def ordered(qs: QuerySet, params: Mapping[str, str], sorts: Mapping[str, str], default: str) -> QuerySet:
    """Sort by a whitelisted wire name; tasks without the value (no due date) come last; ties break on creation
    order so pages never overlap."""
    sort = params.get("sort") or default
    if sort not in sorts:
        raise BadRequest(f"Value for param 'sort' is not valid, '{sort}' is not a valid property")
    order = (params.get("order") or "asc").lower()
    if order not in ("asc", "desc"):
        raise BadRequest("Value for param 'order' is not valid, must be 'asc' or 'desc'")
    field = F(sorts[sort])
    if order == "desc":
        return qs.order_by(field.desc(nulls_last=True), "-id")
    return qs.order_by(field.asc(nulls_last=True), "id")


def page_of(qs: QuerySet, page: Paging) -> tuple[list, int]:
    total = qs.count()
    return list(qs[page.offset : page.offset + page.count]), total


def like(pattern: str) -> str:
    """An SQL LIKE pattern (``%``, ``_``) as an anchored regular expression, as Flowable's ``*Like`` parameters."""
    parts = [".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern]
    return "^" + "".join(parts) + "$"


def _candidates(*, user: str = "", groups: list[str] | tuple[str, ...] = ()) -> Q:
    """Tasks with the user as candidate or with a candidate group among ``groups`` (a subquery: no duplicates)."""
    match = Q(pk__in=[])
    if user:
        match |= Q(user__iexact=user)
    if groups:
        match |= Q(group__in=list(groups))
    return Q(pk__in=OtTaskCandidate.objects.filter(match).values("task_id"))


def _instance_id(value: str) -> Q:
    uid = as_uuid(value)
    return Q(process_instance__public_id=uid) if uid else Q(pk__in=[])


def _date(value: str, name: str):
    parsed = parse_datetime(value)
    if parsed is None:
        raise BadRequest(f"'{name}' must be an ISO-8601 date-time")
    return parsed


def _task_filters(tenant: OtTenant) -> dict[str, Callable[[str], Q]]:
    """Each supported parameter as a function of its value to a filter."""

    def candidate_user(user: str) -> Q:
        return Q(assignee="") & _candidates(user=user, groups=user_groups(tenant, user))

    return {
        "name": lambda v: Q(name=v),
        "nameLike": lambda v: Q(name__regex=like(v)),
        "nameLikeIgnoreCase": lambda v: Q(name__iregex=like(v)),
        "description": lambda v: Q(description=v),
        "descriptionLike": lambda v: Q(description__regex=like(v)),
        "assignee": lambda v: Q(assignee__iexact=v),
        "assigneeLike": lambda v: Q(assignee__iregex=like(v)),
        "owner": lambda v: Q(owner__iexact=v),
        "unassigned": lambda v: Q(assignee="") if v.lower() == "true" else Q(),
        "candidateUser": candidate_user,
        "candidateGroup": lambda v: Q(assignee="") & _candidates(groups=[v]),
        "candidateGroups": lambda v: Q(assignee="") & _candidates(groups=[g for g in v.split(",") if g]),
        "candidateOrAssigned": lambda v: Q(assignee__iexact=v) | candidate_user(v),
        "involvedUser": lambda v: Q(assignee__iexact=v) | Q(owner__iexact=v) | _candidates(user=v),
        "category": lambda v: Q(category=v),
        "priority": lambda v: Q(priority=_number(v, "priority")),
        "minimumPriority": lambda v: Q(priority__gte=_number(v, "minimumPriority")),
        "maximumPriority": lambda v: Q(priority__lte=_number(v, "maximumPriority")),
        "taskDefinitionKey": lambda v: Q(task_definition_key=v),
        "processInstanceId": _instance_id,
        "processInstanceBusinessKey": lambda v: Q(process_instance__business_key=v),
        "processDefinitionKey": lambda v: Q(process_instance__definition_key=v),
        "processDefinitionId": lambda v: Q(process_instance__definition_id=v),
        "processDefinitionName": lambda v: Q(process_instance__definition_name=v),
        "createdBefore": lambda v: Q(create_time__lt=_date(v, "createdBefore")),
        "createdAfter": lambda v: Q(create_time__gt=_date(v, "createdAfter")),
        "dueBefore": lambda v: Q(due_date__lt=_date(v, "dueBefore")),
        "dueAfter": lambda v: Q(due_date__gt=_date(v, "dueAfter")),
    }


def _number(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise BadRequest(f"'{name}' must be an integer") from exc


def _apply(qs: QuerySet, params: Mapping[str, str], filters: Mapping[str, Callable[[str], Q]]) -> QuerySet:
    for name, build in filters.items():
        value = params.get(name)
        if value not in (None, ""):
            qs = qs.filter(build(value))
    return qs


def _tasks_base(tenant: OtTenant) -> QuerySet:
    """Tasks with what their JSON needs, without the instances' (large) serialized workflow state."""
    return (
        OtTask.objects.filter(tenant=tenant)
        .select_related("tenant", "process_instance", "process_instance__tenant")
        .defer("process_instance__workflow_json")
    )


def comments() -> QuerySet:
    """Comments with what their JSON needs, without the instances' serialized workflow state, newest first (as
    Flowable's comment queries sort: ``order by TIME_ desc``) [I]."""
    return (
        OtComment.objects.select_related("task", "process_instance")
        .defer("process_instance__workflow_json")
        .order_by("-time", "-id")
    )


def task_query(tenant: OtTenant, params: Mapping[str, str]) -> QuerySet:
    """Open tasks matching ``GET tasks`` parameters, sorted (default ``createTime`` ascending)."""
    qs = _apply(_tasks_base(tenant).filter(end_time__isnull=True), params, _task_filters(tenant))
    if boolean(params, "includeTaskAssignments"):
        qs = qs.prefetch_related("candidates")
    if boolean(params, "includeTaskComments"):
        qs = qs.prefetch_related(Prefetch("comments", queryset=comments()))
    return ordered(qs, params, contract.TASK_SORTS, "createTime")


def history_as_of(tenant: OtTenant) -> datetime:
    """The moment history shows: the tenant's history delay ago (async history); now when the delay is 0."""
    return timezone.now() - timedelta(seconds=tenant.history_delay_seconds or 0)


def _seen_end(as_of: datetime) -> Case:
    """``end_time`` if history already knows it ``as_of``, else null (the row still looks open)."""
    return Case(When(end_time__lte=as_of, then=F("end_time")), default=Value(None), output_field=DateTimeField())


def _finished(value: str) -> Q:
    return Q(seen_end__isnull=value.lower() != "true")


def history_query(tenant: OtTenant, params: Mapping[str, str], as_of: datetime) -> QuerySet:
    """``historic-task-instances`` as of ``as_of``: tasks created by then, open or ended (an end after it is unseen)."""

    def process_finished(value: str) -> Q:
        seen = Q(process_instance__end_time__lte=as_of)
        return seen if value.lower() == "true" else ~seen

    filters = {
        "taskId": lambda v: Q(public_id=as_uuid(v)) if as_uuid(v) else Q(pk__in=[]),
        "processInstanceId": _instance_id,
        "processInstanceBusinessKey": lambda v: Q(process_instance__business_key=v),
        "processDefinitionKey": lambda v: Q(process_instance__definition_key=v),
        "taskDefinitionKey": lambda v: Q(task_definition_key=v),
        "taskName": lambda v: Q(name=v),
        "taskNameLike": lambda v: Q(name__regex=like(v)),
        "taskAssignee": lambda v: Q(assignee__iexact=v),
        "taskCandidateGroup": lambda v: _candidates(groups=[v]),
        "finished": _finished,
        "processFinished": process_finished,
    }
    base = _tasks_base(tenant).filter(create_time__lte=as_of).annotate(seen_end=_seen_end(as_of))
    qs = _apply(base, params, filters)
    return ordered(qs, params, contract.HISTORY_SORTS, "startTime")


def _instances_base(tenant: OtTenant) -> QuerySet:
    return OtProcessInstance.objects.filter(tenant=tenant).select_related("tenant").defer("workflow_json")


def _public_id(value: str) -> Q:
    uid = as_uuid(value)
    return Q(public_id=uid) if uid else Q(pk__in=[])


def historic_instance_query(tenant: OtTenant, params: Mapping[str, str], as_of: datetime) -> QuerySet:
    """``historic-process-instances`` as of ``as_of``: instances started by then; an end after it is unseen."""
    filters = {
        "processInstanceId": _public_id,
        "processDefinitionKey": lambda v: Q(definition_key=v),
        "processDefinitionId": lambda v: Q(definition_id=v),
        "businessKey": lambda v: Q(business_key=v),
        "startedBy": lambda v: Q(start_user_id__iexact=v),
        "finished": _finished,
    }
    base = _instances_base(tenant).filter(start_time__lte=as_of).annotate(seen_end=_seen_end(as_of))
    qs = _apply(base, params, filters)
    return ordered(qs, params, contract.HISTORIC_INSTANCE_SORTS, "startTime")


def historic_instance(tenant: OtTenant, instance_id: str, as_of: datetime) -> OtProcessInstance:
    """One historic process instance, or a 404 (unknown, of another tenant, or not yet in history)."""
    found = historic_instance_query(tenant, {}, as_of).filter(_public_id(instance_id)).first()
    if found is None:
        raise NotFound(f"Could not find a historic process instance with id '{instance_id}'.")
    return found


def instance_query(tenant: OtTenant, params: Mapping[str, str]) -> QuerySet:
    """Runtime process instances: running ones only, as Flowable's runtime holds no ended instance.

    With the tenant's ``ended_instances_readable`` switch, ended ones too, and ``ended=true|false`` narrows.
    """
    filters = {
        "processDefinitionKey": lambda v: Q(definition_key=v),
        "processDefinitionId": lambda v: Q(definition_id=v),
        "businessKey": lambda v: Q(business_key=v),
        "businessKeyLike": lambda v: Q(business_key__regex=like(v)),
        "startedBy": lambda v: Q(start_user_id__iexact=v),
    }
    base = _instances_base(tenant)
    if tenant.ended_instances_readable:
        filters["ended"] = lambda v: Q(ended=v.lower() == "true")
    else:
        base = base.filter(ended=False)
    qs = _apply(base, params, filters)
    return ordered(qs, params, contract.INSTANCE_SORTS, "startTime")
