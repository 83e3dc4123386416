"""What a delivery gives the creative team for their design tools: per asset a download of a fresh Smint.io binary
URL, the licence in plain words, a CSV/JSON manifest, and a signed, expiring, revocable share link.

**Downloads and invariant 3.** Smint.io's binary URLs are signed and expire (an hour), so the URL the last pull
stored is stale by the time someone clicks days later. ``fresh_download_url`` returns the stored URL while it is
young (``FRESH_FOR``) and otherwise asks Smint.io for the licence purchase's binaries at the click, stores the new
URLs and answers one. That is the one remote call made in a web request: a read, idempotent, with the
platform's short timeout, which decides nothing; when Smint.io cannot answer, the download fails with words
(``DownloadUnavailable``) and nothing else is affected (docs/architecture.md, "Departures").
"""

from __future__ import annotations

import csv
import io
import secrets
from datetime import timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from apps.assets.models import Asset, Binary
from apps.assets.rights import licence_summary, limits_of
from apps.assets.vocabulary import vocabulary_for
from apps.audit import services as audit
from apps.common.roles import RoleCode

from .models import CreativeRequest, Delivery, DeliveryItem

FRESH_FOR = timedelta(minutes=45)  # Smint.io's download URLs live an hour; leave the person time to click
LINK_DAYS = 14
LINK_MAX_DAYS = 90
MANIFEST_FIELDS = [
    "asset_id",
    "content_element_uuid",
    "name",
    "provider",
    "content_type",
    "licence",
    "territories",
    "uses",
    "not_for",
    "editorial_only",
    "rights_until",
    "download",
]


class DownloadUnavailable(Exception):
    """No download now: the asset has no binary, or Smint.io could not give a fresh URL (said in words)."""


class LinkRefused(Exception):
    """The person may not make or turn off the delivery's share link, or the days are out of range."""


# -- the manifest -----------------------------------------------------------------------------------------------------
def items_of(delivery: Delivery):
    return (
        DeliveryItem.objects.filter(delivery=delivery)
        .select_related("asset", "asset__client")
        .prefetch_related("asset__license_purchases__terms")
        .order_by("id")
    )


def manifest_rows(delivery: Delivery, *, download_url=lambda item: "") -> list[dict]:
    """One row per delivered asset with its licence in words; ``download_url(item)`` gives each row's download
    link (the page's or the share link's route: a URL, never Smint.io's signed one)."""
    vocabulary = vocabulary_for(delivery.request.client)
    rows = []
    for item in items_of(delivery):
        asset = item.asset
        limits = limits_of(asset, vocabulary=vocabulary)
        summary = licence_summary(asset, vocabulary)
        rows.append(
            {
                "asset_id": asset.pk,
                "content_element_uuid": asset.content_element_uuid,
                "name": asset.name,
                "provider": asset.provider,
                "content_type": asset.content_type,
                "licence": summary.sentence,
                "territories": summary.where,
                "uses": summary.what,
                "not_for": summary.not_for,
                "editorial_only": limits.editorial_only,
                "rights_until": limits.until.isoformat() if limits.until else "",
                "download": download_url(item),
            }
        )
    return rows


def manifest_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=MANIFEST_FIELDS, extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        # a cell a spreadsheet would run as a formula is written as text
        writer.writerow({k: (f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v) for k, v in row.items()})
    return out.getvalue()


# -- downloads --------------------------------------------------------------------------------------------------------
def _binary_of(asset: Asset, binary_uuid: str = "") -> Binary | None:
    binaries = Binary.objects.filter(license_purchase__asset=asset).select_related("license_purchase")
    if binary_uuid:
        binaries = binaries.filter(uuid=binary_uuid)
    return binaries.order_by("-license_purchase__purchased_at", "uuid").first()


