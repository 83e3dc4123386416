"""``GET /api/v1/assets/{id}/rights/``: an intended use checked against an asset's licences over HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.assets.choices import LicenseState
from apps.assets.models import LicensePurchase, LicenseTerm
from apps.clients.models import SmintioConnection
from tests.reviews.factories import licensed_asset

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def legal_api(legal, api_token, api):
    return api(api_token(legal, "read"))


def _url(asset) -> str:
    return f"/api/v1/assets/{asset.pk}/rights/"


def _in_days(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def test_a_covered_use_is_allowed_with_the_use_echoed(client_a, legal_api):
    asset = licensed_asset(client_a, name="Alpine hero", geographies=("geography_europe",))
    response = legal_api.get(_url(asset), {"countries": "de,FR", "usage": "web", "date": _in_days(30)})
    assert response.status_code == 200, response.content
    lpt = asset.license_purchases.get()
    assert response.json() == {
        "asset": {
            "id": asset.pk,
            "client": "acme",
            "content_element_uuid": asset.content_element_uuid,
            "name": "Alpine hero",
        },
        "use": {"countries": ["DE", "FR"], "usages": ["usage_web"], "date": _in_days(30)},
        "status": "allowed",
        "reasons": [],
        "licences": [{"uuid": lpt.uuid, "status": "allowed", "reasons": []}],
    }


def test_usage_takes_the_short_form_the_smintio_key_and_several_at_once(client_a, legal_api):
    asset = licensed_asset(client_a)
    short = legal_api.get(_url(asset), {"usage": "web"}).json()
    key = legal_api.get(_url(asset), {"usage": "usage_web"}).json()
    assert short["use"]["usages"] == key["use"]["usages"] == ["usage_web"]
    assert short["status"] == key["status"] == "allowed"
    several = legal_api.get(_url(asset), {"usage": "web, print,social-media"}).json()
    assert several["use"]["usages"] == ["usage_print", "usage_social_media", "usage_web"]
    assert several["status"] == "forbidden"
    assert several["reasons"] == ["Not licensed for: Print, Social media."]


def test_a_use_after_the_licence_lapses_is_forbidden_with_its_reason(client_a, legal_api):
    asset = licensed_asset(client_a, valid_days=10)
    body = legal_api.get(_url(asset), {"countries": "DE", "usage": "web", "date": _in_days(11)}).json()
    assert body["status"] == "forbidden"
    assert len(body["reasons"]) == 1 and body["reasons"][0].startswith("Was valid until ")
    assert body["licences"][0]["status"] == "forbidden"


def test_a_nearly_used_up_licence_is_restricted_at_the_clients_threshold(client_a, legal_api):
    client_a.usage_threshold_percent = 80
    client_a.save(update_fields=["usage_threshold_percent"])
    asset = licensed_asset(client_a)
    LicensePurchase.objects.filter(asset=asset).update(max_downloads=10, current_downloads=9)
    body = legal_api.get(_url(asset), {"usage": "web"}).json()
    assert (body["status"], body["reasons"]) == ("restricted", ["90% of the 10 licensed downloads used."])


def test_each_licence_has_its_verdict_and_the_best_one_wins(client_a, legal_api):
    asset = licensed_asset(client_a, geographies=("geography_dach",))
    cancelled = LicensePurchase.objects.create(
        client=client_a, asset=asset, uuid="lpt-cancelled", state=LicenseState.CANCELLED, version=2
    )
    LicenseTerm.objects.create(
        license_purchase=cancelled, sequence_number=1, allowed_geographies=["geography_worldwide"]
    )
    dach = legal_api.get(_url(asset), {"countries": "AT"}).json()
    assert dach["status"] == "allowed" and dach["reasons"] == []
    by_uuid = {row["uuid"]: row for row in dach["licences"]}
    assert by_uuid["lpt-cancelled"] == {
        "uuid": "lpt-cancelled",
        "status": "forbidden",
        "reasons": ["The licence was cancelled."],
    }
    us = legal_api.get(_url(asset), {"countries": "US"}).json()
    assert us["status"] == "forbidden"
    assert us["reasons"] == ["The licence was cancelled.", "Not licensed in 1 of the 1 intended countries: US."]


def test_advertising_without_release_data_is_unknown_never_allowed(client_a, legal_api):
    asset = licensed_asset(client_a, usages=("usage_advertising",))
    body = legal_api.get(_url(asset), {"usage": "advertising"}).json()
    assert body["status"] == "unknown"
    assert body["reasons"] == ["No release information is on record (needed for: Advertising)."]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"countries": "DE,XX,DEU"}, "countries", "Not ISO-3166 alpha-2 country codes: DEU, XX."),
        ({"usage": "web,telepathy"}, "usage", "Unknown usage: telepathy."),
        ({"date": "01.03.2027"}, "date", "Date has wrong format."),
        ({"date": "2027-02-30"}, "date", "Date has wrong format."),
    ],
)
def test_a_malformed_query_is_a_problem_document(client_a, legal_api, query, field, message):
    response = legal_api.get(_url(licensed_asset(client_a)), query)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["type"] == "urn:greenlight:problem:validation-error"
    assert list(body["errors"]) == [field]
    assert body["errors"][field][0].startswith(message)


def test_another_clients_asset_is_not_found(client_a, outsider, api_token, api):
    asset = licensed_asset(client_a)
    response = api(api_token(outsider, "read")).get(_url(asset), {"countries": "DE"})
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert asset.name not in response.content.decode()


def test_an_unknown_asset_is_not_found_even_with_a_bad_query(legal_api):
    assert legal_api.get("/api/v1/assets/999999/rights/", {"countries": "XX"}).status_code == 404


def test_anonymous_callers_are_refused(client_a, client):
    response = client.get(_url(licensed_asset(client_a)))
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_the_check_is_a_read_and_refuses_post(client_a, legal, api_token, api):
    response = api(api_token(legal, "write")).post(_url(licensed_asset(client_a)))
    assert response.status_code == 405


def test_the_queries_do_not_grow_with_licences_and_terms(client_a, legal_api, django_assert_max_num_queries):
    asset = licensed_asset(client_a)
    for n in range(5):
        lpt = LicensePurchase.objects.create(
            client=client_a, asset=asset, uuid=f"extra-{n}", state=LicenseState.COMPLETED, version=1
        )
        for seq in range(1, 4):
            LicenseTerm.objects.create(license_purchase=lpt, sequence_number=seq, allowed_usages=["usage_web"])
    with django_assert_max_num_queries(12):
        response = legal_api.get(_url(asset), {"countries": "DE", "usage": "web"})
    assert response.status_code == 200
    assert len(response.json()["licences"]) == 6


def test_the_check_reads_keys_with_the_clients_smintio_vocabulary(client_a, legal_api):
    SmintioConnection.objects.create(
        client=client_a,
        tenant="acme",
        generic_metadata={
            "license_geographies": [
                {"culture": "de", "metadata_element": {"key": "geography_mena_gcc", "name": "Golfstaaten"}},
                {"culture": "en", "metadata_element": {"key": "geography_mena_gcc", "name": "Gulf states"}},
            ],
            "license_usages": [
                {"culture": "en", "metadata_element": {"key": "usage_merchandise", "name": "Merchandise"}},
            ],
        },
    )
    asset = licensed_asset(client_a, geographies=("geography_mena_gcc", "geography_dach"))
    body = legal_api.get(_url(asset), {"countries": "AE,DE", "usage": "web,merchandise"}).json()
    assert body["use"]["usages"] == ["usage_merchandise", "usage_web"]  # a usage only the metadata knows
    assert body["status"] == "forbidden"
    assert body["reasons"] == [
        "Not licensed for: Merchandise.",
        "Whether the licence covers AE is unknown: it names territories that cannot be read: "
        "Gulf states (geography_mena_gcc).",
    ]
    unknown = legal_api.get(_url(asset), {"usage": "telepathy"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"]["usage"][0].startswith("Unknown usage: telepathy. Known: web, print, ")
    assert unknown.json()["errors"]["usage"][0].endswith(", merchandise.")
