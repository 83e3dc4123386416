"""State changes of the Smint.io emulator: tenants, licence purchase transactions and their change log, cursors,
usage events, idempotent write-backs, signed downloads and outbound notifications.

Every LPT change runs in one transaction that takes the tenant row lock before it allocates a log sequence, and
holds it until commit: sequences therefore become visible in order, and a cursor can never skip an entry that a
slower transaction commits later.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Callable
from typing import Any

import requests
from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from apps.emulators.core.faults import clear

from . import contract, payloads
from .errors import ApiError
from .models import (
    Binary,
    ChangeLogEntry,
    ContentElement,
    IdempotencyRecord,
    LicensePurchaseTransaction,
    MetadataUpdate,
    OAuthClient,
    SyncCursor,
    Tenant,
    UsageEvent,
    WorkflowStatusRecord,
)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
SERVER_MANAGED_FIELDS = ("version", "created_at", "last_updated_at")


# --- Tenants --------------------------------------------------------------------------------------------------


def ensure_tenant(
    slug: str,
    *,
    name: str = "",
    client_id: str | None = None,
    client_secret: str | None = None,
    client_name: str = "",
    redirect_uris: list[str] | None = None,
) -> tuple[Tenant, OAuthClient]:
    """The tenant and its OAuth client, created on first call; later calls change only what they pass.

    The client defaults to the portal's ``SMINTIO_CLIENT_ID``/``SMINTIO_CLIENT_SECRET`` so a demo portal connects
    without configuration.
    """
    if not SLUG_RE.match(slug):
        raise ValueError("slug must be lower-case letters, digits and hyphens (max 63), not starting with a hyphen.")
    if redirect_uris is not None and not all(isinstance(uri, str) for uri in redirect_uris):
        raise ValueError("redirect_uris must be a list of strings.")
    with transaction.atomic():
        tenant, created = Tenant.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name or slug.replace("-", " ").title(),
                "channel_id": secrets.token_hex(8),
                "pusher_secret": secrets.token_hex(16),
            },
        )
        if name and not created and tenant.name != name:
            tenant.name = name
            tenant.save(update_fields=["name"])
        wanted_id = client_id or getattr(settings, "SMINTIO_CLIENT_ID", "") or "greenlight"
        client, client_created = OAuthClient.objects.get_or_create(
            tenant=tenant,
            client_id=wanted_id,
            defaults={
                "client_secret": client_secret
                or getattr(settings, "SMINTIO_CLIENT_SECRET", "")
                or secrets.token_urlsafe(24),
                "name": client_name or "Greenlight",
                "redirect_uris": redirect_uris or [],
            },
        )
        if not client_created:
            changes = {"client_secret": client_secret, "name": client_name or None, "redirect_uris": redirect_uris}
            changed = [field for field, value in changes.items() if value is not None]
            for field in changed:
                setattr(client, field, changes[field])
            if changed:
                client.save(update_fields=changed)
    return tenant, client


def configure(
    tenant: Tenant, *, access_token_lifetime: int | None = None, download_url_lifetime: int | None = None
) -> Tenant:
    """Per-tenant lifetimes (tests use 1-2 seconds); only tokens and URLs issued afterwards are affected."""
    fields = []
    for field, value in (
        ("access_token_lifetime", access_token_lifetime),
        ("download_url_lifetime", download_url_lifetime),
    ):
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{field} must be a positive integer (seconds).")
        setattr(tenant, field, value)
        fields.append(field)
    if fields:
        tenant.save(update_fields=fields)
    return tenant


def reset(slug: str | None = None) -> int:
    """Forget one tenant (all its rows) or everything including faults and the call log; returns tenants removed."""
    tenants = Tenant.objects.filter(slug=slug) if slug else Tenant.objects.all()
    removed = tenants.count()
    tenants.delete()
    if slug is None:
        clear(contract.EMULATOR)
    return removed


def _lock_tenant(tenant_id: int) -> Tenant:
    return Tenant.objects.select_for_update().get(pk=tenant_id)


def allocate(tenant_id: int, field: str, count: int = 1) -> int:
    """Reserve ``count`` consecutive numbers of a tenant counter; returns the first. Call inside the transaction
    that writes the rows so the lock is held until they are committed."""
    tenant = _lock_tenant(tenant_id)
    first = getattr(tenant, field) + 1
    setattr(tenant, field, first + count - 1)
    tenant.save(update_fields=[field])
    return first


# --- Licence purchase transactions ----------------------------------------------------------------------------


def _require_dict(value: Any, field: str) -> dict:
    if not isinstance(value, dict):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, f"{field} must be a JSON object.")
    return value


def _complete_terms(tenant_id: int, terms: Any) -> list[dict]:
    """Licence terms with every field present; a missing ``sequence_number`` gets the tenant's next one."""
    if not isinstance(terms, list) or not all(isinstance(term, dict) for term in terms):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "license_terms must be a list of objects.")
    missing = sum(1 for term in terms if term.get("sequence_number") is None)
    next_number = allocate(tenant_id, "term_sequence", missing) if missing else 0
    completed = []
    for term in terms:
        number = term.get("sequence_number")
        if number is None:
            number, next_number = next_number, next_number + 1
        completed.append({**payloads.default_term(number), **term, "sequence_number": number})
    return completed


