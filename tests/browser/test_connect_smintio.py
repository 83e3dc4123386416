"""An agency admin connects a client to Smint.io in the browser: consent on Smint.io, back to the portal, and the
worker finishes the code exchange (no platform call happens in a web request)."""

import pytest
from playwright.sync_api import expect

from apps.clients.models import AttemptStatus, ConnectionStatus, SmintioConnectAttempt, SmintioConnection
from apps.integrations.tasks import exchange_smintio_attempt

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
    attempt = SmintioConnectAttempt.objects.get(client=client_a)
    assert attempt.status == AttemptStatus.EXCHANGING and attempt.code
    assert not SmintioConnection.objects.filter(client=client_a).exists()  # nothing until Smint.io's tokens
    assert exchange_smintio_attempt(attempt.pk) == ConnectionStatus.CONNECTED  # the queued job
    expect(page.locator("#smintio-connection")).to_contain_text("Connected", timeout=10_000)  # htmx polling
    connection = SmintioConnection.objects.get(client=client_a)
    attempt.refresh_from_db()
    assert connection.refresh_token and attempt.status == AttemptStatus.SUCCEEDED and not attempt.code
    page.watch.assert_clean()
