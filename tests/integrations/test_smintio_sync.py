"""The Smint.io pull over real HTTP against the emulator, with the platform's faults injected."""

from __future__ import annotations

import uuid

import pytest
from django.db.models import Count

from apps.assets.choices import LicenseState, RightsState, SignalKind
from apps.assets.models import Asset, AssetSignal, Binary, LicensePurchase, LicenseTerm, UsageEvent
from apps.assets.services import upsert_license_purchases
from apps.audit.models import AuditEvent
from apps.clients.models import ConnectionStatus, SmintioConnection
from apps.integrations.http import AuthError
from apps.integrations.smintio.client import SmintioClient
from apps.integrations.smintio.sync import SyncBusy, acquire_lease, map_lpt, pull

pytestmark = pytest.mark.django_db(transaction=True)


def _emulator_counts(slug: str) -> dict:
    from apps.emulators.smintio.models import ContentElement, LicensePurchaseTransaction
    from apps.emulators.smintio.models import UsageEvent as EmuUsage

    lpts = LicensePurchaseTransaction.objects.filter(tenant__slug=slug)
    return {
        "elements": ContentElement.objects.filter(tenant__slug=slug).count(),
        "lpts": lpts.count(),
        "cancelled": lpts.filter(state="cancelled").count(),
        "usage": EmuUsage.objects.filter(tenant__slug=slug).count(),
    }


def test_a_full_pull_brings_the_demo_library_with_terms_binaries_and_usage(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=240)
    report = pull(connection, full=True)
    expected = _emulator_counts(client_a.slug)
    assert expected["elements"] >= 200
    assert Asset.objects.filter(client=client_a).count() == expected["elements"]
    assert LicensePurchase.objects.filter(client=client_a).count() == expected["lpts"] == report.created
    assert UsageEvent.objects.filter(client=client_a).count() == expected["usage"] == report.usage_events
    assert LicenseTerm.objects.filter(license_purchase__client=client_a).exists()
    syncable = LicensePurchase.objects.filter(client=client_a, state=LicenseState.COMPLETED, can_be_synced=True)
    assert Binary.objects.filter(license_purchase__in=syncable).values("license_purchase").distinct().count() == (
        syncable.count()
    )
    assert not LicensePurchase.objects.filter(pk__in=syncable, binaries_version__lt=1).exists()
    # The library's special cases arrive as such.
    assets = Asset.objects.filter(client=client_a)
    assert assets.filter(rights_state=RightsState.EXPIRED).exists()
    assert assets.filter(rights_state=RightsState.VALID).exists()
    assert assets.filter(is_editorial=True).exists() and assets.filter(is_editorial__isnull=True).exists()
    assert assets.filter(keywords=[]).exists() and assets.exclude(keywords=[]).exists()
    connection.refresh_from_db()
    assert connection.last_pull_ok is True and connection.lpt_cursor and connection.generic_metadata
    # A second pull finds nothing new.
    again = pull(connection)
    assert (again.created, again.updated, again.usage_events) == (0, 0, 0)


def test_an_access_token_that_expires_mid_sync_is_refreshed_and_the_pull_goes_on(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=40)
    generation_before = connection.token_generation

    def expire_after_second_page(report):
        if report.pages == 2:
            platforms.control("smintio", f"tenants/{client_a.slug}/tokens/expire")

    report = pull(connection, full=True, page_size=10, progress=expire_after_second_page)
    assert report.created == _emulator_counts(client_a.slug)["lpts"]
    connection.refresh_from_db()
    assert connection.token_generation >= generation_before + 2  # first token, then the refresh after expiry
    statuses = [r.status_code for r in platforms.requests_to("smintio", "license-purchase-transactions")]
    assert 401 in statuses and statuses[-1] == 200


def test_an_old_refresh_token_is_refused_after_rotation_and_the_connection_shows_broken(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=5)
    old_token = connection.refresh_token
    SmintioClient(connection).refresh()
    connection.refresh_from_db()
    assert connection.refresh_token != old_token
    SmintioConnection.objects.filter(pk=connection.pk).update(refresh_token=old_token, access_token="")
    connection.refresh_from_db()
    with pytest.raises(AuthError):
        pull(connection)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.BROKEN
    assert "refused the refresh token" in connection.status_reason