def _element_for(tenant: Tenant, document: dict, now: dt.datetime) -> ContentElement:
    """The element named by ``document['uuid']`` (created when new), with the document's fields laid over it."""
    document = dict(document)
    element_uuid = str(document.pop("uuid", "") or uuid.uuid4())
    provider = document.pop("provider", None)
    document.pop("previews", None)
    element = ContentElement.objects.filter(tenant=tenant, uuid=element_uuid).first()
    if element is None:
        return ContentElement.objects.create(
            tenant=tenant,
            uuid=element_uuid,
            provider=provider or "getty",
            data={**payloads.default_element_data(now), **document},
        )
    if document or provider:
        element.data = {**element.data, **document}
        element.provider = provider or element.provider
        element.save(update_fields=["data", "provider", "updated_at"])
    return element


def _write_binaries(lpt: LicensePurchaseTransaction, items: Any) -> None:
    """Replace the LPT's binaries by ``items``; a binary whose data changed gets version + 1 (a binary update)."""
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "binaries must be a list of objects.")
    existing = {binary.uuid: binary for binary in lpt.binaries.all()}
    kept = set()
    name = lpt.content_element.name_en
    for position, item in enumerate(items):
        item = dict(item)
        binary_uuid = str(item.pop("uuid", "") or uuid.uuid4())
        version = item.pop("version", None)
        item.pop("download_url", None)
        data = {**payloads.default_binary_data(name, position), **item}
        binary = existing.get(binary_uuid)
        if binary is None:
            Binary.objects.create(lpt=lpt, uuid=binary_uuid, version=version or 1, position=position, data=data)
        else:
            changed = binary.data != data
            binary.data = data
            binary.position = position
            binary.version = version or (binary.version + 1 if changed else binary.version)
            binary.save(update_fields=["data", "position", "version"])
        kept.add(binary_uuid)
    lpt.binaries.exclude(uuid__in=kept).delete()


def append_to_log(lpt: LicensePurchaseTransaction) -> ChangeLogEntry:
    """Deliver the LPT's current state into the change feed (call inside the transaction of the change)."""
    sequence = allocate(lpt.tenant_id, "lpt_sequence")
    return ChangeLogEntry.objects.create(
        tenant_id=lpt.tenant_id, sequence=sequence, lpt=lpt, version=lpt.version, snapshot=payloads.lpt_document(lpt)
    )


