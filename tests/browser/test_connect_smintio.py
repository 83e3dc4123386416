"""An agency admin connects a client to Smint.io in the browser: consent on Smint.io, back to the portal, and the
worker finishes the code exchange (no platform call happens in a web request)."""

import pytest
from playwright.sync_api import expect

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.integrations.tasks import exchange_smintio_code

pytestmark = pytest.mark.django_db(transaction=True)


def test_connecting_a_client_through_oauth_consent(page, sign_in, platforms, client_a, agency_admin):
    from apps.emulators.smintio import services as emulator

    emulator.ensure_tenant(client_a.slug, name=client_a.name)
    sign_in(agency_admin, f"/clients/{client_a.slug}/")
    expect(page.locator("#smintio-connection")).to_contain_text("Not connected")
    page.get_by_label("Smint.io tenant").fill(client_a.slug)
    page.get_by_role("button", name="Connect Smint.io").click()
    # Smint.io's consent page (the emulator's), then back.
    expect(page.get_by_role("button", name="Allow")).to_be_visible()
    page.get_by_role("button", name="Allow").click()
    expect(page.locator("#smintio-connection")).to_contain_text("Connecting")
    connection = SmintioConnection.objects.get(client=client_a)
    assert connection.pending_code and not connection.refresh_token
    assert exchange_smintio_code(connection.pk) == ConnectionStatus.CONNECTED  # the queued job
    expect(page.locator("#smintio-connection")).to_contain_text("Connected", timeout=10_000)  # htmx polling
    connection.refresh_from_db()
    assert connection.refresh_token and not connection.pending_code
    page.watch.assert_clean()