def test_429_with_retry_after_is_waited_out(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=5)
    platforms.fault("smintio", kind="status", status_code=429, retry_after=2, count=1, path_contains="license-purchase")
    waits: list[float] = []
    report = pull(connection, api=SmintioClient(connection, sleep=waits.append))
    assert report.created == _emulator_counts(client_a.slug)["lpts"]
    assert waits and waits[0] >= 2


def test_bursts_of_500_and_503_are_retried_with_backoff(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=5)
    platforms.fault("smintio", kind="status", status_code=500, count=2, path_contains="license-purchase")
    platforms.fault("smintio", kind="status", status_code=503, count=1, path_contains="license-purchase")
    waits: list[float] = []
    report = pull(connection, api=SmintioClient(connection, sleep=waits.append))
    assert report.created == _emulator_counts(client_a.slug)["lpts"]
    assert len(waits) == 3
    faulted = [r for r in platforms.requests_to("smintio", "license-purchase") if r.fault]
    assert [r.status_code for r in faulted] == [500, 500, 503]


def test_a_call_that_hangs_past_the_timeout_is_abandoned_and_retried(platforms, client_a, settings):
    settings.PLATFORM_TIMEOUT = (2, 1)
    connection = platforms.smintio_tenant(client_a, count=5)
    platforms.fault("smintio", kind="delay", delay_seconds=2.5, count=1, path_contains="license-purchase")
    waits: list[float] = []
    report = pull(connection, api=SmintioClient(connection, sleep=waits.append))
    assert report.created == _emulator_counts(client_a.slug)["lpts"]
    assert len(waits) == 1


def test_redelivered_and_changed_records_never_duplicate_and_the_newest_version_wins(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=6)
    pull(connection, full=True)
    lpt = LicensePurchase.objects.filter(client=client_a, state=LicenseState.COMPLETED).first()
    platforms.control("smintio", f"tenants/{client_a.slug}/lpts/{lpt.uuid}/redeliver")
    platforms.control("smintio", f"tenants/{client_a.slug}/lpts/{lpt.uuid}/usage", {"current_downloads": 7})
    platforms.control("smintio", f"tenants/{client_a.slug}/lpts/{lpt.uuid}/redeliver")
    report = pull(connection)
    assert report.updated == 1 and report.created == 0 and report.unchanged >= 1
    lpt.refresh_from_db()
    assert (lpt.current_downloads, lpt.version) == (7, 2)
    assert LicensePurchase.objects.filter(client=client_a).count() == _emulator_counts(client_a.slug)["lpts"]


def test_out_of_order_versions_end_on_the_newest(platforms, client_a):
    """W5: the same licence delivered v3, v1, v2 (across pages) ends as v3; older versions are ignored."""
    connection = platforms.smintio_tenant(client_a, count=1)
    raw = SmintioClient(connection).license_purchase_transactions()["license_purchase_transactions"][0]
    versions = {n: {**raw, "version": n, "current_downloads": n} for n in (1, 2, 3)}
    upsert_license_purchases(client_a, [map_lpt(versions[3])])
    result = upsert_license_purchases(client_a, [map_lpt(versions[1]), map_lpt(versions[2])])
    assert result.unchanged == 2
    lpt = LicensePurchase.objects.get(client=client_a)
    assert (lpt.version, lpt.current_downloads) == (3, 3)


def test_a_cancelled_licence_withdraws_rights_at_once_and_is_signalled_once(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=6)
    pull(connection, full=True)
    # An asset that holds its rights from this one licence only (another valid licence would keep them).
    lpt = (
        LicensePurchase.objects.filter(client=client_a, state=LicenseState.COMPLETED)
        .annotate(licences=Count("asset__license_purchases"))
        .filter(licences=1, asset__rights_state=RightsState.VALID)
        .select_related("asset")
        .first()
    )
    platforms.control("smintio", f"tenants/{client_a.slug}/lpts/{lpt.uuid}/cancel")
    report = pull(connection)
    assert report.cancelled == 1
    lpt.asset.refresh_from_db()
    assert lpt.asset.rights_state == RightsState.WITHDRAWN
    platforms.control("smintio", f"tenants/{client_a.slug}/lpts/{lpt.uuid}/redeliver")
    pull(connection)
    assert AssetSignal.objects.filter(asset=lpt.asset, kind=SignalKind.LICENSE_CANCELLED).count() == 1
    event = AuditEvent.objects.get(action="assets.license.cancel", object_id=str(lpt.asset.pk))
    assert event.actor_label == "system"


