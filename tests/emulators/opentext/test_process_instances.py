"""Models and process instances: start, read, list (platforms.md 2.1, 2.3)."""

import re

import pytest

from .conftest import DUE, variables_of

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


def test_models_lists_the_bpmn_folder(ot):
    response = ot.get("workflow/v1/runtime/models", {"key": "asset_approval", "modelType": "json"})
    assert response.status_code == 200
    [model] = response.json()["_embedded"]["models"]
    assert model["key"] == "asset_approval"
    assert model["name"] == "Asset approval"
    assert model["id"].startswith("asset_approval:1:")
    assert response.json()["page"]["totalElements"] == 1


def test_models_without_match_omit_embedded(ot):
    body = ot.get("workflow/v1/runtime/models", {"key": "nope"}).json()
    assert "_embedded" not in body
    assert body["page"]["totalElements"] == 0


def test_start_by_key_creates_three_reviews(ot):
    body = ot.start(business_key="acme:asset-42")
    assert body["businessKey"] == "acme:asset-42"
    assert body["processDefinitionName"] == "Asset approval"
    assert body["processDefinitionKey"] == "asset_approval"
    assert body["ended"] is False
    assert body["completed"] is False
    assert body["tenantId"] == "acme-tenant"
    assert body["startUserId"] == "greenlight-service"
    assert body["activityId"] in {"legal_review", "brand_review", "marketing_review"}
    assert DATE.match(body["startTime"])
    assert "variables" not in body

    tasks = ot.tasks(processInstanceId=body["id"], includeTaskAssignments="true")
    by_name = {t["name"]: t for t in tasks}
    assert set(by_name) == {"Legal review", "Brand review", "Marketing review"}
    for name, group in [("Legal review", "legal"), ("Brand review", "brand"), ("Marketing review", "marketing")]:
        task = by_name[name]
        assert task["assignments"] == [{"type": "candidate", "user": None, "group": group}]
        assert task["dueDate"] == DUE
        assert task["assignee"] is None
        assert task["processInstanceId"] == body["id"]
        assert task["category"] == "approval"
        assert "possibleOutcomes" not in task  # Flowable's TaskResponse has no outcomes (switch: see test_tasks)
        assert "outcomeVariable" not in task
        assert DATE.match(task["createTime"])


def test_start_returns_variables_only_when_asked(ot):
    body = ot.start(returnVariables=True)
    values = variables_of(body)
    assert values["client"] == "acme"
    assert values["reviewDueDate"] == DUE
    assert {"name", "type", "value", "scope"} <= set(body["variables"][0])


def test_start_by_definition_id(ot):
    model_id = ot.get("workflow/v1/runtime/models").json()["_embedded"]["models"][0]["id"]
    response = ot.post("workflow/v1/process-instances", {"processDefinitionId": model_id, "businessKey": "by-id"})
    assert response.status_code == 201
    assert response.json()["processDefinitionId"] == model_id


@pytest.mark.parametrize(
    "body",
    [
        {"businessKey": "no-key"},
        {"processDefinitionKey": "asset_approval", "processDefinitionId": "asset_approval:1:x"},
        {"processDefinitionKey": "asset_approval", "message": "go"},
    ],
)
def test_start_needs_exactly_one_definition_reference(ot, body):
    response = ot.post("workflow/v1/process-instances", body)
    assert response.status_code == 400
    assert response.json()["message"] == "Bad request"
    assert response.json()["exception"]


def test_start_with_unknown_key_is_400(ot):
    response = ot.post("workflow/v1/process-instances", {"processDefinitionKey": "no_such_process"})
    assert response.status_code == 400
    assert "no_such_process" in response.json()["exception"]


def test_start_with_badly_typed_variable_is_400(ot):
    body = {"processDefinitionKey": "asset_approval", "variables": [{"name": "n", "value": "x", "type": "integer"}]}
    assert ot.post("workflow/v1/process-instances", body).status_code == 400


def test_start_with_non_json_body_is_415(ot):
    response = ot.http.post(
        "/emulators/opentext/workflow/v1/process-instances",
        "processDefinitionKey=asset_approval",
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": f"Bearer {ot.access_token}"},
    )
    assert response.status_code == 415
    assert response.json()["message"] == "Content is not supported"


def test_typed_variables_are_converted(ot):
    body = ot.start(
        variables=[
            {"name": "count", "value": "3", "type": "integer"},
            {"name": "ratio", "value": 0.5, "type": "double"},
            {"name": "urgent", "value": "true", "type": "boolean"},
            {"name": "meta", "value": {"a": [1, 2]}, "type": "json"},
        ],
        returnVariables=True,
    )
    by_name = {v["name"]: v for v in body["variables"]}
    assert by_name["count"]["value"] == 3
    assert by_name["count"]["type"] == "integer"
    assert by_name["ratio"]["type"] == "double"
    assert by_name["urgent"]["value"] is True
    assert by_name["meta"]["type"] == "json"


