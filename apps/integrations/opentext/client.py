"""The OpenText Workflow Service client: client-credentials tokens, process instances, tasks, comments, history."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import requests
from django.conf import settings

from apps.clients.models import OpenTextConnection

from ..http import PlatformHttp, RetryPolicy
from . import contract

_tokens: dict[tuple, tuple[str, float]] = {}
_tokens_lock = threading.Lock()


def error_fields(body: dict) -> tuple[str, str]:
    """(code, text) from a service error ``{message, exception}`` or a gateway ``{fault: {faultstring}}``."""
    if "fault" in body and isinstance(body["fault"], dict):
        fault = body["fault"]
        return str(fault.get("detail", {}).get("errorcode", "")), str(fault.get("faultstring", ""))
    if "error" in body:
        return str(body["error"]), str(body.get("error_description", ""))
    message, exception = body.get("message", ""), body.get("exception", "")
    return str(message), f"{message}: {exception}" if exception else str(message)


def parse_date(value: str | None) -> datetime | None:
    """OpenText writes ``2018-04-17T10:17:43.902+0000``; Python 3.11 reads that and ``Z``/``+00:00`` alike."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def variables(values: dict) -> list[dict]:
    """Process variables in OpenText's list form, with a type for each."""
    result = []
    for name, value in values.items():
        kind = (
            "boolean"
            if isinstance(value, bool)
            else "integer"
            if isinstance(value, int)
            else "double"
            if isinstance(value, float)
            else "json"
            if isinstance(value, dict | list)
            else "string"
        )
        result.append({"name": name, "value": value, "type": kind})
    return result


def for_client(client_id: int | None, **kwargs) -> OpenTextClient:
    """The OpenText client for a Greenlight client's runs: its own tenant (``clients.OpenTextConnection``), else the
    environment's (``OT_*`` settings)."""
    connection = OpenTextConnection.objects.filter(client_id=client_id).first() if client_id else None
    if connection is None:
        return OpenTextClient(**kwargs)
    return OpenTextClient(
        base_url=connection.resolved_base_url,
        tenant=connection.tenant,
        client_id=connection.service_client_id,
        client_secret=connection.service_client_secret,
        **kwargs,
    )


