"""``manage.py webhook_receiver``, the way to see a test event arrive signed with ``make run``: it verifies what the
outbox sends with the reference library."""

from __future__ import annotations

import io
import socket
import threading
import time

from django.core.management import call_command

from apps.outbox import services as outbox
from apps.webhooks import services


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_test_event_reaches_the_receiver_command_with_a_valid_signature(allow_loopback, client_a, agency_admin):
    port = _free_port()
    created = services.create_endpoint(
        client=client_a, url=f"http://127.0.0.1:{port}/", event_types=["asset.approved"], actor=agency_admin
    )
    out = io.StringIO()
    receiver = threading.Thread(
        target=call_command,
        args=["webhook_receiver", "--port", str(port), "--secret", created.secret, "--max", "1"],
        kwargs={"stdout": out},
        daemon=True,
    )
    receiver.start()
    time.sleep(0.3)
    services.send_test(created.endpoint, actor=agency_admin)
    assert outbox.drain(max_seconds=5) == {"done": 1}
    receiver.join(5)
    assert "webhook.test: signature valid; answered 204" in out.getvalue()
