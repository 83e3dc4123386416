"""Global campaigns (flow 5): a client's campaign runs in some regions (each with its countries), on some channels,
between two dates; its assets are reviewed per region by regional marketing, compliance and product.

One asset in one region of a campaign is a ``CampaignAssetRegion`` (a cell of the campaign's matrix): the subject of
one ``regional_review`` run, with its state (written only by ``services._move_cell``) and the restrictions a region
approved it with. Every row is client-scoped through its campaign (``visible_to``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from .choices import AssetSource, CellState
from .querysets import CampaignPartQuerySet, CampaignQuerySet, CellQuerySet


class Campaign(models.Model):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns"
    )
    channels = models.JSONField(default=list, blank=True, help_text="Smint.io usage keys, e.g. usage_web.")
    run_from = models.DateField()
    run_until = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-run_from", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(run_until__gte=models.F("run_from")), name="campaign_run_ordered")
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("campaigns:campaign_detail", args=[self.pk])

    @property
    def countries(self) -> list[str]:
        return sorted({c for region in self.regions.all() for c in region.countries})


class CampaignRegion(models.Model):
    """A region the campaign runs in: the client's region vocabulary (``accounts.Region``), narrowed to some of its
    countries, with the region's review deadline in its own time zone."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="regions")
    region = models.ForeignKey("accounts.Region", on_delete=models.PROTECT, related_name="+")
    countries = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2, within the region's.")
    time_zone = models.CharField(max_length=64, default="UTC", help_text="The region's deadline is local to it.")
    review_due = models.DateTimeField(help_text="When the region's reviews are due (end of the day, local).")

    objects = CampaignPartQuerySet.as_manager()

    class Meta:
        ordering = ["region__code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "region"], name="campaign_region_unique")]

    def __str__(self) -> str:
        return self.region.name


class CampaignAsset(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="assets")
    asset = models.ForeignKey("assets.Asset", on_delete=models.CASCADE, related_name="campaign_entries")
    source = models.CharField(max_length=20, choices=AssetSource.choices, default=AssetSource.LIBRARY)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    objects = CampaignPartQuerySet.as_manager()

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "asset"], name="campaign_asset_unique")]

    def __str__(self) -> str:
        return self.asset.name or self.asset.content_element_uuid


class CampaignAssetRegion(models.Model):
    """One asset in one region of a campaign: the subject of its ``regional_review`` run."""

    campaign_asset = models.ForeignKey(CampaignAsset, on_delete=models.CASCADE, related_name="cells")
    campaign_region = models.ForeignKey(CampaignRegion, on_delete=models.CASCADE, related_name="cells")
    state = models.CharField(max_length=20, choices=CellState.choices, default=CellState.PENDING)
    # {"countries": [...], "channels": [...], "until": "YYYY-MM-DD"}: what a region approved the asset for when
    # it restricted it (each restricting reviewer narrows it further); empty otherwise
    restrictions = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CellQuerySet.as_manager()

    class Meta:
        ordering = ["campaign_asset_id", "campaign_region__region__code"]
        constraints = [
            models.UniqueConstraint(fields=["campaign_asset", "campaign_region"], name="campaign_cell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_asset} in {self.campaign_region}"

    def get_absolute_url(self) -> str:
        return f"{reverse('campaigns:campaign_detail', args=[self.campaign_asset.campaign_id])}#cell-{self.pk}"
