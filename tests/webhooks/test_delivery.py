"""Events reach an integrator's receiver over real HTTP, signed per Standard Webhooks, once, in order, with retries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.common import events
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage
from apps.webhooks import services
from apps.webhooks.models import WebhookAttempt, WebhookEndpoint


def approve(client, asset: int, *, run: int | None = None, name: str = "asset.approved"):
    run = run or asset
    return events.publish(
        name,
        key=f"{name}:run-{run}",
        client=client,
        data={
            "url": f"/assets/{asset}/",
            "title": f"Asset {asset}",
            "asset": asset,
            "run": run,
            "outcome": "approved",
            "reason": "",
            "restrictions": None,
            "requested_by": 7,
            "decided_by": "Legal",
        },
    )


def drain_until_quiet(rounds: int = 20) -> None:
    """Drain, and again once a retry is due (the test pulls the retry's time forward instead of sleeping)."""
    for _ in range(rounds):
        outbox.drain(max_seconds=5)
        waiting = OutboxMessage.objects.filter(status=OutboxStatus.PENDING, kind="webhook.deliver")
        if not waiting.exists():
            return
        waiting.update(next_attempt_at=timezone.now())


def test_an_event_is_delivered_once_with_a_valid_signature(endpoint, receiver, client_a):
    approve(client_a, 487)
    drain_until_quiet()

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert receiver.valid(request)
    body = request["body"]
    assert body["type"] == "asset.approved"
    assert body["data"]["asset"] == 487
    assert body["data"]["client"] == "acme"
    assert body["data"]["url"].endswith("/assets/487/") and body["data"]["url"].startswith("http")
    assert "requested_by" not in body["data"]  # portal user ids stay inside
    assert request["headers"]["webhook-id"].startswith("msg_")
    message = OutboxMessage.objects.get(kind="webhook.deliver")
    assert message.status == OutboxStatus.DONE and message.platform == "webhook"
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [200]


def test_a_republished_event_is_not_delivered_twice(endpoint, receiver, client_a):
    approve(client_a, 1)
    approve(client_a, 1)  # a retried job publishes the same occurrence again
    drain_until_quiet()
    assert len(receiver.requests) == 1
    assert OutboxMessage.objects.filter(kind="webhook.deliver").count() == 1


def test_events_not_subscribed_and_other_clients_events_are_not_sent(endpoint, receiver, client_a, client_b):
    approve(client_a, 2, name="asset.withdrawn")
    approve(client_b, 3)
    drain_until_quiet()
    assert receiver.requests == []
    assert not OutboxMessage.objects.filter(kind="webhook.deliver").exists()


def test_a_500_is_retried_and_delivered_once_with_the_same_id(endpoint, receiver, client_a):
    receiver.script = [500]
    approve(client_a, 4)
    drain_until_quiet()

    assert [r["answer"] for r in receiver.requests] == [500, 200]
    assert len(receiver.delivered()) == 1
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]
    assert all(receiver.valid(r) for r in receiver.requests)
    assert list(WebhookAttempt.objects.order_by("pk").values_list("status_code", flat=True)) == [500, 200]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0  # reset by the success


