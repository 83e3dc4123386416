"""q2 jobs of the reviews app (idempotent)."""


def start_pending_approvals() -> int:
    """Schedule: open approval cycles for pending assets that have none (the sync's own call can be lost)."""
    from .services import start_pending_approvals as start

    return start()


def escalate_overdue() -> int:
    """Schedule: tell the escalation contacts about approval tasks past their due date (once per task)."""
    from .services import escalate_overdue as escalate

    return escalate()
