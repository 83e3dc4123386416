"""The notification mails: built and sent by the outbox handler ``mail.send`` in the worker (never in a web
request), with Django's mail connection (SMTP in production, the mailbox in development).

A mail names why the person got it, links straight to the page where they act (absolute, from ``PORTAL_URL``) and
carries a signed one-click unsubscribe link (RFC 8058 ``List-Unsubscribe`` + ``List-Unsubscribe-Post``) for its
kind. SMTP trouble that may pass (disconnects, refused connections, timeouts, 4xx replies) is retried by the
outbox; a 5xx refusal parks the row for a person to look at.
"""

from __future__ import annotations

import smtplib
from itertools import groupby

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import Membership, User
from apps.clients.models import Client
from apps.outbox import services as outbox
from apps.outbox.errors import PermanentError, TransientError
from apps.outbox.services import Platform

from .choices import Kind, Mode
from .models import Notification, NotificationPreference

UNSUBSCRIBE_SALT = "notifications.unsubscribe"


# -- links ------------------------------------------------------------------------------------------------------
def absolute(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    return f"{settings.PORTAL_URL}{path if path.startswith('/') else '/' + path}"


def unsubscribe_token(user, kind: str) -> str:
    """Signed ``<user id>:<kind>``: only this portal (``SECRET_KEY``) makes one; a changed byte breaks it."""
    return signing.dumps({"u": user.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def read_unsubscribe_token(token: str) -> tuple[User, str] | None:
    """The active user and kind ``token`` names, or ``None`` when it was tampered with or names nothing."""
    try:
        data = signing.loads(token or "", salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("k") not in Kind.values or not isinstance(data.get("u"), int):
        return None
    user = User.objects.filter(pk=data["u"], is_active=True).first()
    return (user, data["k"]) if user else None


def unsubscribe_url(user, kind: str) -> str:
    return absolute(reverse("notifications:unsubscribe", args=[unsubscribe_token(user, kind)]))


def carrier_client(notifications: list[Notification], user) -> Client | None:
    """The client an outbox row is filed under (its operators' page): the notifications', else the person's
    first (an operator hearing of a platform-wide break may have none: then any client carries it)."""
    for notification in notifications:
        if notification.client_id:
            return notification.client
    membership = Membership.objects.filter(user=user).select_related("client").order_by("client_id").first()
    return membership.client if membership else Client.objects.order_by("pk").first()


# -- building ---------------------------------------------------------------------------------------------------
def _item(notification: Notification) -> dict:
    return {"n": notification, "link": absolute(notification.url) if notification.url else ""}


def build(user, notifications: list[Notification], *, digest: bool) -> EmailMultiAlternatives:
    """The mail about ``notifications`` (one, a batch of available tasks, or a digest grouped by kind)."""
    kinds = sorted({n.kind for n in notifications})
    if digest:
        subject = f"Your Greenlight digest: {len(notifications)} update{'s' if len(notifications) != 1 else ''}"
    elif len(notifications) > 1:
        subject = f"{len(notifications)} new tasks are open for you"
    else:
        subject = notifications[0].title
    ordered = sorted(notifications, key=lambda n: (n.kind, n.created_at, n.pk))
    groups = [(Kind(kind).label, [_item(n) for n in rows]) for kind, rows in groupby(ordered, key=lambda n: n.kind)]
    items = [_item(n) for n in notifications]
    context = {
        "user": user,
        "digest": digest,
        "single": items[0] if len(items) == 1 and not digest else None,
        "groups": groups,
        "unsubscribe": [(Kind(kind).label, unsubscribe_url(user, kind)) for kind in kinds],
        "preferences_url": absolute(reverse("notifications:preferences")),
        "centre_url": absolute(reverse("notifications:list")),
        "items": items,
    }
    text = render_to_string("notifications/mail/notification.txt", context)
    html = render_to_string("notifications/mail/notification.html", context)
    message = EmailMultiAlternatives(
        subject=subject[:200],
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={
            # RFC 8058: one https URL, POSTed by the mail client with this body; the first kind when several share
            # a mail (the page of the others is linked in the mail itself).
            "List-Unsubscribe": f"<{unsubscribe_url(user, kinds[0])}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


# -- sending (the outbox handler) -------------------------------------------------------------------------------
def _to_send(user, notifications: list[Notification]) -> list[Notification]:
    """Drop what the person turned off since the mail was queued (an unsubscribe wins over a queued mail)."""
    stored = {k: m for (_, k), m in NotificationPreference.modes_for([user.pk]).items()}
    return [n for n in notifications if stored.get(n.kind, n.mail_mode) != Mode.OFF]


@outbox.handler("mail.send")
def send(message) -> dict:
    payload = message.payload
    user = User.objects.filter(pk=payload["user"]).first()
    if user is None or not user.is_active or not user.email:
        return {"skipped": "recipient gone or inactive"}
    notifications = list(
        Notification.objects.filter(pk__in=payload["notifications"], user=user, emailed_at__isnull=True).select_related(
            "client"
        )
    )
    notifications = _to_send(user, notifications)
    if not notifications:
        return {"skipped": "nothing left to send"}
    mail = build(user, notifications, digest=payload.get("digest", False))
    try:
        connection = get_connection(fail_silently=False)
        connection.send_messages([mail])
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(500 <= code < 600 for code in codes):
            raise PermanentError(Platform.MAIL, f"recipient refused: {codes}", status=codes[0]) from exc
        raise TransientError(Platform.MAIL, f"recipient deferred: {codes}", status=codes[0] if codes else None) from exc
    except smtplib.SMTPResponseException as exc:
        if 400 <= exc.smtp_code < 500:
            raise TransientError(Platform.MAIL, f"SMTP {exc.smtp_code}", status=exc.smtp_code) from exc
        raise PermanentError(Platform.MAIL, f"SMTP {exc.smtp_code}", status=exc.smtp_code) from exc
    except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as exc:
        raise TransientError(Platform.MAIL, f"mail server unreachable: {type(exc).__name__}") from exc
    except OSError as exc:  # DNS failures, resets: the network, not the message
        raise TransientError(Platform.MAIL, f"mail server unreachable: {type(exc).__name__}") from exc
    sent = timezone.now()
    Notification.objects.filter(pk__in=[n.pk for n in notifications]).update(emailed_at=sent)
    return {"to": user.pk, "notifications": [n.pk for n in notifications]}
