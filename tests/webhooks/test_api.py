"""``/api/v1/webhooks/``: admin-scope tokens of a client's admins; other clients' endpoints are 404."""

from __future__ import annotations

import pytest

from apps.audit.models import AuditEvent
from apps.webhooks import services
from apps.webhooks.models import WebhookEndpoint

PUBLIC = "https://93.184.215.14/hook"


@pytest.fixture
def admin_api(api, api_token, agency_admin):
    return api(api_token(agency_admin, scope="admin"))


@pytest.fixture
def beta_endpoint(client_b, outsider):
    return services.create_endpoint(
        client=client_b, url=PUBLIC, event_types=["asset.approved"], actor=outsider
    ).endpoint


def test_create_returns_the_secret_once_and_list_does_not(admin_api, client_a, agency_admin):
    response = admin_api.post(
        "/api/v1/webhooks/",
        {"client": "acme", "url": PUBLIC, "event_types": ["asset.approved"], "description": "DAM"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_") and body["client"] == "acme"
    listed = admin_api.get("/api/v1/webhooks/").json()["results"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    assert AuditEvent.objects.filter(action="webhooks.endpoint.create", actor=agency_admin).exists()


def test_a_private_url_is_refused_naming_the_field(admin_api, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    response = admin_api.post(
        "/api/v1/webhooks/",
        {"client": "acme", "url": "http://127.0.0.1:5432/", "event_types": ["asset.approved"]},
        content_type="application/json",
    )
    assert response.status_code == 400, response.content
    assert "internal address" in response.json()["errors"]["url"][0]


def test_unknown_events_and_other_clients_are_refused(admin_api, client_b):
    bad_event = admin_api.post(
        "/api/v1/webhooks/",
        {"client": "acme", "url": PUBLIC, "event_types": ["task.assigned"]},
        content_type="application/json",
    )
    assert bad_event.status_code == 400 and "event_types" in bad_event.json()["errors"]
    other = admin_api.post(
        "/api/v1/webhooks/",
        {"client": "beta", "url": PUBLIC, "event_types": ["asset.approved"]},
        content_type="application/json",
    )
    assert other.status_code == 400 and "client" in other.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "rotate/"), ("post", "test/"), ("get", "deliveries/")],
)
def test_another_clients_endpoint_is_404(admin_api, beta_endpoint, method, suffix):
    response = getattr(admin_api, method)(
        f"/api/v1/webhooks/{beta_endpoint.pk}/{suffix}", {}, content_type="application/json"
    )
    assert response.status_code == 404
    assert WebhookEndpoint.objects.filter(pk=beta_endpoint.pk).exists()


@pytest.mark.parametrize("scope", ["read", "write"])
def test_tokens_below_admin_scope_are_refused(api, api_token, agency_admin, scope):
    response = api(api_token(agency_admin, scope=scope)).get("/api/v1/webhooks/")
    assert response.status_code == 403


def test_a_non_admin_member_sees_nothing(api, api_token, legal, client_a, agency_admin):
    services.create_endpoint(client=client_a, url=PUBLIC, event_types=["asset.approved"], actor=agency_admin)
    response = api(api_token(legal, scope="admin")).get("/api/v1/webhooks/")
    assert response.status_code == 200 and response.json()["results"] == []


def test_rotate_test_deliveries_disable_enable_update_delete(admin_api, client_a, agency_admin):
    endpoint = services.create_endpoint(
        client=client_a, url=PUBLIC, event_types=["asset.approved"], actor=agency_admin
    ).endpoint
    base = f"/api/v1/webhooks/{endpoint.pk}/"
    rotated = admin_api.post(f"{base}rotate/")
    assert rotated.status_code == 200 and rotated.json()["secret"].startswith("whsec_")
    queued = admin_api.post(f"{base}test/")
    assert queued.status_code == 202 and queued.json()["event_type"] == "webhook.test"
    log = admin_api.get(f"{base}deliveries/").json()["results"]
    assert [d["event_type"] for d in log] == ["webhook.test"] and log[0]["webhook_id"].startswith("msg_")
    changed = admin_api.patch(base, {"event_types": ["case.opened"]}, content_type="application/json")
    assert changed.status_code == 200 and changed.json()["event_types"] == ["case.opened"]
    assert (
        admin_api.post(f"{base}disable/", {"reason": "x"}, content_type="application/json").json()["is_active"] is False
    )
    assert admin_api.post(f"{base}test/").status_code == 400  # a disabled endpoint gets no test event
    assert admin_api.post(f"{base}enable/").json()["is_active"] is True
    assert admin_api.delete(base).status_code == 204
    assert not WebhookEndpoint.objects.exists()
