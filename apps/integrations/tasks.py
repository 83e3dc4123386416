"""q2 jobs of the integrations app. Jobs take ids, are idempotent and safe to run twice."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .models import WorkerHeartbeat


def heartbeat() -> None:
    """Prove that a worker is alive and takes jobs from the queue (scheduled every minute)."""
    WorkerHeartbeat.objects.update_or_create(cluster=settings.Q_CLUSTER["name"], defaults={"seen_at": timezone.now()})
