"""Write-backs and usage feed of platforms.md 5.1: idempotent workflow status and metadata, usage events cursor."""

from __future__ import annotations

import json

import pytest

from apps.emulators.core.models import RequestLog
from apps.emulators.smintio.models import WorkflowStatusRecord

from .helpers import API, LPTS, TENANT, craft_lpt, sync_all

pytestmark = pytest.mark.django_db

DECISION = {
    "status": "approved",
    "reason": None,
    "decided_at": "2025-03-01T10:00:00Z",
    "decided_by": "legal@northwind.example",
    "workflow_reference": "asset-approval:42",
    "restrictions": None,
}


@pytest.fixture
def element_uuid(tenant, control) -> str:
    return craft_lpt(control, content_element={"uuid": "ce-approve"})["content_element"]["uuid"]


def _put(client, bearer, element_uuid: str, body: dict, key: str | None = "key-1"):
    headers = dict(bearer)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.put(
        f"{API}/content-elements/{element_uuid}/workflow-status",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def _patch(client, bearer, element_uuid: str, body: dict, key: str = "meta-1"):
    return client.patch(
        f"{API}/content-elements/{element_uuid}/metadata",
        json.dumps(body),
        content_type="application/json",
        headers={**bearer, "Idempotency-Key": key},
    )


def test_workflow_status_is_recorded_with_a_version(client, bearer, element_uuid, control):
    response = _put(client, bearer, element_uuid, DECISION)
    assert response.status_code == 200
    body = response.json()
    assert body["content_element_uuid"] == element_uuid
    assert body["status"] == "approved" and body["version"] == 1 and body["updated_at"].endswith("Z")
    second = _put(client, bearer, element_uuid, {**DECISION, "status": "withdrawn", "reason": "Expired"}, key="key-2")
    assert second.json()["version"] == 2
    history = control(f"tenants/{TENANT}/content-elements/{element_uuid}/workflow-status", method="get").json()
    assert [(item["version"], item["status"], item["reason"]) for item in history["workflow_statuses"]] == [
        (1, "approved", None),
        (2, "withdrawn", "Expired"),
    ]
    assert history["workflow_statuses"][0]["workflow_reference"] == "asset-approval:42"


def test_replaying_a_key_returns_the_first_answer_and_no_new_version(client, bearer, element_uuid):
    first = _put(client, bearer, element_uuid, DECISION)
    replay = _put(client, bearer, element_uuid, dict(reversed(list(DECISION.items()))))
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay["Idempotent-Replayed"] == "true"
    assert WorkflowStatusRecord.objects.count() == 1
    assert RequestLog.objects.filter(idempotency_key="key-1").count() == 2


def test_same_key_with_another_body_is_422(client, bearer, element_uuid):
    _put(client, bearer, element_uuid, DECISION)
    response = _put(client, bearer, element_uuid, {**DECISION, "status": "rejected", "reason": "Off brand"})
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert WorkflowStatusRecord.objects.count() == 1


def test_missing_idempotency_key_is_400(client, bearer, element_uuid):
    response = _put(client, bearer, element_uuid, DECISION, key=None)
    assert response.status_code == 400
    assert response.json()["error"] == "missing_idempotency_key"


def test_unknown_element_is_404_and_the_key_stays_usable(client, bearer, element_uuid):
    missing = _put(client, bearer, "no-such-element", DECISION, key="key-x")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert _put(client, bearer, element_uuid, DECISION, key="key-x").status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"status": "maybe"},
        {"decided_at": "yesterday"},
        {"decided_by": "not-an-email"},
        {"workflow_reference": None},
        {"restrictions": {"geographies": "DE"}},
        {"restrictions": {"colour": ["red"]}},
        {"surprise": True},
    ],
)
def test_invalid_workflow_status_is_400_and_stores_nothing(client, bearer, element_uuid, change):
    response = _put(client, bearer, element_uuid, {**DECISION, **change})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert WorkflowStatusRecord.objects.count() == 0


def test_restrictions_are_kept(client, bearer, element_uuid, control):
    restrictions = {
        "geographies": ["geography_germany_de"],
        "usages": ["usage_web"],
        "valid_until": "2026-01-01T00:00:00+00:00",
    }
    _put(client, bearer, element_uuid, {**DECISION, "status": "restricted", "restrictions": restrictions})
    history = control(f"tenants/{TENANT}/content-elements/{element_uuid}/workflow-status", method="get").json()
    assert history["workflow_statuses"][0]["restrictions"] == {**restrictions, "valid_until": "2026-01-01T00:00:00Z"}