def test_a_receiver_that_does_not_answer_in_time_is_retried(endpoint, receiver, client_a, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.script = ["hang"]
    approve(client_a, 5)
    drain_until_quiet()

    assert [r["answer"] for r in receiver.requests] == ["hang", 200]
    attempts = list(WebhookAttempt.objects.order_by("pk"))
    assert attempts[0].status_code is None and "No answer within" in attempts[0].error
    assert OutboxMessage.objects.get(kind="webhook.deliver").status == OutboxStatus.DONE


def test_one_endpoints_deliveries_arrive_in_order_even_across_a_retry(endpoint, receiver, client_a):
    receiver.script = [503]  # the first fails: the others must wait for it
    for asset in (10, 11, 12, 13):
        approve(client_a, asset)
    drain_until_quiet()

    delivered = [r["body"]["data"]["asset"] for r in receiver.delivered()]
    assert delivered == [10, 11, 12, 13]
    assert receiver.requests[0]["body"]["data"]["asset"] == 10


def test_during_a_rotation_both_secrets_verify_and_the_old_one_fails_after_its_window(
    endpoint, receiver, client_a, agency_admin
):
    old = receiver.secrets[0]
    new = services.rotate_secret(endpoint, actor=agency_admin, overlap_hours=24)
    receiver.secrets.append(new)
    approve(client_a, 20)
    drain_until_quiet()
    during = receiver.requests[-1]
    assert receiver.valid(during, old) and receiver.valid(during, new)
    assert len(during["headers"]["webhook-signature"].split(" ")) == 2

    endpoint.secrets.filter(expires_at__isnull=False).update(expires_at=timezone.now() - timedelta(seconds=1))
    approve(client_a, 21)
    drain_until_quiet()
    after = receiver.requests[-1]
    assert receiver.valid(after, new) and not receiver.valid(after, old)
    assert AuditEvent.objects.filter(action="webhooks.endpoint.rotate_secret").count() == 1


def test_repeated_failures_disable_the_endpoint_and_publish_webhook_disabled(endpoint, receiver, client_a, settings):
    settings.WEBHOOK_DISABLE_AFTER = 3
    heard = []
    listener = events.listen("webhook.disabled")(heard.append)
    try:
        receiver.script = [500, 500, 500, 500]
        approve(client_a, 30)
        drain_until_quiet()
    finally:
        events._LISTENERS["webhook.disabled"].remove(listener)

    assert len(receiver.requests) == 3  # the third failure disabled it; no fourth call
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "3 failed attempts" in endpoint.disabled_reason
    assert [e.data["endpoint"] for e in heard] == [endpoint.pk]
    assert heard[0].data["failures"] == 3 and heard[0].data["target"] == receiver.url
    message = OutboxMessage.objects.get(kind="webhook.deliver")
    assert message.status == OutboxStatus.FAILED  # parked: it waits for the endpoint
    assert AuditEvent.objects.filter(action="webhooks.endpoint.disable", actor=None).exists()


def test_enabling_again_delivers_what_was_held_back_in_order(endpoint, receiver, client_a, agency_admin, settings):
    settings.WEBHOOK_DISABLE_AFTER = 1
    receiver.script = [500]
    approve(client_a, 40)
    drain_until_quiet()
    endpoint.refresh_from_db()
    assert not endpoint.is_active

    services.enable(endpoint, actor=agency_admin)
    approve(client_a, 41)
    drain_until_quiet()
    assert [r["body"]["data"]["asset"] for r in receiver.delivered()] == [40, 41]
    assert AuditEvent.objects.filter(action="integrations.outbox.retry").count() == 1


def test_a_4xx_parks_the_delivery_and_disables_the_endpoint(endpoint, receiver, client_a):
    receiver.script = [410]
    approve(client_a, 50)
    drain_until_quiet()
    assert len(receiver.requests) == 1
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "HTTP 410" in endpoint.disabled_reason
    assert OutboxMessage.objects.get(kind="webhook.deliver").last_status_code == 410


def test_a_test_event_goes_through_the_same_path(endpoint, receiver, agency_admin):
    services.send_test(endpoint, actor=agency_admin)
    drain_until_quiet()
    assert len(receiver.requests) == 1
    assert receiver.valid(receiver.requests[0])
    assert receiver.requests[0]["body"]["type"] == "webhook.test"


def test_a_deleted_endpoints_queued_deliveries_are_withdrawn(endpoint, receiver, client_a, agency_admin):
    approve(client_a, 60)
    services.delete(endpoint, actor=agency_admin)
    drain_until_quiet()
    assert receiver.requests == []
    assert OutboxMessage.objects.get(kind="webhook.deliver").status == OutboxStatus.DISCARDED
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("allowed", [False])
def test_loopback_is_refused_at_delivery_when_not_allowed(endpoint, receiver, client_a, settings, allowed):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = allowed  # allowed when saved, no longer when sent
    approve(client_a, 70)
    drain_until_quiet()
    assert receiver.requests == []
    message = OutboxMessage.objects.get(kind="webhook.deliver")
    assert message.status == OutboxStatus.FAILED and "internal address" in message.last_error
    endpoint.refresh_from_db()
    assert not endpoint.is_active
