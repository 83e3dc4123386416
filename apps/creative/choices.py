"""The vocabularies of creative requests (flow 3): a request's states and the moves between them, where a request
came from, and how a format is shaped."""

from django.db import models


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    TRIAGE = "triage", "In triage"
    NEEDS_INFO = "needs_info", "Needs information"
    IN_CREATION = "in_creation", "In creation"
    IN_REVIEW = "in_review", "Delivered, awaiting acceptance"
    DELIVERED = "delivered", "Delivered"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"


# The moves a request's state may make; anything else is refused (``workflows.services.InvalidTransition``). The one
# writer is ``services._move``. A draft is edited by its requester and submitted (triage); triage accepts (in
# creation), asks the requester (needs information, answered back to triage) or declines; the creative delivers (in
# review); the requester accepts (delivered) or asks for changes (back to in creation). Any open request may be
# cancelled (its run ended or cancelled in OpenText).
OPEN_STATUSES = frozenset(
    {
        RequestStatus.DRAFT,
        RequestStatus.TRIAGE,
        RequestStatus.NEEDS_INFO,
        RequestStatus.IN_CREATION,
        RequestStatus.IN_REVIEW,
    }
)
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.DRAFT: frozenset({RequestStatus.TRIAGE, RequestStatus.CANCELLED}),
    RequestStatus.TRIAGE: frozenset(
        {RequestStatus.IN_CREATION, RequestStatus.NEEDS_INFO, RequestStatus.DECLINED, RequestStatus.CANCELLED}
    ),
    RequestStatus.NEEDS_INFO: frozenset({RequestStatus.TRIAGE, RequestStatus.CANCELLED}),
    RequestStatus.IN_CREATION: frozenset({RequestStatus.IN_REVIEW, RequestStatus.CANCELLED}),
    RequestStatus.IN_REVIEW: frozenset({RequestStatus.DELIVERED, RequestStatus.IN_CREATION, RequestStatus.CANCELLED}),
    RequestStatus.DELIVERED: frozenset(),
    RequestStatus.DECLINED: frozenset(),
    RequestStatus.CANCELLED: frozenset(),
}


class Source(models.TextChoices):
    PORTAL = "portal", "Greenlight"
    API = "api", "API"
    OPENTEXT = "opentext", "OpenText"


class Orientation(models.TextChoices):
    ANY = "", "Any"
    LANDSCAPE = "landscape", "Landscape"
    PORTRAIT = "portrait", "Portrait"
    SQUARE = "square", "Square"
