"""Kinds of work a client's SLA policy covers, with the default hours when a client sets none."""

from django.db import models


class TaskKind(models.TextChoices):
    """Each flow in DESIGN.md has its own SLA; later issues read ``Client.sla_hours_for(kind)``."""

    APPROVAL = "approval", "Asset approval"
    RENEWAL = "renewal", "Rights renewal"
    CREATIVE_REQUEST = "creative_request", "Creative request"
    EXCEPTION = "exception", "Exception"
    REGIONAL_REVIEW = "regional_review", "Regional review"
    ONBOARDING = "onboarding", "Onboarding"
    COMPLIANCE = "compliance", "Usage compliance"


DEFAULT_SLA_HOURS = {
    TaskKind.APPROVAL: 48,
    TaskKind.RENEWAL: 72,
    TaskKind.CREATIVE_REQUEST: 72,
    TaskKind.EXCEPTION: 48,
    TaskKind.REGIONAL_REVIEW: 72,
    TaskKind.ONBOARDING: 96,
    TaskKind.COMPLIANCE: 48,
}

MAX_SLA_HOURS = 24 * 90
