"""An OpenText tenant seeded through the control routes, and a small client speaking the emulator's wire format."""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client as HttpClient

BASE = "/emulators/opentext/"
TENANT = "acme-tenant"
CLIENT_ID = "greenlight-service"
CLIENT_SECRET = "s3cret-service"
PASSWORD = "pw-for-tests"
USERS = {
    "legal": ("legal@acme.example", ["legal"]),
    "legal2": ("legal2@acme.example", ["legal"]),
    "brand": ("brand@acme.example", ["brand"]),
    "marketing": ("marketing@acme.example", ["marketing"]),
    "owner": ("owner@acme.example", ["content_owner"]),
    "multi": ("multi@acme.example", ["brand", "marketing"]),
}
DUE = "2031-03-15T17:00:00.000+0000"
# The test tenant's async-history lag (set explicitly, so the tests do not depend on the settings' default).
HISTORY_DELAY = 0.2


class OtApi:
    """Speaks to the in-process emulator like a client: bearer token, JSON bodies, HAL lists."""

    def __init__(self, http: HttpClient, tenant: str = TENANT) -> None:
        self.http = http
        self.tenant = tenant
        self.access_token = ""

    # --- plumbing ---------------------------------------------------------------------------------------------------
    def _headers(self, token: str | None) -> dict:
        token = self.access_token if token is None else token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: dict | None = None, *, token: str | None = None):
        return self.http.get(BASE + path, params or {}, headers=self._headers(token))

    def post(self, path: str, body: dict | None = None, *, token: str | None = None):
        data = json.dumps(body) if body is not None else ""
        return self.http.post(BASE + path, data, content_type="application/json", headers=self._headers(token))

    def put(self, path: str, body: dict, *, token: str | None = None):
        return self.http.put(
            BASE + path, json.dumps(body), content_type="application/json", headers=self._headers(token)
        )

    def control(self, path: str, body: dict | None = None, *, method: str = "post"):
        if method == "get":
            return self.http.get(BASE + "_emulator/" + path)
        send = getattr(self.http, method)
        return send(BASE + "_emulator/" + path, json.dumps(body or {}), content_type="application/json")

    # --- auth -------------------------------------------------------------------------------------------------------
    def token(self, **form: str):
        return self.http.post(f"{BASE}tenants/{self.tenant}/oauth2/token", form)

    def login_service(self) -> str:
        response = self.token(grant_type="client_credentials", client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        assert response.status_code == 200, response.content
        self.access_token = response.json()["access_token"]
        return self.access_token

    def user_token(self, email: str) -> str:
        response = self.token(
            grant_type="password", client_id=CLIENT_ID, client_secret=CLIENT_SECRET, username=email, password=PASSWORD
        )
        assert response.status_code == 200, response.content
        return response.json()["access_token"]

    # --- workflow ---------------------------------------------------------------------------------------------------
    def start(self, business_key: str = "acme:asset-1", **extra) -> dict:
        body = {
            "processDefinitionKey": "asset_approval",
            "businessKey": business_key,
            "variables": [
                {"name": "client", "value": "acme"},
                {"name": "asset", "value": "0f8c6f0e-1111-4a5e-9d7c-5b2a3c4d5e6f"},
                {"name": "assetName", "value": "Hiking boots, alpine"},
                {"name": "region", "value": "emea"},
                {"name": "reviewDueDate", "value": DUE, "type": "date"},
            ],
            **extra,
        }
        response = self.post("workflow/v1/process-instances", body)
        assert response.status_code == 201, response.content
        return response.json()

    def tasks(self, **params) -> list[dict]:
        response = self.get("workflow/v1/tasks", params)
        assert response.status_code == 200, response.content
        return response.json().get("_embedded", {}).get("tasks", [])

    def open_task(self, instance_id: str, name: str) -> dict:
        found = [t for t in self.tasks(processInstanceId=instance_id, count=100) if t["name"] == name]
        assert len(found) == 1, f"expected one open {name!r}, got {found}"
        return found[0]

    def act(self, task_id: str, body: dict, *, token: str | None = None):
        return self.post(f"workflow/v1/tasks/{task_id}", body, token=token)

    def decide(self, instance_id: str, name: str, outcome: str) -> None:
        task = self.open_task(instance_id, name)
        response = self.act(task["id"], {"action": "complete", "outcome": outcome})
        assert response.status_code == 200, response.content

    def instance(self, instance_id: str) -> dict:
        """A running instance with its variables (an ended one is a 404 at runtime: see ``history``)."""
        response = self.get(f"workflow/v1/process-instances/{instance_id}", {"includeProcessVariables": "true"})
        assert response.status_code == 200, response.content
        return response.json()

    def assert_gone(self, instance_id: str) -> None:
        """The instance has left the runtime (ended): by id a service 404, and no longer in the list."""
        response = self.get(f"workflow/v1/process-instances/{instance_id}")
        assert response.status_code == 404, response.content
        assert response.json()["message"] == "Not found"
        listed = self.get("workflow/v1/process-instances", {"count": 1000}).json()
        assert instance_id not in [i["id"] for i in listed.get("_embedded", {}).get("processInstances", [])]

    @staticmethod
    def wait_for_history() -> None:
        """Let async history catch up with everything that happened so far."""
        time.sleep(HISTORY_DELAY + 0.05)

    def history(self, instance_id: str) -> dict:
        """The historic process instance with its variables."""
        response = self.get(
            f"workflow/v1/historic-process-instances/{instance_id}", {"includeProcessVariables": "true"}
        )
        assert response.status_code == 200, response.content
        return response.json()

    def historic_tasks(self, **params) -> list[dict]:
        response = self.get("workflow/v1/historic-task-instances", {"count": 100, **params})
        assert response.status_code == 200, response.content
        return response.json().get("_embedded", {}).get("historicTaskInstances", [])


def variables_of(body: dict) -> dict:
    return {v["name"]: v["value"] for v in body.get("variables", [])}


@pytest.fixture
def seeded(db) -> None:
    """The test tenant with its service client and users, created through the control routes (idempotently).

    Every switch stays off: the tests run the emulator's strict form unless a test turns one on and says why.
    """
    http = HttpClient()
    body = {
        "tenant_id": TENANT,
        "name": "Acme Outdoor",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "users": [{"email": email, "groups": groups, "password": PASSWORD} for email, groups in USERS.values()],
        "history_delay_seconds": HISTORY_DELAY,
    }
    for _ in range(2):
        response = http.post(BASE + "_emulator/tenants", json.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.content


@pytest.fixture
def ot(seeded) -> OtApi:
    """A client holding a service-client token of the test tenant."""
    api = OtApi(HttpClient())
    api.login_service()
    return api


@pytest.fixture
def started(ot) -> dict:
    """An asset-approval instance waiting in its three reviews."""
    return ot.start()