def upsert_lpt(tenant: Tenant, document: dict) -> tuple[LicensePurchaseTransaction, bool]:
    """Create an LPT (version 1) or change an existing one (version + 1) from a platform-shaped document.

    Fields not given keep their value (new LPTs get complete defaults); ``content_element`` is merged into the
    element, ``license_terms`` and ``binaries`` (emulator-only key) replace the old lists. Server-managed fields
    (``version``, ``created_at``, ``last_updated_at``) are ignored. Every call appends to the change log.
    """
    document = copy.deepcopy(_require_dict(document, "The LPT"))
    for field in SERVER_MANAGED_FIELDS:
        document.pop(field, None)
    binaries = document.pop("binaries", None)
    element_document = _require_dict(document.pop("content_element", None) or {}, "content_element")
    lpt_uuid = str(document.pop("uuid", "") or uuid.uuid4())
    state = document.pop("state", None)
    if state is not None and state not in contract.LPT_STATES:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, f"state must be one of {', '.join(contract.LPT_STATES)}.")
    cart_uuid = document.pop("cart_purchase_transaction_uuid", None)
    now = timezone.now()
    with transaction.atomic():
        _lock_tenant(tenant.pk)
        lpt = LicensePurchaseTransaction.objects.filter(tenant=tenant, uuid=lpt_uuid).first()
        created = lpt is None
        if created and "license_terms" not in document:
            document["license_terms"] = [{}]
        if "license_terms" in document:
            document["license_terms"] = _complete_terms(tenant.pk, document["license_terms"])
        if created:
            element = _element_for(tenant, element_document, now)
            lpt = LicensePurchaseTransaction.objects.create(
                tenant=tenant,
                uuid=lpt_uuid,
                cart_purchase_transaction_uuid=str(cart_uuid or uuid.uuid4()),
                content_element=element,
                state=state or "completed",
                data={**payloads.default_lpt_data(now), **document},
                created_at=now,
                last_updated_at=now,
            )
            _write_binaries(lpt, binaries if binaries is not None else [{}])
        else:
            if element_document:
                element_document.setdefault("uuid", lpt.content_element.uuid)
                lpt.content_element = _element_for(tenant, element_document, now)
            lpt.data = {**lpt.data, **document}
            lpt.state = state or lpt.state
            lpt.cart_purchase_transaction_uuid = str(cart_uuid or lpt.cart_purchase_transaction_uuid)
            lpt.version += 1
            lpt.last_updated_at = now
            lpt.save()
            if binaries is not None:
                _write_binaries(lpt, binaries)
        append_to_log(lpt)
    return lpt, created


def _change(lpt: LicensePurchaseTransaction, mutate: Callable[[LicensePurchaseTransaction], None]) -> None:
    """Apply ``mutate``, bump the version and append to the log, all in one transaction."""
    with transaction.atomic():
        _lock_tenant(lpt.tenant_id)
        lpt.refresh_from_db()
        mutate(lpt)
        lpt.version += 1
        lpt.last_updated_at = timezone.now()
        lpt.save()
        append_to_log(lpt)


def cancel_lpt(lpt: LicensePurchaseTransaction) -> LicensePurchaseTransaction:
    """The purchase is cancelled: the LPT re-appears in the feed with ``state: cancelled`` and a higher version."""

    def mutate(target: LicensePurchaseTransaction) -> None:
        target.state = "cancelled"

    _change(lpt, mutate)
    return lpt


def set_usage_counters(lpt: LicensePurchaseTransaction, counters: dict) -> LicensePurchaseTransaction:
    """New ``current_downloads``/``current_users``/``current_reuses``; a change like any other (version + 1)."""
    allowed = {"current_downloads", "current_users", "current_reuses"}
    unknown = set(counters) - allowed
    if unknown or not counters:
        raise ValueError(f"Give one or more of {', '.join(sorted(allowed))}.")
    if not all(isinstance(value, int) and not isinstance(value, bool) and value >= 0 for value in counters.values()):
        raise ValueError("Counters must be non-negative integers.")

    def mutate(target: LicensePurchaseTransaction) -> None:
        target.data = {**target.data, **counters}

    _change(lpt, mutate)
    return lpt


