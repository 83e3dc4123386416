from django.db import models


class CaseKind(models.TextChoices):
    """What opened the case (DESIGN.md flows 2, 4 and 8 share the case model)."""

    RENEWAL = "renewal", "Rights renewal"
    COMPLIANCE = "compliance", "Usage compliance"
    # Opened by exception detection (``detection.py``, flow 4): one per asset and cause, worked in asset_exception.
    EXCEPTION = "exception", "Exception"


class CaseState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


# The moves a case's state may make; anything else is refused (``workflows.services.InvalidTransition``). A case is
# opened once per cause (``services.open_case``) and closed when its run ends, with the run's outcome as its
# disposition (``services.close_case``, the one place its state is written). A closed case stays closed: a new
# cause opens a new case.
CASE_TRANSITIONS: dict[str, frozenset[str]] = {
    CaseState.OPEN: frozenset({CaseState.CLOSED}),
    CaseState.CLOSED: frozenset(),
}


class Trigger(models.TextChoices):
    """Why a renewal case was opened."""

    LAPSE = "lapse", "Rights lapse"
    DOWNLOADS = "downloads", "Download limit"
    USERS = "users", "User limit"
    REUSES = "reuses", "Reuse limit"
    USAGE = "usage", "Usage compliance"
    # exceptions (flow 4): the family of the cause, which routes the case and sets its SLA
    METADATA = "metadata", "Missing metadata"
    RIGHTS = "rights", "Rights expired or cancelled"
    POLICY = "policy", "Policy violation"
    FLAGGED = "flagged", "Flagged by Smint.io"
    REPORT = "report", "Reported by a person"


class Disposition(models.TextChoices):
    """How a case ended: the outcome of its process (rights_renewal or compliance_review)."""

    RENEWED = "renewed", "Renewed"
    REPLACED = "replaced", "Replaced"
    TAKEN_DOWN = "taken_down", "Taken down"
    NO_ISSUE = "no_issue", "No issue"
    LICENCE_EXTENDED = "licence_extended", "Licence extended"
    USAGE_WITHDRAWN = "usage_withdrawn", "Usage withdrawn"
    USER_WARNED = "user_warned", "User warned"
    ESCALATED = "escalated", "Escalated"
    CANCELLED = "cancelled", "Cancelled"
    CLEARED = "cleared", "Cleared"
    REMOVED = "removed", "Removed from circulation"


class RuleKind(models.TextChoices):
    """Usage compliance rules (flow 8); each client has one of each, editable by its agency admins."""

    OVER_LIMIT = "over_limit", "Downloads beyond the licence limit"
    BURST = "burst", "Burst of downloads by one person"
    TERRITORY = "territory", "Use in a country the licence does not allow"
    CHANNEL = "channel", "Use on a channel the licence does not allow"
    AFTER_EXPIRY = "after_expiry", "Use after expiry or cancellation"


class Team(models.TextChoices):
    """Who investigates a compliance case (a candidate group of compliance_review.bpmn)."""

    LEGAL = "legal", "Legal"
    PROCUREMENT = "procurement", "Procurement"
    CONTENT_OPS = "content_manager", "Content operations"
    COMPLIANCE = "compliance", "Compliance"
