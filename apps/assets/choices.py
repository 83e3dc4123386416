from django.db import models


class ApprovalState(models.TextChoices):
    """Where an asset stands in its review; only ``approved`` assets are offered (with valid rights)."""

    PENDING = "pending", "Awaiting review"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"


# The moves an asset's approval state may make; anything else is refused (``assets.services.change_approval``).
# In review -> pending: the cycle was cancelled (or ended with an outcome the flow does not know): review it again.
# Withdrawn is reachable from every state: taking an asset out of circulation (a renewal case) is always allowed.
APPROVAL_TRANSITIONS: dict[str, set[str]] = {
    ApprovalState.PENDING: {ApprovalState.IN_REVIEW, ApprovalState.WITHDRAWN},
    ApprovalState.IN_REVIEW: {
        ApprovalState.PENDING,
        ApprovalState.APPROVED,
        ApprovalState.REJECTED,
        ApprovalState.CHANGES_REQUESTED,
        ApprovalState.WITHDRAWN,
    },
    ApprovalState.CHANGES_REQUESTED: {
        ApprovalState.IN_REVIEW,
        ApprovalState.PENDING,
        ApprovalState.WITHDRAWN,
        ApprovalState.REJECTED,
        ApprovalState.APPROVED,
    },
    # a decided asset changes again only by taking it out of circulation (a renewal case's take-down or
    # replacement) or by a new cycle after a change at Smint.io
    ApprovalState.APPROVED: {ApprovalState.WITHDRAWN, ApprovalState.PENDING},
    ApprovalState.REJECTED: {ApprovalState.PENDING, ApprovalState.WITHDRAWN},
    ApprovalState.WITHDRAWN: {ApprovalState.PENDING},
}


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
    """Facts detected about an asset that issue 14's exception flow will act on (``AssetSignal``)."""

    LICENSE_CANCELLED = "license_cancelled", "Licence cancelled"


class HoldKind(models.TextChoices):
    """Why an asset is held out of circulation (``AssetHold``): an open exception case (flow 4) or an onboarding
    run that has not passed yet (flow 6)."""

    EXCEPTION = "exception", "Exception"
    ONBOARDING = "onboarding", "Onboarding"
