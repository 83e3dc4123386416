"""The emulator's OIDC server and bearer checks (platforms.md 1.3): codes, rotation, expiry, revocation, tenants."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from apps.emulators.smintio import oauth, services
from apps.emulators.smintio.models import Token

from .helpers import API, AUTH, REDIRECT_URI, ROOT

pytestmark = pytest.mark.django_db

METADATA = f"{API}/sync/generic-metadata"


def _consent_page(client, oauth_client, **overrides):
    params = {
        "response_type": "code",
        "client_id": oauth_client.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "smintio.full openid profile offline_access",
        "state": "st-123",
    }
    return client.get(f"{AUTH}/connect/authorize", {**params, **overrides})


def _consent_field(page: str) -> str:
    return page.split('name="consent" value="')[1].split('"')[0]


def _authorize(client, oauth_client, decision: str = "allow"):
    page = _consent_page(client, oauth_client)
    assert page.status_code == 200
    return client.post(
        f"{AUTH}/connect/authorize", {"consent": _consent_field(page.content.decode()), "decision": decision}
    )


def _token(client, oauth_client, **data):
    body = {"client_id": oauth_client.client_id, "client_secret": oauth_client.client_secret, **data}
    return client.post(f"{AUTH}/connect/token", body)


def _decode(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def test_discovery_names_the_tenant_endpoints(client, tenant):
    document = client.get(f"{AUTH}/.well-known/openid-configuration").json()
    assert document["issuer"] == f"http://testserver{AUTH}"
    assert document["authorization_endpoint"] == f"http://testserver{AUTH}/connect/authorize"
    assert document["token_endpoint"] == f"http://testserver{AUTH}/connect/token"
    assert document["revocation_endpoint"] == f"http://testserver{AUTH}/connect/revocation"
    assert "client_credentials" not in document["grant_types_supported"]


def test_unknown_tenant_is_404(client, tenant):
    response = client.get(f"{ROOT}/nobody/auth/.well-known/openid-configuration")
    assert response.status_code == 404
    assert response.json()["error"] == "tenant_not_found"


def test_consent_page_works_without_script_or_inline_style(client, oauth_client):
    response = _consent_page(client, oauth_client)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Greenlight" in page and "smintio.full" in page and "Northwind Outdoor" in page
    assert "<script" not in page and "style=" not in page and "<style" not in page
    assert '<form method="post"' in page and 'value="allow"' in page
    csp = response["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:8000" in csp
    assert "unsafe-inline" not in csp


def test_authorization_code_flow_yields_working_tokens(client, oauth_client):
    response = _authorize(client, oauth_client)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]

    tokens = _token(
        client, oauth_client, grant_type="authorization_code", code=query["code"][0], redirect_uri=REDIRECT_URI
    )
    assert tokens.status_code == 200
    body = tokens.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "id_token", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert tokens["Cache-Control"] == "no-store"
    header = {"Authorization": f"Bearer {body['access_token']}"}
    assert client.get(METADATA, headers=header).status_code == 200

    head, payload, signature = body["id_token"].split(".")
    claims = _decode(payload)
    assert _decode(head)["alg"] == "HS256"
    assert claims["aud"] == oauth_client.client_id and claims["iss"] == f"http://testserver{AUTH}"
    expected = hmac.new(oauth_client.client_secret.encode(), f"{head}.{payload}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(expected).rstrip(b"=").decode() == signature


def test_tokens_are_stored_as_digests_only(client, oauth_client, token_pair):
    pair = token_pair()
    stored = set(Token.objects.values_list("token_hash", flat=True))
    assert pair["access_token"] not in stored and pair["refresh_token"] not in stored
    assert hashlib.sha256(pair["access_token"].encode()).hexdigest() in stored


def test_a_code_works_once_and_its_replay_revokes_what_it_issued(client, oauth_client):
    code = parse_qs(urlsplit(_authorize(client, oauth_client)["Location"]).query)["code"][0]
    first = _token(client, oauth_client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    again = _token(client, oauth_client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    header = {"Authorization": f"Bearer {first.json()['access_token']}"}
    assert client.get(METADATA, headers=header).status_code == 403


def test_code_with_another_redirect_uri_is_refused(client, oauth_client):
    code = parse_qs(urlsplit(_authorize(client, oauth_client)["Location"]).query)["code"][0]
    response = _token(
        client, oauth_client, grant_type="authorization_code", code=code, redirect_uri="http://127.0.0.1:8000/x/"
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_deny_redirects_with_access_denied(client, oauth_client):
    response = _authorize(client, oauth_client, decision="deny")
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {"error": ["access_denied"], "state": ["st-123"]}


def test_unregistered_redirect_uri_is_shown_not_followed(client, oauth_client):
    response = _consent_page(client, oauth_client, redirect_uri="https://evil.example/cb")
    assert response.status_code == 400
    assert "not registered" in response.content.decode()


def test_unknown_scope_redirects_with_invalid_scope(client, oauth_client):
    response = _consent_page(client, oauth_client, scope="smintio.full admin")
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_scope"]


def test_tampered_consent_form_is_refused(client, oauth_client):
    response = client.post(f"{AUTH}/connect/authorize", {"consent": "forged", "decision": "allow"})
    assert response.status_code == 400


def test_refresh_rotates_and_the_old_refresh_token_is_refused(client, oauth_client, token_pair):
    first = token_pair()
    second = token_pair(first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    reuse = _token(client, oauth_client, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    assert token_pair(second["refresh_token"])["access_token"]


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "a", "password": "b"}, 400, "unsupported_grant_type"),
        ({}, 400, "invalid_request"),
        ({"grant_type": "refresh_token"}, 400, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "nope"}, 400, "invalid_grant"),
        ({"grant_type": "authorization_code", "code": "nope", "redirect_uri": REDIRECT_URI}, 400, "invalid_grant"),
        ({"grant_type": "refresh_token", "refresh_token": "x", "client_secret": "wrong"}, 401, "invalid_client"),
    ],
)
def test_token_errors_follow_rfc_6749(client, oauth_client, data, status, error):
    response = _token(client, oauth_client, **data)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["error_description"]


def test_client_may_authenticate_with_http_basic(client, oauth_client):
    credentials = base64.b64encode(f"{oauth_client.client_id}:{oauth_client.client_secret}".encode()).decode()
    response = client.post(
        f"{AUTH}/connect/token",
        {"grant_type": "refresh_token", "refresh_token": oauth.issue_refresh_token(oauth_client)},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 200


def test_missing_and_unknown_bearer_tokens_are_401(client, tenant):
    missing = client.get(METADATA)
    assert missing.status_code == 401
    assert missing.json()["error"] == "unauthorized" and missing.json()["message"]
    assert missing["WWW-Authenticate"].startswith("Bearer")
    unknown = client.get(METADATA, headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_token"


def test_access_token_expires_after_the_tenant_lifetime(client, tenant, token_pair, control):
    control("tenants/northwind/settings", {"access_token_lifetime": 1})
    pair = token_pair()
    assert pair["expires_in"] == 1
    header = {"Authorization": f"Bearer {pair['access_token']}"}
    assert client.get(METADATA, headers=header).status_code == 200
    time.sleep(1.2)
    response = client.get(METADATA, headers=header)
    assert response.status_code == 401 and response.json()["error"] == "token_expired"
    assert token_pair(pair["refresh_token"])["access_token"]


def test_control_route_expires_access_and_optionally_refresh_tokens(client, oauth_client, token_pair, control):
    pair = token_pair()
    header = {"Authorization": f"Bearer {pair['access_token']}"}
    assert control("tenants/northwind/tokens/expire").json()["expired"] == 1
    assert client.get(METADATA, headers=header).status_code == 401
    fresh = token_pair(pair["refresh_token"])
    control("tenants/northwind/tokens/expire", {"refresh": True})
    response = _token(client, oauth_client, grant_type="refresh_token", refresh_token=fresh["refresh_token"])
    assert response.json()["error"] == "invalid_grant"


def test_revoked_access_token_is_403(client, oauth_client, token_pair):
    pair = token_pair()
    response = client.post(
        f"{AUTH}/connect/revocation",
        {"token": pair["access_token"], "client_id": oauth_client.client_id, "client_secret": "northwind-secret"},
    )
    assert response.status_code == 200 and response.content == b""
    denied = client.get(METADATA, headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert denied.status_code == 403 and denied.json()["error"] == "token_revoked"


def test_revoking_a_refresh_token_ends_it_and_its_access_tokens(client, oauth_client, token_pair):
    pair = token_pair()
    client.post(
        f"{AUTH}/connect/revocation",
        {"token": pair["refresh_token"], "client_id": oauth_client.client_id, "client_secret": "northwind-secret"},
    )
    assert client.get(METADATA, headers={"Authorization": f"Bearer {pair['access_token']}"}).status_code == 403
    refused = _token(client, oauth_client, grant_type="refresh_token", refresh_token=pair["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"


def test_revocation_needs_client_credentials_and_ignores_unknown_tokens(client, oauth_client):
    wrong = client.post(f"{AUTH}/connect/revocation", {"token": "x", "client_id": "greenlight", "client_secret": "no"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    unknown = client.post(
        f"{AUTH}/connect/revocation",
        {"token": "unknown", "client_id": oauth_client.client_id, "client_secret": "northwind-secret"},
    )
    assert unknown.status_code == 200


def test_another_tenants_token_is_403(client, tenant, bearer):
    services.ensure_tenant("contoso", name="Contoso Pharma")
    response = client.get(f"{ROOT}/contoso/consumer/v1/sync/generic-metadata", headers=bearer)
    assert response.status_code == 403
    assert response.json()["error"] == "wrong_tenant"


def test_token_without_the_api_scope_is_403(client, oauth_client, token_pair):
    raw = oauth.issue_refresh_token(oauth_client, scope="openid profile")
    pair = token_pair(raw)
    response = client.get(METADATA, headers={"Authorization": f"Bearer {pair['access_token']}"})
    assert response.status_code == 403 and response.json()["error"] == "insufficient_scope"


def test_control_route_issues_a_refresh_token_and_tenant_creation_is_idempotent(client, control):
    first = control("tenants", {"slug": "fabrikam", "name": "Fabrikam", "client_secret": "s3cret"}).json()
    second = control("tenants", {"slug": "fabrikam"}).json()
    assert first["client_secret"] == second["client_secret"] == "s3cret"
    assert first["channel_id"] == second["channel_id"]
    assert first["auth_base"] == f"http://testserver{ROOT}/fabrikam/auth"
    assert first["api_base"] == f"http://testserver{ROOT}/fabrikam/consumer/v1"
    issued = control("tenants/fabrikam/refresh-token")
    assert issued.status_code == 201
    response = client.post(
        f"{ROOT}/fabrikam/auth/connect/token",
        {
            "grant_type": "refresh_token",
            "refresh_token": issued.json()["refresh_token"],
            "client_id": first["client_id"],
            "client_secret": "s3cret",
        },
    )
    assert response.status_code == 200


def test_tenant_slug_must_be_a_plain_slug(control):
    response = control("tenants", {"slug": "_emulator"})
    assert response.status_code == 400


def test_standalone_urlconf_serves_the_tenant_at_the_root(client, tenant, settings):
    settings.ROOT_URLCONF = "apps.emulators.smintio.standalone_urls"
    document = client.get("/northwind/auth/.well-known/openid-configuration").json()
    assert document["token_endpoint"] == "http://testserver/northwind/auth/connect/token"
