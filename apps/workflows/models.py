"""Mirrors of OpenText Workflow Service objects. The engine owns the stages of a flow; the portal mirrors the
process instances it starts and the user tasks the engine creates, and never hard-codes the stages."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .choices import OPEN_RUN_STATUSES, RunStatus, TaskStatus
from .querysets import TaskQuerySet, WorkflowRunQuerySet


class WorkflowRun(models.Model):
    """One process instance for one subject (e.g. an asset's approval cycle).

    ``business_key`` is ours and unique: starting is idempotent because the outbox looks the key up at OpenText
    before it starts anything. At most one open run per subject and process key (enforced by the database).
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="workflow_runs")
    process_key = models.CharField(max_length=100)
    business_key = models.CharField(max_length=200, unique=True)
    subject_type = models.CharField(max_length=100, help_text="app_label.model of the subject, e.g. assets.asset")
    subject_id = models.BigIntegerField()
    status = models.CharField(max_length=20, choices=RunStatus.choices, default=RunStatus.STARTING)
    variables = models.JSONField(default=dict, blank=True)
    remote_id = models.CharField(max_length=100, blank=True, db_index=True)
    outcome = models.CharField(max_length=50, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)

    objects = WorkflowRunQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "process_key"],
                condition=models.Q(status__in=OPEN_RUN_STATUSES),
                name="run_one_open_per_subject_and_process",
            )
        ]
        indexes = [models.Index(fields=["status"], name="run_status_idx")]

    def __str__(self) -> str:
        return f"{self.process_key} {self.business_key}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RUN_STATUSES


class Task(models.Model):
    """A user task of a run as OpenText last reported it, plus the portal's claim.

    ``version`` grows with every change, so a form that carries it can detect that someone else acted first.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="tasks")
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="tasks")
    remote_id = models.CharField(max_length=100, unique=True)
    task_key = models.CharField(max_length=100, blank=True, help_text="The task's definition key in the model.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    candidate_roles = models.JSONField(default=list, blank=True)
    possible_outcomes = models.JSONField(default=list, blank=True, help_text="[[label, value], ...]")
    region = models.CharField(max_length=30, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tasks"
    )
    assignee_email = models.CharField(max_length=254, blank=True, help_text="As OpenText knows the assignee.")
    status = models.CharField(max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    outcome = models.CharField(max_length=50, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    remote_created_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["client", "status", "due_at"], name="task_inbox_idx"),
            models.Index(fields=["run", "status"], name="task_run_status_idx"),
        ]

    def __str__(self) -> str:
        return self.name