def test_one_pull_per_connection_at_a_time(platforms, client_a):
    connection = platforms.smintio_tenant(client_a, count=1)
    assert acquire_lease(connection, "another-worker")
    with pytest.raises(SyncBusy):
        pull(connection)


def test_a_pull_stops_after_a_committed_page_when_the_worker_stops_and_the_next_resumes(
    platforms, client_a, tmp_path, monkeypatch
):
    """run_worker asks its cluster to stop: the pull ends after the page it committed (its cursor saved, its lease
    released at once, the interruption shown), and the next pull goes on from there."""
    from apps.integrations import worker

    connection = platforms.smintio_tenant(client_a, count=30)
    monkeypatch.setenv(worker.STATE_ENV, str(tmp_path))
    (tmp_path / worker.STOP_FILE).touch()
    report = pull(connection, page_size=10)
    connection.refresh_from_db()
    assert (report.pages, report.received) == (1, 10)
    assert LicensePurchase.objects.filter(client=client_a).count() == report.created > 0
    assert connection.lpt_cursor and not connection.lease_owner and connection.lease_until is None
    assert connection.last_pull_ok is False and connection.last_pull_error.startswith("Interrupted")
    (tmp_path / worker.STOP_FILE).unlink()
    pull(connection, page_size=10)
    assert LicensePurchase.objects.filter(client=client_a).count() == _emulator_counts(client_a.slug)["lpts"]


def test_a_notification_from_smintio_becomes_a_pull(platforms, client_a, settings):
    from apps.integrations.models import InboundEvent
    from apps.integrations.tasks import process_inbound_event

    settings.NOTIFY_SECRETS = ["notify-secret-for-the-test-0123"]
    connection = platforms.smintio_tenant(client_a, count=8)
    sent = platforms.control("smintio", f"tenants/{client_a.slug}/notify")
    event = InboundEvent.objects.get()
    assert event.event == "global-transaction-history-update" and sent
    assert process_inbound_event(event.pk) == "pulled 1"
    assert process_inbound_event(event.pk) == "already processed"  # a redelivered job pulls nothing more
    assert LicensePurchase.objects.filter(client=client_a).count() == _emulator_counts(client_a.slug)["lpts"]
    connection.refresh_from_db()
    assert connection.last_pull_ok is True


def test_sync_smintio_shows_progress_per_page(platforms, client_a):
    from io import StringIO

    from django.core.management import call_command

    platforms.smintio_tenant(client_a, count=12)
    out = StringIO()
    call_command("sync_smintio", "--client", client_a.slug, "--full", stdout=out)
    text = out.getvalue()
    assert "page 1:" in text and "done in" in text
    assert LicensePurchase.objects.filter(client=client_a).count() == _emulator_counts(client_a.slug)["lpts"]


def test_disconnecting_stops_at_once_and_the_worker_revokes_the_token(platforms, client_a, agency_admin):
    from apps.integrations import connections
    from apps.outbox import services as outbox
    from apps.outbox.choices import OutboxStatus
    from apps.outbox.models import OutboxMessage

    connection = platforms.smintio_tenant(client_a, count=2)
    SmintioClient(connection).refresh()
    connection.refresh_from_db()
    token = connection.refresh_token
    connections.disconnect(client_a, actor=agency_admin)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NOT_CONNECTED and not connection.refresh_token
    outbox.drain(max_seconds=10)
    assert OutboxMessage.objects.get(kind="smintio.revoke").status == OutboxStatus.DONE
    connection.refresh_from_db()
    assert connection.token_to_revoke == ""
    # Smint.io no longer honours the token.
    SmintioConnection.objects.filter(pk=connection.pk).update(
        refresh_token=token, status=ConnectionStatus.CONNECTED, access_token=""
    )
    connection.refresh_from_db()
    with pytest.raises(AuthError):
        SmintioClient(connection).refresh()
    assert AuditEvent.objects.filter(action="integrations.smintio.disconnect").count() == 1


