"""Pulling a client's Smint.io library: licence purchases (with terms and binaries) and usage events.

One pull per connection at a time, across every worker and machine: a lease on the connection row, taken with a
conditional UPDATE and renewed after each page (a crashed worker's lease simply expires). Each page is upserted in
one transaction together with the cursor that follows it, so the cursor never runs ahead of what was stored and a
crash re-reads at most one page (re-delivery is harmless: upserts go by uuid and version).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db import connection as django_connection
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone

from apps.assets import services as assets
from apps.assets import usage
from apps.assets.models import Asset
from apps.clients.models import SmintioConnection

from ..http import PlatformError
from ..worker import stop_requested
from .client import SmintioClient

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
BINARY_FETCH_THREADS = 16
BINARY_BATCH = 500


class SyncBusy(Exception):
    """Another worker holds this connection's lease."""


class LeaseLost(Exception):
    """Our lease expired and another worker took over; this pull stops without saving its cursor."""


class PullStopped(Exception):
    """The worker is stopping: the pull ends after the page it committed; the next pull resumes from its cursor."""


def _stop_if_asked() -> None:
    if stop_requested():
        raise PullStopped("the worker is stopping; the next pull resumes from the saved cursor")


@dataclass
class PullReport:
    pages: int = 0
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    binaries: int = 0
    usage_events: int = 0
    usage_refused: int = 0
    seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)
    new_asset_ids: set[int] = field(default_factory=set)
    changed_asset_ids: set[int] = field(default_factory=set)

    def counts(self) -> dict:
        data = asdict(self)
        data.pop("new_asset_ids")
        data.pop("changed_asset_ids")
        return data


# -- mapping Smint.io JSON to our records --------------------------------------------------------------------
def localized(value, culture: str = "en"):
    """Pick ``culture`` (else the first) from Smint.io's ``[{culture, value}]`` lists; plain values pass through."""
    if isinstance(value, list) and value and isinstance(value[0], dict) and "culture" in value[0]:
        chosen = next((item for item in value if item.get("culture") == culture), value[0])
        return chosen.get("value")
    return value


