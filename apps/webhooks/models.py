"""Webhook endpoints of a client, their signing secrets, and a record of each delivery attempt.

A delivery itself is an outbox row (``platform=webhook``, ``ordering_key=webhook:<endpoint id>``): its status,
attempts, last response code, last error and time are the delivery log; ``WebhookAttempt`` adds the response code of
every attempt, which the row keeps only for the last one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from apps.common.crypto import EncryptedTextField

from .querysets import WebhookEndpointQuerySet


class WebhookEndpoint(models.Model):
    """Where one client's integrator wants to hear about some events (``event_types``, names from
    ``choices.SUBSCRIBABLE``). Disabled by a person or after ``WEBHOOK_DISABLE_AFTER`` failed attempts in a row;
    nothing is delivered while it is disabled, and enabling it re-queues what was held back."""

    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    event_types = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["client_id", "pk"]
        indexes = [models.Index(fields=["client", "is_active"], name="webhook_endpoint_client_idx")]

    def __str__(self) -> str:
        return self.description or self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:endpoint_detail", args=[self.pk])

    @property
    def ordering_key(self) -> str:
        """The outbox ordering key of this endpoint's deliveries: one endpoint's events arrive in order."""
        return f"webhook:{self.pk}"


class WebhookSecret(models.Model):
    """A signing key of an endpoint (``whsec_`` + base64, the Standard Webhooks format), encrypted at rest.
    ``expires_at`` null is the current secret; a rotated one keeps signing until it expires, so a receiver may
    switch keys without dropping a delivery. The database holds at most one current secret per endpoint."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="secrets")
    secret = EncryptedTextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint"], condition=models.Q(expires_at__isnull=True), name="webhook_one_current_secret"
            )
        ]

    def __str__(self) -> str:
        return f"secret of endpoint {self.endpoint_id} ({'current' if self.expires_at is None else 'rotated'})"


class WebhookAttempt(models.Model):
    """One try of one delivery: the receiver's HTTP status (null when none answered) or what went wrong."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="attempts")
    message = models.ForeignKey("outbox.OutboxMessage", on_delete=models.CASCADE, related_name="webhook_attempts")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["message", "id"], name="webhook_attempt_message_idx")]

    def __str__(self) -> str:
        return f"attempt of delivery {self.message_id}: {self.status_code or self.error}"

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
