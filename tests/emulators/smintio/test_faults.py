"""Injected faults on the emulator's routes (core.faults), as the portal's retry logic will meet them."""

from __future__ import annotations

import time

import pytest

from .helpers import AUTH, LPTS, TENANT

pytestmark = pytest.mark.django_db


def test_429_carries_retry_after_and_the_platform_error_shape(client, bearer, control):
    created = control("faults", {"kind": "status", "status_code": 429, "retry_after": 7})
    assert created.status_code == 201
    response = client.get(LPTS, headers=bearer)
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.json()["error"] == "rate_limited" and response.json()["message"]
    assert client.get(LPTS, headers=bearer).status_code == 200


def test_a_burst_of_three_503s_then_success(client, bearer, control):
    control("faults", {"kind": "status", "status_code": 503, "count": 3})
    statuses = [client.get(LPTS, headers=bearer).status_code for _ in range(4)]
    assert statuses == [503, 503, 503, 200]
    log = control("requests?path_contains=license-purchase-transactions", method="get").json()
    assert log["total"] == 4 and log["by_status"] == {"503": 3, "200": 1}
    assert [row["fault"] for row in log["requests"]] == ["status", "status", "status", ""]


def test_delay_answers_normally_but_late(client, bearer, control):
    control("faults", {"kind": "delay", "delay_seconds": 0.3})
    started = time.monotonic()
    response = client.get(LPTS, headers=bearer)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_is_a_502_in_process(client, bearer, control):
    control("faults", {"kind": "drop"})
    response = client.get(LPTS, headers=bearer)
    assert response.status_code == 502
    assert response["X-Emulator-Drop"] == "1"


def test_path_filter_and_oauth_error_shape_on_the_token_endpoint(client, oauth_client, bearer, control):
    control("faults", {"kind": "status", "status_code": 500, "path_contains": "/connect/token"})
    assert client.get(LPTS, headers=bearer).status_code == 200
    response = client.post(f"{AUTH}/connect/token", {"grant_type": "refresh_token"})
    assert response.status_code == 500
    assert response.json()["error"] == "server_error" and "error_description" in response.json()


def test_control_routes_are_never_faulted_and_faults_can_be_cleared(client, tenant, bearer, control):
    control("faults", {"kind": "status", "status_code": 503, "count": 5})
    assert control(f"tenants/{TENANT}", method="get").status_code == 200
    assert control("faults/clear").json()["deleted"] == 1
    assert client.get(LPTS, headers=bearer).status_code == 200


def test_invalid_fault_is_400(control):
    assert control("faults", {"kind": "status"}).status_code == 400
    assert control("faults", {"kind": "explode"}).status_code == 400


def test_reset_forgets_everything(client, tenant, bearer, control):
    control("faults", {"kind": "status", "status_code": 503})
    assert control("reset").json() == {"tenants_removed": 1}
    assert control(f"tenants/{TENANT}", method="get").status_code == 404
    assert control("requests", method="get").json()["total"] == 0


def test_reset_of_one_tenant_keeps_the_others(tenant, control):
    control("tenants", {"slug": "contoso"})
    assert control("reset", {"tenant": "contoso"}).json() == {"tenants_removed": 1}
    assert control(f"tenants/{TENANT}", method="get").status_code == 200


def test_control_routes_refuse_wrong_methods(control):
    assert control("reset", method="get").status_code == 405