def bump_binary(lpt: LicensePurchaseTransaction, binary_uuid: str) -> Binary:
    """A new version of one binary (the file was replaced): binary version + 1, LPT version + 1, appended."""
    binary = lpt.binaries.filter(uuid=binary_uuid).first()
    if binary is None:
        raise ApiError(404, contract.ERR_NOT_FOUND, "No such binary in this LPT.")

    def mutate(target: LicensePurchaseTransaction) -> None:
        binary.version += 1
        binary.save(update_fields=["version"])

    _change(lpt, mutate)
    return binary


def redeliver(lpt: LicensePurchaseTransaction) -> ChangeLogEntry:
    """Append the same version again: a duplicate delivery the portal must absorb by upserting."""
    with transaction.atomic():
        _lock_tenant(lpt.tenant_id)
        lpt.refresh_from_db()
        return append_to_log(lpt)


# --- Cursors and pages ----------------------------------------------------------------------------------------


def parse_limit(raw: str | None) -> int:
    if raw in (None, ""):
        return contract.LIMIT_DEFAULT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= contract.LIMIT_MAX:
        raise ApiError(400, contract.ERR_INVALID_LIMIT, f"limit must be an integer from 1 to {contract.LIMIT_MAX}.")
    return limit


def resolve_position(tenant: Tenant, stream: str, raw: str | None) -> int:
    """The log position a continuation_uuid names; no cursor means the beginning. 400 for a foreign or bad one."""
    if not raw:
        return 0
    try:
        value = uuid.UUID(raw)
    except ValueError:
        raise ApiError(400, contract.ERR_INVALID_CURSOR, "continuation_uuid is not a UUID.") from None
    cursor = SyncCursor.objects.filter(uuid=value, tenant=tenant, stream=stream).first()
    if cursor is None:
        raise ApiError(400, contract.ERR_INVALID_CURSOR, "Unknown continuation_uuid.")
    return cursor.position


def cursor_for(tenant: Tenant, stream: str, position: int) -> str:
    """The opaque uuid for a position; the same position always yields the same uuid."""
    cursor, _ = SyncCursor.objects.get_or_create(tenant=tenant, stream=stream, position=position)
    return str(cursor.uuid)


def lpt_page(tenant: Tenant, raw_cursor: str | None, limit: int) -> tuple[list[dict], str]:
    """Up to ``limit`` snapshots after the cursor, and the cursor to continue from."""
    position = resolve_position(tenant, contract.STREAM_LPT, raw_cursor)
    entries = list(
        ChangeLogEntry.objects.filter(tenant=tenant, sequence__gt=position)
        .order_by("sequence")
        .values_list("sequence", "snapshot")[:limit]
    )
    if entries:
        position = entries[-1][0]
    return [snapshot for _, snapshot in entries], cursor_for(tenant, contract.STREAM_LPT, position)


def usage_page(tenant: Tenant, raw_cursor: str | None, limit: int) -> tuple[list[UsageEvent], str]:
    position = resolve_position(tenant, contract.STREAM_USAGE, raw_cursor)
    events = list(
        UsageEvent.objects.filter(tenant=tenant, sequence__gt=position)
        .select_related("content_element", "lpt")
        .order_by("sequence")[:limit]
    )
    if events:
        position = events[-1].sequence
    return events, cursor_for(tenant, contract.STREAM_USAGE, position)


# --- Usage events ---------------------------------------------------------------------------------------------


