"""Issue 16's "Done when", as make run has it: Northwind's demo endpoint delivers to the integrator's receiver
emulated in process, over real HTTP; a test event sent from the endpoint arrives there once, with a signature the
receiver verifies with the reference library, and an approval published afterwards arrives signed too."""

from __future__ import annotations

import io

import pytest

from apps.common import events
from apps.common.roles import RoleCode
from apps.demo.webhooks import RECEIVER, seed_webhook
from apps.emulators.receiver.models import ReceivedWebhook
from apps.webhooks import services
from apps.webhooks.models import WebhookEndpoint
from tests.factories import ClientFactory, member
from tests.mail_fixtures import deliver_all

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_endpoint_reaches_the_emulated_receiver_with_valid_signatures(live_server, settings):
    settings.PORTAL_URL = live_server.url
    settings.WEBHOOK_ALLOWED_CIDRS = ["127.0.0.0/8", "::1/128"]  # as portal/settings/dev.py allows for the demo
    northwind = ClientFactory(slug="northwind", name="Northwind")
    admin = member(northwind, RoleCode.AGENCY_ADMIN, email="client-admin@northwind.example")

    assert seed_webhook(io.StringIO()) == "created"
    assert seed_webhook(io.StringIO()) == "already"  # once
    endpoint = WebhookEndpoint.objects.get(client=northwind)
    assert endpoint.url == f"{live_server.url}/emulators/receiver/{RECEIVER}/"

    services.send_test(endpoint, actor=admin)
    events.publish(
        "asset.approved",
        key="asset.approved:run-1",
        client=northwind,
        data={
            "url": "/assets/7/",
            "title": "Harbour",
            "asset": 7,
            "run": 1,
            "outcome": "approved",
            "reason": "",
            "restrictions": None,
            "requested_by": None,
            "decided_by": "Legal",
        },
    )
    deliver_all()
    deliver_all()

    received = list(ReceivedWebhook.objects.order_by("id"))
    assert [(r.event_type, r.signature_valid, r.answered) for r in received] == [
        ("webhook.test", True, 204),
        ("asset.approved", True, 204),
    ]
    assert len({r.message_id for r in received}) == 2
