from django.db import models


class RunStatus(models.TextChoices):
    """A process instance as the portal knows it. ``starting`` = the start call is in the outbox."""

    STARTING = "starting", "Starting"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_RUN_STATUSES = [RunStatus.STARTING, RunStatus.RUNNING]


class TaskStatus(models.TextChoices):
    """A mirrored user task. ``completed`` elsewhere and ``cancelled`` (the engine removed it) both close it."""

    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
