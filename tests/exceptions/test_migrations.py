"""``exceptions.0003_calendar_feed`` carries the feeds kept in audit events over into ``CalendarFeed`` rows, so the
URLs people use keep working and replaced or turned-off ones stay dead."""

from __future__ import annotations

import pytest
from django.core import signing
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client as HttpClient

from apps.audit import services as audit
from tests.factories import UserFactory

BEFORE = [("exceptions", "0002_compliance_rules")]
AFTER = [("exceptions", "0003_calendar_feed")]
ROTATE, STOP = "exceptions.calendar_feed.rotate", "exceptions.calendar_feed.stop"


def _old_token(user_id: int, event_id: int) -> str:
    """The token as the portal issued it before the model: salted with the latest rotate event's id."""
    return signing.Signer(salt=f"greenlight.exceptions.calendar-feed.{event_id}").sign(str(user_id))


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.fixture
def latest_schema_after():
    """Migrating back to ``BEFORE`` also unapplies every later migration (of this app and of apps that depend on
    it); give the tests that follow the whole schema again, not just ``AFTER``."""
    yield
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_feeds_in_audit_events_become_rows_and_their_urls_keep_working(latest_schema_after):
    _migrate(BEFORE)
    try:
        one, two, off, again = (UserFactory(email=f"{name}@acme.example") for name in ("one", "two", "off", "again"))
        tokens = {}
        tokens["one"] = _old_token(one.pk, audit.record(ROTATE, actor=one, obj=one).pk)
        first_two = _old_token(two.pk, audit.record(ROTATE, actor=two, obj=two).pk)
        tokens["two"] = _old_token(two.pk, audit.record(ROTATE, actor=two, obj=two).pk)
        dead_off = _old_token(off.pk, audit.record(ROTATE, actor=off, obj=off).pk)
        audit.record(STOP, actor=off, obj=off)
        audit.record(ROTATE, actor=again, obj=again)
        audit.record(STOP, actor=again, obj=again)
        tokens["again"] = _old_token(again.pk, audit.record(ROTATE, actor=again, obj=again).pk)
        _migrate(AFTER)
    finally:
        _migrate(AFTER)  # whatever happened, leave the schema as the other tests expect it

    from apps.exceptions.models import CalendarFeed

    feeds = {feed.owner.email.split("@")[0]: feed for feed in CalendarFeed.objects.select_related("owner")}
    assert set(feeds) == {"one", "two", "off", "again"}
    assert feeds["one"].rotated_at is None and feeds["two"].rotated_at is not None
    assert feeds["off"].revoked_at is not None
    assert feeds["again"].revoked_at is None and feeds["again"].rotated_at is None
    for name, token in tokens.items():
        assert HttpClient().get("/cases/calendar.ics", {"token": token}).status_code == 200, name
    for dead in (first_two, dead_off):
        assert HttpClient().get("/cases/calendar.ics", {"token": dead}).status_code == 404
