"""Issue 11 item 8: connecting Smint.io through the browser never breaks the connection a client has. The consent
runs over real HTTP against the Smint.io emulator; the portal's pages are driven with the test client."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client as HttpClient

from apps.audit.models import AuditEvent
from apps.clients.models import AttemptStatus, ConnectionStatus, SmintioConnectAttempt, SmintioConnection
from apps.emulators.smintio.models import Token
from apps.emulators.smintio.oauth import digest
from apps.integrations import tasks
from apps.integrations.handlers import smintio_revoke
from apps.integrations.smintio.sync import pull
from apps.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db(transaction=True)

NEW_TENANT = "acme-emea"


@pytest.fixture
def working(platforms, client_a):
    """Client A connected to its tenant ``acme`` and synced, and a second Smint.io tenant someone may switch to."""
    from apps.emulators.smintio import demo

    connection = platforms.smintio_tenant(client_a, count=3)
    pull(connection, full=True)
    demo.bootstrap(NEW_TENANT, name="Acme EMEA", count=2)
    connection.refresh_from_db()
    return connection


@pytest.fixture
def admin_http(agency_admin):
    http = HttpClient()
    http.force_login(agency_admin)
    return http


def _start(admin_http, tenant=NEW_TENANT) -> str:
    """Press *Connect* for ``tenant``: the portal answers with Smint.io's consent URL."""
    response = admin_http.post("/integrations/smintio/acme/connect/", {"tenant": tenant})
    assert response.status_code == 302 and "/connect/authorize?" in response.url
    return response.url


def _consent(authorize_url: str, decision: str) -> str:
    """On Smint.io (the emulator, over HTTP): the consent page, then Allow or Deny; returns where Smint.io sends
    the browser back (the portal's callback, path and query)."""
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    assert page.status_code == 200 and "Allow" in page.text
    consent = page.text.split('name="consent" value="')[1].split('"')[0]
    answer = browser.post(
        authorize_url.split("?")[0], data={"consent": consent, "decision": decision}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    assert back.path == "/integrations/smintio/callback/"
    return f"{back.path}?{back.query}"


def _unchanged(connection: SmintioConnection) -> None:
    before = (connection.tenant, connection.status, connection.refresh_token, connection.lpt_cursor)
    connection.refresh_from_db()
    assert (connection.tenant, connection.status, connection.refresh_token, connection.lpt_cursor) == before
    assert connection.tenant == "acme" and connection.status == ConnectionStatus.CONNECTED


def test_an_abandoned_consent_leaves_the_working_connection_as_it_was_and_says_so(working, admin_http):
    authorize = _start(admin_http)
    browser = requests.Session()
    assert browser.get(authorize, timeout=10).status_code == 200  # the consent page, then the tab is closed
    _unchanged(working)
    assert pull(working).pages >= 1  # still pulls from its own tenant with its own tokens
    working.refresh_from_db()
    assert working.last_pull_ok is True and working.status == ConnectionStatus.CONNECTED
    page = admin_http.get("/clients/acme/").content.decode()
    assert "waiting for consent on Smint.io" in page and "stays as it is" in page
    attempt = SmintioConnectAttempt.objects.get(client=working.client)
    SmintioConnectAttempt.objects.filter(pk=attempt.pk).update(started_at=attempt.started_at - timedelta(minutes=11))
    page = admin_http.get("/clients/acme/").content.decode()
    assert "was not completed on Smint.io and has lapsed" in page
    assert 'The connection to <span class="mono">acme</span> is unchanged.' in page
    assert ">Connected<" in page


def test_a_refused_consent_leaves_the_connection_untouched_and_says_so(working, admin_http):
    back = _consent(_start(admin_http), "deny")
    assert parse_qs(urlsplit(back).query)["error"] == ["access_denied"]
    response = admin_http.get(back, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Smint.io did not connect to “acme-emea”: access_denied." in text
    assert "The connection to “acme” is unchanged." in text
    attempt = SmintioConnectAttempt.objects.get(client=working.client)
    assert attempt.status == AttemptStatus.FAILED and "access_denied" in attempt.reason
    _unchanged(working)
    assert admin_http.get(back).status_code == 403  # a state is accepted once


def test_consent_for_another_tenant_is_swapped_in_only_once_smintio_gave_the_tokens(working, admin_http):
    old_token = working.refresh_token
    back = _consent(_start(admin_http), "allow")
    response = admin_http.get(back, follow=True)
    assert "Until then the connection to “acme” keeps working." in response.content.decode()
    attempt = SmintioConnectAttempt.objects.get(client=working.client)
    assert attempt.status == AttemptStatus.EXCHANGING and attempt.code
    _unchanged(working)  # the callback itself changes nothing: no remote call in a web request

    assert tasks.exchange_smintio_attempt(attempt.pk) == ConnectionStatus.CONNECTED  # the queued job
    working.refresh_from_db()
    attempt.refresh_from_db()
    assert working.tenant == NEW_TENANT and working.status == ConnectionStatus.CONNECTED
    assert working.refresh_token and working.refresh_token != old_token
    assert attempt.status == AttemptStatus.SUCCEEDED and not attempt.code
    assert working.client.assets.filter(content_element_uuid__isnull=False).exists()
    assert AuditEvent.objects.filter(action="integrations.smintio.connected", client=working.client).exists()
    # The replaced refresh token is revoked at the tenant that issued it.
    revoke = OutboxMessage.objects.get(kind="smintio.revoke")
    assert revoke.payload["tenant"] == "acme"
    smintio_revoke(revoke)  # what the relay runs for the row
    assert [r.status_code for r in _requests("/acme/auth/connect/revocation")] == [200]
    assert Token.objects.get(token_hash=digest(old_token)).revoked_at is not None
    assert Token.objects.get(token_hash=digest(working.refresh_token)).revoked_at is None
    assert tasks.exchange_smintio_attempt(attempt.pk) == "not connected"  # a second run changes nothing


def test_a_code_smintio_refuses_fails_the_attempt_and_keeps_the_connection(working, admin_http, platforms):
    back = _consent(_start(admin_http), "allow")
    admin_http.get(back)
    attempt = SmintioConnectAttempt.objects.get(client=working.client)
    platforms.fault("smintio", kind="status", status_code=400, count=5, path_contains="/acme-emea/auth/connect/token")
    assert tasks.exchange_smintio_attempt(attempt.pk) == "not connected"
    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.FAILED and attempt.reason.startswith("Smint.io refused the connection")
    _unchanged(working)
    assert pull(working).pages >= 1
    page = admin_http.get("/clients/acme/").content.decode()
    assert "failed: Smint.io refused the connection" in page and "is unchanged" in page


def _requests(path_contains: str):
    from apps.emulators.core.models import RequestLog

    return list(RequestLog.objects.filter(emulator="smintio", path__contains=path_contains))