def _usage_event(tenant: Tenant, item: Any, now: dt.datetime) -> UsageEvent:
    """An unsaved event from a control-route item ``{content_element_uuid, event, user_email, ...}``."""
    if not isinstance(item, dict):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "Each event must be an object.")
    element = ContentElement.objects.filter(tenant=tenant, uuid=item.get("content_element_uuid")).first()
    if element is None:
        raise ApiError(404, contract.ERR_NOT_FOUND, f"Unknown content element {item.get('content_element_uuid')!r}.")
    lpt_uuid = item.get("license_purchase_transaction_uuid")
    lpts = element.lpts.order_by("-id")
    lpt = lpts.filter(uuid=lpt_uuid).first() if lpt_uuid else lpts.first()
    kind = item.get("event", "download")
    if kind not in contract.USAGE_EVENT_KINDS:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, f"event must be one of {contract.USAGE_EVENT_KINDS}.")
    email = item.get("user_email")
    if not isinstance(email, str) or "@" not in email:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "user_email is required.")
    country = item.get("country")
    if country is not None and (not isinstance(country, str) or len(country) != 2):
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "country must be an ISO-3166 alpha-2 code or null.")
    occurred_at = payloads.parse_iso(item["occurred_at"], "occurred_at") if item.get("occurred_at") else now
    return UsageEvent(
        tenant=tenant,
        sequence=0,
        uuid=item.get("uuid") or uuid.uuid4(),
        content_element=element,
        lpt=lpt,
        event=kind,
        user_uuid=str(item.get("user_uuid") or uuid.uuid5(uuid.NAMESPACE_URL, f"mailto:{email.lower()}")),
        user_email=email,
        occurred_at=occurred_at,
        country=country.upper() if country else None,
        channel=item.get("channel"),
    )


def add_usage_events(tenant: Tenant, items: list) -> list[UsageEvent]:
    """Append events to the tenant's usage feed, in the order given."""
    if not isinstance(items, list) or not items:
        raise ApiError(400, contract.ERR_INVALID_REQUEST, "events must be a non-empty list.")
    now = timezone.now()
    events = [_usage_event(tenant, item, now) for item in items]
    with transaction.atomic():
        first = allocate(tenant.pk, "usage_sequence", len(events))
        for offset, event in enumerate(events):
            event.sequence = first + offset
        UsageEvent.objects.bulk_create(events)
    return events


# --- Idempotent write-backs (platforms.md 5.1) ----------------------------------------------------------------


def request_digest(method: str, path: str, body: Any) -> str:
    """What makes two requests "the same" for a key: method, path and the JSON body in canonical form."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _replay(record: IdempotencyRecord, request_hash: str) -> dict:
    if not hmac.compare_digest(record.request_hash, request_hash):
        raise ApiError(
            422, contract.ERR_IDEMPOTENCY_MISMATCH, "This Idempotency-Key was used with a different request."
        )
    return record.response


def run_idempotent(tenant: Tenant, key: str, request_hash: str, action: Callable[[], dict]) -> tuple[dict, bool]:
    """``action()``'s answer, stored under the key; a repeat of the same request gets the stored answer.

    Returns ``(body, replayed)``. ``action`` raising ApiError stores nothing. Two concurrent first calls are
    settled by the unique key: the loser replays (or refuses) against the winner's record.
    """
    for _attempt in range(3):
        record = IdempotencyRecord.objects.filter(tenant=tenant, key=key).first()
        if record is not None:
            return _replay(record, request_hash), True
        try:
            with transaction.atomic():
                body = action()
                IdempotencyRecord.objects.create(
                    tenant=tenant, key=key, request_hash=request_hash, status_code=200, response=body
                )
            return body, False
        except IntegrityError:
            continue  # a concurrent request won the key or the version; look again
    raise ApiError(409, contract.ERR_CONFLICT, "Concurrent updates of this element; retry.")


def record_workflow_status(element: ContentElement, cleaned: dict, key: str) -> dict:
    """A new workflow-status version of the element (inside run_idempotent's transaction)."""
    ContentElement.objects.select_for_update().filter(pk=element.pk).first()
    latest = element.workflow_statuses.aggregate(latest=Max("version"))["latest"] or 0
    record = WorkflowStatusRecord.objects.create(
        content_element=element, version=latest + 1, idempotency_key=key, **cleaned
    )
    return payloads.workflow_status_document(record)


def apply_metadata(element: ContentElement, cleaned: dict, key: str) -> dict:
    """Merge the PATCH into the element's metadata and record it as the next metadata version."""
    element = ContentElement.objects.select_for_update().get(pk=element.pk)
    element.data = {**element.data, **cleaned}
    element.metadata_version += 1
    element.save(update_fields=["data", "metadata_version", "updated_at"])
    MetadataUpdate.objects.create(
        content_element=element, version=element.metadata_version, changes=cleaned, idempotency_key=key
    )
    return payloads.metadata_document(element)


# --- Signed downloads -----------------------------------------------------------------------------------------


def _download_signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=contract.DOWNLOAD_SALT)


