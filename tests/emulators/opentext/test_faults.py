"""Fault injection through the shared machinery (apps.emulators.core.faults)."""

import time

from apps.emulators.core.models import RequestLog


def test_injected_429_with_retry_after(ot):
    created = ot.control("faults", {"kind": "status", "status_code": 429, "retry_after": 7, "path_contains": "/tasks"})
    assert created.status_code == 201
    response = ot.get("workflow/v1/tasks")
    assert response.status_code == 429
    assert response["Retry-After"] == "7"
    assert response.json()["fault"]["detail"]["errorcode"]
    assert ot.get("workflow/v1/tasks").status_code == 200


def test_injected_500_uses_the_service_error_shape(ot, started):
    ot.control("faults", {"kind": "status", "status_code": 500, "count": 2, "path_contains": "process-instances"})
    first = ot.get(f"workflow/v1/process-instances/{started['id']}")
    assert first.status_code == 500
    assert first.json()["message"] == "Internal server error"
    assert ot.post("workflow/v1/process-instances", {"processDefinitionKey": "asset_approval"}).status_code == 500
    assert ot.get(f"workflow/v1/process-instances/{started['id']}").status_code == 200


def test_fault_on_the_token_endpoint(ot):
    ot.control("faults", {"kind": "status", "status_code": 503, "path_contains": "oauth2/token"})
    response = ot.token(grant_type="client_credentials", client_id="greenlight-service", client_secret="s3cret-service")
    assert response.status_code == 503
    assert ot.login_service()


def test_injected_delay(ot):
    ot.control("faults", {"kind": "delay", "delay_seconds": 0.3})
    began = time.monotonic()
    assert ot.get("workflow/v1/tasks").status_code == 200
    assert time.monotonic() - began >= 0.3


def test_faults_clear_and_control_routes_are_never_faulted(ot):
    ot.control("faults", {"kind": "status", "status_code": 500, "count": 5})
    assert ot.control("tenants/acme-tenant", method="get").status_code == 200
    assert ot.control("faults", method="delete").status_code == 200
    assert ot.get("workflow/v1/tasks").status_code == 200


def test_bad_fault_definition_is_400(ot):
    assert ot.control("faults", {"kind": "explode"}).status_code == 400
    assert ot.control("faults", {"kind": "status"}).status_code == 400


def test_calls_are_logged(ot):
    ot.get("workflow/v1/tasks")
    assert RequestLog.objects.filter(emulator="opentext", path__endswith="/workflow/v1/tasks", status_code=200).exists()
