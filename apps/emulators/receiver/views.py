"""``POST /emulators/receiver/<slug>/`` takes a delivery as an integrator would: it verifies the Standard Webhooks
signature with the reference library (``standardwebhooks``) against each secret it holds, records the delivery
and answers 204, or 400 when no secret verifies it (what a careful integrator does), or 500 while a fault is set.
``GET`` shows the deliveries, newest first, with the verdict."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from .models import ReceivedWebhook, Receiver

SIGNED_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verify(secrets: list[str], headers: dict, body: bytes) -> tuple[bool, str]:
    """Whether one of ``secrets`` verifies the delivery, and if none does, why."""
    error = "the receiver holds no secret"
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers)
        except WebhookVerificationError as exc:
            error = str(exc) or "no matching signature"
        else:
            return True, ""
    return False, error


@csrf_exempt  # a machine-to-machine endpoint: it authenticates by signature, not by cookie
@require_http_methods(["GET", "POST"])
def receive(request: HttpRequest, slug: str) -> HttpResponse:
    receiver = get_object_or_404(Receiver, slug=slug)
    if request.method == "GET":
        received = receiver.received.all()[:50]
        return render(request, "emulator_receiver/received.html", {"receiver": receiver, "received": received})
    headers = {name: request.headers.get(name, "") for name in SIGNED_HEADERS}
    valid, error = verify(receiver.secrets, headers, request.body)
    if receiver.fail_next:
        Receiver.objects.filter(pk=receiver.pk).update(fail_next=receiver.fail_next - 1)
        answered = 500
    else:
        answered = 204 if valid else 400
    try:
        event_type = str(json.loads(request.body).get("type") or "")
    except (ValueError, AttributeError):
        event_type = ""
    ReceivedWebhook.objects.create(
        receiver=receiver,
        message_id=headers["webhook-id"][:200],
        event_type=event_type[:100],
        headers=headers,
        body=request.body.decode("utf-8", "replace")[:100_000],
        signature_valid=valid,
        verify_error=error[:300],
        answered=answered,
    )
    return HttpResponse(status=answered)