def parse_datetime(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def localized_list(value, culture: str = "en") -> list[str]:
    """A list of display strings from Smint.io's localized lists: ``[{culture, metadata_element: {key, name}}]``
    (keywords, categories) or ``[{culture, value}]`` (notices); entries of ``culture`` win, else every entry."""
    if not value:
        return []
    if not isinstance(value, list):
        return [str(value)]
    items = [item for item in value if isinstance(item, dict)]
    if not items:
        return [str(item) for item in value]
    chosen = [item for item in items if item.get("culture") == culture] or items
    result: list[str] = []
    for item in chosen:
        if isinstance(item.get("metadata_element"), dict):
            element = item["metadata_element"]
            result.append(str(element.get("name") or element.get("key")))
        elif isinstance(item.get("value"), list):
            result.extend(str(v) for v in item["value"])
        elif item.get("value") is not None:
            result.append(str(item["value"]))
    return list(dict.fromkeys(result))


def _editorial(element: dict, terms: list[dict]) -> bool | None:
    """The SDK's rule: true if any term says editorial use; false only if some says no and none says yes."""
    flags = [t.get("is_editorial_use") for t in terms] + [element.get("is_editorial_use")]
    if any(flag is True for flag in flags):
        return True
    if any(flag is False for flag in flags):
        return False
    return None


TERM_LIST_FIELDS = [
    "exclusivities",
    "allowed_usages",
    "restricted_usages",
    "allowed_sizes",
    "restricted_sizes",
    "allowed_placements",
    "restricted_placements",
    "allowed_distributions",
    "restricted_distributions",
    "allowed_geographies",
    "restricted_geographies",
    "allowed_industries",
    "restricted_industries",
    "allowed_languages",
    "restricted_languages",
    "usage_limits",
]


def map_term(term: dict) -> dict:
    return {
        "sequence_number": int(term["sequence_number"]),
        "name": str(localized(term.get("name")) or "")[:300],
        **{name: list(term.get(name) or []) for name in TERM_LIST_FIELDS},
        "valid_from": parse_datetime(term.get("valid_from")),
        "valid_until": parse_datetime(term.get("valid_until")),
        "to_be_used_until": parse_datetime(term.get("to_be_used_until")),
        "is_editorial_use": term.get("is_editorial_use"),
    }


def _preview_url(element: dict) -> str:
    for preview in element.get("previews") or []:
        url = preview.get("url") if isinstance(preview, dict) else preview
        if url:
            return str(url)[:500]
    return ""


def map_lpt(lpt: dict) -> assets.LicenseRecord:
    element = lpt.get("content_element") or {}
    terms = lpt.get("license_terms") or []
    constraints = lpt.get("license_download_constraints") or {}
    offering = lpt.get("offering") or {}
    return assets.LicenseRecord(
        content_element_uuid=str(element["uuid"]),
        uuid=str(lpt["uuid"]),
        version=int(lpt.get("version") or 1),
        asset={
            "provider": element.get("provider") or "",
            "content_type": element.get("content_type") or "",
            "content_category": element.get("content_category") or "",
            "name": str(localized(element.get("name")) or "")[:300],
            "description": str(localized(element.get("description")) or ""),
            "keywords": localized_list(element.get("keywords")),
            "copyright_notices": localized_list(element.get("copyright_notices")),
            "preview_url": _preview_url(element),
            "is_editorial": _editorial(element, terms),
            "metadata": element,
        },
        license={
            "cart_purchase_transaction_uuid": lpt.get("cart_purchase_transaction_uuid") or "",
            "reused_license_purchase_transaction_uuid": lpt.get("reused_license_purchase_transaction_uuid") or "",
            "state": lpt.get("state") or "completed",
            "purchased_at": parse_datetime(lpt.get("purchased_at")),
            "license_type": offering.get("license_type") or "",
            "license_text": str(localized((lpt.get("license_text") or {}).get("effective_text")) or ""),
            "max_downloads": constraints.get("effective_max_downloads"),
            "max_users": constraints.get("effective_max_users"),
            "max_reuses": constraints.get("effective_max_reuses"),
            "current_downloads": lpt.get("current_downloads") or 0,
            "current_users": lpt.get("current_users") or 0,
            "current_reuses": lpt.get("current_reuses") or 0,
            "can_be_synced": lpt.get("can_be_synced") is not False,
            "has_potentially_restrictive_terms": lpt.get("has_potentially_restrictive_license_terms"),
            "remote_updated_at": parse_datetime(lpt.get("last_updated_at")),
            # The content element and the terms are stored in their own rows; keeping them twice made the
            # licence upsert the slowest statement of a pull.
            "raw": {k: v for k, v in lpt.items() if k not in {"content_element", "license_terms"}},
        },
        terms=[map_term(term) for term in terms],
    )


def map_binary(binary: dict) -> dict:
    return {
        "uuid": str(binary["uuid"]),
        "version": int(binary.get("version") or 1),
        "content_type": binary.get("content_type") or "",
        "binary_type": binary.get("binary_type") or "",
        "name": str(localized(binary.get("name")) or "")[:300],
        "recommended_file_name": (binary.get("recommended_file_name") or "")[:300],
        "culture": binary.get("culture") or "",
        "download_url": (binary.get("download_url") or "")[:1000],
    }


def map_usage_event(event: dict) -> dict:
    """A Smint.io usage event as ``apps.assets.usage.record_usage`` takes it (which checks every field)."""
    return {
        "id": str(event.get("uuid") or ""),
        "content_element_uuid": str(event.get("content_element_uuid") or ""),
        "license_purchase_uuid": event.get("license_purchase_transaction_uuid") or "",
        "event": event.get("event") or "download",
        "user_uuid": event.get("user_uuid") or "",
        "user_email": event.get("user_email") or "",
        "occurred_at": event.get("occurred_at"),
        "country": event.get("country") or "",
        "channel": event.get("channel") or "",
    }


@contextlib.contextmanager
def _phase(report: PullReport, name: str):
    started = time.monotonic()
    try:
        yield
    finally:
        report.phase_seconds[name] = round(time.monotonic() - started, 3)


# -- the lease ------------------------------------------------------------------------------------------------
def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire_lease(connection: SmintioConnection, owner: str) -> bool:
    now = timezone.now()
    return bool(
        SmintioConnection.objects.filter(pk=connection.pk)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(lease_owner=owner))
        .update(lease_owner=owner, lease_until=now + LEASE)
    )


def release_lease(connection: SmintioConnection, owner: str) -> None:
    SmintioConnection.objects.filter(pk=connection.pk, lease_owner=owner).update(lease_owner="", lease_until=None)


def _save_position(connection: SmintioConnection, owner: str, **fields) -> None:
    """Save a cursor and renew the lease, in the caller's transaction; refuse if the lease was lost."""
    updated = SmintioConnection.objects.filter(pk=connection.pk, lease_owner=owner).update(
        lease_until=timezone.now() + LEASE, **fields
    )
    if not updated:
        raise LeaseLost(f"lost the sync lease of {connection}")


