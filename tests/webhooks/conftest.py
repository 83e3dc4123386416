"""A local webhook receiver over real HTTP that verifies every request with the reference ``standardwebhooks``
library, and endpoints pointing at it (the operator's allowance for loopback targets set for the test)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apps.webhooks import services


class Receiver:
    """Records each request; ``script`` is a list of what to answer next (a status, or ``"hang"``), then 200."""

    def __init__(self):
        self.requests: list[dict] = []
        self.script: list = []
        self.secrets: list[str] = []
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = dict(self.headers.items())
                verified = {}
                for secret in receiver.secrets:
                    try:
                        Webhook(secret).verify(body, headers)
                        verified[secret] = True
                    except WebhookVerificationError:
                        verified[secret] = False
                with receiver.lock:
                    answer = receiver.script.pop(0) if receiver.script else 200
                    receiver.requests.append(
                        {"headers": headers, "body": json.loads(body), "verified": verified, "answer": answer}
                    )
                if answer == "hang":
                    receiver.release.wait(5)
                    return
                self.send_response(answer)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        return Handler

    def valid(self, request, secret=None) -> bool:
        return request["verified"][secret or self.secrets[0]]

    def delivered(self) -> list[dict]:
        return [r for r in self.requests if r["answer"] == 200]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.requests) < count and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    return settings


@pytest.fixture
def receiver(allow_loopback):
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.release.set()
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def endpoint(receiver, client_a, agency_admin):
    """An endpoint of client A subscribed to asset approvals and rejections, pointing at the receiver."""
    created = services.create_endpoint(
        client=client_a,
        url=receiver.url,
        event_types=["asset.approved", "asset.rejected"],
        description="Acme DAM",
        actor=agency_admin,
    )
    receiver.secrets.append(created.secret)
    return created.endpoint
