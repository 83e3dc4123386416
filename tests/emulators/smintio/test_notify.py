"""Signed change hints to the portal (platforms.md 5.3), checked against an independent HMAC and a real socket."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from apps.emulators.smintio.services import sign

from .helpers import TENANT

pytestmark = pytest.mark.django_db


def test_sign_matches_an_independent_hmac():
    body = b'{"event":"global-transaction-history-update"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign(body, 1700000000, "s3cret") == f"sha256={expected}"
    assert sign(body, 1700000001, "s3cret") != sign(body, 1700000000, "s3cret")


@pytest.fixture
def receiver():
    """A throwaway HTTP server on a free port that records what it is sent and answers 200."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            received.append({"headers": dict(self.headers), "body": self.rfile.read(length), "path": self.path})
            self.send_response(200)
            self.end_headers()

        def log_message(self, format, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/integrations/smintio/notify/", received
    server.shutdown()
    server.server_close()


def test_notification_reaches_the_url_signed(tenant, control, receiver, settings):
    settings.NOTIFY_SECRETS = ["first-secret", "older-secret"]
    url, received = receiver
    response = control(f"tenants/{TENANT}/notify", {"url": url, "event_id": "evt-1"})
    assert response.status_code == 200
    assert response.json()["status_code"] == 200
    [call] = received
    body = call["body"]
    payload = json.loads(body)
    assert payload["event_id"] == "evt-1"
    assert payload["event"] == "global-transaction-history-update"
    assert payload["channel"] == f"private-2-{tenant.channel_id}"
    assert payload["tenant_id"] == TENANT and payload["sent_at"].endswith("Z")
    timestamp = call["headers"]["X-Timestamp"]
    expected = hmac.new(b"first-secret", f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert call["headers"]["X-Signature"] == f"sha256={expected}"
    assert call["headers"]["Content-Type"] == "application/json"


def test_default_target_is_the_portal_notify_route(tenant, control, settings):
    settings.PORTAL_URL = "http://127.0.0.1:9"  # discard port: nothing listens
    response = control(f"tenants/{TENANT}/notify")
    assert response.status_code == 502
    assert "127.0.0.1:9/integrations/smintio/notify/" in response.json()["message"]


def test_without_a_secret_the_notification_is_refused(tenant, control, settings):
    settings.NOTIFY_SECRETS = []
    response = control(f"tenants/{TENANT}/notify", {"url": "http://127.0.0.1:9/"})
    assert response.status_code == 409
    assert "NOTIFY_SECRET" in response.json()["message"]
