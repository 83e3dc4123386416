"""q2 jobs of the creative app (idempotent)."""


def escalate_overdue() -> int:
    """Schedule: tell the escalation contacts about requests past their SLA (once per request)."""
    from .services import escalate_overdue as escalate

    return escalate()
