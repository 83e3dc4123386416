"""What creative requests add to other apps' pages, through their extension points (``apps.assets.pages``): the
deliveries that hold an asset, on the asset's page and on its cases' pages."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

from apps.assets.pages import AssetUse, uses

from .delivery import deliveries_of_asset


def _url(request_id: int) -> str:
    try:
        return reverse("creative:request_detail", args=[request_id])
    except NoReverseMatch:  # the pages are not mounted (an API-only deployment)
        return ""


def delivered_uses(request, asset) -> list[AssetUse]:
    """“Delivered to request X” for each delivery of ``asset`` the viewer may see (a provider of
    ``apps.assets.pages.register_uses``)."""
    found = []
    for item in deliveries_of_asset(asset, request.user)[:50]:
        creative_request = item.delivery.request
        detail = "accepted" if item.delivery.accepted_at else "awaiting acceptance"
        if item.replaced_asset_id:
            detail += " · moved here from the asset it replaced"
        found.append(
            AssetUse(
                label=f"Delivered to request “{creative_request.title}”",
                url=_url(creative_request.pk),
                at=item.delivery.delivered_at,
                detail=detail,
            )
        )
    return found


def asset_deliveries(request, asset, context) -> dict:
    """The asset page's ``asset_uses`` (a provider of ``apps.assets.pages.register``)."""
    return {"asset_uses": uses(request, asset)}
