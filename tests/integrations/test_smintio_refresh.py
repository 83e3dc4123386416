"""The Smint.io refresh token is single-use (it rotates on every refresh): the portal must never send one twice.

The flake this guards against: a test's setup pull was refused "refresh token already used" by the emulator. The
cause was the token call's own retry: under load the emulator took longer than the (short) read timeout to answer,
the client gave up on a request that had already reached Smint.io and sent the same refresh token again. Token calls
are now sent once and waited for (``TOKEN_READ_TIMEOUT``); concurrent refreshes of one connection are serialised by
the connection's lease, whose holder re-reads the token after taking it.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.integrations.http import TransientError
from apps.integrations.smintio.client import SmintioClient

pytestmark = pytest.mark.django_db(transaction=True)


def _token_calls(platforms) -> list:
    return platforms.requests_to("smintio", "/connect/token")


def test_two_refreshes_at_once_spend_the_refresh_token_once_and_share_the_new_pair(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=2)
    generation = connection.token_generation
    # The first token call stays in flight for a second, so the other refresh surely starts while it is out.
    platforms.fault("smintio", kind="delay", delay_seconds=1, count=1, path_contains="/connect/token")
    apis = [SmintioClient(SmintioConnection.objects.get(pk=connection.pk)) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[Exception] = []

    def refresh(api):
        try:
            start.wait()
            api.refresh()
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refresh, args=(api,)) for api in apis]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert errors == []
    calls = _token_calls(platforms)
    assert [call.status_code for call in calls] == [200]  # one refresh token, sent once
    connection.refresh_from_db()
    assert connection.status != ConnectionStatus.BROKEN
    assert connection.token_generation == generation + 1 and connection.refreshing_until is None
    assert {api.connection.access_token for api in apis} == {connection.access_token}
    # The rotated token works: the next refresh is accepted too.
    apis[0].refresh()
    assert [call.status_code for call in _token_calls(platforms)] == [200, 200]


def test_a_slow_token_endpoint_is_waited_for_not_sent_the_same_refresh_token_again(platforms, client_a, settings):
    connection = platforms.smintio_tenant(client_a, count=2)
    assert settings.PLATFORM_TIMEOUT[1] < 3  # the platform fixture's short read timeout
    # The first token call is answered after the read timeout. A client that gave up on it and sent the token again
    # (held back a little longer, so the first one spends the token first, as a loaded server does) was answered
    # "already used" and marked the connection broken.
    platforms.fault("smintio", kind="delay", delay_seconds=3, count=1, path_contains="/connect/token")
    platforms.fault("smintio", kind="delay", delay_seconds=4, count=1, path_contains="/connect/token")
    api = SmintioClient(connection)
    token = api.access_token()
    platforms.clear_faults("smintio")
    assert [call.status_code for call in _token_calls(platforms)] == [200]
    connection.refresh_from_db()
    assert token == connection.access_token and connection.status != ConnectionStatus.BROKEN
    assert connection.refreshing_until is None


def test_a_failed_refresh_gives_its_lease_back_and_the_next_one_succeeds(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=2)
    platforms.fault("smintio", kind="status", status_code=503, count=1, path_contains="/connect/token")
    api = SmintioClient(connection)
    with pytest.raises(TransientError):
        api.refresh()
    connection.refresh_from_db()
    assert connection.refreshing_until is None and connection.status != ConnectionStatus.BROKEN
    api.refresh()  # the same refresh token, never spent by the refused call
    assert [call.status_code for call in _token_calls(platforms)] == [503, 200]
