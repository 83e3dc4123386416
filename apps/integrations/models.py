from __future__ import annotations

import hashlib

from django.db import models

from apps.outbox.choices import RemotePlatform

from .querysets import InboundEventQuerySet


class WorkerHeartbeat(models.Model):
    """The last time a q2 worker of a cluster ran the heartbeat job; /healthz reads it."""

    cluster = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.cluster} at {self.seen_at:%Y-%m-%d %H:%M:%S}"


# The longest event id a hint may carry; a longer one is refused (400), never cut (two ids sharing a prefix would
# collide). Kept whole in ``event_id``; its SHA-256 (``event_key``) carries the uniqueness, since a unique index on
# up to 4,000 bytes of UTF-8 exceeds PostgreSQL's btree entry limit.
EVENT_ID_MAX = 1000


def event_key(event_id: str) -> str:
    """The key hints are deduplicated by: the SHA-256 of the whole event id, hex."""
    return hashlib.sha256(event_id.encode()).hexdigest()


class InboundEvent(models.Model):
    """A verified hint from a platform, stored once per (source, event id); the payload is only a hint to pull.

    ``client`` is the client the hint is about (the client whose connection has the Smint.io tenant it names, or
    whose workflow run has the OpenText business key it names), resolved when it arrives; a hint nobody can be
    found for has none and only staff operators see it.
    """

    source = models.CharField(max_length=20, choices=RemotePlatform.choices)
    event_id = models.CharField(max_length=EVENT_ID_MAX)
    event_key = models.CharField(max_length=64, editable=False, help_text="SHA-256 of the whole event id, hex.")
    client = models.ForeignKey(
        "clients.Client", on_delete=models.CASCADE, null=True, blank=True, related_name="inbound_events"
    )
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
        constraints = [models.UniqueConstraint(fields=["source", "event_key"], name="inbound_source_event_key_unique")]
        indexes = [
            models.Index(
                fields=["target", "id"], name="inbound_unprocessed_idx", condition=models.Q(processed_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.event} {self.event_id[:100]}"

    def save(self, *args, **kwargs):
        self.event_key = event_key(self.event_id)  # always the key of the id it stores
        super().save(*args, **kwargs)