def test_get_instance_with_and_without_variables(ot, started):
    plain = ot.get(f"workflow/v1/process-instances/{started['id']}").json()
    assert "variables" not in plain
    assert variables_of(ot.instance(started["id"]))["assetName"] == "Hiking boots, alpine"


@pytest.mark.parametrize("instance_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_unknown_instance_is_404(ot, instance_id):
    response = ot.get(f"workflow/v1/process-instances/{instance_id}")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found", "exception": response.json()["exception"]}


def test_query_instances_by_business_key(ot):
    first = ot.start(business_key="acme:asset-1")
    ot.start(business_key="acme:asset-2")
    body = ot.get("workflow/v1/process-instances", {"businessKey": "acme:asset-1"}).json()
    assert [i["id"] for i in body["_embedded"]["processInstances"]] == [first["id"]]
    assert body["page"]["totalElements"] == 1
    everything = ot.get("workflow/v1/process-instances", {"processDefinitionKey": "asset_approval"}).json()
    assert everything["page"]["totalElements"] == 2
    none = ot.get("workflow/v1/process-instances", {"businessKey": "acme:unknown"}).json()
    assert "_embedded" not in none
    assert none["page"] == {"size": 10, "totalElements": 0, "totalPages": 0, "number": 0}


def test_list_of_instances_omits_ended_ones(ot):
    ended = ot.start(business_key="acme:asset-1")
    running = ot.start(business_key="acme:asset-1")
    ot.decide(ended["id"], "Brand review", "rejected")
    body = ot.get("workflow/v1/process-instances", {"businessKey": "acme:asset-1"}).json()
    assert [i["id"] for i in body["_embedded"]["processInstances"]] == [running["id"]]
    assert body["page"]["totalElements"] == 1
    # Without the switch, ``ended`` is an unknown parameter (ignored): the runtime holds no ended instance.
    asked = ot.get("workflow/v1/process-instances", {"businessKey": "acme:asset-1", "ended": "true"}).json()
    assert [i["id"] for i in asked["_embedded"]["processInstances"]] == [running["id"]]
    ot.decide(running["id"], "Brand review", "rejected")
    assert "_embedded" not in ot.get("workflow/v1/process-instances", {"businessKey": "acme:asset-1"}).json()


def test_ended_instances_readable_switch(ot, started):
    """The relaxed reading: the runtime keeps answering for ended instances (stock Flowable does not)."""
    ot.control("tenants/acme-tenant/settings", {"ended_instances_readable": True})
    ot.decide(started["id"], "Legal review", "rejected")
    body = ot.instance(started["id"])
    assert body["ended"] is True
    assert body["activityId"] == "end_rejected"
    assert body["deleteReason"] == "terminate end event"
    assert variables_of(body)["approvalStatus"] == "rejected"
    running = ot.start(business_key="acme:asset-2")
    listed = ot.get("workflow/v1/process-instances", {"count": 100}).json()["_embedded"]["processInstances"]
    assert [i["id"] for i in listed] == [started["id"], running["id"]]
    only_ended = ot.get("workflow/v1/process-instances", {"ended": "true"}).json()["_embedded"]["processInstances"]
    assert [i["id"] for i in only_ended] == [started["id"]]
    ot.control("tenants/acme-tenant/settings", {"ended_instances_readable": False})
    assert ot.get(f"workflow/v1/process-instances/{started['id']}").status_code == 404


def test_instances_page_with_offset_and_count(ot):
    ids = [ot.start(business_key=f"k{i}")["id"] for i in range(3)]
    body = ot.get("workflow/v1/process-instances", {"offset": 2, "count": 2}).json()
    assert [i["id"] for i in body["_embedded"]["processInstances"]] == ids[2:]
    assert body["page"] == {"size": 2, "totalElements": 3, "totalPages": 2, "number": 1}


def test_wrong_method_is_405_json(ot):
    response = ot.http.delete(
        "/emulators/opentext/workflow/v1/tasks", headers={"Authorization": f"Bearer {ot.access_token}"}
    )
    assert response.status_code == 405
    assert response.json()["message"] == "Method not allowed"


def test_unknown_workflow_path_is_json_404_behind_the_gateway(ot):
    assert ot.get("workflow/v1/no-such-resource", token="").status_code == 401
    response = ot.get("workflow/v1/no-such-resource")
    assert response.status_code == 404
    assert response.json()["message"] == "Not found"