# -- the pull -------------------------------------------------------------------------------------------------
def pull(
    connection: SmintioConnection,
    *,
    full: bool = False,
    progress: Callable[[PullReport], None] | None = None,
    api: SmintioClient | None = None,
    page_size: int = 100,
) -> PullReport:
    """Bring the connection's client up to date with Smint.io. ``full`` starts from the beginning of the change
    log (everything is re-read; unchanged versions are skipped) and refreshes the vocabularies."""
    owner = new_owner()
    if not acquire_lease(connection, owner):
        raise SyncBusy(f"a sync of {connection.client} is already running")
    report = PullReport()
    started = time.monotonic()
    SmintioConnection.objects.filter(pk=connection.pk).update(last_pull_started_at=timezone.now())
    api = api or SmintioClient(connection)
    try:
        if full:
            metadata = api.generic_metadata()
            # updated_at too: the API's asset list pages tag their limits with it (the vocabulary reads them)
            SmintioConnection.objects.filter(pk=connection.pk).update(
                generic_metadata=metadata, updated_at=timezone.now()
            )
        with _phase(report, "licences"):
            _pull_licenses(
                connection,
                api,
                owner,
                report,
                cursor="" if full else connection.lpt_cursor,
                progress=progress,
                page_size=page_size,
            )
        with _phase(report, "binaries"):
            _fetch_missing_binaries(connection, api, report)
        with _phase(report, "usage"):
            _pull_usage(
                connection, api, owner, report, cursor="" if full else connection.usage_cursor, page_size=page_size
            )
    except PullStopped as exc:
        report.seconds = time.monotonic() - started
        SmintioConnection.objects.filter(pk=connection.pk).update(
            last_pull_finished_at=timezone.now(),
            last_pull_ok=False,
            last_pull_error=f"Interrupted: {exc}."[:4000],
            last_pull_counts=report.counts(),
        )
        return report
    except (PlatformError, LeaseLost) as exc:
        report.seconds = time.monotonic() - started
        SmintioConnection.objects.filter(pk=connection.pk).update(
            last_pull_finished_at=timezone.now(),
            last_pull_ok=False,
            last_pull_error=str(exc)[:4000],
            last_pull_counts=report.counts(),
        )
        raise
    finally:
        release_lease(connection, owner)
    report.seconds = time.monotonic() - started
    SmintioConnection.objects.filter(pk=connection.pk).update(
        last_pull_finished_at=timezone.now(), last_pull_ok=True, last_pull_error="", last_pull_counts=report.counts()
    )
    if progress:
        progress(report)
    return report


def _pull_licenses(
    connection, api: SmintioClient, owner: str, report: PullReport, *, cursor: str, progress, page_size: int
) -> None:
    client = connection.client
    with _PageReader(api, page_size, ahead=fetch_ahead()) as reader:
        reader.start(cursor)
        while True:
            items, records, next_cursor = reader.next_page()
            next_cursor = next_cursor or cursor
            if items:
                reader.start(next_cursor)  # the next page is fetched (and mapped) while this one is stored
            with transaction.atomic():
                result = assets.upsert_license_purchases(client, records)
                newest = max(
                    (r.license["remote_updated_at"] for r in records if r.license["remote_updated_at"]), default=None
                )
                _save_position(
                    connection,
                    owner,
                    lpt_cursor=next_cursor,
                    **({"last_change_seen_at": newest} if newest else {}),
                )
            report.pages += 1
            report.received += len(items)
            report.created += result.created
            report.updated += result.updated
            report.unchanged += result.unchanged
            report.cancelled += result.cancelled
            report.new_asset_ids |= result.new_asset_ids
            report.changed_asset_ids |= result.changed_asset_ids
            if progress:
                progress(report)
            cursor = next_cursor
            if not items:
                return
            _stop_if_asked()


def fetch_ahead() -> bool:
    """Whether the next licence page is fetched while one is stored. PostgreSQL only: the fetching thread may refresh
    the access token (a write on the connection row) while the page's transaction is open, which PostgreSQL
    serializes on the row lock; SQLite (the embedded default) would refuse the second writer."""
    return django_connection.vendor == "postgresql"


