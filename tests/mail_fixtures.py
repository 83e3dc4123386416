"""A real SMTP server (aiosmtpd) that a test starts, and the worker's drain, for every test that reads the mail
the portal sends (notifications, and the flows that cause them)."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from apps.outbox.models import OutboxMessage
from apps.outbox.services import drain


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received: parsed messages with their envelope recipients."""

    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.rcpt: list[list[str]] = []
        self.refuse: str | None = None  # e.g. "550 no such user": refuse every recipient with it

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.rcpt.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def parts(self, message) -> tuple[str, str]:
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        return text, html


@pytest.fixture
def smtp(settings):
    """Start an SMTP server on a free port and send the portal's mail to it (``smtp.stop()`` to take it down)."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.PORTAL_URL = "https://greenlight.example"
    inbox.controller, inbox.port = controller, port
    yield inbox
    controller.stop()


def deliver_all() -> dict:
    """Run the worker's drain once, with every waiting row due now (retries included)."""
    OutboxMessage.objects.filter(status="pending").update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    return drain(max_seconds=10)
