"""Token endpoint (platforms.md 2.3) and bearer checks on every workflow call."""

import base64
import json
import time

import pytest
from django.test import Client as HttpClient

from apps.emulators.opentext.auth import digest
from apps.emulators.opentext.models import OtToken

from .conftest import BASE, CLIENT_ID, CLIENT_SECRET, PASSWORD, TENANT, OtApi

TOKEN_URL = f"{BASE}tenants/{TENANT}/oauth2/token"


def _gateway_fault(response, errorcode: str) -> None:
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"fault"}
    assert body["fault"]["detail"]["errorcode"] == errorcode
    assert body["fault"]["faultstring"]


def test_client_credentials_token_from_form(seeded):
    response = HttpClient().post(
        TOKEN_URL, {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert "refresh_token" not in body


def test_client_credentials_token_from_json_body(seeded):
    body = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    response = HttpClient().post(TOKEN_URL, json.dumps(body), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_client_credentials_token_from_http_basic(seeded):
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    response = HttpClient().post(
        TOKEN_URL, {"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


def test_tokens_are_stored_hashed(seeded):
    token = OtApi(HttpClient()).login_service()
    assert not OtToken.objects.filter(token_hash=token).exists()
    assert OtToken.objects.filter(token_hash=digest(token)).exists()


def test_password_grant_returns_refresh_token_and_acts_as_the_user(seeded):
    api = OtApi(HttpClient())
    response = api.token(
        grant_type="password",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username="legal@acme.example",
        password=PASSWORD,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["refresh_token"]
    api.access_token = body["access_token"]
    started = api.start()
    assert started["startUserId"] == "legal@acme.example"


def test_refresh_token_grant_rotates(seeded):
    api = OtApi(HttpClient())
    first = api.token(
        grant_type="password",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username="legal@acme.example",
        password=PASSWORD,
    ).json()
    refresh = {"grant_type": "refresh_token", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    second = api.token(**refresh, refresh_token=first["refresh_token"])
    assert second.status_code == 200
    assert second.json()["refresh_token"] != first["refresh_token"]
    replay = api.token(**refresh, refresh_token=first["refresh_token"])
    assert replay.status_code == 401
    assert replay.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "form",
    [
        {"client_id": CLIENT_ID, "client_secret": "wrong"},
        {"client_id": "nobody", "client_secret": CLIENT_SECRET},
        {},
    ],
)
def test_bad_client_is_a_gateway_fault(seeded, form):
    response = HttpClient().post(TOKEN_URL, {"grant_type": "client_credentials", **form})
    _gateway_fault(response, "oauth.v2.InvalidApiKey")


def test_client_of_another_tenant_is_rejected(seeded):
    response = HttpClient().post(
        f"{BASE}tenants/other-tenant/oauth2/token",
        {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET},
    )
    _gateway_fault(response, "oauth.v2.InvalidApiKey")


@pytest.mark.parametrize(
    ("username", "password"),
    [("legal@acme.example", "wrong"), ("nobody@acme.example", PASSWORD)],
)
def test_bad_user_credentials_are_invalid_grant(seeded, username, password):
    response = OtApi(HttpClient()).token(
        grant_type="password", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username=username, password=password
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"]


def test_user_without_password_cannot_use_password_grant(seeded):
    HttpClient().post(
        f"{BASE}_emulator/tenants/{TENANT}/users",
        json.dumps({"email": "nopw@acme.example", "groups": ["legal"]}),
        content_type="application/json",
    )
    response = OtApi(HttpClient()).token(
        grant_type="password",
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        username="nopw@acme.example",
        password="",
    )
    assert response.status_code in (400, 401)
    assert response.json()["error"] in ("invalid_request", "invalid_grant")


def test_unsupported_grant_type(seeded):
    response = OtApi(HttpClient()).token(grant_type="implicit", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("path", ["workflow/v1/tasks", "workflow/v1/process-instances", "workflow/v1/runtime/models"])
def test_workflow_calls_without_token_are_401_faults(seeded, path):
    _gateway_fault(OtApi(HttpClient()).get(path, token=""), "oauth.v2.InvalidAccessToken")


def test_unknown_token_is_401_fault(seeded):
    _gateway_fault(
        OtApi(HttpClient()).get("workflow/v1/tasks", token="not-a-token"), "keymanagement.service.invalid_access_token"
    )


def test_token_expires_after_its_lifetime(seeded):
    api = OtApi(HttpClient())
    api.control(f"tenants/{TENANT}/settings", {"token_lifetime_seconds": 1})
    response = api.token(grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert response.json()["expires_in"] == 1
    api.access_token = response.json()["access_token"]
    assert api.get("workflow/v1/tasks").status_code == 200
    time.sleep(1.1)
    _gateway_fault(api.get("workflow/v1/tasks"), "keymanagement.service.access_token_expired")


def test_expire_route_ends_every_token_of_the_tenant(ot):
    assert ot.get("workflow/v1/tasks").status_code == 200
    response = ot.control(f"tenants/{TENANT}/tokens/expire")
    assert response.json()["expired"] >= 1
    _gateway_fault(ot.get("workflow/v1/tasks"), "keymanagement.service.access_token_expired")
    ot.login_service()
    assert ot.get("workflow/v1/tasks").status_code == 200


def test_token_scopes_data_to_its_tenant(ot, started):
    other = OtApi(HttpClient(), tenant="beta-tenant")
    other.control("tenants", {"tenant_id": "beta-tenant", "client_id": "beta-client", "client_secret": "beta-secret"})
    response = other.token(grant_type="client_credentials", client_id="beta-client", client_secret="beta-secret")
    other.access_token = response.json()["access_token"]
    assert other.tasks() == []
    assert other.get(f"workflow/v1/process-instances/{started['id']}").status_code == 404
    task_id = ot.tasks()[0]["id"]
    assert other.get(f"workflow/v1/tasks/{task_id}").status_code == 404
    assert other.act(task_id, {"action": "claim", "assignee": "x@beta.example"}).status_code == 404