def test_write_backs_do_not_reappear_in_the_change_feed(client, bearer, element_uuid):
    _, cursor = sync_all(client, bearer)
    _put(client, bearer, element_uuid, DECISION)
    _patch(client, bearer, element_uuid, {"usage_rules": [{"culture": "en", "value": "Web only"}]})
    assert client.get(LPTS, {"continuation_uuid": cursor}, headers=bearer).json()["count"] == 0


def test_metadata_patch_merges_and_versions(client, bearer, element_uuid, control):
    body = {
        "keywords": [
            {"culture": "en", "metadata_element": {"key": "lake", "name": "lake"}},
            {"culture": "en", "value": "alps"},
        ],
        "usage_rules": [{"culture": "en", "value": "Web and social only"}],
        "access": {"groups": ["marketing-emea"], "visibility": "restricted"},
    }
    response = _patch(client, bearer, element_uuid, body)
    assert response.status_code == 200
    document = response.json()
    assert document["version"] == 2
    assert document["keywords"][1] == {"culture": "en", "metadata_element": {"key": "alps", "name": "alps"}}
    assert document["access"] == {"groups": ["marketing-emea"], "visibility": "restricted"}
    replay = _patch(client, bearer, element_uuid, body)
    assert replay.json() == document
    renamed = _patch(client, bearer, element_uuid, {"name": [{"culture": "en", "value": "Lake"}]}, key="meta-2")
    assert renamed.json()["version"] == 3 and renamed.json()["access"]["visibility"] == "restricted"
    updates = control(f"tenants/{TENANT}/content-elements/{element_uuid}/metadata-updates", method="get").json()
    assert [update["version"] for update in updates["updates"]] == [2, 3]
    assert updates["metadata"]["name"] == [{"culture": "en", "value": "Lake"}]


@pytest.mark.parametrize(
    "body",
    [{}, {"owner": "me"}, {"access": {"visibility": "secret"}}, {"name": "Lake"}, {"keywords": [{"value": "x"}]}],
)
def test_invalid_metadata_patch_is_400(client, bearer, element_uuid, body):
    assert _patch(client, bearer, element_uuid, body).status_code == 400


def test_metadata_patch_needs_a_key_and_a_known_element(client, bearer, element_uuid):
    url = f"{API}/content-elements/{element_uuid}/metadata"
    no_key = client.patch(url, json.dumps({"name": []}), content_type="application/json", headers=bearer)
    assert no_key.status_code == 400
    assert _patch(client, bearer, "nope", {"name": []}).status_code == 404


def test_usage_events_page_by_cursor(client, tenant, bearer, control, element_uuid):
    events = [
        {"content_element_uuid": element_uuid, "user_email": f"user{n}@northwind.example", "country": "de",
         "channel": "web", "occurred_at": f"2025-03-0{n}T10:00:00Z"}
        for n in range(1, 6)
    ]  # fmt: skip
    created = control(f"tenants/{TENANT}/usage-events", {"events": events})
    assert created.status_code == 201
    url = f"{API}/sync/usage-events"
    first = client.get(url, {"limit": 3}, headers=bearer).json()
    assert first["count"] == 3
    event = first["usage_events"][0]
    assert set(event) == {
        "uuid", "content_element_uuid", "license_purchase_transaction_uuid", "event", "user_uuid", "user_email",
        "occurred_at", "country", "channel",
    }  # fmt: skip
    assert event["country"] == "DE" and event["event"] == "download" and event["occurred_at"] == "2025-03-01T10:00:00Z"
    rest = client.get(url, {"limit": 3, "continuation_uuid": first["continuation_uuid"]}, headers=bearer).json()
    assert rest["count"] == 2
    done = client.get(url, {"continuationUuid": rest["continuation_uuid"]}, headers=bearer).json()
    assert done["count"] == 0 and done["continuation_uuid"] == rest["continuation_uuid"]
    control(f"tenants/{TENANT}/usage-events", {"events": [{**events[0], "event": "share", "country": None}]})
    later = client.get(url, {"continuation_uuid": done["continuation_uuid"]}, headers=bearer).json()
    assert [(item["event"], item["country"]) for item in later["usage_events"]] == [("share", None)]


def test_lpt_cursor_is_not_a_usage_cursor(client, tenant, bearer):
    lpt_cursor = client.get(LPTS, headers=bearer).json()["continuation_uuid"]
    response = client.get(f"{API}/sync/usage-events", {"continuation_uuid": lpt_cursor}, headers=bearer)
    assert response.status_code == 400


def test_usage_event_for_an_unknown_element_is_404(control, tenant):
    response = control(
        f"tenants/{TENANT}/usage-events", {"events": [{"content_element_uuid": "x", "user_email": "a@b.c"}]}
    )
    assert response.status_code == 404
