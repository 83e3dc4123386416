"""What campaigns add to other apps' pages (``apps.assets.pages``): the campaigns an asset is on, with its state in
each region, on the asset's page and its cases' pages."""

from __future__ import annotations

from django.db.models import Prefetch

from apps.assets.pages import AssetUse

from . import services
from .models import Campaign, CampaignAsset, CampaignAssetRegion

OFFERED = 20  # campaigns offered on an asset's page


def campaign_uses(request, asset) -> list[AssetUse]:
    """“In campaign X” for each campaign of ``asset`` the viewer may see (a provider of
    ``apps.assets.pages.register_uses``), with the asset's state per region."""
    entries = (
        CampaignAsset.objects.visible_to(request.user)
        .filter(asset=asset)
        .select_related("campaign")
        .prefetch_related(
            Prefetch(
                "cells",
                queryset=CampaignAssetRegion.objects.select_related("campaign_region__region").order_by(
                    "campaign_region__region__code"
                ),
            )
        )[:50]
    )
    return [
        AssetUse(
            label=f"In campaign “{entry.campaign.name}”",
            url=entry.campaign.get_absolute_url(),
            at=entry.added_at,
            detail=" · ".join(
                f"{c.campaign_region.region.name}: {c.get_state_display().lower()}" for c in entry.cells.all()
            ),
        )
        for entry in entries
    ]


def campaigns_to_add_to(request, asset, context) -> dict:
    """The asset page's ``campaigns_to_add_to`` (a provider of ``apps.assets.pages.register``): the campaigns of the
    asset's client not yet ended and not holding it, for a person who plans that client's campaigns."""
    if not services.may_plan(request.user, asset.client):
        return {"campaigns_to_add_to": []}
    from django.utils import timezone

    offered = (
        Campaign.objects.visible_to(request.user)
        .filter(client_id=asset.client_id, run_until__gte=timezone.localdate())
        .exclude(assets__asset=asset)
        .order_by("run_from", "name")[:OFFERED]
    )
    return {"campaigns_to_add_to": list(offered)}
