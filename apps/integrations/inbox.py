"""Inbound hints from the platforms: verified, stored once per event id, answered at once, acted on by a worker.

A hint only says "something changed"; the worker then pulls (Smint.io's cursor, OpenText's task queries), so a
lost, repeated or reordered hint never changes what ends up in the database.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.clients.models import SmintioConnection
from apps.common.http import whole_number
from apps.outbox.choices import Platform
from apps.workflows.models import WorkflowRun

from .models import EVENT_ID_MAX, InboundEvent
from .signing import SignatureError, verify

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024


def _is_json(media_type: str) -> bool:
    """``application/json`` or a JSON-based type (``application/…+json``); parameters such as charset aside."""
    kind, _, subtype = media_type.lower().partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": f"urn:greenlight:problem:hint-{status}", "title": detail, "status": status, "detail": detail},
        status=status,
        content_type="application/problem+json",
    )


def _receive(request, source: str):
    declared = whole_number(request.META.get("CONTENT_LENGTH") or "0")  # "²".isdigit() is true; int("²") fails
    if declared is None or declared > MAX_BODY:
        return _problem(413, f"The body must be at most {MAX_BODY} bytes.")
    body = request.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        return _problem(413, f"The body must be at most {MAX_BODY} bytes.")
    try:
        verify(
            body,
            timestamp_header=request.headers.get("X-Timestamp", ""),
            signature_header=request.headers.get("X-Signature", ""),
            secrets=settings.NOTIFY_SECRETS,
        )
    except SignatureError as exc:
        logger.warning("Refused a %s hint: %s", source, exc)
        return _problem(401, f"Signature refused: {exc}.")
    if not _is_json(request.content_type or ""):
        return _problem(415, "Send the hint as application/json.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "The body is not valid JSON.")
    except RecursionError:  # signed, but nested deeper than any hint needs
        return _problem(400, "The body is nested too deeply.")
    if not isinstance(payload, dict) or not str(payload.get("event_id", "")).strip() or not payload.get("event"):
        return _problem(400, "The body must be a JSON object with 'event_id' and 'event'.")
    event_id = str(payload["event_id"])
    if len(event_id) > EVENT_ID_MAX:  # never cut: two ids sharing a prefix would be taken for one
        return _problem(400, f"The 'event_id' must be at most {EVENT_ID_MAX:,} characters.")
    try:
        with transaction.atomic():
            event = InboundEvent.objects.create(
                source=source,
                event_id=event_id,
                event=str(payload["event"])[:100],
                payload=payload,
                target=target_of(source, payload),
                client_id=client_of(source, payload),
            )
            transaction.on_commit(lambda: _enqueue(event))
    except IntegrityError:
        return JsonResponse({"status": "duplicate", "event_id": event_id}, status=200)
    return JsonResponse({"status": "accepted", "event_id": event_id}, status=202)


def target_of(source: str, payload: dict) -> str:
    """What a hint asks to pull. Hints of one target share one queued job: a burst of them costs one pull. All of
    OpenText's hints are one target (a job mirrors the runs they name, or polls once when they name many)."""
    if source == Platform.SMINTIO:
        return f"smintio:{str(payload.get('tenant_id') or '*')[:150]}"
    return "opentext"


def client_of(source: str, payload: dict) -> int | None:
    """The id of the client a hint is about, for the sync log's scoping: the one client whose connection has the
    Smint.io tenant it names, or whose run has the OpenText business key it names; None when there is no such one
    client (a tenant nobody has, or shared by several clients: only staff operators see those)."""
    if source == Platform.SMINTIO:
        tenant = str(payload.get("tenant_id") or "")
        clients = set(SmintioConnection.objects.filter(tenant=tenant).values_list("client_id", flat=True)[:2])
        return clients.pop() if len(clients) == 1 else None
    key = str(payload.get("businessKey") or "")
    return WorkflowRun.objects.filter(business_key=key).values_list("client_id", flat=True).first() if key else None


# A hint whose job has not run for this long is assumed lost (the queue lost it): the next hint queues a new one.
JOB_PATIENCE = timedelta(seconds=60)


def _enqueue(event: InboundEvent) -> None:
    """Queue the job for the hint's target unless a job for it is already waiting (an earlier hint not yet taken)."""
    waiting = InboundEvent.objects.filter(
        target=event.target,
        processed_at__isnull=True,
        id__lt=event.pk,
        received_at__gte=timezone.now() - JOB_PATIENCE,
    )
    if waiting.exists():
        return
    from django_q.tasks import async_task

    async_task("apps.integrations.tasks.process_inbound_event", event.pk, task_name=f"hint {event.target}")


@csrf_exempt
@require_POST
def smintio_notify(request):
    """Smint.io's change hint (in production Pusher's ``global-transaction-history-update``, relayed here)."""
    return _receive(request, Platform.SMINTIO)


@csrf_exempt
@require_POST
def opentext_callback(request):
    """A model step of an OpenText process calling back (``HttpTask``): a hint to mirror that process."""
    return _receive(request, Platform.OPENTEXT)
