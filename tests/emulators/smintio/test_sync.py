"""The CLAPI-C sync routes: generic metadata, the LPT change feed and its cursors, binaries, Pusher auth, previews."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from apps.emulators.smintio import contract, demo
from apps.emulators.smintio.models import ChangeLogEntry

from .helpers import API, LPTS, ROOT, TENANT, craft_lpt, sync_all

pytestmark = pytest.mark.django_db


def _binaries_url(lpt: dict) -> str:
    return (
        f"{API}/sync/cart-purchase-transactions/{lpt['cart_purchase_transaction_uuid']}"
        f"/license-purchase-transactions/{lpt['uuid']}/binaries"
    )


def test_generic_metadata_lists_the_15_vocabularies_localized(client, bearer):
    document = client.get(f"{API}/sync/generic-metadata", headers=bearer).json()
    assert set(document) == set(contract.GENERIC_METADATA)
    assert len(document) == 15
    geographies = document["license_geographies"]
    assert {"culture": "en", "metadata_element": {"key": "geography_germany_de", "name": "Germany"}} in geographies
    assert {entry["culture"] for entry in geographies} == {"en", "de"}
    assert {entry["metadata_element"]["key"] for entry in document["providers"]} >= {"getty", "bynder", "brandfolder"}


def test_cursor_paging_through_250_lpts_without_duplicates(client, tenant, bearer):
    demo.seed_library(tenant, count=250)
    entries = ChangeLogEntry.objects.filter(tenant=tenant).count()
    delivered, cursor = sync_all(client, bearer, limit=100)
    pairs = [(lpt["uuid"], lpt["version"]) for lpt in delivered]
    assert len(pairs) == len(set(pairs)) == entries
    assert len({lpt["uuid"] for lpt in delivered}) >= 250
    latest = client.get(LPTS, {"continuation_uuid": cursor, "limit": 100}, headers=bearer).json()
    assert latest == {"count": 0, "continuation_uuid": cursor, "license_purchase_transactions": []}


def test_first_page_shape_and_default_limit(client, tenant, bearer):
    demo.seed_library(tenant, count=20)
    page = client.get(LPTS, headers=bearer).json()
    assert page["count"] == 10
    lpt = page["license_purchase_transactions"][0]
    for field in (
        "uuid", "cart_purchase_transaction_uuid", "reused_license_purchase_transaction_uuid", "state",
        "project_uuid", "project_name", "collection_uuid", "collection_name", "licensee_uuid", "licensee_name",
        "purchased_at", "completed_at", "purchased_by_user_uuid", "purchased_by_user_name", "total_price_eur",
        "total_price_usd", "content_element", "offering", "license_text", "license_terms",
        "license_download_constraints", "current_downloads", "current_users", "current_reuses",
        "has_potentially_restrictive_license_terms", "can_be_synced", "version", "created_at", "last_updated_at",
    ):  # fmt: skip
        assert field in lpt, field
    assert lpt["created_at"].endswith("Z") and lpt["purchased_at"].endswith("Z")
    element = lpt["content_element"]
    assert element["previews"][0]["url"] == f"http://testserver{ROOT}/_previews/{element['uuid']}.svg"
    assert {"culture", "value"} == set(element["name"][0])
    assert "effective_text" in lpt["license_text"]


def test_camel_case_cursor_parameter_is_accepted(client, tenant, bearer):
    demo.seed_library(tenant, count=15)
    first = client.get(LPTS, {"limit": 5}, headers=bearer).json()
    snake = client.get(LPTS, {"limit": 5, "continuation_uuid": first["continuation_uuid"]}, headers=bearer).json()
    camel = client.get(LPTS, {"limit": 5, "continuationUuid": first["continuation_uuid"]}, headers=bearer).json()
    assert snake == camel
    assert snake["license_purchase_transactions"][0]["uuid"] != first["license_purchase_transactions"][0]["uuid"]


def test_empty_feed_still_returns_a_cursor(client, tenant, bearer):
    page = client.get(LPTS, headers=bearer).json()
    assert page["count"] == 0 and page["continuation_uuid"]


@pytest.mark.parametrize("limit", ["0", "101", "ten", "-1"])
def test_invalid_limit_is_400(client, tenant, bearer, limit):
    response = client.get(LPTS, {"limit": limit}, headers=bearer)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_limit"


@pytest.mark.parametrize("cursor", ["not-a-uuid", "6f1c2a9e-0000-4000-8000-000000000000"])
def test_unknown_cursor_is_400(client, tenant, bearer, cursor):
    response = client.get(LPTS, {"continuation_uuid": cursor}, headers=bearer)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_continuation_uuid"


def test_cancellation_reappears_with_a_higher_version(client, tenant, bearer, control):
    lpt = craft_lpt(control, content_element={"name": [{"culture": "en", "value": "Lake"}]})
    delivered, cursor = sync_all(client, bearer)
    assert [(item["uuid"], item["version"], item["state"]) for item in delivered] == [(lpt["uuid"], 1, "completed")]
    assert control(f"tenants/{TENANT}/lpts/{lpt['uuid']}/cancel").json()["state"] == "cancelled"
    later, _ = sync_all(client, bearer, cursor=cursor)
    assert [(item["uuid"], item["version"], item["state"]) for item in later] == [(lpt["uuid"], 2, "cancelled")]
    assert later[0]["last_updated_at"] >= delivered[0]["last_updated_at"]
    assert client.get(_binaries_url(lpt), headers=bearer).json() == []


def test_redelivery_repeats_the_same_version(client, tenant, bearer, control):
    lpt = craft_lpt(control)
    _, cursor = sync_all(client, bearer)
    assert control(f"tenants/{TENANT}/lpts/{lpt['uuid']}/redeliver").json()["version"] == 1
    again, _ = sync_all(client, bearer, cursor=cursor)
    assert [(item["uuid"], item["version"]) for item in again] == [(lpt["uuid"], 1)]


def test_changed_body_bumps_the_version_and_keeps_other_fields(client, tenant, bearer, control):
    lpt = craft_lpt(control, licensee_name="Northwind Outdoor", current_downloads=3)
    _, cursor = sync_all(client, bearer)
    term = {"allowed_geographies": ["geography_europe"], "valid_until": "2030-01-01T00:00:00Z"}
    response = control(f"tenants/{TENANT}/lpts/{lpt['uuid']}/bump", {"license_terms": [term]})
    assert response.json()["version"] == 2
    changed, _ = sync_all(client, bearer, cursor=cursor)
    assert changed[0]["version"] == 2
    assert changed[0]["license_terms"][0]["allowed_geographies"] == ["geography_europe"]
    assert changed[0]["license_terms"][0]["is_editorial_use"] is None
    assert changed[0]["licensee_name"] == "Northwind Outdoor" and changed[0]["current_downloads"] == 3


def test_usage_counters_and_binary_updates_are_changes(client, tenant, bearer, control):
    lpt = craft_lpt(control)
    _, cursor = sync_all(client, bearer)
    control(f"tenants/{TENANT}/lpts/{lpt['uuid']}/usage", {"current_downloads": 9})
    binary_uuid = lpt["binaries"][0]["uuid"]
    bumped = control(f"tenants/{TENANT}/lpts/{lpt['uuid']}/binaries/{binary_uuid}/bump").json()
    assert bumped == {"uuid": binary_uuid, "version": 2, "lpt_version": 3}
    changes, _ = sync_all(client, bearer, cursor=cursor)
    assert [item["version"] for item in changes] == [2, 3]
    assert changes[0]["current_downloads"] == 9
    assert client.get(_binaries_url(lpt), headers=bearer).json()[0]["version"] == 2


def test_crafted_lpt_gets_complete_defaults_with_null_booleans(tenant, control):
    lpt = craft_lpt(control, uuid="lpt-1", content_element={"uuid": "ce-1", "provider": "istock"})
    assert lpt["uuid"] == "lpt-1" and lpt["version"] == 1 and lpt["state"] == "completed"
    assert lpt["content_element"]["is_editorial_use"] is None
    assert lpt["license_terms"][0]["sequence_number"] == 1
    assert lpt["license_terms"][0]["is_editorial_use"] is None
    assert lpt["has_potentially_restrictive_license_terms"] is None
    assert len(lpt["binaries"]) == 1


def test_invalid_crafted_state_is_400(control, tenant):
    response = control(f"tenants/{TENANT}/lpts", {"state": "refunded"})
    assert response.status_code == 400


def test_compound_asset_lists_every_binary(client, tenant, bearer, control):
    lpt = craft_lpt(control, binaries=[{"name": [{"culture": "en", "value": "Master"}]}, {}, {}])
    binaries = client.get(_binaries_url(lpt), headers=bearer).json()
    assert len(binaries) == 3
    assert len({binary["uuid"] for binary in binaries}) == 3
    for binary in binaries:
        for field in ("content_type", "binary_type", "name", "description", "usage", "download_url",
                      "recommended_file_name", "culture", "version"):  # fmt: skip
            assert field in binary


def test_unsyncable_lpt_has_no_binaries(client, tenant, bearer, control):
    lpt = craft_lpt(control, can_be_synced=False)
    assert client.get(_binaries_url(lpt), headers=bearer).json() == []


def test_binaries_of_an_unknown_lpt_are_404(client, tenant, bearer, control):
    lpt = craft_lpt(control)
    response = client.get(_binaries_url({**lpt, "cart_purchase_transaction_uuid": "other"}), headers=bearer)
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_download_url_works_then_expires(client, tenant, bearer, control):
    control(f"tenants/{TENANT}/settings", {"download_url_lifetime": 2})
    lpt = craft_lpt(control, content_element={"name": [{"culture": "en", "value": "Alpine hut"}]})
    url = client.get(_binaries_url(lpt), headers=bearer).json()[0]["download_url"]
    assert url.startswith(f"http://testserver{ROOT}/_files/")
    download = client.get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "image/svg+xml"
    assert b"Alpine hut" in download.content
    assert download["Content-Disposition"].startswith("attachment;")
    time.sleep(3.1)
    expired = client.get(url)
    assert expired.status_code == 403
    assert expired.json()["error"] == "download_url_expired"


def test_forged_download_url_is_403(client, tenant):
    response = client.get(f"{ROOT}/_files/eyJiIjoxfQ:1abcde:forged")
    assert response.status_code == 403 and response.json()["error"] == "invalid_download_url"


def test_pusher_auth_signs_the_tenant_channel(client, tenant, bearer):
    url = f"{API}/notifications/pusher/auth"
    response = client.post(url, {"socket_id": "1234.5678", "channel_name": tenant.channel}, headers=bearer)
    assert response.status_code == 200
    key, signature = response.json()["auth"].split(":")
    expected = hmac.new(
        tenant.pusher_secret.encode(), f"1234.5678:{tenant.channel}".encode(), hashlib.sha256
    ).hexdigest()
    assert key == contract.PUSHER_APP_KEY and signature == expected
    assert tenant.channel.startswith("private-2-")
    other = client.post(url, {"socket_id": "1.2", "channel_name": "private-2-someone-else"}, headers=bearer)
    assert other.status_code == 403
    assert client.post(url, {"socket_id": "x", "channel_name": tenant.channel}, headers=bearer).status_code == 400
    assert client.post(url, {"socket_id": "1.2", "channel_name": tenant.channel}).status_code == 401


def test_preview_is_a_deterministic_svg(client, tenant, control):
    lpt = craft_lpt(control, content_element={"uuid": "ce-42", "name": [{"culture": "en", "value": "Fjord <at> dusk"}]})
    url = f"{ROOT}/_previews/{lpt['content_element']['uuid']}.svg"
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200
    assert first["Content-Type"] == "image/svg+xml"
    assert first.content == second.content
    assert b"Fjord &lt;at&gt; dusk" in first.content and b"style=" not in first.content
    assert client.get(f"{ROOT}/_previews/unknown.svg").status_code == 404


def test_api_routes_refuse_other_methods(client, bearer):
    response = client.post(LPTS, headers=bearer)
    assert response.status_code == 405 and response.json()["error"] == "method_not_allowed"
