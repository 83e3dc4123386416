"""What happened to a subject (an asset, a case) and to the runs and tasks of its flows, for the subject's page.

Every state change is audited on the object that changed (docs/architecture.md, "State changes"): the subject's own
moves on the subject, a run's on the run, a task's on the task. A subject's page reads them together, so its
timeline tells the whole story, without repeating what the page shows already (the runs themselves, and each
decision with its reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode

from .choices import TaskStatus
from .models import Task, WorkflowRun


def subject_events(user, subject, runs, *, limit: int) -> list[AuditEvent]:
    """The newest ``limit`` events ``user`` may read about ``subject`` and its ``runs`` (with their ``tasks`` and
    ``decisions`` prefetched): one query."""
    tasks = [task for run in runs for task in run.tasks.all()]
    told = Q(action="workflows.run.start")  # the page lists the run itself
    for run in runs:
        for decision in run.decisions.all():  # shown as the decision, with its reason and licence warnings
            told |= Q(
                object_type="workflows.task",
                object_id=str(decision.task_id),
                action=f"workflows.task.{decision.outcome}",
            )
    return list(AuditEvent.objects.visible_to(user).about(subject, *runs, *tasks).exclude(told).order_by("-id")[:limit])


@dataclass(frozen=True)
class StageTime:
    """How long one stage (task) of a run took, or has been waiting: from when it became available (OpenText's
    creation time, else the mirror's) until it closed, or until ``now`` while it is open. ``holder`` is who
    claimed it (their e-mail), else empty: it waits for any of ``roles``."""

    task: Task
    since: datetime
    until: datetime | None
    seconds: float
    holder: str
    roles: tuple[str, ...]

    @property
    def is_open(self) -> bool:
        return self.until is None

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def waits_for(self) -> str:
        """Who the stage waits for, in words: its holder, else the roles that may claim it."""
        if self.holder:
            return self.holder
        labels = dict(RoleCode.choices)
        roles = ", ".join(labels.get(code, code) for code in self.roles)
        return f"anyone with the role {roles}" if roles else "nobody yet"


def stage_times(run: WorkflowRun, now: datetime) -> list[StageTime]:
    """The time spent in each stage of ``run``, oldest first, from its tasks (prefetched: no query). The one helper
    behind the asset page's "time in stage", the request page's "where it waits" and, in SQL, the analytics
    figures (``apps.analytics.figures``), which use the same definition of *available*."""
    stages = []
    for task in run.tasks.all():
        since = task.remote_created_at or task.created_at
        # a cancelled task closed when the mirror last changed
        until = None if task.status == TaskStatus.OPEN else task.completed_at or task.updated_at
        seconds = max(0.0, ((until or now) - since).total_seconds())
        holder = task.assignee_email or (task.assignee.email if task.assignee_id else "")
        stages.append(StageTime(task, since, until, seconds, holder, tuple(task.candidate_roles)))
    return sorted(stages, key=lambda stage: (stage.since, stage.task.pk))


def attach_stage_times(runs, now: datetime) -> None:
    """``run.stage_times`` (oldest first) and ``run.waiting`` (its open stages) on each of ``runs``, and
    ``task.stage_time`` on each prefetched task, for the subject pages' templates."""
    for run in runs:
        run.stage_times = stage_times(run, now)
        run.waiting = [stage for stage in run.stage_times if stage.is_open]
        for stage in run.stage_times:
            stage.task.stage_time = stage
