"""Ended instances leave the runtime; ``historic-process-instances`` shows them, late (async history)."""

import re
import time

from django.test import Client as HttpClient

from .conftest import TENANT, OtApi, variables_of

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
# Flowable's HistoricProcessInstanceResponse (without its URLs): no completed, no ended.
FIELDS = {
    "id",
    "businessKey",
    "name",
    "processDefinitionId",
    "processDefinitionKey",
    "processDefinitionName",
    "startTime",
    "endTime",
    "durationInMillis",
    "startUserId",
    "startActivityId",
    "endActivityId",
    "deleteReason",
    "superProcessInstanceId",
    "tenantId",
}


def _approve_all(ot, instance_id):
    for name in ("Legal review", "Brand review", "Marketing review"):
        ot.decide(instance_id, name, "approved")


def _listed(ot, **params) -> list[dict]:
    response = ot.get("workflow/v1/historic-process-instances", params)
    assert response.status_code == 200, response.content
    return response.json().get("_embedded", {}).get("historicProcessInstances", [])


def test_ended_instance_is_404_at_runtime_and_in_history_with_its_end(ot, started):
    _approve_all(ot, started["id"])
    response = ot.get(f"workflow/v1/process-instances/{started['id']}", {"includeProcessVariables": "true"})
    assert response.status_code == 404
    assert response.json() == {"message": "Not found", "exception": response.json()["exception"]}
    ot.assert_gone(started["id"])

    ot.wait_for_history()
    plain = ot.get(f"workflow/v1/historic-process-instances/{started['id']}").json()
    assert set(plain) == FIELDS
    assert plain["id"] == started["id"]
    assert plain["businessKey"] == "acme:asset-1"
    assert plain["processDefinitionKey"] == "asset_approval"
    assert plain["processDefinitionId"] == started["processDefinitionId"]
    assert plain["processDefinitionName"] == "Asset approval"
    assert plain["startTime"] == started["startTime"]
    assert DATE.match(plain["endTime"])
    assert isinstance(plain["durationInMillis"], int)
    assert plain["durationInMillis"] >= 0
    assert plain["startUserId"] == "greenlight-service"
    assert plain["startActivityId"] == "start"
    assert plain["endActivityId"] == "end_approved"
    assert plain["deleteReason"] is None
    assert plain["superProcessInstanceId"] is None
    assert plain["tenantId"] == TENANT

    body = ot.history(started["id"])
    assert set(body) == FIELDS | {"variables"}
    values = variables_of(body)
    assert values["approvalStatus"] == "approved"
    assert values["assetName"] == "Hiking boots, alpine"


def test_within_the_delay_history_shows_the_instance_running(ot):
    """The trap of async history: the final variables are there before ``endTime`` is."""
    # long enough that a loaded machine (CI) still asks within it; the 404s below were flaky at 0.5 s
    ot.control(f"tenants/{TENANT}/settings", {"history_delay_seconds": 2.5})
    started = ot.start()
    path = f"workflow/v1/historic-process-instances/{started['id']}"
    assert ot.get(path).status_code == 404  # not in history yet
    assert _listed(ot, businessKey="acme:asset-1") == []
    time.sleep(2.55)
    running = ot.history(started["id"])
    assert running["endTime"] is None

    ot.decide(started["id"], "Legal review", "rejected")
    ot.assert_gone(started["id"])  # the runtime knows at once
    body = ot.history(started["id"])
    assert (body["endTime"], body["durationInMillis"], body["endActivityId"], body["deleteReason"]) == (None,) * 4
    assert variables_of(body)["approvalStatus"] == "rejected"
    assert _listed(ot, processInstanceId=started["id"], finished="true") == []
    assert [i["id"] for i in _listed(ot, processInstanceId=started["id"], finished="false")] == [started["id"]]
    rows = ot.historic_tasks(processInstanceId=started["id"])
    assert {(r["endTime"], r["deleteReason"]) for r in rows} == {(None, None)}

    time.sleep(2.55)
    body = ot.history(started["id"])
    assert DATE.match(body["endTime"])
    assert body["endActivityId"] == "end_rejected"
    assert body["deleteReason"] == "terminate end event"
    assert [i["id"] for i in _listed(ot, processInstanceId=started["id"], finished="true")] == [started["id"]]


