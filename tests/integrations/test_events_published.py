"""``sync.broken`` is published on the move from working to broken only (docs/events.md): Smint.io refusing a
connection's refresh token (over real HTTP against the emulator), and a platform's circuit breaker opening; a
connection found broken again, a breaker staying open or reopening after a failed probe say nothing more."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.integrations.http import AuthError
from apps.integrations.smintio.client import SmintioClient
from apps.integrations.smintio.sync import pull
from apps.outbox import services as outbox
from apps.outbox.errors import TransientError
from apps.outbox.models import CircuitBreaker


@outbox.handler("tests.events_effect")
def _always_down(message):
    raise TransientError("Smint.io", "down", status=503)


@pytest.mark.django_db(transaction=True)
def test_smintio_refusing_the_refresh_token_is_published_once(platforms, client_a, published):
    connection = platforms.smintio_tenant(client_a, count=5)
    old_token = connection.refresh_token
    SmintioClient(connection).refresh()
    SmintioConnection.objects.filter(pk=connection.pk).update(refresh_token=old_token, access_token="")
    connection.refresh_from_db()

    for _attempt in range(2):  # the next scheduled pull finds it refused again
        with pytest.raises(AuthError):
            pull(connection)
        connection.refresh_from_db()

    assert connection.status == ConnectionStatus.BROKEN
    [event] = published.named("sync.broken")
    assert (event.key, event.client) == (
        f"sync.broken:smintio:client-{client_a.pk}:gen-{connection.token_generation}",
        client_a,
    )
    assert event.data == {
        "url": f"/clients/{client_a.slug}/",
        "title": f"Smint.io connection of {client_a.name}",
        "platform": "smintio",
        "reason": connection.status_reason,
    }
    assert "refused the refresh token" in event.data["reason"]


@pytest.mark.django_db
def test_the_breaker_opening_is_published_once_and_again_only_after_it_closed(client_a, settings, published):
    def fail(times):
        with transaction.atomic():
            for n in range(times):
                outbox.enqueue(
                    client=client_a,
                    platform="smintio",
                    kind="tests.events_effect",
                    ordering_key=f"obj:{timezone.now().timestamp()}:{n}",
                    payload={},
                )
        outbox.drain(max_seconds=5)

    fail(settings.BREAKER_THRESHOLD + 2)  # the breaker opens at the threshold; the rest wait
    [event] = published.named("sync.broken")
    assert event.key.startswith("sync.broken:smintio:breaker-") and event.client == client_a
    assert event.data["platform"] == "smintio" and event.data["url"] == "/sync/"
    assert event.data["title"] == "The connection to Smint.io"
    assert str(settings.BREAKER_THRESHOLD) in event.data["reason"]

    # the open period passes, the probe fails: still broken, nothing more is said
    CircuitBreaker.objects.filter(platform="smintio").update(open_until=timezone.now() - timedelta(seconds=1))
    assert outbox.breaker_allows("smintio") is True
    outbox.breaker_failure("smintio", client=client_a)
    assert CircuitBreaker.objects.get(platform="smintio").open_until > timezone.now()
    assert len(published.named("sync.broken")) == 1

    # it works again, then breaks again: a new occurrence
    outbox.breaker_success("smintio")
    for _n in range(settings.BREAKER_THRESHOLD):
        outbox.breaker_failure("smintio", client=client_a)
    first, second = published.keys("sync.broken")
    assert first != second


@pytest.mark.django_db
def test_only_the_synced_platforms_breakers_are_sync_broken(client_a, settings, published):
    CircuitBreaker.objects.get_or_create(platform="mail")
    for _n in range(settings.BREAKER_THRESHOLD + 1):
        outbox.breaker_failure("webhook", client=client_a)  # no breaker: one receiver's failures stop no one else
        outbox.breaker_failure("mail", client=client_a)  # its own breaker opens, but it is not a sync
    assert CircuitBreaker.objects.get(platform="mail").open_until > timezone.now()
    assert not published.named("sync.broken")
