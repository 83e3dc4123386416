"""Fixtures for the Smint.io emulator's contract tests: a tenant, its client, and tokens obtained over its routes."""

from __future__ import annotations

import pytest

from apps.emulators.smintio import oauth, services

from .helpers import AUTH, CONTROL, REDIRECT_URI, TENANT


@pytest.fixture
def tenant(db):
    tenant, _ = services.ensure_tenant(
        TENANT, name="Northwind Outdoor", client_secret="northwind-secret", redirect_uris=[REDIRECT_URI]
    )
    return tenant


@pytest.fixture
def oauth_client(tenant):
    return tenant.clients.get()


@pytest.fixture
def token_pair(client, oauth_client):
    """``token_pair(refresh_token=None)``: the token endpoint's answer to a refresh grant (a fresh bootstrap
    refresh token when none is given)."""

    def _pair(refresh_token: str | None = None) -> dict:
        response = client.post(
            f"{AUTH}/connect/token",
            {
                "grant_type": "refresh_token",
                "refresh_token": refresh_token or oauth.issue_refresh_token(oauth_client),
                "client_id": oauth_client.client_id,
                "client_secret": oauth_client.client_secret,
            },
        )
        assert response.status_code == 200, response.content
        return response.json()

    return _pair


@pytest.fixture
def bearer(token_pair):
    """Headers with a valid access token of the tenant."""
    return {"Authorization": f"Bearer {token_pair()['access_token']}"}


@pytest.fixture
def control(client):
    """``control(path, body=None, method="post")``: call a control route with JSON, return the response."""

    def _call(path: str, body: dict | None = None, method: str = "post"):
        url = f"{CONTROL}/{path.lstrip('/')}"
        if method == "get":
            return client.get(url)
        return client.post(url, body if body is not None else {}, content_type="application/json")

    return _call
