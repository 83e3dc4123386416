"""Webhook endpoints: creating, changing, rotating, disabling and enabling them (audited), and turning events into
outbox rows that ``handlers.deliver`` sends."""

from __future__ import annotations

import base64
import hashlib
import secrets as random_secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from apps.audit import services as audit
from apps.common import events
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus, Platform
from apps.outbox.models import OutboxMessage

from .choices import DELIVER_KIND, INTERNAL_KEYS, SUBSCRIBABLE, TEST_EVENT
from .models import WebhookEndpoint, WebhookSecret
from .targets import check


class WebhookError(ValueError):
    """The change cannot be made as asked; the message says why."""


@dataclass(frozen=True)
class Created:
    """An endpoint and its new secret, in clear text: shown once, never again."""

    endpoint: WebhookEndpoint
    secret: str


def new_secret() -> str:
    """``whsec_`` + base64 of 32 random bytes: the Standard Webhooks format (the reference libraries read it)."""
    return "whsec_" + base64.b64encode(random_secrets.token_bytes(32)).decode()


def message_id(idempotency_key: str) -> str:
    """The ``webhook-id`` of a delivery: the same on every attempt, so a receiver drops a retry it already took."""
    return "msg_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]


def _validate(client, url: str, event_types) -> list[str]:
    check(url)  # raises TargetRefused (a ValueError) with the reason
    chosen = list(dict.fromkeys(event_types or []))
    unknown = [name for name in chosen if name not in SUBSCRIBABLE]
    if unknown:
        raise WebhookError(f"These events cannot be subscribed to: {', '.join(unknown)}.")
    if not chosen:
        raise WebhookError("Choose at least one event.")
    return chosen


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
    }


def create_endpoint(*, client, url: str, event_types, description: str = "", actor) -> Created:
    """A new endpoint of ``client`` and its first secret (returned in clear text once)."""
    chosen = _validate(client, url, event_types)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            client=client, url=url, description=description, event_types=chosen, created_by=actor
        )
        secret = new_secret()
        WebhookSecret.objects.create(endpoint=endpoint, secret=secret)
        audit.record("webhooks.endpoint.create", actor=actor, client=client, obj=endpoint, after=_snapshot(endpoint))
    return Created(endpoint, secret)


def update_endpoint(endpoint: WebhookEndpoint, *, actor, **changes) -> WebhookEndpoint:
    """Change the URL, description or events (the URL is checked again)."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = _snapshot(endpoint)
        url = changes.get("url", endpoint.url)
        event_types = changes.get("event_types", endpoint.event_types)
        endpoint.event_types = _validate(endpoint.client, url, event_types)
        endpoint.url = url
        endpoint.description = changes.get("description", endpoint.description)
        endpoint.save(update_fields=["url", "description", "event_types"])
        audit.record(
            "webhooks.endpoint.update",
            actor=actor,
            client=endpoint.client,
            obj=endpoint,
            before=before,
            after=_snapshot(endpoint),
        )
    return endpoint


def rotate_secret(endpoint: WebhookEndpoint, *, actor, overlap_hours: int | None = None) -> str:
    """A new current secret; the previous one keeps signing for ``overlap_hours`` (``WEBHOOK_SECRET_OVERLAP_HOURS``)
    so deliveries carry both signatures while the receiver switches. Older rotated secrets end now: at most two sign
    at once. Returns the new secret in clear text (shown once)."""
    hours = settings.WEBHOOK_SECRET_OVERLAP_HOURS if overlap_hours is None else overlap_hours
    now = timezone.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.secrets.filter(expires_at__isnull=False).delete()
        endpoint.secrets.filter(expires_at__isnull=True).update(expires_at=now + timedelta(hours=hours))
        secret = new_secret()
        WebhookSecret.objects.create(endpoint=endpoint, secret=secret)
        audit.record(
            "webhooks.endpoint.rotate_secret",
            actor=actor,
            client=endpoint.client,
            obj=endpoint,
            after={"previous_secret_valid_hours": hours},
        )
    return secret


def valid_secrets(endpoint: WebhookEndpoint) -> list[WebhookSecret]:
    """The secrets that sign a delivery now: the current one first, then a rotated one still in its window."""
    now = timezone.now()
    return sorted(
        (s for s in endpoint.secrets.all() if s.expires_at is None or s.expires_at > now),
        key=lambda s: (s.expires_at is not None, -s.pk),
    )


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    return [s.secret for s in valid_secrets(endpoint)]


def disable(endpoint: WebhookEndpoint, *, actor=None, reason: str) -> WebhookEndpoint:
    """Stop deliveries (a person, or the system after repeated failures with ``actor=None``). Queued deliveries
    stay queued and are parked when their turn comes; enabling re-queues them."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if not endpoint.is_active:
            raise WebhookError("This endpoint is already disabled.")
        endpoint.is_active = False
        endpoint.disabled_reason = reason[:500]
        endpoint.disabled_at = timezone.now()
        endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_at"])
        audit.record(
            "webhooks.endpoint.disable",
            actor=actor,
            client=endpoint.client,
            obj=endpoint,
            before={"is_active": True},
            after={"is_active": False},
            reason=reason,
        )
    return endpoint