def fresh_download_url(item: DeliveryItem, *, binary_uuid: str = "", actor=None) -> str:
    """A Smint.io URL for the item's binary that works now (see the module's note). Raises
    ``DownloadUnavailable``."""
    from apps.integrations.http import PlatformError
    from apps.integrations.smintio.client import SmintioClient
    from apps.integrations.smintio.sync import map_binary

    binary = _binary_of(item.asset, binary_uuid)
    if binary is None:
        raise DownloadUnavailable("Smint.io has given no file for this asset.")
    now = timezone.now()
    if binary.download_url and binary.fetched_at and now - binary.fetched_at < FRESH_FOR:
        url = binary.download_url
    else:
        lpt = binary.license_purchase
        connection = getattr(item.asset.client, "smintio_connection", None)
        if connection is None:
            raise DownloadUnavailable("The client is not connected to Smint.io: the file cannot be fetched now.")
        try:
            fetched = [
                map_binary(b) for b in SmintioClient(connection).binaries(lpt.cart_purchase_transaction_uuid, lpt.uuid)
            ]
        except PlatformError as exc:
            raise DownloadUnavailable(f"Smint.io did not give a download link just now ({exc}). Try again.") from exc
        by_uuid = {b["uuid"]: b for b in fetched}
        for known in Binary.objects.filter(license_purchase=lpt, uuid__in=by_uuid):
            known.download_url = by_uuid[known.uuid]["download_url"]
            known.save(update_fields=["download_url", "fetched_at"])
        url = by_uuid.get(binary.uuid, {}).get("download_url", "")
        if not url:
            raise DownloadUnavailable("Smint.io no longer lists this file for the licence.")
    audit.record(
        "creative.delivery.download",
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        client=item.asset.client,
        obj=item.delivery.request,
        after={"delivery": item.delivery_id, "asset": item.asset.content_element_uuid, "binary": binary.uuid},
    )
    return url


# -- the share link ---------------------------------------------------------------------------------------------------
def _signer(delivery: Delivery) -> signing.Signer:
    return signing.Signer(salt=f"creative.delivery.{delivery.pk}.{delivery.link_version}")


def may_manage_link(delivery: Delivery, user) -> bool:
    """The requester, or a creative of the request's client."""
    request = delivery.request
    if request.requester_id == getattr(user, "pk", None):
        return True
    membership = next((m for m in getattr(user, "membership_list", []) if m.client_id == request.client_id), None)
    return membership is not None and RoleCode.CREATIVE in membership.role_codes


def make_link(delivery: Delivery, *, actor, days: int = LINK_DAYS) -> str:
    """A new share link (any earlier one stops working), valid ``days``; returns its token."""
    if not may_manage_link(delivery, actor):
        raise LinkRefused("Only the requester or a creative may share this delivery.")
    if not 1 <= days <= LINK_MAX_DAYS:
        raise LinkRefused(f"A link lasts 1 to {LINK_MAX_DAYS} days.")
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
        delivery.link_version = secrets.randbelow(2**62) + 1
        delivery.expires_at = timezone.now() + timedelta(days=days)
        delivery.revoked_at = None
        delivery.save(update_fields=["link_version", "expires_at", "revoked_at"])
        audit.record(
            "creative.delivery.share",
            actor=actor,
            client=delivery.request.client,
            obj=delivery.request,
            after={"delivery": delivery.pk, "expires_at": delivery.expires_at.isoformat()},
        )
    return token_of(delivery)


def token_of(delivery: Delivery) -> str:
    """The live link's token (``<delivery id>:<signature>``); "" when it has none or it ended."""
    return _signer(delivery).sign(str(delivery.pk)) if delivery.is_active else ""


def revoke_link(delivery: Delivery, *, actor) -> Delivery:
    if not may_manage_link(delivery, actor):
        raise LinkRefused("Only the requester or a creative may turn off this link.")
    with transaction.atomic():
        changed = Delivery.objects.filter(pk=delivery.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if changed:
            audit.record(
                "creative.delivery.unshare",
                actor=actor,
                client=delivery.request.client,
                obj=delivery.request,
                after={"delivery": delivery.pk},
            )
    delivery.refresh_from_db()
    return delivery


def delivery_for_token(token: str) -> Delivery | None:
    """The delivery a share link opens, while the link is live; ``None`` for anything else (forged, replaced,
    revoked, expired)."""
    head, _, _ = (token or "").partition(":")
    if not head.isdigit():
        return None
    delivery = Delivery.objects.select_related("request", "request__client").filter(pk=int(head)).first()
    if delivery is None or not delivery.is_active:
        return None
    try:
        if _signer(delivery).unsign(token) != head:
            return None
    except signing.BadSignature:
        return None
    return delivery


def deliveries_of_asset(asset: Asset, user=None):
    """The deliveries that hold ``asset`` (for its page and its cases): each with its request, newest first;
    narrowed to what ``user`` may see when given."""
    items = DeliveryItem.objects.filter(asset=asset).select_related("delivery", "delivery__request")
    if user is not None:
        items = items.filter(delivery__request__in=CreativeRequest.objects.visible_to(user).values("pk"))
    return items.order_by("-delivery__delivered_at", "-id")
