from django.db import models


class ApprovalState(models.TextChoices):
    """Where an asset stands in its review; only ``approved`` assets are offered (with valid rights)."""

    PENDING = "pending", "Awaiting review"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


class RightsState(models.TextChoices):
    """The licence as last synced. ``withdrawn`` (cancelled licence) removes the asset from circulation at once."""

    VALID = "valid", "Valid"
    NOT_YET_VALID = "not_yet_valid", "Not yet valid"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn (licence cancelled)"
    UNKNOWN = "unknown", "Unknown"


class LicenseState(models.TextChoices):
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class UsageKind(models.TextChoices):
    DOWNLOAD = "download", "Download"
    REUSE = "reuse", "Re-use"
    SHARE = "share", "Share"


class SignalKind(models.TextChoices):
    """Facts detected about an asset that later flows (exceptions, renewal, compliance) act on."""

    LICENSE_CANCELLED = "license_cancelled", "Licence cancelled"
