"""The demo library: deterministic, different per tenant, fast, and covering every case the portal's flows need."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.dateparse import parse_datetime

from apps.emulators.smintio import contract, demo
from apps.emulators.smintio.models import ChangeLogEntry, LicensePurchaseTransaction

from .helpers import AUTH, TENANT, sync_all

QUERY_BUDGET = 30  # 28 measured for 250 assets; a loop of single-row saves would be thousands

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
TERM_VOCABULARIES = {
    "exclusivities": contract.LICENSE_EXCLUSIVITIES,
    "allowed_usages": contract.LICENSE_USAGES,
    "restricted_usages": contract.LICENSE_USAGES,
    "allowed_sizes": contract.LICENSE_SIZES,
    "restricted_sizes": contract.LICENSE_SIZES,
    "allowed_placements": contract.LICENSE_PLACEMENTS,
    "restricted_placements": contract.LICENSE_PLACEMENTS,
    "allowed_distributions": contract.LICENSE_DISTRIBUTIONS,
    "restricted_distributions": contract.LICENSE_DISTRIBUTIONS,
    "allowed_geographies": contract.LICENSE_GEOGRAPHIES,
    "restricted_geographies": contract.LICENSE_GEOGRAPHIES,
    "allowed_industries": contract.LICENSE_INDUSTRIES,
    "restricted_industries": contract.LICENSE_INDUSTRIES,
    "allowed_languages": contract.LICENSE_LANGUAGES,
    "restricted_languages": contract.LICENSE_LANGUAGES,
    "usage_limits": contract.LICENSE_USAGE_LIMITS,
}


@pytest.fixture(scope="module")
def library() -> demo.Library:
    return demo.build_library("northwind", tenant_name="Northwind Outdoor", now=NOW)


def _when(value: str | None) -> dt.datetime | None:
    return parse_datetime(value) if value else None


def _densest(times: list[dt.datetime], window: dt.timedelta) -> int:
    """The most events of one list that fall inside any ``window``."""
    ordered = sorted(times)
    return max((sum(1 for t in ordered[i:] if t - start <= window) for i, start in enumerate(ordered)), default=0)


def _terms(asset: demo.PlannedAsset) -> list[dict]:
    return asset.lpt_data["license_terms"]


def test_same_inputs_give_the_same_library(library):
    assert demo.build_library("northwind", tenant_name="Northwind Outdoor", now=NOW) == library


def test_tenants_get_different_libraries(library):
    other = demo.build_library("contoso", tenant_name="Contoso Pharma", now=NOW)
    assert set(other.themes).isdisjoint(library.themes)
    names = {asset.element_data["name"][0]["value"] for asset in library.assets}
    other_names = {asset.element_data["name"][0]["value"] for asset in other.assets}
    assert len(names & other_names) < len(names) / 10
    assert demo.themes_for("fabrikam") == demo.themes_for("fabrikam")


def test_size_and_providers(library):
    elements = {asset.element_uuid for asset in library.assets}
    assert len(elements) >= 200
    providers = Counter(asset.provider for asset in library.assets)
    assert set(providers) == {"getty", "adobestock", "shutterstock", "istock", "bynder", "brandfolder"}


def test_every_special_case_is_present(library):
    counts = library.case_counts()
    assert set(counts) == set(demo.CASES)
    assets = library.assets
    soon = NOW + dt.timedelta(days=14, seconds=1)

    def expiring(asset):
        dates = [_when(t["valid_until"]) for t in _terms(asset)] + [_when(t["to_be_used_until"]) for t in _terms(asset)]
        return any(date and NOW + dt.timedelta(days=1) <= date <= soon for date in dates)

    assert any(expiring(a) for a in assets if "expiring_soon" in a.cases)
    assert all(all(_when(t["valid_until"]) < NOW for t in _terms(a)) for a in assets if "expired" in a.cases)
    assert any(all(t["valid_until"] is None for t in _terms(a)) for a in assets if "open_ended" in a.cases)
    assert all(a.cancelled_at and a.cancelled_at > a.purchased_at for a in assets if "cancelled" in a.cases)
    editorial = [a for a in assets if "editorial_only" in a.cases]
    assert editorial and all(t["is_editorial_use"] is True for a in editorial for t in _terms(a))
    unknown = [a for a in assets if "editorial_unknown" in a.cases]
    assert unknown and all(a.element_data["is_editorial_use"] is None for a in unknown)
    assert all(t["is_editorial_use"] is None for a in unknown for t in _terms(a))
    for asset in (a for a in assets if "download_limit" in a.cases):
        limit = asset.lpt_data["license_download_constraints"]["effective_max_downloads"]
        assert 0.8 <= asset.lpt_data["current_downloads"] / limit <= 1.0
    missing = [a for a in assets if "missing_metadata" in a.cases]
    assert missing and all(not a.element_data["keywords"] and not a.element_data["copyright_notices"] for a in missing)
    unsyncable = [a for a in assets if "not_syncable" in a.cases]
    assert unsyncable and all(a.lpt_data["can_be_synced"] is False and not a.binaries for a in unsyncable)
    released = [a for a in assets if "releases" in a.cases]
    assert {a.element_data["release_details"]["model_release_state"] for a in released} >= {
        "release_state_released",
        "release_state_not_released",
    }
    assert all(2 <= len(a.binaries) <= 3 for a in assets if "compound" in a.cases)
    assert all(a.provider in contract.DAM_PROVIDERS for a in assets if "dam" in a.cases)
    lpt_uuids = {a.lpt_uuid for a in assets}
    reuses = [a for a in assets if "reuse" in a.cases]
    assert reuses and all(a.lpt_data["reused_license_purchase_transaction_uuid"] in lpt_uuids for a in reuses)


def test_every_key_used_is_in_the_generic_metadata(library):
    for asset in library.assets:
        assert asset.provider in contract.PROVIDERS
        assert asset.element_data["content_type"] in contract.CONTENT_TYPES
        assert asset.element_data["content_category"] in contract.CONTENT_CATEGORIES
        assert asset.lpt_data["offering"]["license_type"] in contract.LICENSE_TYPES
        release = asset.element_data["release_details"]
        if release:
            assert release["model_release_state"] in contract.RELEASE_STATES
            assert release["property_release_state"] in contract.RELEASE_STATES
        for _, data in asset.binaries:
            assert data["binary_type"] in contract.BINARY_TYPES
        for term in _terms(asset):
            for field, vocabulary in TERM_VOCABULARIES.items():
                assert set(term[field]) <= set(vocabulary), (field, term[field])


def test_geography_keys_carry_iso_codes():
    countries = {key: contract.country_of(key) for key in contract.LICENSE_GEOGRAPHIES}
    assert countries["geography_germany_de"] == "DE"
    assert countries["geography_united_kingdom_gb"] == "GB"
    assert countries["geography_europe"] is None and countries["geography_dach"] is None
    regions = [key for key, code in countries.items() if code is None]
    assert set(regions) == set(contract.REGION_COUNTRIES)
    assert all(len(code) == 2 for code in countries.values() if code)


def test_usage_events_include_a_burst_and_use_after_expiry(library):
    events = library.usage_events
    assert len({event.user_email for event in events}) >= 5
    assert len({event.country for event in events}) >= 5
    assert len({event.channel for event in events}) >= 4
    by_user = defaultdict(list)
    for event in events:
        by_user[event.user_email].append(event.occurred_at)
    burst = sorted(by_user["external@northwind.example"])
    assert len(burst) >= 30 and burst[-1] - burst[0] <= dt.timedelta(minutes=30)
    others = [times for email, times in by_user.items() if email != "external@northwind.example"]
    assert max(_densest(times, dt.timedelta(minutes=30)) for times in others) < 10
    expired = {a.lpt_uuid: a for a in library.assets if "expired" in a.cases}
    assert any(
        event.lpt_uuid in expired
        and all(event.occurred_at > _when(t["valid_until"]) for t in _terms(expired[event.lpt_uuid]))
        for event in events
    )
    assert all(event.occurred_at <= NOW for event in events)


def test_seeding_250_assets_is_fast_idempotent_and_syncable(client, tenant, token_pair):
    # Fast by construction, not by the clock (a loaded machine would fail a timer): bulk inserts, so the number of
    # queries does not grow with the library.
    with CaptureQueriesContext(connection) as queries:
        summary = demo.seed_library(tenant, count=250)
    assert len(queries) <= QUERY_BUDGET, len(queries)
    assert summary.created and summary.content_elements == 250
    assert summary.log_entries == summary.lpts + summary.cases["cancelled"]
    again = demo.seed_library(tenant, count=250)
    assert not again.created and again.lpts == summary.lpts
    cancelled = LicensePurchaseTransaction.objects.filter(tenant=tenant, state="cancelled")
    assert cancelled.count() == summary.cases["cancelled"]
    assert all(lpt.version == 2 for lpt in cancelled)
    bearer = {"Authorization": f"Bearer {token_pair()['access_token']}"}
    delivered, _ = sync_all(client, bearer)
    assert len(delivered) == ChangeLogEntry.objects.filter(tenant=tenant).count()
    states = {(lpt["uuid"], lpt["version"]): lpt["state"] for lpt in delivered}
    assert {states[(lpt.uuid, 1)] for lpt in cancelled} == {"completed"}
    assert {states[(lpt.uuid, 2)] for lpt in cancelled} == {"cancelled"}


def test_replace_starts_over(tenant):
    demo.seed_library(tenant, count=30)
    summary = demo.seed_library(tenant, count=40, replace=True)
    assert summary.created and summary.content_elements == 40


def test_bootstrap_gives_a_working_refresh_token(client):
    boot = demo.bootstrap(TENANT, name="Northwind Outdoor", count=210)
    assert boot.summary.content_elements == 210
    response = client.post(
        f"{AUTH}/connect/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": boot.refresh_token,
            "client_id": boot.client.client_id,
            "client_secret": boot.client.client_secret,
        },
    )
    assert response.status_code == 200


def test_seed_control_route(tenant, control):
    first = control(f"tenants/{TENANT}/seed", {"count": 25})
    assert first.status_code == 201 and first.json()["content_elements"] == 25
    assert control(f"tenants/{TENANT}/seed", {"count": 25}).status_code == 200
    assert control(f"tenants/{TENANT}/seed", {"count": 0}).status_code == 400
