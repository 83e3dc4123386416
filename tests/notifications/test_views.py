"""The centre, the preferences, the unsubscribe link (no sign-in), the development mailbox, and the API."""

from __future__ import annotations

import pytest
from django.core import mail as django_mail
from django.core.mail import EmailMultiAlternatives

from apps.audit.models import AuditEvent
from apps.notifications.choices import Kind, Mode
from apps.notifications.mail import unsubscribe_token
from apps.notifications.models import MailboxMessage, Notification, NotificationPreference

from .conftest import publish, task_data

pytestmark = pytest.mark.django_db

MAILBOX = "apps.notifications.mailbox.MailboxBackend"


def assigned(client, user, key="task.assigned:12:1"):
    publish("task.assigned", key=key, client=client, data=task_data(assignee=user.pk, by=None))
    return Notification.objects.get(user=user, event_key=key)


def test_unsubscribe_needs_no_sign_in_and_turns_the_kind_off(client, legal):
    token = unsubscribe_token(legal, Kind.TASK_ASSIGNED)
    page = client.get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200 and b"Stop these e-mails?" in page.content
    assert not NotificationPreference.objects.exists()  # a GET (a mail scanner) changes nothing
    response = client.post(f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"You are unsubscribed" in response.content
    assert NotificationPreference.mode_of(legal, Kind.TASK_ASSIGNED) == Mode.OFF
    event = AuditEvent.objects.get(action="notifications.preference.set")
    assert event.after["via"] == "unsubscribe link" and "unsubscribe link" in event.actor_label


def test_one_click_unsubscribe_works_without_a_csrf_token(legal):
    from django.test import Client

    token = unsubscribe_token(legal, Kind.TASK_AVAILABLE)
    response = Client(enforce_csrf_checks=True).post(
        f"/notifications/unsubscribe/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert NotificationPreference.mode_of(legal, Kind.TASK_AVAILABLE) == Mode.OFF


def test_a_tampered_unsubscribe_token_is_refused(client, legal, requester):
    token = unsubscribe_token(legal, Kind.TASK_ASSIGNED)
    forged = token.replace(token.split(":")[0], unsubscribe_token(requester, Kind.TASK_ASSIGNED).split(":")[0])
    for bad in (forged, token[:-2] + "xx", "nonsense"):
        response = client.post(f"/notifications/unsubscribe/{bad}/")
        assert response.status_code == 400 and b"not valid" in response.content
    assert not NotificationPreference.objects.exists()


def test_the_centre_lists_only_my_notifications_and_mark_read_updates_the_badge(login, client_a, legal, requester):
    mine = assigned(client_a, legal)
    assigned(client_a, requester, key="task.assigned:13:1")
    http = login(legal)
    page = http.get("/notifications/")
    assert b"Legal review: Alpine hero" in page.content and page.content.count(b'class="card notification') == 1
    assert b'id="notification-badge"' in page.content and b'1<span class="visually-hidden"> unread' in page.content

    assert http.get(f"/notifications/{mine.pk}/read/").status_code == 405  # a POST verb rejects GET
    response = http.post(f"/notifications/{mine.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert (
        b'hx-swap-oob="true"' in response.content and b"unread" not in response.content.split(b"notification-badge")[1]
    )
    mine.refresh_from_db()
    assert mine.read_at is not None
    other = Notification.objects.get(user=requester)
    assert http.post(f"/notifications/{other.pk}/read/").status_code == 404  # someone else's
    other.refresh_from_db()
    assert other.read_at is None


def test_open_marks_read_and_goes_to_the_task(login, client_a, legal):
    mine = assigned(client_a, legal)
    response = login(legal).post(f"/notifications/{mine.pk}/read/", {"go": "1"})
    assert response.status_code == 302 and response["Location"] == "/tasks/12/decide/"


def test_a_notification_of_a_client_i_left_is_hidden(login, client_a, legal):
    assigned(client_a, legal)
    legal.memberships.all().delete()
    assert b"Legal review" not in login(legal).get("/notifications/").content


def test_preferences_page_saves_each_kind(login, legal):
    http = login(legal)
    page = http.get("/notifications/preferences/")
    assert page.status_code == 200 and b'name="task.available"' in page.content
    response = http.post("/notifications/preferences/", {"task.available": "off", "comment.mentioned": "digest"})
    assert response.status_code == 200 and b"saved" in response.content
    assert NotificationPreference.mode_of(legal, Kind.TASK_AVAILABLE) == Mode.OFF
    assert NotificationPreference.mode_of(legal, Kind.COMMENT_MENTIONED) == Mode.DIGEST
    assert NotificationPreference.mode_of(legal, Kind.TASK_ASSIGNED) == Mode.IMMEDIATE  # untouched default


def _mail(to, subject):
    message = EmailMultiAlternatives(subject=subject, body=f"Text for {to}", to=[to])
    message.attach_alternative(f"<p>HTML for {to}</p><script>alert(1)</script>", "text/html")
    message.send()


def test_the_mailbox_shows_only_my_own_mail(settings, login, legal, requester):
    settings.EMAIL_BACKEND = MAILBOX
    _mail(legal.email, "For legal")
    _mail(requester.email, "For the requester")
    assert MailboxMessage.objects.count() == 2 and not django_mail.outbox
    http = login(legal)
    page = http.get("/mailbox/")
    assert b"For legal" in page.content and b"For the requester" not in page.content
    own = MailboxMessage.objects.get(subject="For legal")
    detail = http.get(f"/mailbox/{own.pk}/")
    assert b'Text for <a href="mailto:legal@acme.example">' in detail.content
    # the HTML part is shown in a sandboxed iframe, escaped into srcdoc: its script never runs on the portal
    assert b"sandbox srcdoc=" in detail.content and b"&lt;script&gt;" in detail.content
    assert b"<script>alert(1)" not in detail.content
    other = MailboxMessage.objects.get(subject="For the requester")
    assert http.get(f"/mailbox/{other.pk}/").status_code == 404


def test_the_mailbox_does_not_exist_with_a_real_mail_backend(settings, login, legal):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    assert login(legal).get("/mailbox/").status_code == 404


def test_api_lists_my_notifications_and_marks_them_read(api, api_token, client_a, legal, requester):
    mine = assigned(client_a, legal)
    assigned(client_a, requester, key="task.assigned:13:1")
    read_only = api(api_token(legal))
    listing = read_only.get("/api/v1/notifications/?unread=true").json()
    assert [row["id"] for row in listing["results"]] == [mine.pk]
    assert listing["results"][0]["why"] == "This task was assigned to you."
    writer = api(api_token(legal, scope="write"))
    assert writer.post(f"/api/v1/notifications/{mine.pk}/read/").json() == {"marked": 1, "unread": 0}
    other = Notification.objects.get(user=requester)
    assert writer.post(f"/api/v1/notifications/{other.pk}/read/").status_code == 404
    prefs = writer.get("/api/v1/notification-preferences/").json()
    assert {"kind": "task.available", "mode": "digest"} in prefs
    response = writer.post("/api/v1/notification-preferences/", {"kind": "task.available", "mode": "off"})
    assert response.status_code == 200
    assert NotificationPreference.mode_of(legal, Kind.TASK_AVAILABLE) == Mode.OFF


def test_the_centre_does_not_grow_with_rows(login, client_a, legal):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = login(legal)

    def queries() -> int:
        http.get("/notifications/")  # warm: the second click's cost (tests/queries.py)
        with CaptureQueriesContext(connection) as captured:
            assert http.get("/notifications/").status_code == 200
        return len(captured)

    for n in range(5):
        assigned(client_a, legal, key=f"task.assigned:{n}:1")
    five = queries()
    for n in range(5, 50):
        assigned(client_a, legal, key=f"task.assigned:{n}:1")
    assert queries() == five


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_open_never_leaves_the_portal(login, client_a, legal, target):
    mine = assigned(client_a, legal)
    Notification.objects.filter(pk=mine.pk).update(url=target)
    response = login(legal).post(f"/notifications/{mine.pk}/read/", {"go": "1"})
    assert response.status_code == 302 and response["Location"] == "/notifications/"
