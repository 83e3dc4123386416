from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time a q2 worker of a cluster ran the heartbeat job; /healthz reads it."""

    cluster = models.CharField(max_length=100, unique=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.cluster} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
