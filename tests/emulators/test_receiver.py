"""The integrator's webhook receiver (emulator): verifies Standard Webhooks signatures with the reference library
against each secret it holds, records each delivery, answers 400 to a bad signature and 500 while a fault is set."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from standardwebhooks.webhooks import Webhook

from apps.emulators.receiver.models import ReceivedWebhook

pytestmark = pytest.mark.django_db

OLD = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NEW = "whsec_" + "dGhpcyBpcyBhIG5ldyBzZWNyZXQgMTIz"


def deliver(client, secret: str, body: dict, msg_id: str = "msg_1"):
    raw = json.dumps(body)
    now = datetime.now(tz=UTC)
    signature = Webhook(secret).sign(msg_id, now, raw)
    return client.post(
        "/emulators/receiver/acme-erp/",
        data=raw,
        content_type="application/json",
        headers={"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature},
    )


def test_a_delivery_signed_with_a_held_secret_verifies_and_a_forged_one_is_refused(client):
    call_command("emulate_webhook_receiver", "acme-erp", secret=OLD, stdout=io.StringIO())
    assert deliver(client, OLD, {"type": "asset.approved", "data": {}}).status_code == 204
    assert deliver(client, NEW, {"type": "asset.rejected", "data": {}}, "msg_2").status_code == 400

    good, bad = ReceivedWebhook.objects.order_by("id")
    assert (good.event_type, good.message_id, good.signature_valid) == ("asset.approved", "msg_1", True)
    assert (bad.event_type, bad.signature_valid, bad.answered) == ("asset.rejected", False, 400)
    assert bad.verify_error
    page = client.get("/emulators/receiver/acme-erp/").content.decode()
    assert "asset.approved" in page and "valid" in page and "invalid" in page


def test_during_a_rotation_both_secrets_verify(client):
    call_command("emulate_webhook_receiver", "acme-erp", secret=OLD, stdout=io.StringIO())
    call_command("emulate_webhook_receiver", "acme-erp", secret=NEW, keep=True, stdout=io.StringIO())
    assert deliver(client, OLD, {"type": "webhook.test"}).status_code == 204
    assert deliver(client, NEW, {"type": "webhook.test"}, "msg_2").status_code == 204


def test_a_fault_answers_500_and_still_records_the_delivery(client):
    from apps.emulators.receiver.models import Receiver

    call_command("emulate_webhook_receiver", "acme-erp", secret=OLD, stdout=io.StringIO())
    Receiver.objects.filter(slug="acme-erp").update(fail_next=1)
    assert deliver(client, OLD, {"type": "webhook.test"}).status_code == 500
    assert deliver(client, OLD, {"type": "webhook.test"}, "msg_2").status_code == 204
    assert list(ReceivedWebhook.objects.order_by("id").values_list("answered", flat=True)) == [500, 204]


def test_an_unknown_receiver_is_a_404(client):
    assert client.post("/emulators/receiver/nobody/", data="{}", content_type="application/json").status_code == 404
