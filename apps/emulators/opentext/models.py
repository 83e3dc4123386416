"""State of the OpenText emulator: tenants and their identities, tokens, process instances, tasks and comments.

Everything is scoped by tenant, as the real service scopes by the token's tenant. Task and instance ids on the wire are
UUIDs (``public_id``); the integer primary keys only give a stable tie-break order.
"""

from __future__ import annotations

import uuid

from django.db import models

from . import contract


class OtTenant(models.Model):
    """An OpenText tenant (the ``{tenant_id}`` of the token URL) with its emulator-only knobs.

    The boolean switches relax a strict default (``contract.SWITCHES``); all are off for a new tenant.
    """

    tenant_id = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200, blank=True)
    token_lifetime_seconds = models.PositiveIntegerField(default=contract.DEFAULT_TOKEN_LIFETIME_SECONDS)
    history_delay_seconds = models.FloatField(
        default=contract.default_history_delay_seconds,
        help_text="History lags the runtime by this (async history): newer starts are absent, newer ends look open.",
    )
    ended_instances_readable = models.BooleanField(
        default=False, help_text="process-instances (by id and list) also answers for ended instances."
    )
    task_outcomes_in_json = models.BooleanField(
        default=False, help_text="Task and historic-task JSON carry possibleOutcomes and outcomeVariable."
    )
    historic_task_outcome = models.BooleanField(
        default=False, help_text="Historic task JSON carries the chosen outcome."
    )
    complete_requires_assignee = models.BooleanField(
        default=False, help_text="Completing a task someone else holds is a 409."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tenant_id"]

    def __str__(self) -> str:
        return self.tenant_id


class OtServiceClient(models.Model):
    """A confidential "service client" (client id + secret) that may request tokens for its tenant."""

    tenant = models.ForeignKey(OtTenant, on_delete=models.CASCADE, related_name="clients")
    client_id = models.CharField(max_length=200)
    secret_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "client_id"], name="ot_client_unique_per_tenant")]

    def __str__(self) -> str:
        return self.client_id


class OtUser(models.Model):
    """A tenant user, referenced by e-mail everywhere (OpenText's default), with app-level group memberships.

    ``password_hash`` is empty for users who cannot use the password grant.
    """

    tenant = models.ForeignKey(OtTenant, on_delete=models.CASCADE, related_name="users")
    email = models.CharField(max_length=254)
    groups = models.JSONField(default=list)
    password_hash = models.CharField(max_length=128, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(fields=["tenant", "email"], name="ot_user_unique_per_tenant")]

    def __str__(self) -> str:
        return self.email


class OtToken(models.Model):
    """An issued access or refresh token; only its SHA-256 is stored, so a database dump leaks no bearer token."""

    class Kind(models.TextChoices):
        ACCESS = "access"
        REFRESH = "refresh"

    tenant = models.ForeignKey(OtTenant, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=200)
    user_email = models.CharField(max_length=254, blank=True)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.kind} token of {self.user_email or self.client_id}"


class OtProcessInstance(models.Model):
    """A running or ended process instance; ``workflow_json`` is the serialized SpiffWorkflow state after the last step.

    The row is both the runtime instance and its history: the API shows an ended one only through
    ``historic-process-instances`` (unless the tenant's ``ended_instances_readable`` switch is on).

    The serialized state embeds the process spec, so an instance keeps running on the model it started with even
    when the BPMN file changes, and any process can load it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(OtTenant, on_delete=models.CASCADE, related_name="process_instances")
    definition_key = models.CharField(max_length=200)
    definition_id = models.CharField(max_length=300)
    definition_name = models.CharField(max_length=300, blank=True)
    name = models.CharField(max_length=300, blank=True)
    business_key = models.CharField(max_length=255, blank=True, db_index=True)
    start_user_id = models.CharField(max_length=254, blank=True)
    start_activity_id = models.CharField(max_length=200, blank=True)
    start_time = models.DateTimeField()
    end_time = models.DateTimeField(null=True, blank=True)
    ended = models.BooleanField(default=False)
    completed = models.BooleanField(default=False, help_text="Ended by reaching an end event (not cancelled).")
    delete_reason = models.CharField(max_length=255, blank=True)
    activity_id = models.CharField(max_length=200, blank=True)
    variables = models.JSONField(default=dict)
    workflow_json = models.TextField()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "definition_key"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended=False) | models.Q(end_time__isnull=False), name="ot_instance_ended_has_time"
            )
        ]

    def __str__(self) -> str:
        return f"{self.definition_key} {self.public_id}"


class OtTask(models.Model):
    """A user task mirroring one READY SpiffWorkflow user task; it stays as history once completed or deleted.

    Open tasks have no ``end_time``. A task the engine removed without a completion (terminate end event,
    deleted instance) has a ``delete_reason`` (Flowable's values, ``contract.DELETE_REASON_*``).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(OtTenant, on_delete=models.CASCADE, related_name="tasks")
    process_instance = models.ForeignKey(OtProcessInstance, on_delete=models.CASCADE, related_name="tasks")
    spiff_task_id = models.UUIDField()
    task_definition_key = models.CharField(max_length=200)
    name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=200, blank=True)
    form_key = models.CharField(max_length=200, blank=True)
    priority = models.IntegerField(default=contract.DEFAULT_PRIORITY)
    assignee = models.CharField(max_length=254, blank=True)
    owner = models.CharField(max_length=254, blank=True)
    possible_outcomes = models.JSONField(default=list, help_text='[{"name": "Approve", "value": "approved"}, ...]')
    outcome_variable = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    create_time = models.DateTimeField()
    claim_time = models.DateTimeField(null=True, blank=True)
    due_date = models.DateTimeField(null=True, blank=True)
    end_time = models.DateTimeField(null=True, blank=True)
    delete_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["tenant", "end_time"])]
        constraints = [
            models.UniqueConstraint(
                fields=["process_instance", "spiff_task_id"], name="ot_task_one_row_per_spiff_task"
            ),
            models.CheckConstraint(
                condition=models.Q(delete_reason="") | models.Q(end_time__isnull=False),
                name="ot_task_deleted_has_end_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.public_id}"

    @property
    def is_open(self) -> bool:
        return self.end_time is None


class OtTaskCandidate(models.Model):
    """One candidate of a task: a group or a user (e-mail); a table, so candidate queries are plain joins."""

    task = models.ForeignKey(OtTask, on_delete=models.CASCADE, related_name="candidates")
    group = models.CharField(max_length=200, blank=True)
    user = models.CharField(max_length=254, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(group="") & ~models.Q(user="")) | (~models.Q(group="") & models.Q(user="")),
                name="ot_candidate_group_xor_user",
            )
        ]

    def __str__(self) -> str:
        return self.group or self.user


class OtComment(models.Model):
    """A comment on a task or on a process instance, authored by the token's user or service client.

    ``process_instance`` is always the instance the comment is about (for tenancy and lookups); whether the comment
    *carries* the instance id (Flowable's ``PROC_INST_ID_``) is ``on_instance``: a task comment posted through the
    REST API carries it only when asked (``saveProcessInstanceId``), and only such comments are listed with the
    instance's comments."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tenant = models.ForeignKey(OtTenant, on_delete=models.CASCADE, related_name="comments")
    process_instance = models.ForeignKey(OtProcessInstance, on_delete=models.CASCADE, related_name="comments")
    task = models.ForeignKey(OtTask, on_delete=models.CASCADE, related_name="comments", null=True, blank=True)
    message = models.TextField()
    author = models.CharField(max_length=254)
    time = models.DateTimeField()
    on_instance = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.author}: {self.message[:40]}"