class OpenTextClient:
    def __init__(
        self,
        *,
        base_url: str | None = None,
        tenant: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        policy: RetryPolicy | None = None,
        sleep=None,
    ):
        self.base_url = (base_url or settings.OT_BASE_URL).rstrip("/")
        self.tenant = tenant or settings.OT_TENANT_ID
        self.client_id = client_id or settings.OT_CLIENT_ID
        self.client_secret = client_secret or settings.OT_CLIENT_SECRET
        kwargs = {"sleep": sleep} if sleep else {}
        self.http = PlatformHttp(
            "OpenText", session_key=f"opentext:{self.base_url}", error_fields=error_fields, policy=policy, **kwargs
        )

    @property
    def identity(self) -> tuple[str, str, str]:
        """The tenant and service client the calls go to (``OpenTextConnection.identity`` for the default too)."""
        return (self.base_url, self.tenant, self.client_id)

    # -- token (client credentials, cached per process, refreshed ahead of expiry and on 401) ------------------
    @property
    def _cache_key(self) -> tuple:
        return (self.base_url, self.tenant, self.client_id)

    def access_token(self) -> str:
        with _tokens_lock:
            cached = _tokens.get(self._cache_key)
        if cached and cached[1] - contract.REFRESH_AHEAD_SECONDS > time.time():
            return cached[0]
        return self.refresh()

    def refresh(self) -> str:
        response = self.http.request(
            "POST",
            self.base_url + contract.TOKEN_PATH.format(tenant=self.tenant),
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        body = response.json()
        token = body["access_token"]
        with _tokens_lock:
            _tokens[self._cache_key] = (token, time.time() + int(body.get("expires_in") or 3600))
        return token

    def _authorize(self, headers: dict) -> None:
        headers["Authorization"] = f"Bearer {self.access_token()}"

    def _call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.http.request(
            method, self.base_url + path, authorize=self._authorize, reauthorize=self.refresh, **kwargs
        )

    # -- process instances ------------------------------------------------------------------------------------
    def start_process(self, key: str, *, business_key: str, values: dict, name: str = "") -> dict:
        body = {
            "processDefinitionKey": key,
            "businessKey": business_key,
            "variables": variables(values),
            "returnVariables": True,
            **({"name": name} if name else {}),
        }
        return self._call("POST", contract.PROCESS_INSTANCES_PATH, json=body).json()

    def find_process(self, key: str, business_key: str) -> dict | None:
        """The instance with this business key, running (runtime) or ended (history: the runtime forgets ended
        instances), or ``None``."""
        params = {"processDefinitionKey": key, "businessKey": business_key, "count": 1}
        body = self._call("GET", contract.PROCESS_INSTANCES_PATH, params=params).json()
        found = body.get("_embedded", {}).get("processInstances", [])
        if found:
            return found[0]
        body = self._call("GET", contract.HISTORIC_PROCESSES_PATH, params=params).json()
        found = body.get("_embedded", {}).get("historicProcessInstances", [])
        return found[0] if found else None

    def historic_process(self, instance_id: str) -> dict | None:
        """The instance as the history knows it, with its variables; ``None`` when the history has no entry (yet)."""
        params = {"processInstanceId": instance_id, "includeProcessVariables": "true", "count": 1}
        body = self._call("GET", contract.HISTORIC_PROCESSES_PATH, params=params).json()
        found = body.get("_embedded", {}).get("historicProcessInstances", [])
        return found[0] if found else None

    def get_process(self, instance_id: str) -> dict:
        return self._call(
            "GET", contract.PROCESS_INSTANCE_PATH.format(id=instance_id), params={"includeProcessVariables": "true"}
        ).json()

    def running_instances(self, key: str) -> Iterator[dict]:
        """Every running instance of process ``key``, with its variables where the list gives them ([A],
        ``contract.DISCOVERY_PARAMS``)."""
        params = {"processDefinitionKey": key, **contract.DISCOVERY_PARAMS}
        return self._pages(contract.PROCESS_INSTANCES_PATH, "processInstances", params)

    # -- tasks --------------------------------------------------------------------------------------------------
    def _pages(self, path: str, key: str, params: dict) -> Iterator[dict]:
        """Every item of a HAL list, page by page (``_embedded`` is absent on an empty page)."""
        offset = 0
        while True:
            body = self._call("GET", path, params={**params, "offset": offset, "count": contract.PAGE_SIZE}).json()
            page = body.get("_embedded", {}).get(key, [])
            yield from page
            total = body.get("page", {}).get("totalElements", 0)
            offset += len(page)
            if not page or offset >= total:
                return

    def tasks(self, **filters) -> Iterator[dict]:
        """Every open task matching ``filters``."""
        params = {"includeProcessVariables": "true", "includeTaskAssignments": "true", **filters}
        return self._pages(contract.TASKS_PATH, "tasks", params)

    def get_task(self, task_id: str) -> dict:
        return self._call("GET", contract.TASK_PATH.format(id=task_id)).json()

    def claim(self, task_id: str, assignee: str | None) -> None:
        self._call("POST", contract.TASK_PATH.format(id=task_id), json={"action": "claim", "assignee": assignee})

    def complete(self, task_id: str, *, outcome: str, values: dict | None = None) -> None:
        body = {"action": "complete", "outcome": outcome, "variables": variables(values or {})}
        self._call("POST", contract.TASK_PATH.format(id=task_id), json=body)

    def add_comment(self, task_id: str, message: str) -> dict:
        return self._call("POST", contract.TASK_COMMENTS_PATH.format(id=task_id), json={"message": message}).json()

    def task_comments(self, task_id: str) -> list[dict]:
        return self._call("GET", contract.TASK_COMMENTS_PATH.format(id=task_id)).json()

    def historic_task(self, task_id: str) -> dict | None:
        """One task as the history knows it (``None``: no entry yet), with its instance's variables."""
        params = {"taskId": task_id, "includeProcessVariables": "true", "count": 1}
        body = self._call("GET", contract.HISTORIC_TASKS_PATH, params=params).json()
        found = body.get("_embedded", {}).get("historicTaskInstances", [])
        return found[0] if found else None

    def historic_tasks(self, process_instance_id: str) -> list[dict]:
        """Every task of the instance the history knows (open ones too: ``endTime`` null)."""
        params = {"processInstanceId": process_instance_id}
        return list(self._pages(contract.HISTORIC_TASKS_PATH, "historicTaskInstances", params))
