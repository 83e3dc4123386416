"""Demo data (issue 16, "Done when"): Northwind has one webhook endpoint, subscribed to its asset and request events,
pointing at an integrator's receiver emulated in process (``/emulators/receiver/northwind-erp/``), which holds the
endpoint's secret and verifies every delivery with the reference ``standardwebhooks`` library. "Send test event" on
the endpoint's page, or any approval, shows there as a delivery with a valid signature."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.management import call_command

RECEIVER = "northwind-erp"


def seed_webhook(stdout) -> str:
    """Once: the endpoint and the receiver's secret (the secret is known to both ends only here, in the demo)."""
    from apps.accounts.models import User
    from apps.clients.models import Client
    from apps.webhooks import services
    from apps.webhooks.choices import SUBSCRIBABLE
    from apps.webhooks.models import WebhookEndpoint

    client = Client.objects.filter(slug="northwind").first()
    if client is None or not settings.EMULATORS:
        return "no Northwind or no emulators"
    if WebhookEndpoint.objects.filter(client=client).exists():
        return "already"
    url = f"{settings.PORTAL_URL}/emulators/receiver/{RECEIVER}/"
    admin = User.objects.filter(email="client-admin@northwind.example").first()
    try:
        created = services.create_endpoint(
            client=client,
            url=url,
            event_types=list(SUBSCRIBABLE),
            description="Northwind's ERP (emulated receiver)",
            actor=admin,
        )
    except ValueError as refused:  # the SSRF guard: loopback is allowed in development only (portal/settings/dev.py)
        stdout.write(f"Webhook: no demo endpoint ({refused})")
        return "refused"
    call_command("emulate_webhook_receiver", RECEIVER, secret=created.secret, stdout=io.StringIO())
    stdout.write(f"Webhook: Northwind's endpoint delivers to {url} (each delivery and its signature shown there).")
    return "created"
