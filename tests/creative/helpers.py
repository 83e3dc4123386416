"""Local mirrors of creative_request tasks (as the OpenText sync makes them), for service tests that need no
emulator: decisions queue their calls in the outbox and nothing leaves the process."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from django.utils import timezone

from apps.assets.choices import ApprovalState, RightsState
from apps.assets.models import Asset
from apps.creative import services
from apps.workflows import bpmn
from apps.workflows.choices import RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun

_n = count(1)


def asset(client, name="", *, approval=ApprovalState.APPROVED, days=90) -> Asset:
    n = next(_n)
    return Asset.objects.create(
        client=client,
        content_element_uuid=f"cr-el-{n}",
        name=name or f"Trail {n}",
        approval_state=approval,
        rights_state=RightsState.VALID,
        rights_until=timezone.now() + timedelta(days=days),
    )


def task(request, key: str) -> Task:
    """The open task ``key`` of the request's run, as the sync mirrors it (the run made running first)."""
    n = next(_n)
    run = WorkflowRun.objects.filter(subject_type=services.SUBJECT, subject_id=request.pk).first()
    WorkflowRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, remote_id=run.remote_id or f"cr-pi-{n}")
    spec = bpmn.task_spec(services.PROCESS, key)
    requester = request.requester if spec.assignee else None
    return Task.objects.create(
        client=request.client,
        run=run,
        remote_id=f"cr-task-{n}",
        task_key=key,
        name=spec.name,
        candidate_roles=list(spec.candidate_groups),
        possible_outcomes=[list(pair) for pair in spec.outcomes],
        assignee=requester,
        assignee_email=request.requester_email if spec.assignee else "",
        status=TaskStatus.OPEN,
        due_at=timezone.now() + timedelta(days=2),
    )