def download_token(binary: Binary, lifetime: int) -> str:
    """A URL-safe token naming the binary; it carries its own lifetime, covered by the signature."""
    return _download_signer().sign_object({"b": binary.pk, "v": binary.version, "ttl": lifetime})


def binary_for_download(token: str) -> Binary:
    """The binary of a download token; 403 when forged or older than its lifetime (platforms.md 1.3)."""
    signer = _download_signer()
    try:
        claims = signer.unsign_object(token)
        signer.unsign_object(token, max_age=claims["ttl"])
    except signing.SignatureExpired:
        raise ApiError(403, contract.ERR_DOWNLOAD_EXPIRED, "The download URL has expired; fetch a new one.") from None
    except (signing.BadSignature, KeyError, TypeError):
        raise ApiError(403, contract.ERR_DOWNLOAD_INVALID, "The download URL is not valid.") from None
    binary = Binary.objects.filter(pk=claims["b"]).select_related("lpt__content_element").first()
    if binary is None:
        raise ApiError(404, contract.ERR_NOT_FOUND, "The binary no longer exists.")
    return binary


# --- Notifications (platforms.md 1.3 and 5.3) -----------------------------------------------------------------


def pusher_signature(secret: str, socket_id: str, channel: str) -> str:
    """Pusher's private-channel signature: hex HMAC-SHA256 of ``"<socket_id>:<channel>"`` with the app secret."""
    return hmac.new(secret.encode(), f"{socket_id}:{channel}".encode(), hashlib.sha256).hexdigest()


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """``X-Signature`` value: ``sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={mac}"


def notification_payload(tenant: Tenant, *, event_id: str | None = None) -> dict:
    return {
        "event_id": event_id or str(uuid.uuid4()),
        "event": contract.NOTIFY_EVENT,
        "channel": tenant.channel,
        "tenant_id": tenant.slug,
        "sent_at": payloads.iso(timezone.now()),
    }


def fire_notification(tenant: Tenant, *, url: str | None = None, event_id: str | None = None) -> dict:
    """POST a signed change hint to the portal (or ``url``) and report what was sent and how it was answered."""
    secrets_list = getattr(settings, "NOTIFY_SECRETS", [])
    if not secrets_list:
        raise ApiError(409, contract.ERR_NOTIFY_NOT_CONFIGURED, "settings.NOTIFY_SECRETS is empty: set NOTIFY_SECRET.")
    payload = notification_payload(tenant, event_id=event_id)
    body = json.dumps(payload, separators=(",", ":")).encode()
    timestamp = int(timezone.now().timestamp())
    signature = sign(body, timestamp, secrets_list[0])
    target = url or f"{settings.PORTAL_URL}{contract.NOTIFY_PATH}"
    headers = {"Content-Type": "application/json", "X-Timestamp": str(timestamp), "X-Signature": signature}
    try:
        response = requests.post(target, data=body, headers=headers, timeout=contract.NOTIFY_TIMEOUT)
    except requests.RequestException as exc:
        raise ApiError(502, contract.ERR_NOTIFY_FAILED, f"POST {target} failed: {exc.__class__.__name__}.") from None
    return {
        "url": target,
        "status_code": response.status_code,
        "payload": payload,
        "body": body.decode(),
        "timestamp": timestamp,
        "signature": signature,
    }
