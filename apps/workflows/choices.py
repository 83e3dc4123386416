from django.db import models


class RunStatus(models.TextChoices):
    """A process instance as the portal knows it. ``starting`` = the start call is in the outbox."""

    STARTING = "starting", "Starting"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_RUN_STATUSES = [RunStatus.STARTING, RunStatus.RUNNING]

# The moves a run's status may make; anything else is refused (``services.InvalidTransition``). A run is created
# ``starting`` (``services.start_run``) and moves only as OpenText reports it (``services._set_run_status``):
RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    # OpenText has the instance (``apply_remote_start``)
    RunStatus.STARTING: frozenset({RunStatus.RUNNING}),
    # its history says it ended: through the model's own end, or cancelled (``apply_remote_end``)
    RunStatus.RUNNING: frozenset({RunStatus.COMPLETED, RunStatus.CANCELLED}),
    RunStatus.COMPLETED: frozenset(),
    RunStatus.CANCELLED: frozenset(),
}


class TaskStatus(models.TextChoices):
    """A mirrored user task. ``completed`` elsewhere and ``cancelled`` (the engine removed it) both close it."""

    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


# The moves a task's status may make; anything else is refused (``services.InvalidTransition``). A task is created
# ``open`` when it is mirrored; ``services._set_task_status`` is the one place its status is written. Staying in a
# status is not a move: it corrects what goes with it (OpenText's outcome or holder instead of ours).
TASK_TRANSITIONS: dict[str, frozenset[str]] = {
    # decided here (``complete_task``), completed in OpenText or removed by the engine (``apply_remote_closed``,
    # ``settled_elsewhere``), or closed with its run (``apply_remote_end``)
    TaskStatus.OPEN: frozenset({TaskStatus.COMPLETED, TaskStatus.CANCELLED}),
    # our completion had not reached OpenText yet: someone held the task there first, so it is open and theirs
    # (``lost_race``), or the engine removed it first (``settled_elsewhere``)
    TaskStatus.COMPLETED: frozenset({TaskStatus.OPEN, TaskStatus.CANCELLED}),
    # closed for good: its run ended or the engine removed it
    TaskStatus.CANCELLED: frozenset(),
}