# -- issue 10 item 5: the sync stores usage through the one write path (apps.assets.usage.record_usage) --------------
def test_the_usage_sync_checks_each_event_like_the_api_and_tells_the_usage_listeners(platforms, client_a, monkeypatch):
    from apps.assets import events

    good, bad_country, bad_mail = (str(uuid.uuid4()) for _ in range(3))
    connection = platforms.smintio_tenant(client_a, count=3)
    pull(connection, full=True)
    told = []
    monkeypatch.setattr(events, "_USAGE_LISTENERS", [told.append])
    element = Asset.objects.filter(client=client_a).order_by("pk").first().content_element_uuid
    platforms.control(
        "smintio",
        f"tenants/{client_a.slug}/usage-events",
        {
            "events": [
                {
                    "uuid": good,
                    "content_element_uuid": element,
                    "user_email": "ann@acme.example",
                    "country": "de",
                },
                {
                    "uuid": bad_country,
                    "content_element_uuid": element,
                    "user_email": "bo@acme.example",
                    "country": "ZZ",
                },
                {"uuid": bad_mail, "content_element_uuid": element, "user_email": "not-a-mailbox@"},
            ]
        },
    )
    report = pull(connection)
    assert (report.usage_events, report.usage_refused) == (1, 2)
    stored = UsageEvent.objects.get(client=client_a, uuid=good)
    assert (stored.country, stored.source, stored.asset.content_element_uuid) == ("DE", "smintio", element)
    assert not UsageEvent.objects.filter(uuid__in=[bad_country, bad_mail]).exists()
    assert told == [{client_a.pk}]  # e.g. compliance detection, as for the API's events
    connection.refresh_from_db()
    assert connection.usage_cursor  # the page's cursor moved on: the invalid events do not stall the feed
    assert pull(connection).usage_events == 0


# -- issue 17, aim 3: the fast pull (PostgreSQL: COPY upserts, rights of new assets from the page, the next page
# fetched while one is stored) ends where the plain one does ---------------------------------------------------------
def test_the_rights_a_pull_writes_are_those_derived_again_from_the_stored_licences_and_terms(platforms, client_a):
    from apps.assets.services import refresh_rights

    connection = platforms.smintio_tenant(client_a, count=60)
    pull(connection, full=True, page_size=10)
    assets = Asset.objects.filter(client=client_a)
    written = dict(assets.values_list("pk", "rights_state"))
    ends = dict(assets.values_list("pk", "rights_until"))
    assert {RightsState.VALID, RightsState.EXPIRED} <= set(written.values())
    refresh_rights(written)
    assert dict(assets.values_list("pk", "rights_state")) == written
    assert dict(assets.values_list("pk", "rights_until")) == ends


def test_a_page_that_fails_to_store_leaves_the_cursor_after_the_last_stored_page_and_the_next_pull_resumes(
    platforms, client_a, monkeypatch
):
    """A crash while page 2 is written (page 3 may already be fetched): page 1 and its cursor stay, nothing of
    pages 2 and 3 is kept, and the next pull brings everything without duplicates."""
    from apps.assets import services

    connection = platforms.smintio_tenant(client_a, count=40)
    upsert = services.upsert_license_purchases
    calls = []

    def failing_on_the_second_page(client, records):
        calls.append(len(records))
        if len(calls) == 2:
            upsert(client, records)  # written, then the transaction is rolled back by the crash
            raise RuntimeError("the worker died mid-page")
        return upsert(client, records)

    monkeypatch.setattr(services, "upsert_license_purchases", failing_on_the_second_page)
    with pytest.raises(RuntimeError):
        pull(connection, full=True, page_size=10)
    connection.refresh_from_db()
    first_page = SmintioClient(connection).license_purchase_transactions("", limit=10)
    assert connection.lpt_cursor == first_page["continuation_uuid"]
    stored = set(LicensePurchase.objects.filter(client=client_a).values_list("uuid", flat=True))
    assert stored == {item["uuid"] for item in first_page["license_purchase_transactions"]}
    assert not connection.lease_owner  # the crashed pull gave its lease back
    monkeypatch.setattr(services, "upsert_license_purchases", upsert)
    pull(connection, page_size=10)
    assert LicensePurchase.objects.filter(client=client_a).count() == _emulator_counts(client_a.slug)["lpts"]
