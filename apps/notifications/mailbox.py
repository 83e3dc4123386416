"""The development mailbox: an e-mail backend that keeps each message in ``MailboxMessage`` instead of sending it,
so the demo's mails can be read at ``/mailbox/`` (the page exists only while this backend is configured)."""

from __future__ import annotations

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend

BACKEND = "apps.notifications.mailbox.MailboxBackend"


def enabled() -> bool:
    return settings.EMAIL_BACKEND == BACKEND


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        from .models import MailboxMessage

        count = 0
        for message in email_messages:
            html = next((content for content, mime in getattr(message, "alternatives", []) if mime == "text/html"), "")
            MailboxMessage.objects.create(
                sender=message.from_email or "",
                to=[str(a).lower() for a in [*message.to, *message.cc, *message.bcc]],
                subject=str(message.subject),
                text=str(message.body),
                html=str(html),
                headers={k: str(v) for k, v in (message.extra_headers or {}).items()},
            )
            count += 1
        return count