def enable(endpoint: WebhookEndpoint, *, actor) -> WebhookEndpoint:
    """Deliver again, starting with what was held back: the endpoint's parked deliveries go back in the queue in
    their order (each re-queue audited by the outbox), then everything after them follows."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if endpoint.is_active:
            raise WebhookError("This endpoint is already enabled.")
        endpoint.is_active = True
        endpoint.disabled_reason = ""
        endpoint.disabled_at = None
        endpoint.consecutive_failures = 0
        endpoint.save(update_fields=["is_active", "disabled_reason", "disabled_at", "consecutive_failures"])
        audit.record(
            "webhooks.endpoint.enable",
            actor=actor,
            client=endpoint.client,
            obj=endpoint,
            before={"is_active": False},
            after={"is_active": True},
        )
        for message in OutboxMessage.objects.filter(
            ordering_key=endpoint.ordering_key, status=OutboxStatus.FAILED
        ).order_by("id"):
            outbox.retry_now(message, actor=actor)
    return endpoint


def delete(endpoint: WebhookEndpoint, *, actor) -> None:
    """Remove the endpoint; deliveries not yet made are withdrawn (audited), the delivered rows stay in the outbox."""
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        outbox.withdraw(
            OutboxMessage.objects.filter(
                ordering_key=endpoint.ordering_key, status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]
            ),
            reason="The webhook endpoint was deleted.",
        )
        audit.record(
            "webhooks.endpoint.delete", actor=actor, client=endpoint.client, obj=endpoint, before=_snapshot(endpoint)
        )
        endpoint.delete()


def record_success(endpoint_id: int) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint_id, consecutive_failures__gt=0).update(consecutive_failures=0)


def record_failure(endpoint_id: int, *, reason: str) -> bool:
    """Count one failed attempt; at ``WEBHOOK_DISABLE_AFTER`` in a row (or at once when ``permanent``) disable the
    endpoint, audit it and publish ``webhook.disabled`` (the notifications app tells the client's admins). True when
    this failure disabled it."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("client").filter(pk=endpoint_id).first()
        if endpoint is None or not endpoint.is_active:
            return False
        if endpoint.consecutive_failures < settings.WEBHOOK_DISABLE_AFTER:
            return False
        failures = endpoint.consecutive_failures
        return _disable_after_failures(endpoint, reason=f"{failures} failed attempts in a row; the last: {reason}")


def disable_refused(endpoint_id: int, *, reason: str) -> bool:
    """The receiver refused a delivery for good (a 4xx): the delivery is parked and holds back the endpoint's later
    ones, so the endpoint is disabled now and its admins told, rather than left silently stuck."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(consecutive_failures=F("consecutive_failures") + 1)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().select_related("client").filter(pk=endpoint_id).first()
        if endpoint is None or not endpoint.is_active:
            return False
        return _disable_after_failures(endpoint, reason=reason)


def _disable_after_failures(endpoint: WebhookEndpoint, *, reason: str) -> bool:
    disable(endpoint, actor=None, reason=reason)
    events.publish(
        "webhook.disabled",
        key=f"webhook.disabled:{endpoint.pk}:{endpoint.consecutive_failures}:{timezone.now().timestamp():.0f}",
        client=endpoint.client,
        data={
            "url": endpoint.get_absolute_url(),
            "title": str(endpoint),
            "endpoint": endpoint.pk,
            "target": endpoint.url,
            "failures": endpoint.consecutive_failures,
        },
    )
    return True


# -- events into deliveries ------------------------------------------------------------------------------------
def _absolute(path: str) -> str:
    return f"{settings.PORTAL_URL}{path}" if path.startswith("/") else path


def payload_body(name: str, *, client, data: dict, occurred_at) -> dict:
    """What the receiver gets: ``{"type", "timestamp", "data"}`` (the Standard Webhooks shape). The data is the
    event's without the ids of portal users, with the client's slug and an absolute ``url``."""
    public = {key: value for key, value in data.items() if key not in INTERNAL_KEYS}
    if "url" in public:
        public["url"] = _absolute(public["url"])
    public["client"] = client.slug
    return {"type": name, "timestamp": occurred_at.isoformat(), "data": public}


def _enqueue(endpoint: WebhookEndpoint, *, idempotency_key: str, body: dict) -> OutboxMessage | None:
    """One delivery row; ``None`` when this event already has one for this endpoint (a re-published event)."""
    if OutboxMessage.objects.filter(idempotency_key=idempotency_key).exists():
        return None
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin loses here without spoiling the caller's work
            return outbox.enqueue(
                client=endpoint.client,
                platform=Platform.WEBHOOK,
                kind=DELIVER_KIND,
                ordering_key=endpoint.ordering_key,
                idempotency_key=idempotency_key,
                payload={"endpoint": endpoint.pk, "msg_id": message_id(idempotency_key), "body": body},
            )
    except IntegrityError:
        return None


def deliver_event(event: events.Event) -> list[OutboxMessage]:
    """The listener: one delivery per active endpoint of the event's client that subscribes to it."""
    rows = []
    for endpoint in WebhookEndpoint.objects.subscribed(event.client, event.name):
        endpoint.client = event.client
        body = payload_body(event.name, client=event.client, data=event.data, occurred_at=event.occurred_at)
        row = _enqueue(endpoint, idempotency_key=f"webhook:{endpoint.pk}:{event.key}", body=body)
        if row is not None:
            rows.append(row)
    return rows


def send_test(endpoint: WebhookEndpoint, *, actor) -> OutboxMessage:
    """A ``webhook.test`` delivery to this endpoint through the same queue, signing and log as real events."""
    if not endpoint.is_active:
        raise WebhookError("Enable the endpoint before sending it a test event.")
    now = timezone.now()
    data = {
        "url": endpoint.get_absolute_url(),
        "title": "Test event",
        "endpoint": endpoint.pk,
    }
    with transaction.atomic():
        row = _enqueue(
            endpoint,
            idempotency_key=f"webhook:{endpoint.pk}:test:{uuid.uuid4().hex}",
            body=payload_body(TEST_EVENT, client=endpoint.client, data=data, occurred_at=now),
        )
        audit.record("webhooks.endpoint.send_test", actor=actor, client=endpoint.client, obj=endpoint)
    return row
