"""Runs and tasks of any registered flow, built in the database and mirrored the way OpenText's task list is
(``apply_remote_tasks``), so a task's outcomes and roles are the ones our BPMN files declare."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.common.roles import RoleCode
from apps.workflows import bpmn
from apps.workflows.choices import RunStatus
from apps.workflows.models import Task, WorkflowRun
from apps.workflows.services import RemoteTask, apply_remote_tasks
from tests.factories import member
from tests.reviews.factories import approval_run, licensed_asset

_ids = itertools.count(1)


def remote_task(run: WorkflowRun, task_key: str = "", *, name: str = "", **fields) -> RemoteTask:
    """A task as OpenText's task list reports it: no outcomes, and (like the platform) often no candidate roles."""
    spec = bpmn.task_spec(run.process_key, task_key, name)
    values = {
        "remote_id": f"ot-task-{next(_ids)}",
        "process_instance_id": run.remote_id,
        "task_key": task_key,
        "name": name or (spec.name if spec else task_key),
        "description": "",
        "assignee_email": "",
        "candidate_roles": [],
        "due_at": None,
        "created_at": timezone.now(),
        "claimed_at": None,
    }
    values.update(fields)
    return RemoteTask(**values)


def mirror(run: WorkflowRun, task_key: str, **fields) -> Task:
    """Mirror one open task of ``run`` as OpenText would report it and return the local row."""
    remote = remote_task(run, task_key, **fields)
    apply_remote_tasks({run.remote_id: run}, [remote])
    return Task.objects.select_related("run", "client").get(remote_id=remote.remote_id)


def running(run: WorkflowRun) -> WorkflowRun:
    """The run as it is once OpenText started it."""
    WorkflowRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING, remote_id=f"pi-{next(_ids)}")
    run.refresh_from_db()
    return run


def compliance_case(client, asset=None, *, route_to: str = "legal"):
    """A compliance case opened as detection opens one (its run is started), the run running at OpenText."""
    from apps.clients.choices import TaskKind
    from apps.exceptions.choices import CaseKind, Trigger
    from apps.exceptions.compliance import COMPLIANCE
    from apps.exceptions.services import open_case

    asset = asset or licensed_asset(client, name=f"Compliance asset {next(_ids)}")
    case, _created = open_case(
        client,
        asset,
        kind=CaseKind.COMPLIANCE,
        process_key=COMPLIANCE,
        sla=TaskKind.COMPLIANCE,
        trigger=Trigger.USAGE,
        key=f"burst:someone@agency.example:{next(_ids)}",
        title=f"Burst of downloads: “{asset.name}”",
        summary="someone@agency.example downloaded 12 times within 10 minutes.",
        evidence={"rule": "burst", "events": [], "event_count": 12},
        now=timezone.now(),
        variables={"rule": "burst", "routeTo": route_to},
    )
    run = WorkflowRun.objects.get(subject_type="exceptions.case", subject_id=case.pk)
    return case, running(run)


@pytest.fixture
def approval(client_a):
    """A running approval cycle (the asset's licence covers the intended use) with its legal task mirrored."""
    run = approval_run(licensed_asset(client_a, name="Glacier lake"))
    return mirror(run, "legal_review", due_at=timezone.now() + timedelta(days=2))


@pytest.fixture
def colleague(client_a):
    """A second legal reviewer: the same role as ``legal``."""
    return member(client_a, RoleCode.LEGAL, email="colleague@acme.example")


def renewal_case(client, asset=None):
    """A renewal case opened as the sweep opens one (its run is started), the run running at OpenText."""
    from apps.assets.choices import ApprovalState
    from apps.clients.choices import TaskKind
    from apps.exceptions.choices import CaseKind, Trigger
    from apps.exceptions.services import RENEWAL, open_case

    if asset is None:
        asset = licensed_asset(client, name="Lapsing shot", valid_days=10, approval=ApprovalState.APPROVED)
    case, _ = open_case(
        client,
        asset,
        kind=CaseKind.RENEWAL,
        process_key=RENEWAL,
        sla=TaskKind.RENEWAL,
        trigger=Trigger.LAPSE,
        key="lapse:test",
        title=f"Renew or replace “{asset.name}”",
        summary="The rights end soon.",
        evidence={},
        now=timezone.now(),
        lapse_at=asset.rights_until,
    )
    return case, running(WorkflowRun.objects.get(subject_type="exceptions.case", subject_id=case.pk))
