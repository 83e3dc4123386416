"""Mirrors of OpenText Workflow Service objects. The engine owns the stages of a flow; the portal mirrors the
process instances it starts and the user tasks the engine creates, and never hard-codes the stages."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .choices import OPEN_RUN_STATUSES, RunStatus, TaskStatus
from .querysets import CommentQuerySet, DecisionQuerySet, TaskQuerySet, WorkflowRunQuerySet


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
    title = models.CharField(max_length=300, blank=True, help_text="What the run is about, e.g. the asset's name.")
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
    remote_missing_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Since when OpenText's runtime no longer has the instance while its history does not yet say it "
        "ended (history is written asynchronously).",
    )

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
        indexes = [
            models.Index(fields=["status"], name="run_status_idx"),
            # a subject's runs (the asset page's timeline and conversation, the case page): the unique constraint
            # above covers open runs only, so without it every subject page scanned all runs
            models.Index(fields=["subject_type", "subject_id"], name="run_subject_idx"),
        ]

    def __str__(self) -> str:
        # What the run is about (the asset's name) is what the audit trail and people read.
        return self.title or f"{self.process_key} {self.business_key}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_RUN_STATUSES

    @property
    def flow(self):
        """The flow this run belongs to (``workflows.flows``), ``None`` for a process no app declares."""
        from . import flows

        return flows.get(self.process_key)

    @property
    def subject_url(self) -> str:
        """The page of what the run is about (its tasks are decided there or in the inbox)."""
        flow = self.flow
        return reverse(flow.subject_page, args=[self.subject_id]) if flow else ""


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
    # ",legal,brand," — the candidate roles as text, so "tasks for my roles" is a portable LIKE, not a JSON lookup.
    roles_key = models.CharField(max_length=300, blank=True, db_index=False)
    possible_outcomes = models.JSONField(default=list, blank=True, help_text="[[label, value], ...]")
    regions = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes of the regions the task's work is for (its run's intended use); empty: not regional.",
    )
    # ",amer,emea," — the regions as text, so "tasks in my regions" is a portable LIKE, as ``roles_key`` is.
    regions_key = models.CharField(max_length=300, blank=True)
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
            # analytics (apps/analytics/figures.py): a client's tasks completed in a period, read by an index-only
            # scan on PostgreSQL (the durations' columns included); see docs/analytics.md for the measurements
            models.Index(
                fields=["client", "completed_at"],
                name="task_completed_client_idx",
                condition=models.Q(status="completed"),
                include=["task_key", "claimed_at", "remote_created_at", "created_at", "due_at"],
            ),
        ]

    def __str__(self) -> str:
        """The task and its subject ("Legal review of Alpine hero") when the run is at hand, as when a decision is
        audited; never a query of its own (a list of tasks stays one query)."""
        if Task._meta.get_field("run").is_cached(self) and self.run.title:
            return f"{self.name} of {self.run.title}"
        return self.name

    def save(self, *args, update_fields=None, **kwargs):
        # derived match columns, not business rules
        self.roles_key = codes_key(self.candidate_roles)
        self.regions_key = codes_key(self.regions)
        if update_fields is not None:
            derived = {"candidate_roles": "roles_key", "regions": "regions_key"}
            update_fields = {*update_fields, *(derived[name] for name in derived if name in update_fields)}
        super().save(*args, update_fields=update_fields, **kwargs)

    @property
    def is_open(self) -> bool:
        return self.status == TaskStatus.OPEN

    @property
    def region(self) -> str:
        """The task's region when it has exactly one, else "" (the API's older ``region`` field)."""
        return self.regions[0] if len(self.regions) == 1 else ""


def codes_key(codes) -> str:
    """``",a,b,"`` for a list of codes (roles, regions), so a membership test is a portable ``LIKE '%,a,%'``."""
    return "," + ",".join(sorted(set(codes))) + "," if codes else ""


class CommentSource(models.TextChoices):
    PORTAL = "portal", "Greenlight"
    OPENTEXT = "opentext", "OpenText"


class Comment(models.Model):
    """A remark on a run (optionally on one of its tasks), threaded by ``parent``, mentioning people by @e-mail.

    Comments on a task are also sent to OpenText (through the outbox) so people working there see them; comments
    people add in OpenText come back (``source`` OpenText). ``remote_id`` is the comment's id at OpenText: the one
    we posted (once OpenText confirmed it) or the one we pulled; unique per client, so a comment pulled twice is
    kept once. ``created_at`` is when it was written, at OpenText for a pulled one."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="comments")
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="comments")
    task = models.ForeignKey(Task, on_delete=models.SET_NULL, null=True, blank=True, related_name="comments")
    parent = models.ForeignKey("self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    author_label = models.CharField(max_length=254)
    body = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in")
    created_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=20, choices=CommentSource.choices, default=CommentSource.PORTAL)
    remote_id = models.CharField(max_length=100, blank=True, help_text="The comment's id at OpenText.")

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["run", "created_at"], name="comment_run_time_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "remote_id"], condition=~models.Q(remote_id=""), name="comment_one_per_remote_id"
            )
        ]

    def __str__(self) -> str:
        return f"{self.author_label}: {self.body[:40]}"

    @property
    def in_opentext(self) -> bool:
        """Written in OpenText (not in Greenlight)."""
        return self.source == CommentSource.OPENTEXT


class Decision(models.Model):
    """A person's decision on a task, kept for good: who, when, the outcome, the reason, the licence terms as they
    stood, and the licence warnings they decided over.

    A decision OpenText never took (someone else held or completed the task there first) stays on record with
    ``applied`` false and the reason; it is never sent and never counts as the task's outcome. The database allows
    one applied decision per task."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="decisions")
    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="decisions")
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="decisions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="decisions"
    )
    actor_label = models.CharField(
        max_length=254,
        blank=True,
        help_text="Who decided without an account (a review link's holder, by e-mail); empty when ``actor`` is set.",
    )
    outcome = models.CharField(max_length=50)
    reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True)
    license_snapshot = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    warnings = models.JSONField(default=list, blank=True, help_text="Licence conflicts shown when deciding.")
    applied = models.BooleanField(default=True, help_text="False when OpenText took someone else's decision.")
    not_applied_reason = models.CharField(max_length=500, blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["decided_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task"], condition=models.Q(applied=True), name="decision_one_applied_per_task"
            ),
            models.CheckConstraint(
                condition=models.Q(actor__isnull=False) | ~models.Q(actor_label=""), name="decision_has_a_decider"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} by {self.by} on {self.task}"

    @property
    def by(self) -> str:
        """Who decided, as pages, the API and Smint.io's ``decided_by`` say it: a member's e-mail, or the e-mail of
        the person who decided through a review link."""
        return self.actor.email if self.actor_id else self.actor_label