def test_list_filters_paging_and_envelope(ot):
    first = ot.start(business_key="acme:asset-1")
    second = ot.start(business_key="acme:asset-2")
    third = ot.start(business_key="acme:asset-3")
    _approve_all(ot, first["id"])
    ot.wait_for_history()

    everything = ot.get("workflow/v1/historic-process-instances", {"processDefinitionKey": "asset_approval"}).json()
    assert everything["page"] == {"size": 10, "totalElements": 3, "totalPages": 1, "number": 0}
    listed = everything["_embedded"]["historicProcessInstances"]
    assert [i["id"] for i in listed] == [first["id"], second["id"], third["id"]]
    assert all("variables" not in i for i in listed)
    assert [i["id"] for i in _listed(ot, businessKey="acme:asset-2")] == [second["id"]]
    assert [i["id"] for i in _listed(ot, processInstanceId=third["id"])] == [third["id"]]
    assert [i["id"] for i in _listed(ot, finished="true")] == [first["id"]]
    assert [i["id"] for i in _listed(ot, finished="false")] == [second["id"], third["id"]]
    [with_variables] = _listed(ot, businessKey="acme:asset-1", includeProcessVariables="true")
    assert variables_of(with_variables)["approvalStatus"] == "approved"

    page = ot.get("workflow/v1/historic-process-instances", {"offset": 2, "count": 2}).json()
    assert [i["id"] for i in page["_embedded"]["historicProcessInstances"]] == [third["id"]]
    assert page["page"] == {"size": 2, "totalElements": 3, "totalPages": 2, "number": 1}
    by_end = _listed(ot, sort="endTime", order="desc")
    assert by_end[0]["id"] == first["id"]  # running instances (no end) come last
    assert ot.get("workflow/v1/historic-process-instances", {"sort": "bogus"}).status_code == 400

    none = ot.get("workflow/v1/historic-process-instances", {"businessKey": "acme:unknown"}).json()
    assert "_embedded" not in none
    assert none["page"] == {"size": 10, "totalElements": 0, "totalPages": 0, "number": 0}
    assert _listed(ot, processInstanceId="not-a-uuid") == []


def test_unknown_or_foreign_historic_instance_is_404(ot, started):
    ot.wait_for_history()
    for instance_id in ("00000000-0000-0000-0000-000000000000", "not-a-uuid"):
        response = ot.get(f"workflow/v1/historic-process-instances/{instance_id}")
        assert response.status_code == 404
        assert response.json()["message"] == "Not found"
    other = OtApi(HttpClient(), tenant="beta-tenant")
    other.control("tenants", {"tenant_id": "beta-tenant", "client_id": "beta-client", "client_secret": "beta-secret"})
    token = other.token(grant_type="client_credentials", client_id="beta-client", client_secret="beta-secret")
    other.access_token = token.json()["access_token"]
    assert other.get(f"workflow/v1/historic-process-instances/{started['id']}").status_code == 404
    assert ot.get(f"workflow/v1/historic-process-instances/{started['id']}", token="").status_code == 401


def test_running_instance_is_in_history_with_no_end(ot, started):
    ot.wait_for_history()
    body = ot.history(started["id"])
    assert body["endTime"] is None
    assert body["durationInMillis"] is None
    assert body["endActivityId"] is None
    assert body["deleteReason"] is None
    assert variables_of(body)["client"] == "acme"


def test_a_delay_of_zero_shows_history_at_once(ot, started):
    ot.control(f"tenants/{TENANT}/settings", {"history_delay_seconds": 0})
    ot.decide(started["id"], "Marketing review", "rejected")
    body = ot.history(started["id"])
    assert body["endActivityId"] == "end_rejected"
    assert body["deleteReason"] == "terminate end event"
