import time

import pytest
from django.test import Client as HttpClient

from apps.accounts.middleware import LAST_SEEN, LOGIN_AT
from apps.audit.models import AuditEvent
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_login_rotates_the_session_key_and_is_audited(legal):
    http = HttpClient()
    http.get("/accounts/login/")
    http.session.save()
    before = http.session.session_key
    response = http.post("/accounts/login/", {"username": legal.email, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert http.session.session_key != before
    assert AuditEvent.objects.filter(action="accounts.user.login", actor=legal).count() == 1


def test_login_follows_a_local_next_but_not_an_external_one(legal):
    local = HttpClient().post("/accounts/login/?next=/audit/", {"username": legal.email, "password": PASSWORD})
    assert local.url == "/audit/"
    evil = HttpClient().post(
        "/accounts/login/?next=https://evil.example/", {"username": legal.email, "password": PASSWORD}
    )
    assert evil.url == "/"


def test_logout_is_post_only(legal, login):
    browser = login(legal)
    assert browser.get("/accounts/logout/").status_code == 405
    assert browser.post("/accounts/logout/").status_code == 302
    assert browser.get("/").status_code == 302


def _signed_in_since(login, user, clock: str, seconds: int):
    """A signed-in test client whose session ``clock`` (LAST_SEEN or LOGIN_AT) was set ``seconds`` ago."""
    browser = login(user)
    session = browser.session
    session[clock] = int(time.time()) - seconds
    session.save()
    return browser


def test_idle_session_ends_after_the_idle_timeout(legal, login, settings):
    browser = _signed_in_since(login, legal, LAST_SEEN, settings.SESSION_IDLE_TIMEOUT + 5)
    response = browser.get("/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    assert browser.get("/accounts/profile/").status_code == 302


def test_session_ends_at_the_absolute_lifetime_even_when_active(legal, login, settings):
    browser = _signed_in_since(login, legal, LOGIN_AT, settings.SESSION_COOKIE_AGE + 5)
    assert browser.get("/").status_code == 302


def test_an_htmx_request_after_the_session_ended_is_sent_to_login_with_hx_redirect(legal, login, settings):
    browser = _signed_in_since(login, legal, LAST_SEEN, settings.SESSION_IDLE_TIMEOUT + 5)
    response = browser.get("/audit/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_a_disabled_account_loses_its_session_at_once(legal, login):
    browser = login(legal)
    legal.is_active = False
    legal.save(update_fields=["is_active"])
    assert browser.get("/").status_code == 302


def test_dates_are_shown_in_the_users_time_zone(legal, login, client_a):
    from tests.factories import AuditEventFactory

    legal.time_zone = "Asia/Tokyo"
    legal.save(update_fields=["time_zone"])
    event = AuditEventFactory(client=client_a)
    page = login(legal).get(f"/audit/{event.pk}/").content.decode()
    assert "JST" in page


def test_profile_saves_name_and_time_zone_and_refuses_unknown_zones(legal, login):
    browser = login(legal)
    assert browser.post("/accounts/profile/", {"full_name": "Lena L.", "time_zone": "Europe/Berlin"}).status_code == 302
    legal.refresh_from_db()
    assert (legal.full_name, legal.time_zone) == ("Lena L.", "Europe/Berlin")
    assert browser.post("/accounts/profile/", {"full_name": "x", "time_zone": "Nowhere/Land"}).status_code == 400
    legal.refresh_from_db()
    assert legal.time_zone == "Europe/Berlin"
    assert AuditEvent.objects.filter(action="accounts.user.update_profile").count() == 1


def test_password_change_keeps_this_session_and_ends_others(legal, login):
    this, other = login(legal), login(legal)
    response = this.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new long passphrase",
            "new_password2": "a brand new long passphrase",
        },
    )
    assert response.status_code == 302
    assert this.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_password_change_refuses_a_short_password(legal, login):
    response = login(legal).post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": "short1", "new_password2": "short1"}
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
