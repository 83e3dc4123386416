"""Writing synced content: assets, licence purchases, immutable terms, binaries (usage events: ``usage.py``).

The platform client maps Smint.io's JSON into the plain records below; these functions upsert them in bulk by
uuid and version, so a re-delivered or out-of-order record never duplicates a row or overwrites newer data. The
caller runs them inside the transaction that also saves its cursor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.audit import services as audit

from . import pgcopy
from .choices import APPROVAL_TRANSITIONS, ApprovalState, LicenseState, RightsState, SignalKind
from .circulation import announce_withdrawn
from .models import Asset, AssetSignal, Binary, LicensePurchase, LicenseTerm

ASSET_SYNC_FIELDS = [
    "provider",
    "content_type",
    "content_category",
    "name",
    "description",
    "keywords",
    "copyright_notices",
    "preview_url",
    "is_editorial",
    "metadata",
]
LPT_SYNC_FIELDS = [
    "cart_purchase_transaction_uuid",
    "reused_license_purchase_transaction_uuid",
    "state",
    "version",
    "purchased_at",
    "license_type",
    "license_text",
    "max_downloads",
    "max_users",
    "max_reuses",
    "current_downloads",
    "current_users",
    "current_reuses",
    "can_be_synced",
    "has_potentially_restrictive_terms",
    "remote_updated_at",
    "raw",
]
TERM_UNSTAGED = {"id", "license_purchase", "created_at"}
BINARY_SYNC_FIELDS = [
    "version",
    "content_type",
    "binary_type",
    "name",
    "recommended_file_name",
    "culture",
    "download_url",
]


@dataclass
class LicenseRecord:
    """One licence purchase transaction as the platform sent it, already mapped to our field names."""

    content_element_uuid: str
    asset: dict
    uuid: str
    version: int
    license: dict
    terms: list[dict] = field(default_factory=list)


@dataclass
class UpsertResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # re-delivered (same version) or stale (older version): ignored
    cancelled: int = 0
    changed_asset_ids: set[int] = field(default_factory=set)
    new_asset_ids: set[int] = field(default_factory=set)


def upsert_license_purchases(client, records: list[LicenseRecord]) -> UpsertResult:
    """Apply a page of licence purchases; the newest version of each wins, whatever the arrival order."""
    result = UpsertResult()
    newest: dict[str, LicenseRecord] = {}
    for record in records:
        if record.uuid not in newest or record.version > newest[record.uuid].version:
            newest[record.uuid] = record
    known = {
        row["uuid"]: row
        for row in LicensePurchase.objects.filter(client=client, uuid__in=list(newest)).values(
            "id", "uuid", "version", "state"
        )
    }
    fresh = [r for r in newest.values() if r.uuid not in known or r.version > known[r.uuid]["version"]]
    result.unchanged = len(records) - len(fresh)
    if not fresh:
        return result
    if pgcopy.available():
        asset_ids, rights_set = _write_fresh_copy(client, fresh, set(known), result)
    else:
        asset_ids, rights_set = _write_fresh_orm(client, fresh, result), set()
    for r in fresh:
        if r.uuid in known:
            result.updated += 1
        else:
            result.created += 1

    newly_cancelled = [
        r
        for r in fresh
        if r.license.get("state") == LicenseState.CANCELLED
        and known.get(r.uuid, {}).get("state") != LicenseState.CANCELLED
    ]
    result.cancelled = len(newly_cancelled)
    refresh_rights(set(asset_ids.values()) - rights_set)
    _record_cancellations(client, [(asset_ids[r.content_element_uuid], r) for r in newly_cancelled])
    return result


def _write_fresh_copy(
    client, fresh: list[LicenseRecord], known: set[str], result: UpsertResult
) -> tuple[dict[str, int], set[int]]:
    """PostgreSQL: assets, licences and terms each staged by COPY and upserted in one statement that returns the
    ids (and which assets are new), so nothing is selected again.

    A new asset whose licences are all new has all its licences and terms in this page: its rights are computed
    from the records and inserted with it (``refresh_rights`` would read back what was just written, and update
    every new asset once more). Returns ``{content element uuid: asset id}`` and the ids of the assets whose rights
    were set so."""
    now = timezone.now()
    terms_of = {r.uuid: _unique_terms(r.terms) for r in fresh}
    held: dict[str, list[tuple[str, list[Dates]]]] = {}
    for r in fresh:
        held.setdefault(r.content_element_uuid, []).append(
            (r.license["state"], [(t["valid_from"], t["valid_until"], t["to_be_used_until"]) for t in terms_of[r.uuid]])
        )
    # content elements whose every licence in the page is new: if the asset is new too, these are all its licences
    from_records = {r.content_element_uuid for r in fresh} - {r.content_element_uuid for r in fresh if r.uuid in known}
    assets_by_uuid = {r.content_element_uuid: r.asset for r in fresh}
    rows = []
    for uuid, fields in assets_by_uuid.items():
        state, until = RightsState.UNKNOWN, None
        if uuid in from_records:
            state, until = rights_state_of(held[uuid], now), rights_end(held[uuid], now)
        rows.append({"content_element_uuid": uuid, **fields, "rights_state": state, "rights_until": until})
    written = pgcopy.upsert(
        Asset,
        rows,
        staged=["content_element_uuid", *ASSET_SYNC_FIELDS, "rights_state", "rights_until"],
        fixed={"client_id": client.pk},
        conflict=["client", "content_element_uuid"],
        update=[*ASSET_SYNC_FIELDS, "updated_at"],  # an existing asset's rights: refresh_rights, from all its licences
        returning=["content_element_uuid", "id", "inserted"],
    )
    asset_ids = {uuid: pk for uuid, pk, _inserted in written}
    result.new_asset_ids = {pk for _uuid, pk, inserted in written if inserted}
    result.changed_asset_ids = set(asset_ids.values())
    rights_set = {pk for uuid, pk, inserted in written if inserted and uuid in from_records}
    written = pgcopy.upsert(
        LicensePurchase,
        [
            {**r.license, "uuid": r.uuid, "version": r.version, "asset_id": asset_ids[r.content_element_uuid]}
            for r in fresh
        ],
        staged=["uuid", "asset_id", *LPT_SYNC_FIELDS],
        fixed={"client_id": client.pk},
        conflict=["client", "uuid"],
        # limits_pending: the renewal sweep judges this version's limits (new rows get it from the field default)
        update=[*LPT_SYNC_FIELDS, "asset", "synced_at", "limits_pending"],
        returning=["uuid", "id"],
    )
    lpt_ids = dict(written)
    term_fields = [f.name for f in LicenseTerm._meta.concrete_fields if f.name not in TERM_UNSTAGED]
    pgcopy.upsert(
        LicenseTerm,
        [{"license_purchase_id": lpt_ids[r.uuid], **term} for r in fresh for term in terms_of[r.uuid]],
        staged=["license_purchase_id", *term_fields],
        conflict=["license_purchase", "sequence_number"],  # terms are immutable snapshots: never rewritten
    )
    return asset_ids, rights_set


def _unique_terms(terms: list[dict]) -> list[dict]:
    """A record's terms, the first of each sequence number (as the ORM's ``ignore_conflicts`` insert keeps it)."""
    first: dict[int, dict] = {}
    for term in terms:
        first.setdefault(term["sequence_number"], term)
    return list(first.values())


def _write_fresh_orm(client, fresh: list[LicenseRecord], result: UpsertResult) -> dict[str, int]:
    """Other databases (SQLite, small data): the same writes through the ORM."""
    existing_assets = set(
        Asset.objects.filter(
            client=client, content_element_uuid__in={r.content_element_uuid for r in fresh}
        ).values_list("content_element_uuid", flat=True)
    )
    assets_by_uuid = {r.content_element_uuid: r.asset for r in fresh}
    Asset.objects.bulk_create(
        [Asset(client=client, content_element_uuid=uuid, **fields) for uuid, fields in assets_by_uuid.items()],
        update_conflicts=True,
        unique_fields=["client", "content_element_uuid"],
        update_fields=[*ASSET_SYNC_FIELDS, "updated_at"],
    )
    asset_ids = dict(
        Asset.objects.filter(client=client, content_element_uuid__in=list(assets_by_uuid)).values_list(
            "content_element_uuid", "id"
        )
    )
    result.new_asset_ids = {asset_ids[uuid] for uuid in assets_by_uuid if uuid not in existing_assets}
    result.changed_asset_ids = set(asset_ids.values())

    LicensePurchase.objects.bulk_create(
        [
            LicensePurchase(
                client=client,
                asset_id=asset_ids[r.content_element_uuid],
                uuid=r.uuid,
                version=r.version,
                **{k: v for k, v in r.license.items() if k != "version"},
            )
            for r in fresh
        ],
        update_conflicts=True,
        unique_fields=["client", "uuid"],
        # limits_pending (true on every new instance): the renewal sweep judges this version's limits
        update_fields=[*LPT_SYNC_FIELDS, "asset", "synced_at", "limits_pending"],
    )
    lpt_ids = dict(
        LicensePurchase.objects.filter(client=client, uuid__in=[r.uuid for r in fresh]).values_list("uuid", "id")
    )
    LicenseTerm.objects.bulk_create(
        [LicenseTerm(license_purchase_id=lpt_ids[r.uuid], **term) for r in fresh for term in r.terms],
        ignore_conflicts=True,  # terms are immutable snapshots: a known sequence number is never rewritten
    )
    return asset_ids


def _record_cancellations(client, cancelled: list[tuple[int, LicenseRecord]]) -> None:
    """Cancelled licences (``(asset id, record)``): the assets' rights are already withdrawn (``refresh_rights``);
    open a signal for the exceptions flow (once per licence, enforced by the database) and audit each, all in three
    queries whatever their number."""
    if not cancelled:
        return
    assets = Asset.objects.in_bulk({asset_id for asset_id, _record in cancelled})
    AssetSignal.objects.bulk_create(
        [
            AssetSignal(
                client=client,
                asset=assets[asset_id],
                kind=SignalKind.LICENSE_CANCELLED,
                reference=record.uuid,
                details={"version": record.version},
            )
            for asset_id, record in cancelled
        ],
        ignore_conflicts=True,
    )
    # One event per licence, in order (an asset may lose two licences in one page): ``before_after`` is called once
    # per object, in the order given.
    afters = iter(
        {"license_purchase": record.uuid, "version": record.version, "rights_state": assets[asset_id].rights_state}
        for asset_id, record in cancelled
    )
    audit.record_many(
        "assets.license.cancel",
        [assets[asset_id] for asset_id, _record in cancelled],
        before_after=lambda _asset: (None, next(afters)),
        reason="Smint.io reported the licence purchase as cancelled.",
    )


Dates = tuple[datetime | None, datetime | None, datetime | None]  # valid_from, valid_until, to_be_used_until
RIGHTS_RANK = {
    RightsState.WITHDRAWN: 0,
    RightsState.EXPIRED: 1,
    RightsState.UNKNOWN: 2,
    RightsState.NOT_YET_VALID: 3,
    RightsState.VALID: 4,
}


def term_state(dates: Dates, now: datetime) -> str:
    """A term is in force from ``valid_from`` (none: from purchase) until the earlier of its two ends (none:
    perpetual, as royalty-free licences are)."""
    valid_from, valid_until, use_until = dates
    if any(end is not None and end <= now for end in (valid_until, use_until)):
        return RightsState.EXPIRED
    if valid_from is not None and valid_from > now:
        return RightsState.NOT_YET_VALID
    return RightsState.VALID


def rights_state_of(licenses: list[tuple[str, list[Dates]]], now: datetime) -> str:
    """The rights an asset holds: the best state over its licences' terms. A cancelled licence gives nothing; a
    licence without terms gives *unknown*, never *valid* (invariant 5). Per-use evaluation arrives with issue 5."""
    best = RightsState.WITHDRAWN if licenses else RightsState.UNKNOWN
    for state, terms in licenses:
        if state == LicenseState.CANCELLED:
            continue
        candidates = [term_state(dates, now) for dates in terms] or [RightsState.UNKNOWN]
        best = max([best, *candidates], key=RIGHTS_RANK.__getitem__)
    return best


def rights_end(licenses: list[tuple[str, list[Dates]]], now: datetime) -> datetime | None:
    """When the valid rights end: the latest end of a term in force (``None``: one is perpetual, or none is in
    force). ``available()`` compares it with the clock, so an asset stops being offered the minute it lapses."""
    ends = []
    for state, terms in licenses:
        if state == LicenseState.CANCELLED:
            continue
        for dates in terms:
            if term_state(dates, now) != RightsState.VALID:
                continue
            end = min((d for d in dates[1:] if d is not None), default=None)
            if end is None:
                return None
            ends.append(end)
    return max(ends, default=None)


def refresh_rights(asset_ids, now: datetime | None = None) -> None:
    """Recompute ``rights_state`` and ``rights_until`` of these assets from their licences and terms: three queries
    to read (licences, terms, the assets' current values), one UPDATE for the assets whose values changed, and the
    assets whose known state moved read again for their audit event and ``asset.withdrawn``."""
    asset_ids = list(asset_ids)
    if not asset_ids:
        return
    now = now or timezone.now()
    licenses: dict[int, dict[int, tuple[str, list]]] = {asset_id: {} for asset_id in asset_ids}
    for lpt_id, asset_id, state in LicensePurchase.objects.filter(asset_id__in=asset_ids).values_list(
        "id", "asset_id", "state"
    ):
        licenses[asset_id][lpt_id] = (state, [])
    lpt_to_asset = {lpt_id: asset_id for asset_id, lpts in licenses.items() for lpt_id in lpts}
    for lpt_id, valid_from, valid_until, use_until in LicenseTerm.objects.filter(
        license_purchase_id__in=list(lpt_to_asset)
    ).values_list("license_purchase_id", "valid_from", "valid_until", "to_be_used_until"):
        licenses[lpt_to_asset[lpt_id]][lpt_id][1].append((valid_from, valid_until, use_until))
    changed: dict[int, tuple[str, datetime | None]] = {}
    moved_ids: dict[str, list[int]] = {}
    for asset_id, state, until in Asset.objects.filter(pk__in=asset_ids).values_list(
        "id", "rights_state", "rights_until"
    ):
        held = list(licenses[asset_id].values())
        new = (rights_state_of(held, now), rights_end(held, now))
        if (state, until) == new:
            continue
        changed[asset_id] = new
        # a change of a known state is on the asset's timeline (the first reading of a new asset is not a change)
        if state != new[0] and state != RightsState.UNKNOWN:
            moved_ids.setdefault(new[0], []).append(asset_id)
    if changed:
        with transaction.atomic(savepoint=False):
            moved_by_state = {
                state: list(
                    Asset.objects.filter(pk__in=ids)
                    .select_related("client")
                    .only("id", "client", "name", "content_element_uuid", "rights_state", "approval_state", "on_hold")
                )
                for state, ids in moved_ids.items()
            }
            for state, moved in moved_by_state.items():
                audit.record_many(
                    "assets.asset.rights_change",
                    moved,
                    before_after=lambda asset, state=state: (
                        {"rights_state": asset.rights_state},
                        {"rights_state": state},
                    ),
                )
            _update_rights(changed, now)
            for state, moved in moved_by_state.items():
                _publish_lapsed(moved, state, now)
    settle_recorded_renewals(asset_ids, now)


def _update_rights(changed: dict[int, tuple[str, datetime | None]], now: datetime) -> None:
    """Write the new ``(rights_state, rights_until)`` of each asset: on PostgreSQL one UPDATE from arrays; elsewhere
    (SQLite, small data) one UPDATE per distinct value."""
    if connection.vendor == "postgresql":
        ids, states, untils = zip(*((pk, state, until) for pk, (state, until) in changed.items()), strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Asset._meta.db_table} AS a SET rights_state = v.state, rights_until = v.until, "  # noqa: S608
                "updated_at = %s FROM unnest(%s::bigint[], %s::text[], %s::timestamptz[]) AS v(id, state, until) "
                "WHERE a.id = v.id",
                [now, list(ids), list(states), list(untils)],
            )
        return
    by_value: dict[tuple[str, datetime | None], list[int]] = {}
    for pk, value in changed.items():
        by_value.setdefault(value, []).append(pk)
    for (state, until), ids in by_value.items():
        Asset.objects.filter(pk__in=ids).update(rights_state=state, rights_until=until, updated_at=now)


# Out of circulation by decision: the renewal sweep opens no case for them (``apps.exceptions.services.SETTLED``).
SETTLED = {ApprovalState.REJECTED, ApprovalState.WITHDRAWN}


# Why an approved asset whose rights end is out of circulation, by its new rights state.
LAPSED = {
    RightsState.EXPIRED: "Its licence expired.",
    RightsState.WITHDRAWN: "Its licence was cancelled at Smint.io.",
}


def _publish_lapsed(moved: list[Asset], state: str, now: datetime) -> None:
    """``asset.withdrawn`` for each approved asset in circulation (not on hold) whose rights just stopped being in
    force (expired, or the licence cancelled): it is out of circulation though its approval stands. Said on the move
    only (``moved`` are the assets whose state this call changed), keyed by the move's state and time."""
    if state not in LAPSED:
        return
    for asset in moved:
        if asset.approval_state != ApprovalState.APPROVED or asset.on_hold or asset.rights_state in LAPSED:
            continue  # not in circulation before: nothing left it now
        announce_withdrawn(asset, occurrence=f"rights-{state}-{now:%Y%m%dT%H%M%S.%f}", reason=LAPSED[state])


# A renewal recorded to the end of a day (in the recorder's time zone) is met by a Smint.io term ending that day.
RENEWAL_SLACK = timedelta(days=1)


def record_renewal(asset: Asset, until: datetime, *, actor=None, reason: str = "") -> None:
    """Procurement recorded that the licence was renewed until ``until``: the asset, its cases and the rights
    calendar show that date at once, marked "awaiting Smint.io", until a synced term reaches it
    (:func:`settle_recorded_renewals`). Availability is not extended: only Smint.io's terms set ``rights_until``."""
    before = asset.renewal_recorded_until
    Asset.objects.filter(pk=asset.pk).update(renewal_recorded_until=until, updated_at=timezone.now())
    asset.renewal_recorded_until = until
    audit.record(
        "assets.asset.renewal_recorded",
        actor=actor,
        client=asset.client,
        obj=asset,
        before={"renewal_recorded_until": before.isoformat() if before else None},
        after={"renewal_recorded_until": until.isoformat()},
        reason=reason,
    )


def settle_recorded_renewals(asset_ids, now: datetime | None = None) -> int:
    """Drop the "awaiting Smint.io" mark of the assets whose synced rights now reach the recorded renewal (or no
    longer end); returns how many."""
    return (
        Asset.objects.filter(pk__in=list(asset_ids), renewal_recorded_until__isnull=False)
        .filter(
            Q(rights_until__gte=F("renewal_recorded_until") - RENEWAL_SLACK)
            | Q(rights_until__isnull=True, rights_state=RightsState.VALID)
        )
        .update(renewal_recorded_until=None, updated_at=now or timezone.now())
    )


def upsert_binaries(binaries_by_lpt: dict[int, tuple[int, list[dict]]]) -> int:
    """Store the binaries fetched for licence purchases: ``{lpt_id: (lpt_version, [binary fields])}``."""
    rows = [
        Binary(license_purchase_id=lpt_id, **fields)
        for lpt_id, (_version, binaries) in binaries_by_lpt.items()
        for fields in binaries
    ]
    Binary.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["license_purchase", "uuid"],
        update_fields=[*BINARY_SYNC_FIELDS, "fetched_at"],
    )
    by_version: dict[int, list[int]] = {}
    for lpt_id, (version, _binaries) in binaries_by_lpt.items():
        by_version.setdefault(version, []).append(lpt_id)
    for version, lpt_ids in by_version.items():  # versions are few: one UPDATE each, not one per licence
        LicensePurchase.objects.filter(pk__in=lpt_ids, binaries_version__lt=version).update(binaries_version=version)
    return len(rows)


