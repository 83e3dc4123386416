"""The outbox's rows and the platforms' circuit breakers.

Both tables were created by the integrations app (``integrations_outboxmessage``, ``integrations_circuitbreaker``)
and keep their names: the models moved to this app in the migration state only (``outbox.0001_initial``).
"""

from __future__ import annotations

from django.db import models

from .choices import BLOCKING_STATUSES, OutboxStatus, Platform
from .querysets import OutboxQuerySet


class OutboxMessage(models.Model):
    """One remote effect, written in the same transaction as the change that causes it.

    Delivered at least once by the relay (``services.drain``) with ``idempotency_key`` on every attempt, in order per
    ``ordering_key``, retried with jittered exponential backoff, parked as ``failed`` after the last attempt or a
    permanent error. Never deleted by the relay: ``done`` rows are the delivery record.
    """

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="outbox_messages")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    kind = models.CharField(max_length=100, help_text="Handler name, e.g. smintio.workflow_status.")
    ordering_key = models.CharField(max_length=200, help_text="Rows with the same key are delivered in order.")
    payload = models.JSONField(default=dict)
    idempotency_key = models.CharField(max_length=255, unique=True)
    status = models.CharField(max_length=20, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    give_up_at = models.DateTimeField(help_text="After this the row is parked as failed (72 h by default).")
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(
        max_length=200, blank=True, help_text="host:pid:nonce of the claim holding the row while it is sending."
    )
    last_error = models.TextField(blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        db_table = "integrations_outboxmessage"  # created by the integrations app, before the outbox was its own
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], name="outbox_due_idx", condition=models.Q(status=OutboxStatus.PENDING)
            ),
            models.Index(fields=["ordering_key", "id"], name="outbox_order_idx"),
            # The claim asks, for each due row, whether an earlier row of its key still blocks it; over the whole
            # index that walks every delivered row of the key first (one webhook endpoint's 1,000 queued rows
            # drained at 9/s). Only blocking rows in the index: 40/s (bench/webhooks.py).
            models.Index(
                fields=["ordering_key", "id"],
                name="outbox_blocking_order_idx",
                condition=models.Q(status__in=BLOCKING_STATUSES),
            ),
            models.Index(fields=["client", "status"], name="outbox_client_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=OutboxStatus.values), name="outbox_status_valid")
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class CircuitBreaker(models.Model):
    """Per platform: after ``FAILURE_THRESHOLD`` consecutive failures no call is made until ``open_until``, then
    one probe; shared by every worker through the database."""

    platform = models.CharField(max_length=20, choices=Platform.choices, unique=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    open_until = models.DateTimeField(null=True, blank=True)
    probing_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "integrations_circuitbreaker"

    def __str__(self) -> str:
        return f"{self.platform}: {self.consecutive_failures} failures"
