"""Personas and shared fixtures.

Two tenants: ``client_a`` (Acme Outdoor) and ``client_b`` (Beta Brands). Persona fixtures are members of client A
unless their name says otherwise; ``outsider`` is a member of client B only.
"""

import contextlib
import os
import socket
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client as HttpClient
from django.test.testcases import LiveServerThread

from apps.accounts.services import create_api_token
from apps.common.roles import RoleCode
from apps.common.servers import SendAtOnceMixin

from .factories import PASSWORD, ClientFactory, RegionFactory, member


class _LiveServer(SendAtOnceMixin, ThreadedWSGIServer):
    """pytest-django's live server (the emulators, the browser tests' portal) answering without the 40 ms stall of
    each small response (apps/common/servers.py): the emulators' calls took 60-80 ms each, 23-36 ms with it.

    Each kept-alive connection's thread keeps its database connection until the HTTP connection closes
    (portal/settings/test.py); when the server closes, it closes the connections still open and waits for their
    threads to let go of theirs, so the test databases can be dropped."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._open: set[socket.socket] = set()
        self._open_changed = threading.Condition()

    def get_request(self):
        connection, address = super().get_request()
        with self._open_changed:
            self._open.add(connection)
        return connection, address

    def shutdown_request(self, request):
        super().shutdown_request(request)  # closes the thread's database connection too (close_request)
        with self._open_changed:
            self._open.discard(request)
            self._open_changed.notify_all()

    def server_close(self):
        super().server_close()
        with self._open_changed:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._open_changed.wait_for(lambda: not self._open, timeout=10)


LiveServerThread.server_class = _LiveServer

# Both platforms over HTTP (the emulators in the live server): the ``platforms`` fixture.
pytest_plugins = ["tests.platform_fixtures", "tests.event_fixtures", "tests.mail_fixtures"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with empty caches: what the per-person cache (apps/common/user_cache.py), throttles or
    figures kept belongs to another test's rows (ids are reused after a rollback)."""
    from django.core.cache import cache

    from apps.assets import vocabulary
    from apps.reviews import rows

    cache.clear()
    vocabulary._KNOWN.clear()  # the vocabularies this process built, by client id and version: the same ids too
    rows._DRAWN.clear()  # the inbox rows drawn, by content


@pytest.fixture(autouse=True)
def _platform_connections_closed():
    """After each test, the portal's kept-alive connections to the platforms are closed: their tenants were the
    test's, and each connection holds a live-server thread and its database connection (portal/settings/test.py
    keeps those for the life of the HTTP connection)."""
    yield
    from apps.integrations.http import close_sessions

    close_sessions()


@pytest.fixture(autouse=True, scope="session")
def _urls_drawn_with_the_test_settings(django_test_environment):
    """Django reads the URLconf once per process, when a URL is first used, and ``portal.urls`` draws the emulators'
    routes only when ``EMULATORS`` is on (the test settings turn it on). A test that turns it off for what it calls
    (``seed_demo`` without the emulators' own seed) must not be the first to use a URL: every later test of the
    process would find the emulators gone, their platform calls answered by the portal's 404 page."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imported now, with the test settings


def pytest_collection_modifyitems(config, items):
    """PostgreSQL-only tests (row locks, SKIP LOCKED, real concurrency) run where DATABASE_URL points to it."""
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    if on_postgres:
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL); CI runs these")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def client_a(db):
    return ClientFactory(name="Acme Outdoor", slug="acme")


@pytest.fixture
def client_b(db):
    return ClientFactory(name="Beta Brands", slug="beta")


@pytest.fixture
def emea(db):
    return RegionFactory(code="emea", name="EMEA", countries=["DE", "FR", "GB"])


@pytest.fixture
def requester(client_a):
    return member(client_a, RoleCode.REQUESTER, email="requester@acme.example")


@pytest.fixture
def regional_reviewer(client_a, emea):
    return member(client_a, RoleCode.REVIEWER, RoleCode.MARKETING, email="reviewer@acme.example", regions=[emea])


@pytest.fixture
def legal(client_a):
    return member(client_a, RoleCode.LEGAL, email="legal@acme.example")


@pytest.fixture
def agency_admin(client_a):
    return member(client_a, RoleCode.AGENCY_ADMIN, email="admin@acme.example")


@pytest.fixture
def external(client_a):
    return member(client_a, RoleCode.EXTERNAL, email="external@acme.example")


@pytest.fixture
def outsider(client_b):
    """An agency admin of client B: full rights there, none in client A."""
    return member(client_b, RoleCode.AGENCY_ADMIN, RoleCode.COMPLIANCE, email="admin@beta.example")


@pytest.fixture
def login():
    """``login(user)`` returns a Django test client signed in as ``user`` through the real login form."""

    def _login(user, *, enforce_csrf_checks=False):
        http = HttpClient(enforce_csrf_checks=enforce_csrf_checks)
        http.get("/accounts/login/")
        token = http.cookies["csrftoken"].value
        response = http.post(
            "/accounts/login/", {"username": user.email, "password": PASSWORD, "csrfmiddlewaretoken": token}
        )
        assert response.status_code == 302, response.content[:500]
        return http

    return _login


@pytest.fixture
def api_token():
    """``api_token(user, scope="read", client=None)`` returns a usable key."""

    def _token(user, scope="read", client=None, days=30):
        return create_api_token(user, actor=user, name="test", scope=scope, expires_days=days, client=client).key

    return _token


@pytest.fixture
def api():
    """``api(key)`` returns a test client that sends ``Authorization: Token <key>``."""

    def _api(key):
        return HttpClient(headers={"Authorization": f"Token {key}"})

    return _api
