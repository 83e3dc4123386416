"""S6: login attempts are limited exactly, per account and per IP, with a generic message."""

import pytest
from django.test import Client as HttpClient

from apps.accounts import throttle
from apps.accounts.forms import GENERIC_LOGIN_ERROR
from tests.concurrency import at_once
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def _attempt(email, password, ip="10.0.0.1"):
    return HttpClient(REMOTE_ADDR=ip).post("/accounts/login/", {"username": email, "password": password})


def test_wrong_password_gets_a_generic_message_that_names_neither_field():
    user = UserFactory(email="lena@example.com")
    wrong_password = _attempt(user.email, "not it")
    unknown_user = _attempt("nobody@example.com", "not it")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert GENERIC_LOGIN_ERROR in wrong_password.content.decode()
    assert GENERIC_LOGIN_ERROR in unknown_user.content.decode()


def test_account_is_refused_after_the_limit_even_with_the_right_password(settings):
    settings.LOGIN_ATTEMPTS_PER_ACCOUNT = 3
    user = UserFactory(email="target@example.com")
    for _ in range(3):
        assert _attempt(user.email, "guess").status_code == 200
    response = _attempt(user.email, PASSWORD)
    assert response.status_code == 200  # refused: the form is shown again
    assert "Too many sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in response.client.session


def test_other_accounts_are_not_locked_out_by_someone_elses_attempts(settings):
    settings.LOGIN_ATTEMPTS_PER_ACCOUNT = 2
    victim, bystander = UserFactory(email="victim@example.com"), UserFactory(email="bystander@example.com")
    for _ in range(5):
        _attempt(victim.email, "guess")
    assert _attempt(bystander.email, PASSWORD).status_code == 302


def test_one_address_cannot_sweep_many_accounts(settings):
    settings.LOGIN_ATTEMPTS_PER_IP = 4
    user = UserFactory(email="swept@example.com")
    for n in range(4):
        _attempt(f"guess{n}@example.com", "guess", ip="10.9.9.9")
    assert "Too many sign-in attempts" in _attempt(user.email, PASSWORD, ip="10.9.9.9").content.decode()
    assert _attempt(user.email, PASSWORD, ip="10.1.1.1").status_code == 302


def test_success_forgets_the_accounts_failures(settings):
    settings.LOGIN_ATTEMPTS_PER_ACCOUNT = 3
    user = UserFactory(email="forgetful@example.com")
    _attempt(user.email, "guess")
    _attempt(user.email, "guess")
    assert _attempt(user.email, PASSWORD).status_code == 302
    _attempt(user.email, "guess")
    _attempt(user.email, "guess")
    assert _attempt(user.email, PASSWORD).status_code == 302


def test_a_new_window_starts_counting_again(settings, monkeypatch):
    settings.LOGIN_ATTEMPTS_PER_ACCOUNT = 1
    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    assert throttle.register_attempt("w@example.com", None).allowed
    assert not throttle.register_attempt("w@example.com", None).allowed
    now[0] += settings.LOGIN_ATTEMPT_WINDOW_SECONDS
    assert throttle.register_attempt("w@example.com", None).allowed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_wrong_passwords_get_exactly_the_limit_of_checks(settings):
    """Each attempt is one atomic upsert, so concurrency cannot let extra guesses through."""
    settings.LOGIN_ATTEMPTS_PER_ACCOUNT = 5
    settings.LOGIN_ATTEMPTS_PER_IP = 1000
    verdicts = at_once(lambda: throttle.register_attempt("concurrent@example.com", "10.0.0.1").allowed, 20)
    assert len(verdicts) == 20
    assert verdicts.count(True) == 5