def lpts_needing_binaries(client, limit: int = 500) -> list[tuple[int, str, str, int]]:
    """Licence purchases whose binaries are older than their version: (id, cart uuid, uuid, version)."""
    return list(
        LicensePurchase.objects.filter(client=client, can_be_synced=True, state=LicenseState.COMPLETED)
        .filter(binaries_version__lt=F("version"))
        .values_list("id", "cart_purchase_transaction_uuid", "uuid", "version")[:limit]
    )


def licence_snapshot(asset: Asset) -> list[dict]:
    """The licence terms as they stand, frozen into the decision."""
    snapshot = []
    for lpt in asset.license_purchases.all():
        snapshot.append(
            {
                "license_purchase": lpt.uuid,
                "version": lpt.version,
                "state": lpt.state,
                "downloads": [lpt.current_downloads, lpt.max_downloads],
                "terms": [
                    {
                        "sequence_number": t.sequence_number,
                        "name": t.name,
                        "allowed_geographies": t.allowed_geographies,
                        "restricted_geographies": t.restricted_geographies,
                        "allowed_usages": t.allowed_usages,
                        "restricted_usages": t.restricted_usages,
                        "valid_from": t.valid_from,
                        "valid_until": t.valid_until,
                        "to_be_used_until": t.to_be_used_until,
                        "is_editorial_use": t.is_editorial_use,
                    }
                    for t in lpt.terms.all()
                ],
            }
        )
    return snapshot


