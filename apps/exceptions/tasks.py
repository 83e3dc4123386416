"""q2 jobs of the cases app (idempotent)."""


def sweep_rights() -> dict:
    """Schedule: open renewal cases for rights lapsing within each client's window and limits nearly reached."""
    from .services import sweep_rights as sweep

    return sweep()


def escalate_overdue() -> int:
    """Schedule: tell the escalation contacts about cases past their due date (once per case)."""
    from .services import escalate_overdue as escalate

    return escalate()


def detect_compliance() -> dict:
    """Schedule: judge new usage events against each client's compliance rules."""
    from .compliance import detect

    return detect()


def detect_compliance_for(client_id: int) -> dict:
    """Soon after usage arrives through the API: one client's new events."""
    from apps.clients.models import Client

    from .compliance import detect

    client = Client.objects.filter(pk=client_id).first()
    return detect(client=client) if client is not None else {}


def detect_exceptions() -> dict:
    """Schedule: judge every client's assets against its exception rules (flow 4)."""
    from .detection import sweep

    return sweep()


def detect_exceptions_for(client_id: int) -> dict:
    """On demand (the button, the API): one client's assets, in a worker."""
    from apps.clients.models import Client

    from .detection import sweep

    client = Client.objects.filter(pk=client_id).first()
    return sweep(client=client) if client is not None else {}
