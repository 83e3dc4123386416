from django.db import models


class Kind(models.TextChoices):
    """What a notification is about: the notifying domain events (``apps.common.events.CATALOGUE``) plus the two
    reminders this app raises itself from the tasks' due dates."""

    TASK_AVAILABLE = "task.available", "A task is open to my roles and regions"
    TASK_ASSIGNED = "task.assigned", "A task was assigned to me"
    TASK_DELEGATED = "task.delegated", "A task reached me as someone's delegate"
    TASK_DUE_SOON = "task.due_soon", "A task of mine is due tomorrow"
    TASK_OVERDUE = "task.overdue", "A task of mine is overdue"
    TASK_ESCALATED = "task.escalated", "An overdue task was escalated to me"
    COMMENT_MENTIONED = "comment.mentioned", "Someone mentioned me in a comment"
    ASSET_DECIDED = "asset.decided", "A decision on an asset I requested"
    ASSET_WITHDRAWN = "asset.withdrawn", "An asset I requested was withdrawn"
    CASE_OPENED = "case.opened", "A case was opened for my asset"
    CASE_DECIDED = "case.decided", "A case I opened or whose asset I own was decided"
    REQUEST_STATUS = "request.status", "A creative request of mine changed status"
    SYNC_BROKEN = "sync.broken", "A connection to Smint.io or OpenText stopped working"
    WEBHOOK_DISABLED = "webhook.disabled", "A webhook endpoint was disabled"


class Mode(models.TextChoices):
    IMMEDIATE = "immediate", "E-mail me at once"
    DIGEST = "digest", "In my daily digest (08:00)"
    OFF = "off", "No e-mail"


# Everything addressed to the person is worth a mail at once; a task open to a whole role is worth knowing but
# not an interruption each time (it is batched anyway when immediate).
DEFAULT_MODES: dict[str, str] = dict.fromkeys(Kind.values, Mode.IMMEDIATE) | {
    Kind.TASK_AVAILABLE: Mode.DIGEST,
}

# Domain event -> kind (three asset outcomes share one preference: "a decision on what I requested").
EVENT_KINDS: dict[str, str] = {
    "task.available": Kind.TASK_AVAILABLE,
    "task.assigned": Kind.TASK_ASSIGNED,
    "task.delegated": Kind.TASK_DELEGATED,
    "task.escalated": Kind.TASK_ESCALATED,
    "comment.mentioned": Kind.COMMENT_MENTIONED,
    "asset.approved": Kind.ASSET_DECIDED,
    "asset.rejected": Kind.ASSET_DECIDED,
    "asset.restricted": Kind.ASSET_DECIDED,
    "asset.withdrawn": Kind.ASSET_WITHDRAWN,
    "case.opened": Kind.CASE_OPENED,
    "case.decided": Kind.CASE_DECIDED,
    "request.status_changed": Kind.REQUEST_STATUS,
    "request.delivered": Kind.REQUEST_STATUS,
    "sync.broken": Kind.SYNC_BROKEN,
    "webhook.disabled": Kind.WEBHOOK_DISABLED,
}
