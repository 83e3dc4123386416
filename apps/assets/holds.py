"""Holding an asset out of circulation until a flow releases it (exceptions, onboarding): the one writer of
``AssetHold`` and ``Asset.on_hold``.

A hold is generic: a kind (``HoldKind``) and a reference naming what holds it (``exceptions.case:42``). An asset can
have several open holds (two exception causes, an onboarding run); it is on hold while any is open. Every hold and
release is audited on the asset, so its timeline says why it left circulation and when it came back. Both functions
are idempotent: placing an open hold again or releasing one that is not open changes nothing.

Why a column: ``available_condition()`` is read by matching, the library filter and the API on every row; an
``EXISTS`` over holds per row would be a subquery at each of 1M assets, where ``on_hold`` is a filter on the row
already read. The cost is keeping it in step, which only this module does, under the asset's row lock.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from apps.audit import services as audit

from .choices import ApprovalState, RightsState
from .circulation import announce_withdrawn
from .models import Asset, AssetHold

# Rights no longer in force: such an asset is out of circulation already (``services.LAPSED`` said so).
LAPSED = (RightsState.EXPIRED, RightsState.WITHDRAWN)


def place(asset: Asset, *, kind: str, reference: str, reason: str = "", actor=None) -> bool:
    """Hold ``asset`` for ``reference``; True when a new hold was placed."""
    with transaction.atomic():
        locked = (
            Asset.objects.select_for_update().only("pk", "on_hold", "approval_state", "rights_state").get(pk=asset.pk)
        )
        if AssetHold.objects.filter(asset=asset, kind=kind, reference=reference, released_at__isnull=True).exists():
            return False
        try:
            with transaction.atomic():
                AssetHold.objects.create(
                    client_id=asset.client_id, asset=asset, kind=kind, reference=reference, reason=reason[:500]
                )
        except IntegrityError:  # placed by another worker between the check and the insert
            return False
        if not locked.on_hold:
            Asset.objects.filter(pk=asset.pk).update(on_hold=True, updated_at=timezone.now())
        entry = audit.record(
            "assets.asset.hold",
            actor=actor,
            client=asset.client,
            obj=asset,
            before={"on_hold": locked.on_hold},
            after={"on_hold": True, "kind": kind, "reference": reference},
            reason=reason,
        )
        circulating = locked.approval_state == ApprovalState.APPROVED and locked.rights_state not in LAPSED
        if not locked.on_hold and circulating:
            # an approved asset in circulation leaves it (a second hold on a held asset is no new withdrawal)
            announce_withdrawn(asset, occurrence=f"audit-{entry.pk}", reason=reason, actor=actor)
    asset.on_hold = True
    return True


def release(asset: Asset, *, kind: str, reference: str, reason: str = "", actor=None) -> bool:
    """Release the hold of ``reference``; the asset leaves hold when no other hold is open. True when released."""
    now = timezone.now()
    with transaction.atomic():
        Asset.objects.select_for_update().only("pk").get(pk=asset.pk)
        released = AssetHold.objects.filter(
            asset=asset, kind=kind, reference=reference, released_at__isnull=True
        ).update(released_at=now, release_reason=reason[:500])
        if not released:
            return False
        still_held = AssetHold.objects.filter(asset=asset, released_at__isnull=True).exists()
        Asset.objects.filter(pk=asset.pk).update(on_hold=still_held, updated_at=now)
        audit.record(
            "assets.asset.release",
            actor=actor,
            client=asset.client,
            obj=asset,
            before={"on_hold": True},
            after={"on_hold": still_held, "kind": kind, "reference": reference},
            reason=reason,
        )
    asset.on_hold = still_held
    return True


def resync(asset_ids=None) -> int:
    """Set ``on_hold`` from the open holds (a repair, e.g. after restoring a backup); returns rows changed."""
    held = Exists(AssetHold.objects.filter(asset=OuterRef("pk"), released_at__isnull=True))
    rows = Asset.objects.all() if asset_ids is None else Asset.objects.filter(pk__in=list(asset_ids))
    return rows.filter(held, on_hold=False).update(on_hold=True) + rows.filter(~held, on_hold=True).update(
        on_hold=False
    )


def open_holds(asset: Asset):
    return AssetHold.objects.filter(asset=asset, released_at__isnull=True).order_by("placed_at")
