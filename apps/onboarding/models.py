"""Onboarding (flow 6): content ingested from a DAM is held, checked, enriched, validated and categorised before it
is published. One ``Onboarding`` per asset (the database refuses a second); its OpenText run's subject is the
asset, so the asset page shows the run, its tasks and its timeline."""

from __future__ import annotations

from django.db import models

from apps.common.fields import BulkInsertJSONField
from apps.common.querysets import ClientScopedQuerySet

from .choices import OnboardingState, Shape


def default_cultures() -> list[str]:
    return ["en"]


class OnboardingPolicy(models.Model):
    """Which sources onboard for a client: Smint.io provider keys (``bynder``, ``brandfolder``) or licence types
    (``in_house``, ``owned``); empty: nothing onboards, new content goes straight to approval. Whether the approval
    cycle follows a published onboarding (else it is published approved), and whether the three tasks run one after
    the other or at once (``shape``, read by each run when it starts). Edited by agency admins (API, Django
    admin)."""

    client = models.OneToOneField("clients.Client", on_delete=models.CASCADE, related_name="onboarding_policy")
    sources = models.JSONField(
        default=list, blank=True, help_text="Provider keys or licence types that onboard, e.g. bynder, in_house."
    )
    approval_after = models.BooleanField(
        default=True, help_text="Start the approval cycle once published (else publish it approved)."
    )
    shape = models.CharField(
        max_length=12,
        choices=Shape.choices,
        default=Shape.SEQUENTIAL,
        help_text="Enrichment, rights validation and categorisation one after the other, or at once.",
    )
    cultures = models.JSONField(
        default=default_cultures,
        blank=True,
        help_text="The cultures the client's metadata is kept in (Smint.io culture codes, the first is the main one): "
        "enrichment asks keywords in each.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClientScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Onboarding policy of {self.client}"


class Onboarding(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="onboardings")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="onboardings")
    source = models.CharField(max_length=50, help_text="The provider or licence type that made it onboard.")
    state = models.CharField(max_length=20, choices=OnboardingState.choices, default=OnboardingState.OPEN)
    checks = BulkInsertJSONField(default=list, blank=True, help_text="The ingest checks: [{check, passed, detail}].")
    usage_rules = BulkInsertJSONField(default=dict, blank=True, help_text="What legal validated.")
    access = BulkInsertJSONField(default=dict, blank=True, help_text="Visibility and access groups.")
    localized_keywords = BulkInsertJSONField(
        default=dict, blank=True, help_text="Keywords in the client's other cultures: {culture: [keyword]}."
    )
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["asset"], name="onboarding_one_per_asset")]

    def __str__(self) -> str:
        return f"Onboarding of {self.asset}"

    @property
    def is_open(self) -> bool:
        return self.state == OnboardingState.OPEN

    @property
    def hold_reference(self) -> str:
        return f"onboarding:{self.pk}"

    @property
    def failed_checks(self) -> list[dict]:
        return [check for check in self.checks if not check.get("passed")]
