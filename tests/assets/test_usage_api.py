"""``/api/v1/usage-events/``: integrators report usage in batches (all or nothing, idempotent by event id); the list
is the download history per asset and per person, limited to the caller's clients."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.assets.models import UsageEvent
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db

URL = "/api/v1/usage-events/"
PROBLEM = "application/problem+json"
WHEN = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def integrator(legal, api_token, api):
    return api(api_token(legal, "write"))


@pytest.fixture
def asset(client_a):
    return licensed_asset(client_a, name="Alpine hero")


def _event(asset, n=1, **fields):
    return {"id": f"evt-{n}", "asset": asset.pk, "event": "download", "occurred_at": WHEN.isoformat(), **fields}


def _post(http, body):
    return http.post(URL, body, content_type="application/json")


# -- ingestion ---------------------------------------------------------------------------------------------------------
def test_a_single_event_is_stored_for_the_assets_client(client_a, asset, integrator):
    body = _event(asset, user_email="ana@acme.example", country="de", channel="web", license_purchase_uuid="lpt-9")

    response = _post(integrator, body)

    assert response.status_code == 201, response.content
    assert response.json() == {"received": 1, "created": 1, "duplicates": 0}
    stored = UsageEvent.objects.get()
    assert (stored.client, stored.asset, stored.uuid, stored.source) == (client_a, asset, "evt-1", "api")
    assert stored.content_element_uuid == asset.content_element_uuid
    assert (stored.country, stored.channel, stored.occurred_at) == ("DE", "web", WHEN)
    assert (stored.user_email, stored.license_purchase_uuid) == ("ana@acme.example", "lpt-9")


def test_an_event_may_name_the_asset_by_its_smintio_element(asset, integrator):
    body = _event(asset, event="share", content_element_uuid=asset.content_element_uuid)
    del body["asset"]

    response = _post(integrator, body)

    assert response.status_code == 201, response.content
    assert UsageEvent.objects.get().asset == asset


def test_a_batch_costs_the_same_queries_whatever_its_size(client_a, asset, integrator):
    other = licensed_asset(client_a, name="Second")
    small = [_event(asset, n) for n in range(4)]
    # 60 rows: one INSERT on SQLite too (999 parameters at most), as any batch up to 1,000 is on PostgreSQL
    large = [_event(asset if n % 2 else other, n, event="reuse") for n in range(100, 160)]
    for event in large[::3]:  # a third by the Smint.io element id instead of our id
        event["content_element_uuid"] = (asset if event.pop("asset") == asset.pk else other).content_element_uuid

    assert integrator.get(URL).status_code == 200  # the token's first use records it; not part of what is counted
    with CaptureQueriesContext(connection) as few:
        assert _post(integrator, small).status_code == 201
    with CaptureQueriesContext(connection) as many:
        response = _post(integrator, large)

    assert response.status_code == 201, response.content
    assert response.json() == {"received": 60, "created": 60, "duplicates": 0}
    assert len(many) == len(few) <= 8  # token, savepoints, one asset lookup, keys before, one insert, keys after
    assert UsageEvent.objects.filter(asset=asset).count() == 4 + 30
    assert UsageEvent.objects.filter(asset=other).count() == 30


def test_the_same_batch_twice_creates_nothing_the_second_time(asset, integrator):
    batch = [_event(asset, n) for n in range(20)]
    assert _post(integrator, batch).json() == {"received": 20, "created": 20, "duplicates": 0}

    again = _post(integrator, [*batch, _event(asset, 99)])

    assert again.status_code == 201
    assert again.json() == {"received": 21, "created": 1, "duplicates": 20}
    replay = _post(integrator, batch)
    assert replay.status_code == 200
    assert replay.json() == {"received": 20, "created": 0, "duplicates": 20}
    assert UsageEvent.objects.count() == 21


def test_an_event_repeated_within_one_request_is_stored_once(asset, integrator):
    response = _post(integrator, [_event(asset, 7), _event(asset, 7, event="share")])

    assert response.json() == {"received": 2, "created": 1, "duplicates": 1}
    assert UsageEvent.objects.get().event == "download"  # the first one wins


def test_more_than_a_thousand_events_are_refused_and_nothing_is_stored(asset, integrator):
    response = _post(integrator, [_event(asset, n) for n in range(1_001)])

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert "1,000" in response.json()["errors"]["non_field_errors"][0]
    assert not UsageEvent.objects.exists()
    assert _post(integrator, [_event(asset, n) for n in range(1_000)]).json()["created"] == 1_000


def test_one_invalid_event_stores_nothing_and_names_its_index(asset, integrator):
    batch = [_event(asset, n) for n in range(5)]
    batch[2]["country"] = "XX"
    batch[4]["event"] = "print"
    del batch[4]["occurred_at"]

    response = _post(integrator, batch)

    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    errors = response.json()["errors"]
    assert set(errors) == {"2", "4"}
    assert set(errors["2"]) == {"country"}
    assert set(errors["4"]) == {"event", "occurred_at"}
    assert not UsageEvent.objects.exists()


def test_an_event_must_name_its_asset_consistently(asset, client_a, integrator):
    other = licensed_asset(client_a, name="Other")
    no_asset = {key: value for key, value in _event(asset, 1).items() if key != "asset"}
    mismatch = _event(asset, 2, content_element_uuid=other.content_element_uuid)

    response = _post(integrator, [no_asset, mismatch, _event(asset, 3)])

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"0", "1"}
    assert "asset" in response.json()["errors"]["1"]
    assert not UsageEvent.objects.exists()


def test_another_clients_asset_is_refused_like_an_unknown_one(client_b, asset, integrator):
    foreign = licensed_asset(client_b, name="Beta Brands secret")
    batch = [
        _event(asset, 1),
        _event(foreign, 2),
        _event(asset, 3, content_element_uuid=foreign.content_element_uuid),
        _event(asset, 4) | {"asset": foreign.pk + 1000},
    ]
    del batch[2]["asset"]

    response = _post(integrator, batch)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"1", "2", "3"}
    assert errors["1"] == errors["2"] == errors["3"]  # a foreign asset reads exactly as one that does not exist
    assert "Beta" not in response.content.decode()
    assert not UsageEvent.objects.exists()


def test_a_read_token_cannot_report_usage(legal, asset, api_token, api):
    reader = api(api_token(legal, "read"))

    response = _post(reader, _event(asset))

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert not UsageEvent.objects.exists()
    assert reader.get(URL).status_code == 200


def test_anonymous_cannot_report_usage(asset, client):
    assert _post(client, _event(asset)).status_code == 401
    assert not UsageEvent.objects.exists()


# -- history -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def history(client_a, client_b, asset, integrator, outsider, api_token, api):
    """Client A: three events on two assets by two people over three days; client B: one event of its own."""
    second = licensed_asset(client_a, name="Second")
    batch = [
        _event(asset, 1, user_email="ana@acme.example", occurred_at=(WHEN - timedelta(days=2)).isoformat()),
        _event(asset, 2, user_email="bo@acme.example", event="share", occurred_at=WHEN.isoformat()),
        _event(second, 3, user_email="ana@acme.example", occurred_at=(WHEN + timedelta(days=1)).isoformat()),
    ]
    assert _post(integrator, batch).status_code == 201
    foreign = licensed_asset(client_b, name="Beta asset")
    beta = api(api_token(outsider, "write"))
    assert _post(beta, _event(foreign, 1)).status_code == 201  # the same event id in another client is another event
    return {"second": second, "foreign": foreign, "beta": beta}


def _ids(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_history_lists_the_callers_clients_events_newest_stored_first(history, integrator):
    response = integrator.get(URL)

    assert _ids(response) == ["evt-3", "evt-2", "evt-1"]
    row = response.json()["results"][0]
    assert row["client"] == "acme" and row["asset"] == history["second"].pk and row["source"] == "api"
    assert _ids(history["beta"].get(URL)) == ["evt-1"]
    assert history["beta"].get(URL).json()["results"][0]["client"] == "beta"


def test_history_per_asset_and_per_person(history, asset, integrator):
    assert _ids(integrator.get(URL, {"asset": asset.pk})) == ["evt-2", "evt-1"]
    assert _ids(integrator.get(URL, {"user_email": "ANA@acme.example"})) == ["evt-3", "evt-1"]
    assert _ids(integrator.get(URL, {"event": "share"})) == ["evt-2"]
    assert _ids(integrator.get(URL, {"client": "acme", "user_email": "bo@acme.example"})) == ["evt-2"]


def test_history_by_time_window(history, integrator):
    window = {"occurred_after": WHEN.isoformat(), "occurred_before": (WHEN + timedelta(days=1)).isoformat()}
    assert _ids(integrator.get(URL, window)) == ["evt-2"]
    assert _ids(integrator.get(URL, {"occurred_after": WHEN.isoformat()})) == ["evt-3", "evt-2"]


def test_history_of_another_clients_asset_or_client_is_refused(history, integrator):
    assert integrator.get(URL, {"asset": history["foreign"].pk}).status_code == 400
    assert integrator.get(URL, {"client": "beta"}).status_code == 400
    assert integrator.get(URL, {"event": "print"}).status_code == 400


def test_history_pages_with_a_cursor_in_a_fixed_number_of_queries(history, integrator, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        first = integrator.get(URL, {"page_size": 2})
    assert _ids(first) == ["evt-3", "evt-2"]
    following = first.json()["next"]
    assert "cursor=" in following
    assert _ids(integrator.get(following)) == ["evt-1"]
