from django.db import models


class OnboardingState(models.TextChoices):
    """Where an onboarding stands: open while its run works (the asset held), then published or rejected; cancelled
    when its run was cancelled in OpenText (the hold released, the asset left pending for a person to look at)."""

    OPEN = "open", "Onboarding"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


ONBOARDING_TRANSITIONS: dict[str, set[str]] = {
    OnboardingState.OPEN: {OnboardingState.PUBLISHED, OnboardingState.REJECTED, OnboardingState.CANCELLED},
    OnboardingState.PUBLISHED: set(),
    OnboardingState.REJECTED: set(),
    OnboardingState.CANCELLED: set(),
}


class Shape(models.TextChoices):
    """How a client's onboarding runs (``OnboardingPolicy.shape``, the run's ``parallel`` variable): one task after
    the other, or enrichment, rights validation and categorisation at once, joined before publishing."""

    SEQUENTIAL = "sequential", "One after the other"
    PARALLEL = "parallel", "At once (joined before publishing)"


class Ownership(models.TextChoices):
    OWNED = "owned", "Owned by the client"
    LICENSED = "licensed", "Licensed from a third party"


class Visibility(models.TextChoices):
    """Smint.io's access visibilities (the metadata PATCH's ``access.visibility``)."""

    INTERNAL = "internal", "Internal"
    RESTRICTED = "restricted", "Restricted to the access groups"
    PUBLIC = "public", "Public"
