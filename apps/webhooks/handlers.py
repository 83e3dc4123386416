"""The outbox handler that sends one webhook delivery, and the listener that turns events into deliveries.

Registered from ``WebhooksConfig.ready``. The relay (``apps.outbox.services.drain``) calls ``deliver`` with the
row's retry schedule and per-endpoint order; this module decides what counts as a failure.
"""

from __future__ import annotations

import json
import logging
import time

import requests
from django.conf import settings
from django.utils import timezone
from standardwebhooks import Webhook

from apps.common import events
from apps.outbox import services as outbox
from apps.outbox.choices import Platform
from apps.outbox.errors import PermanentError, TransientError
from apps.outbox.models import OutboxMessage

from . import services
from .choices import DELIVER_KIND, SUBSCRIBABLE
from .models import WebhookAttempt, WebhookEndpoint
from .targets import TargetRefused, check, pinned_request

logger = logging.getLogger(__name__)
PLATFORM = Platform.WEBHOOK.value


@events.listen(*SUBSCRIBABLE)
def on_event(event: events.Event) -> None:
    services.deliver_event(event)


def sign(secrets: list[str], msg_id: str, when, body: bytes) -> str:
    """One ``v1,<signature>`` per valid secret, space-separated (the spec allows several during a rotation)."""
    return " ".join(Webhook(secret).sign(msg_id, when, body) for secret in secrets)


def _attempt(message: OutboxMessage, endpoint_id: int, started: float, *, status: int | None = None, error: str = ""):
    WebhookAttempt.objects.create(
        endpoint_id=endpoint_id,
        message=message,
        status_code=status,
        error=error[:500],
        duration_ms=int((time.monotonic() - started) * 1000),
    )


@outbox.handler(DELIVER_KIND)
def deliver(message: OutboxMessage) -> dict:
    """POST the signed body. 2xx: delivered. 5xx, 408, 429, a timeout or no connection: retried (the outbox's
    schedule) and counted towards disabling. Any other answer (4xx, a redirect): the receiver refuses it, so the
    delivery is parked and the endpoint disabled. A disabled or deleted endpoint, or a URL that is no longer
    allowed: parked without a call."""
    payload = message.payload
    endpoint = WebhookEndpoint.objects.filter(pk=payload["endpoint"]).prefetch_related("secrets").first()
    if endpoint is None:
        raise PermanentError(PLATFORM, "The endpoint was deleted.")
    if not endpoint.is_active:
        reason = endpoint.disabled_reason or "by a person"
        raise PermanentError(PLATFORM, f"The endpoint is disabled ({reason}); enabling it re-queues this delivery.")
    started = time.monotonic()
    try:
        target = check(endpoint.url)  # again now: DNS may say something else than when the endpoint was saved
    except TargetRefused as exc:
        _attempt(message, endpoint.pk, started, error=str(exc))
        services.disable_refused(endpoint.pk, reason=str(exc))
        raise PermanentError(PLATFORM, str(exc)) from None
    body = json.dumps(payload["body"], separators=(",", ":"), ensure_ascii=False).encode()
    now = timezone.now()
    headers = {
        "content-type": "application/json",
        "user-agent": "Greenlight-Webhooks/1",
        "webhook-id": payload["msg_id"],
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": sign(services.signing_secrets(endpoint), payload["msg_id"], now, body),
    }
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    try:
        response = pinned_request(target, body=body, headers=headers, timeout=timeout)
        response.close()  # the body is not read: a receiver's answer is its status
    except requests.Timeout:
        _fail(message, endpoint, started, f"No answer within {timeout} s.")
    except requests.RequestException as exc:
        _fail(message, endpoint, started, f"Could not connect: {type(exc).__name__}.")
    status = response.status_code
    _attempt(message, endpoint.pk, started, status=status)
    if 200 <= status < 300:
        if endpoint.consecutive_failures:  # read with the endpoint: no write on the common path
            services.record_success(endpoint.pk)
        return {"status": status}
    if status >= 500 or status in (408, 429):
        services.record_failure(endpoint.pk, reason=f"HTTP {status}")
        raise TransientError(PLATFORM, "The receiver failed", status=status, retry_after=_retry_after(response))
    services.disable_refused(endpoint.pk, reason=f"The receiver refused a delivery with HTTP {status}.")
    raise PermanentError(PLATFORM, "The receiver refused the delivery", status=status)


def _fail(message: OutboxMessage, endpoint: WebhookEndpoint, started: float, error: str):
    _attempt(message, endpoint.pk, started, error=error)
    services.record_failure(endpoint.pk, reason=error)
    raise TransientError(PLATFORM, error)


def _retry_after(response) -> float | None:
    try:
        return min(float(response.headers.get("retry-after", "")), 3600.0)
    except ValueError:
        return None
