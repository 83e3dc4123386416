from django.db import models


class CaseKind(models.TextChoices):
    """What opened the case (DESIGN.md flows 2, 4 and 8 share the case model)."""

    RENEWAL = "renewal", "Rights renewal"
    COMPLIANCE = "compliance", "Usage compliance"
    EXCEPTION = "exception", "Exception"


class CaseState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Trigger(models.TextChoices):
    """Why a renewal case was opened."""

    LAPSE = "lapse", "Rights lapse"
    DOWNLOADS = "downloads", "Download limit"
    USERS = "users", "User limit"
    REUSES = "reuses", "Reuse limit"


class Disposition(models.TextChoices):
    """How a renewal case ended (the rights_renewal process's outcome)."""

    RENEWED = "renewed", "Renewed"
    REPLACED = "replaced", "Replaced"
    TAKEN_DOWN = "taken_down", "Taken down"
    CANCELLED = "cancelled", "Cancelled"
