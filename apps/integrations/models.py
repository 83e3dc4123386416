from __future__ import annotations

from django.db import models

from apps.outbox.choices import Platform

from .querysets import InboundEventQuerySet


class WorkerHeartbeat(models.Model):
    """The last time a q2 worker of a cluster ran the heartbeat job; /healthz reads it."""

    cluster = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.cluster} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


class InboundEvent(models.Model):
    """A verified hint from a platform, stored once per (source, event id); the payload is only a hint to pull."""

    source = models.CharField(max_length=20, choices=Platform.choices)
    event_id = models.CharField(max_length=200)
    event = models.CharField(max_length=100)
    payload = models.JSONField(default=dict)
    target = models.CharField(
        max_length=200,
        blank=True,
        help_text="What the hint asks to pull (a Smint.io tenant, OpenText); hints of one target share one queued job.",
    )
    note = models.CharField(max_length=500, blank=True, help_text="Why the hint was not acted on, if it was not.")
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = InboundEventQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["source", "event_id"], name="inbound_source_event_unique")]
        indexes = [
            models.Index(
                fields=["target", "id"], name="inbound_unprocessed_idx", condition=models.Q(processed_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event} {self.event_id}"
