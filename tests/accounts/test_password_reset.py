"""Issue 11 item 5: password reset by e-mail with Django's views, sent by a worker, the same answer whether or not
the address has an account, limited per client address and per e-mail address."""

import re

import pytest
from django.core import mail
from django.test import Client as HttpClient

from apps.accounts import tasks, throttle
from apps.audit.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a new and much longer passphrase"


@pytest.fixture
def request_reset(django_capture_on_commit_callbacks):
    """POST the reset form; return the response and the reset jobs it queued for the worker."""
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    def _request(email, ip="10.0.0.1", **extra):
        OrmQ.objects.all().delete()
        with django_capture_on_commit_callbacks(execute=True):
            response = HttpClient(REMOTE_ADDR=ip).post("/accounts/password/reset/", {"email": email}, **extra)
        jobs = [SignedPackage.loads(row.payload) for row in OrmQ.objects.all()]
        return response, [job for job in jobs if job["func"] == "apps.accounts.tasks.send_password_reset"]

    return _request


def _run(jobs) -> None:
    """What the worker does with the queued jobs."""
    for job in jobs:
        tasks.send_password_reset(*job["args"])


def test_the_login_page_offers_a_reset():
    page = HttpClient().get("/accounts/login/").content.decode()
    assert 'href="/accounts/password/reset/"' in page
    assert "Forgot your password?" in page


def test_a_person_resets_their_password_by_email(request_reset, login):
    user = UserFactory(email="lena@example.com", full_name="Lena Berg")
    other_session = login(user)
    response, jobs = request_reset("Lena@Example.com")
    assert response.status_code == 302 and response.url == "/accounts/password/reset/sent/"
    assert mail.outbox == []  # nothing is sent in the request: a worker sends it
    _run(jobs)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["lena@example.com"]
    assert message.subject == "Reset your Greenlight password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body).group(1)

    browser = HttpClient()
    form_page = browser.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]
    done = browser.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done.url == "/accounts/password/reset/done/"
    assert AuditEvent.objects.filter(action="accounts.user.reset_password", actor=user).count() == 1

    login_with = HttpClient().post("/accounts/login/", {"username": user.email, "password": NEW_PASSWORD})
    assert login_with.status_code == 302
    assert HttpClient().post("/accounts/login/", {"username": user.email, "password": PASSWORD}).status_code == 200
    assert other_session.get("/accounts/profile/").status_code == 302  # sessions with the old password end
    # The link works once.
    assert "This link no longer works" in HttpClient().get(link, follow=True).content.decode()


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(request_reset):
    UserFactory(email="known@example.com")
    known, known_jobs = request_reset("known@example.com")
    unknown, unknown_jobs = request_reset("unknown@example.com")
    assert (known.status_code, known.url) == (unknown.status_code, unknown.url)
    assert len(known_jobs) == len(unknown_jobs) == 1  # the request does the same work either way
    _run(unknown_jobs)
    assert mail.outbox == []
    _run(known_jobs)
    assert [m.to for m in mail.outbox] == [["known@example.com"]]


def test_inactive_accounts_get_no_mail(request_reset):
    UserFactory(email="gone@example.com", is_active=False)
    response, jobs = request_reset("gone@example.com")
    assert response.status_code == 302
    _run(jobs)
    assert mail.outbox == []


def test_requests_per_email_address_are_limited_without_saying_so(request_reset, settings):
    settings.PASSWORD_RESETS_PER_ADDRESS = 2
    UserFactory(email="bombed@example.com")
    answers = [request_reset("bombed@example.com", ip=f"10.0.0.{n}") for n in range(1, 5)]
    assert [response.status_code for response, _ in answers] == [302, 302, 302, 302]
    assert [len(jobs) for _, jobs in answers] == [1, 1, 0, 0]


def test_requests_per_client_address_are_refused_beyond_the_limit(request_reset, settings, monkeypatch):
    settings.PASSWORD_RESETS_PER_IP = 2
    monkeypatch.setattr(throttle.time, "time", lambda: 1_000_000.0)
    assert request_reset("a@example.com")[0].status_code == 302
    assert request_reset("b@example.com")[0].status_code == 302
    refused, jobs = request_reset("c@example.com")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert "Too many password-reset requests from your network. Try again in 60 minutes." in refused.content.decode()
    assert jobs == []
    assert request_reset("c@example.com", ip="10.0.0.2")[0].status_code == 302


def test_the_reset_limit_follows_the_client_behind_a_proxy(request_reset, settings):
    settings.PASSWORD_RESETS_PER_IP = 1
    settings.TRUST_X_FORWARDED_FOR = 1
    proxy = "10.0.0.2"
    assert request_reset("a@example.com", ip=proxy, headers={"X-Forwarded-For": "198.51.100.7"})[0].status_code == 302
    assert request_reset("b@example.com", ip=proxy, headers={"X-Forwarded-For": "198.51.100.7"})[0].status_code == 429
    assert request_reset("b@example.com", ip=proxy, headers={"X-Forwarded-For": "203.0.113.9"})[0].status_code == 302


def test_a_forged_link_is_refused_with_a_way_forward():
    page = HttpClient().get("/accounts/password/reset/MQ/forged-token/", follow=True)
    assert page.status_code == 200
    body = page.content.decode()
    assert "This link no longer works" in body
    assert 'href="/accounts/password/reset/"' in body


def test_a_malformed_address_is_shown_on_the_form(request_reset):
    response, jobs = request_reset("not an address")
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert jobs == []


def test_the_new_password_must_pass_the_password_rules(request_reset):
    UserFactory(email="short@example.com")
    _run(request_reset("short@example.com")[1])
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    browser = HttpClient()
    set_password_url = browser.get(link, follow=True).redirect_chain[-1][0]
    response = browser.post(set_password_url, {"new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert "This password is too short" in response.content.decode()