class _PageReader:
    """Reads and maps the licence feed one page ahead in one background thread (a queue of one page): HTTP only
    there, and no call in the calling thread during the licence phase, so the shared ``requests`` session is used by
    one thread at a time. A failed fetch raises in the caller when it asks for that page, after the pages before it
    were committed, as a sequential read would. Without ``ahead``, each page is fetched when it is asked for."""

    def __init__(self, api: SmintioClient, page_size: int, *, ahead: bool):
        self.api = api
        self.page_size = page_size
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="smintio-pages") if ahead else None
        self.pending = None
        self.cursor = ""

    def _read(self, cursor: str) -> tuple[list[dict], list[assets.LicenseRecord], str]:
        """One page: its items, their records, and the cursor that follows (empty if the platform sent none)."""
        page = self.api.license_purchase_transactions(cursor, limit=self.page_size)
        items = page.get("license_purchase_transactions") or []
        return items, [map_lpt(item) for item in items], page.get("continuation_uuid") or ""

    def _fetch(self, cursor: str):
        try:
            return self._read(cursor)
        finally:
            connections.close_all()  # this thread's database connection, if a token refresh opened one

    def start(self, cursor: str) -> None:
        self.cursor = cursor
        if self.pool is not None:
            self.pending = self.pool.submit(self._fetch, cursor)

    def next_page(self) -> tuple[list[dict], list[assets.LicenseRecord], str]:
        if self.pending is None:
            return self._read(self.cursor)
        pending, self.pending = self.pending, None
        return pending.result()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            # A page fetched ahead and not stored is dropped (its cursor was never saved); wait for the call in
            # flight so no thread outlives the pull.
            self.pool.shutdown(wait=True, cancel_futures=True)


def _fetch_missing_binaries(connection, api: SmintioClient, report: PullReport) -> None:
    """Binaries of every licence whose version is ahead of its binaries (new, changed, or not fetched before),
    after the licence pages: assets are in the portal sooner, and the calls run in parallel in big batches."""
    while True:
        _stop_if_asked()
        pending = [row[0] for row in assets.lpts_needing_binaries(connection.client, limit=BINARY_BATCH)]
        if not pending:
            return
        before = report.binaries
        fetched = _fetch_binaries(connection, api, report, pending)
        if fetched < len(pending) and report.binaries == before:
            return  # nothing could be fetched this round; the next pull tries again


def _fetch_binaries(connection, api: SmintioClient, report: PullReport, lpt_ids: list[int]) -> int:
    """Fetch binary lists in parallel (HTTP only in the threads), then store them in one transaction."""
    from apps.assets.models import LicensePurchase

    rows = list(
        LicensePurchase.objects.filter(pk__in=lpt_ids).values_list(
            "id", "cart_purchase_transaction_uuid", "uuid", "version"
        )
    )
    api.access_token()  # refresh once here rather than in every thread

    def fetch(row):
        lpt_id, cart_uuid, lpt_uuid, version = row
        try:
            return lpt_id, version, [map_binary(b) for b in api.binaries(cart_uuid, lpt_uuid)]
        except PlatformError as exc:
            logger.warning("Binaries of %s not fetched (%s); the next pull retries", lpt_uuid, exc)
            return lpt_id, version, None
        finally:
            connections.close_all()  # this thread's connection, if it opened one

    with ThreadPoolExecutor(max_workers=BINARY_FETCH_THREADS) as pool:
        fetched = list(pool.map(fetch, rows))
    found = {lpt_id: (version, binaries) for lpt_id, version, binaries in fetched if binaries is not None}
    with transaction.atomic():
        report.binaries += assets.upsert_binaries(found)
    return len(found)


def _pull_usage(connection, api: SmintioClient, owner: str, report: PullReport, *, cursor: str, page_size: int) -> None:
    while True:
        page = api.usage_events(cursor, limit=page_size)
        items = page.get("usage_events") or []
        next_cursor = page.get("continuation_uuid") or cursor
        with transaction.atomic():
            result = usage.record_usage(
                [map_usage_event(item) for item in items],
                source="smintio",
                assets=Asset.objects.all(),
                client=connection.client,
                all_or_nothing=False,  # the feed cannot be sent back: an invalid event is left out, not the page
            )
            report.usage_events += result.created
            _save_position(connection, owner, usage_cursor=next_cursor)
        if result.refused:
            report.usage_refused += len(result.refused)
            logger.warning(
                "Left out %d invalid Smint.io usage event(s) of %s: %s",
                len(result.refused),
                connection.client.slug,
                {str(items[index].get("uuid"))[:100]: errors for index, errors in result.refused.items()},
            )
        cursor = next_cursor
        if not items:
            return
        _stop_if_asked()
