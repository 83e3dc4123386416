"""S6 and issue 11 item 5: sign-in limits count failures only, per account and address with growing waits (never a
lockout of the account from every address), with a generous ceiling per address, behind proxies too."""

import pytest
from django.test import Client as HttpClient
from django.test import RequestFactory

from apps.accounts import throttle
from apps.accounts.forms import GENERIC_LOGIN_ERROR
from apps.accounts.models import LoginThrottle
from tests.concurrency import at_once
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOAD_BALANCER = "10.0.0.2"


def _attempt(email, password, ip="10.0.0.1", forwarded_for=None):
    http = HttpClient(REMOTE_ADDR=ip)
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return http.post("/accounts/login/", {"username": email, "password": password}, headers=headers)


def _signed_in(response) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, moved by hand."""
    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    return advance


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURES_BEFORE_DELAY = 3
    settings.LOGIN_DELAY_SECONDS = 30
    settings.LOGIN_MAX_DELAY_SECONDS = 900
    settings.LOGIN_FAILURES_PER_IP = 100
    settings.TRUST_X_FORWARDED_FOR = 0
    return settings


def test_wrong_password_gets_a_generic_message_that_names_neither_field():
    user = UserFactory(email="lena@example.com")
    wrong_password = _attempt(user.email, "not it")
    unknown_user = _attempt("nobody@example.com", "not it")
    assert wrong_password.status_code == unknown_user.status_code == 200
    assert GENERIC_LOGIN_ERROR in wrong_password.content.decode()
    assert GENERIC_LOGIN_ERROR in unknown_user.content.decode()


def test_failures_bring_a_growing_wait_that_is_shown_in_seconds(limits, clock):
    user = UserFactory(email="target@example.com")
    for _ in range(3):
        assert _attempt(user.email, "guess").status_code == 200
    # The third failure starts a 30-second wait: even the right password is not checked during it.
    refused = _attempt(user.email, PASSWORD)
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "Too many failed sign-ins. Try again in 30 seconds." in refused.content.decode()
    assert not _signed_in(refused)
    clock(10)
    assert "Try again in 20 seconds." in _attempt(user.email, PASSWORD).content.decode()
    clock(20)
    assert _attempt(user.email, "guess").status_code == 200  # checked again, and wrong: the wait doubles
    assert "Try again in 60 seconds." in _attempt(user.email, PASSWORD).content.decode()
    clock(60)
    assert _signed_in(_attempt(user.email, PASSWORD))


def test_waits_double_up_to_the_maximum(limits):
    limits.LOGIN_MAX_DELAY_SECONDS = 200
    assert [throttle.delay_after(n) for n in range(1, 9)] == [0, 0, 30, 60, 120, 200, 200, 200]


def test_the_account_stays_open_from_other_addresses(limits):
    """Guessing wrong on purpose cannot lock a person out of their account."""
    victim = UserFactory(email="victim@example.com")
    for _ in range(10):
        _attempt(victim.email, "guess", ip="198.51.100.66")
    assert _attempt(victim.email, PASSWORD, ip="198.51.100.66").status_code == 429
    assert _signed_in(_attempt(victim.email, PASSWORD, ip="203.0.113.5"))


def test_other_accounts_are_not_held_up_by_someone_elses_failures(limits):
    victim, bystander = UserFactory(email="victim@example.com"), UserFactory(email="bystander@example.com")
    for _ in range(5):
        _attempt(victim.email, "guess")
    assert _signed_in(_attempt(bystander.email, PASSWORD))


def test_successful_sign_ins_are_not_counted(limits):
    """Behind one address (a proxy, an office) any number of people sign in; only failures use the budget."""
    limits.LOGIN_FAILURES_PER_IP = 3
    people = [UserFactory(email=f"colleague{n}@example.com") for n in range(4)]
    for round_ in range(15):  # 60 sign-ins from one address, more than any former per-address budget
        for person in people:
            assert _signed_in(_attempt(person.email, PASSWORD)), round_


def test_one_address_cannot_sweep_many_accounts(limits, clock):
    limits.LOGIN_FAILURES_PER_IP = 4
    limits.LOGIN_IP_WINDOW_SECONDS = 900
    user = UserFactory(email="swept@example.com")
    for n in range(4):
        _attempt(f"guess{n}@example.com", "guess", ip="10.9.9.9")
    refused = _attempt(user.email, PASSWORD, ip="10.9.9.9")
    assert refused.status_code == 429
    assert "Try again in 15 minutes." in refused.content.decode()
    assert _signed_in(_attempt(user.email, PASSWORD, ip="10.1.1.1"))
    clock(900)
    assert _signed_in(_attempt(user.email, PASSWORD, ip="10.9.9.9"))


def test_a_success_forgets_the_failures_of_that_account_from_that_address(limits):
    user = UserFactory(email="forgetful@example.com")
    for _ in range(2):
        _attempt(user.email, "guess")
    assert _signed_in(_attempt(user.email, PASSWORD))
    for _ in range(2):
        _attempt(user.email, "guess")
    assert _signed_in(_attempt(user.email, PASSWORD))


def test_failures_are_forgotten_after_a_day_without_any(limits, clock):
    for _ in range(3):
        assert throttle.register_attempt("w@example.com", "10.0.0.1").allowed
    clock(30)
    assert throttle.register_attempt("w@example.com", "10.0.0.1").allowed  # the 4th failure: a 60 s wait
    assert not throttle.register_attempt("w@example.com", "10.0.0.1").allowed
    clock(throttle.FAILURE_MEMORY_SECONDS)
    for _ in range(3):
        assert throttle.register_attempt("w@example.com", "10.0.0.1").allowed  # free again


def test_rows_long_expired_are_pruned(limits, clock):
    throttle.register_attempt("old@example.com", "10.0.0.1")
    assert LoginThrottle.objects.count() == 2  # the account and address, and the address
    clock(throttle.FAILURE_MEMORY_SECONDS + throttle.PRUNE_AFTER_SECONDS + 1)
    throttle.register_attempt("new@example.com", "10.0.0.3")
    assert LoginThrottle.objects.count() == 2


def test_no_email_address_is_stored_in_clear(limits):
    _attempt("private.person@example.com", "guess")
    assert not LoginThrottle.objects.filter(key__icontains="private.person").exists()


# -- the client address behind proxies ---------------------------------------------------------------------------


def _ip(settings, proxies, remote, forwarded=None):
    settings.TRUST_X_FORWARDED_FOR = proxies
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    return throttle.client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers))


def test_the_forwarded_header_is_ignored_unless_proxies_are_configured(settings):
    assert _ip(settings, 0, LOAD_BALANCER, "203.0.113.9") == LOAD_BALANCER


def test_behind_proxies_the_address_the_outermost_proxy_saw_is_used(settings):
    # The client wrote "1.1.1.1" itself; the load balancer appended the address it saw.
    assert _ip(settings, 1, LOAD_BALANCER, "1.1.1.1, 203.0.113.9") == "203.0.113.9"
    # A CDN, then a load balancer: the CDN appended the client, the load balancer appended the CDN.
    assert _ip(settings, 2, LOAD_BALANCER, "1.1.1.1, 203.0.113.9, 192.0.2.44") == "203.0.113.9"
    # Fewer entries than proxies: the request entered behind the outer proxy.
    assert _ip(settings, 2, LOAD_BALANCER, "203.0.113.9") == "203.0.113.9"


def test_a_missing_or_malformed_forwarded_address_falls_back_to_the_peer(settings):
    assert _ip(settings, 1, LOAD_BALANCER) == LOAD_BALANCER
    assert _ip(settings, 1, LOAD_BALANCER, "1.1.1.1, not-an-address") == LOAD_BALANCER
    assert _ip(settings, 1, LOAD_BALANCER, "203.0.113.9:51234") == "203.0.113.9"
    assert _ip(settings, 1, LOAD_BALANCER, "[2001:db8::7]:443") == "2001:db8::7"
    assert _ip(settings, 1, LOAD_BALANCER, "::ffff:203.0.113.9") == "203.0.113.9"


def test_sign_ins_behind_a_load_balancer_are_limited_per_client(limits):
    """Behind a load balancer every request comes from its address; the limits must still tell clients apart."""
    limits.TRUST_X_FORWARDED_FOR = 1
    limits.LOGIN_FAILURES_PER_IP = 3
    colleague = UserFactory(email="colleague@example.com")
    for n in range(3):
        _attempt(f"guess{n}@example.com", "guess", ip=LOAD_BALANCER, forwarded_for="198.51.100.7")
    # The attacker rotates the value it writes itself: the load balancer's entry still names it.
    spoofed = _attempt(colleague.email, "guess", ip=LOAD_BALANCER, forwarded_for="9.9.9.9, 198.51.100.7")
    assert spoofed.status_code == 429
    assert _signed_in(_attempt(colleague.email, PASSWORD, ip=LOAD_BALANCER, forwarded_for="203.0.113.9"))


def test_ipv6_clients_are_counted_per_64_block(limits):
    limits.LOGIN_FAILURES_PER_IP = 2
    assert throttle.register_attempt("a@example.com", "2001:db8:1:2::1").allowed
    assert throttle.register_attempt("b@example.com", "2001:db8:1:2:ffff::9").allowed
    assert not throttle.register_attempt("c@example.com", "2001:db8:1:2::3").allowed
    assert throttle.register_attempt("c@example.com", "2001:db8:1:3::3").allowed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_wrong_passwords_get_exactly_the_free_checks(settings):
    """Each attempt locks its rows, so concurrency cannot let extra guesses through."""
    settings.LOGIN_FAILURES_BEFORE_DELAY = 5
    settings.LOGIN_FAILURES_PER_IP = 1000
    verdicts = at_once(lambda: throttle.register_attempt("concurrent@example.com", "10.0.0.1").allowed, 20)
    assert len(verdicts) == 20
    assert verdicts.count(True) == 5
    assert LoginThrottle.objects.get(key=throttle._ip_key("10.0.0.1")).count == 5