class InvalidApprovalMove(Exception):
    """The asset's approval state does not allow this move (``choices.APPROVAL_TRANSITIONS``)."""


def change_approval(asset: Asset, state: str, *, action: str, actor=None, reason: str = "", after=None) -> bool:
    """Move an asset's approval state, audited on the asset (so its timeline tells the whole story). A move the
    transition map does not allow is refused; moving to the state it is in is a no-op. Returns whether it moved.

    The row is re-read under a lock: the state a flow acts on is the one in the database, not a stale copy."""
    with transaction.atomic():
        current, held, rights = (
            Asset.objects.select_for_update()
            .filter(pk=asset.pk)
            .values_list("approval_state", "on_hold", "rights_state")
            .get()
        )
        if current == state:
            return False
        if state not in APPROVAL_TRANSITIONS.get(current, set()):
            raise InvalidApprovalMove(f"An asset that is {current} cannot become {state}.")
        Asset.objects.filter(pk=asset.pk).update(approval_state=state, updated_at=timezone.now())
        if current in SETTLED and state not in SETTLED:
            # back in circulation: the renewal sweep judges its licences' limits again (it skipped them meanwhile)
            LicensePurchase.objects.filter(asset_id=asset.pk).update(limits_pending=True)
        entry = audit.record(
            action,
            actor=actor,
            client=asset.client,
            obj=asset,
            before={"approval_state": current},
            after={"approval_state": state, **(after or {})},
            reason=reason,
        )
        in_circulation = not held and rights not in LAPSED  # else it left already, and that was said then
        if current == ApprovalState.APPROVED and state == ApprovalState.WITHDRAWN and in_circulation:
            # whatever took it out of circulation (a renewal case's take-down or replacement, a remediation's
            # removal): said once, on the move, keyed by the move's audit entry (an asset approved again and
            # withdrawn again is a new occurrence)
            announce_withdrawn(asset, occurrence=f"audit-{entry.pk}", reason=reason, actor=actor)
    asset.approval_state = state
    return True
