"""Paths and small helpers shared by the Smint.io emulator tests."""

from __future__ import annotations

ROOT = "/emulators/smintio"
TENANT = "northwind"
REDIRECT_URI = "http://127.0.0.1:8000/integrations/smintio/callback/"
AUTH = f"{ROOT}/{TENANT}/auth"
API = f"{ROOT}/{TENANT}/consumer/v1"
CONTROL = f"{ROOT}/_emulator"
LPTS = f"{API}/sync/license-purchase-transactions"


def craft_lpt(control, **fields) -> dict:
    """Create or change an LPT through the control route; returns its stored state (with binaries)."""
    response = control(f"tenants/{TENANT}/lpts", fields)
    assert response.status_code in {200, 201}, response.content
    return response.json()["license_purchase_transactions"][0]


def sync_all(client, headers: dict, *, limit: int = 100, cursor: str | None = None) -> tuple[list[dict], str]:
    """Page through the LPT feed until an empty page; returns every LPT delivered and the last cursor."""
    delivered: list[dict] = []
    while True:
        params = {"limit": limit}
        if cursor:
            params["continuation_uuid"] = cursor
        page = client.get(LPTS, params, headers=headers).json()
        assert page["continuation_uuid"]
        cursor = page["continuation_uuid"]
        if page["count"] == 0:
            return delivered, cursor
        assert page["count"] == len(page["license_purchase_transactions"]) <= limit
        delivered += page["license_purchase_transactions"]
