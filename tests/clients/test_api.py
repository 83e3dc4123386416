import pytest

from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_api_policy_update_uses_the_same_rules_as_the_form(client_a, agency_admin, api_token, api):
    http = api(api_token(agency_admin, "admin"))
    bad = http.patch(
        "/api/v1/clients/acme/",
        {"escalation_contacts": ["nope"], "sla_hours": {"approval": 0, "teleport": 3}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    body = bad.json()
    assert body["type"] == "urn:greenlight:problem:validation-error"
    assert bad["Content-Type"] == "application/problem+json"
    assert "escalation_contacts" in body["errors"] and "sla_hours" in body["errors"]
    good = http.patch(
        "/api/v1/clients/acme/",
        {"sla_hours": {"approval": 12}, "reason": "faster approvals"},
        content_type="application/json",
    )
    assert good.status_code == 200
    assert good.json()["effective_sla_hours"]["approval"] == 12
    assert AuditEvent.objects.get(action="clients.client.update_policies").reason == "faster approvals"


def test_a_session_member_without_the_admin_role_cannot_patch(client_a, legal, login):
    response = login(legal).patch("/api/v1/clients/acme/", {"rights_warning_days": 3}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["status"] == 403


def test_api_session_writes_need_csrf(client_a, agency_admin, login):
    browser = login(agency_admin, enforce_csrf_checks=True)
    response = browser.patch("/api/v1/clients/acme/", {"rights_warning_days": 3}, content_type="application/json")
    assert response.status_code == 403
    client_a.refresh_from_db()
    assert client_a.rights_warning_days == 30


def test_client_list_is_cursor_paginated(client_a, agency_admin, api_token, api):
    body = api(api_token(agency_admin)).get("/api/v1/clients/").json()
    assert set(body) == {"next", "previous", "results"}
    assert body["results"][0]["slug"] == "acme"
