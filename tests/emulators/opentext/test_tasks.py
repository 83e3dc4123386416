"""Task queries, paging and actions (platforms.md 2.3 items 4-6)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import DUE, variables_of

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


@pytest.fixture
def two_instances(ot):
    return ot.start(business_key="acme:asset-1"), ot.start(business_key="acme:asset-2")


def _names(tasks):
    return sorted(t["name"] for t in tasks)


def test_filters(ot, two_instances):
    first, second = two_instances
    assert len(ot.tasks(count=100)) == 6
    assert len(ot.tasks(name="Legal review")) == 2
    assert _names(ot.tasks(nameLike="%ing%")) == ["Marketing review", "Marketing review"]
    assert _names(ot.tasks(nameLike="B_and%")) == ["Brand review", "Brand review"]
    assert _names(ot.tasks(processInstanceId=first["id"])) == ["Brand review", "Legal review", "Marketing review"]
    assert len(ot.tasks(processInstanceBusinessKey="acme:asset-2")) == 3
    assert len(ot.tasks(processDefinitionKey="asset_approval", count=100)) == 6
    assert ot.tasks(processDefinitionKey="other") == []
    assert _names(ot.tasks(candidateGroup="legal")) == ["Legal review", "Legal review"]
    assert _names(ot.tasks(candidateGroups="legal,brand", processInstanceId=second["id"])) == [
        "Brand review",
        "Legal review",
    ]
    assert _names(ot.tasks(candidateUser="multi@acme.example", processInstanceId=first["id"])) == [
        "Brand review",
        "Marketing review",
    ]
    assert len(ot.tasks(unassigned="true", count=100)) == 6
    assert ot.tasks(processInstanceId="not-a-uuid") == []


def test_empty_result_omits_embedded(ot, started):
    response = ot.get("workflow/v1/tasks", {"name": "No such task"})
    body = response.json()
    assert "_embedded" not in body
    assert body["page"] == {"size": 10, "totalElements": 0, "totalPages": 0, "number": 0}


def test_offset_count_paging(ot, two_instances):
    all_ids = [t["id"] for t in ot.tasks(count=100)]
    body = ot.get("workflow/v1/tasks", {"offset": 4, "count": 4}).json()
    assert [t["id"] for t in body["_embedded"]["tasks"]] == all_ids[4:]
    assert body["page"] == {"size": 4, "totalElements": 6, "totalPages": 2, "number": 1}
    default = ot.get("workflow/v1/tasks").json()
    assert default["page"]["size"] == 10
    assert ot.get("workflow/v1/tasks", {"count": "x"}).status_code == 400
    assert ot.get("workflow/v1/tasks", {"offset": -1}).status_code == 400


def test_sort_and_order(ot, two_instances):
    names = [t["name"] for t in ot.tasks(sort="name", order="desc", count=100)]
    assert names == sorted(names, reverse=True)
    created = [t["createTime"] for t in ot.tasks(sort="createTime", count=100)]
    assert created == sorted(created)
    task_id = ot.tasks(name="Brand review")[0]["id"]
    ot.put(f"workflow/v1/tasks/{task_id}", {"dueDate": "2030-01-01T00:00:00.000+0000"})
    assert ot.tasks(sort="dueDate", count=100)[0]["id"] == task_id
    assert ot.get("workflow/v1/tasks", {"sort": "bogus"}).status_code == 400


def test_candidate_or_assigned_through_group_membership(ot, started):
    legal_task = ot.open_task(started["id"], "Legal review")
    assert _names(ot.tasks(candidateOrAssigned="legal@acme.example")) == ["Legal review"]
    assert _names(ot.tasks(candidateOrAssigned="multi@acme.example")) == ["Brand review", "Marketing review"]
    assert ot.tasks(candidateOrAssigned="stranger@acme.example") == []

    ot.act(legal_task["id"], {"action": "claim", "assignee": "legal@acme.example"})
    assert _names(ot.tasks(candidateOrAssigned="legal@acme.example")) == ["Legal review"]
    # Once claimed, the task leaves the other group members' candidate lists.
    assert ot.tasks(candidateOrAssigned="legal2@acme.example") == []
    assert ot.tasks(candidateGroup="legal") == []
    assert _names(ot.tasks(assignee="legal@acme.example")) == ["Legal review"]
    assert len(ot.tasks(unassigned="true")) == 2


def test_group_membership_changes_apply_immediately(ot, started):
    assert ot.tasks(candidateOrAssigned="newbie@acme.example") == []
    ot.control("tenants/acme-tenant/users", {"email": "newbie@acme.example", "groups": ["brand"]})
    assert _names(ot.tasks(candidateOrAssigned="newbie@acme.example")) == ["Brand review"]


def test_include_process_variables_on_tasks(ot, started):
    [task] = ot.tasks(name="Legal review", includeProcessVariables="true")
    values = {v["name"]: v["value"] for v in task["variables"]}
    assert values["asset"] == "0f8c6f0e-1111-4a5e-9d7c-5b2a3c4d5e6f"
    assert "variables" not in ot.tasks(name="Legal review")[0]


def test_get_task_and_404(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    body = ot.get(f"workflow/v1/tasks/{task['id']}", {"includeTaskAssignments": "true"}).json()
    assert body["id"] == task["id"]
    assert body["assignments"] == [{"type": "candidate", "user": None, "group": "legal"}]
    assert body["dueDate"] == DUE
    missing = ot.get("workflow/v1/tasks/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["message"] == "Not found"


def test_claim_sets_claim_time_and_second_claimer_gets_409(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    assert ot.act(task["id"], {"action": "claim", "assignee": "legal@acme.example"}).status_code == 200
    claimed = ot.get(f"workflow/v1/tasks/{task['id']}").json()
    assert claimed["assignee"] == "legal@acme.example"
    assert DATE.match(claimed["claimTime"])
    again = ot.act(task["id"], {"action": "claim", "assignee": "legal@acme.example"})
    assert again.status_code == 200
    conflict = ot.act(task["id"], {"action": "claim", "assignee": "legal2@acme.example"})
    assert conflict.status_code == 409
    assert conflict.json()["message"] == "Task was already claimed"
    assert conflict.json()["exception"]


def test_claim_needs_an_assignee(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    assert ot.act(task["id"], {"action": "claim"}).status_code == 400


@pytest.mark.parametrize("body", [{"action": "unclaim"}, {"action": "claim", "assignee": None}])
def test_unclaim(ot, started, body):
    task = ot.open_task(started["id"], "Legal review")
    ot.act(task["id"], {"action": "claim", "assignee": "legal@acme.example"})
    assert ot.act(task["id"], body).status_code == 200
    unclaimed = ot.get(f"workflow/v1/tasks/{task['id']}").json()
    assert unclaimed["assignee"] is None
    assert unclaimed["claimTime"] is None
    assert ot.act(task["id"], {"action": "claim", "assignee": "legal2@acme.example"}).status_code == 200


def test_unknown_action_is_400_and_unknown_task_is_404(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    response = ot.act(task["id"], {"action": "dance"})
    assert response.status_code == 400
    assert "dance" in response.json()["exception"]
    assert ot.act("00000000-0000-0000-0000-000000000000", {"action": "complete"}).status_code == 404


def test_complete_with_outcome_advances_the_engine(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    response = ot.act(task["id"], {"action": "complete", "outcome": "approved"})
    assert response.status_code == 200
    assert response.content == b""
    assert _names(ot.tasks(processInstanceId=started["id"])) == ["Brand review", "Marketing review"]
    assert ot.get(f"workflow/v1/tasks/{task['id']}").status_code == 404
    assert ot.act(task["id"], {"action": "complete", "outcome": "approved"}).status_code == 404


def test_complete_with_impossible_or_missing_outcome_is_400(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    wrong = ot.act(task["id"], {"action": "complete", "outcome": "maybe"})
    assert wrong.status_code == 400
    assert "maybe" in wrong.json()["exception"]
    assert ot.act(task["id"], {"action": "complete"}).status_code == 400
    assert len(ot.tasks(processInstanceId=started["id"])) == 3


def test_complete_with_outcome_as_variable(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    body = {
        "action": "complete",
        "variables": [{"name": "legalOutcome", "value": "approved"}, {"name": "x", "value": 1}],
    }
    assert ot.act(task["id"], body).status_code == 200
    ot.wait_for_history()
    [row] = ot.historic_tasks(taskId=task["id"], includeProcessVariables="true")
    assert variables_of(row)["legalOutcome"] == "approved"
    assert variables_of(row)["x"] == 1


def test_complete_of_a_task_someone_else_holds_by_the_service_client(ot, started):
    """Flowable's TaskService.complete checks no assignee: the service client completes, the holder stays."""
    task = ot.open_task(started["id"], "Legal review")
    ot.act(task["id"], {"action": "claim", "assignee": "legal@acme.example"})
    on_behalf = ot.act(task["id"], {"action": "complete", "outcome": "approved", "assignee": "legal2@acme.example"})
    assert on_behalf.status_code == 200
    ot.wait_for_history()
    [row] = ot.historic_tasks(taskId=task["id"])
    assert row["assignee"] == "legal@acme.example"
    assert row["endTime"] is not None


def test_complete_of_an_unassigned_task_records_the_named_assignee(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    body = {"action": "complete", "outcome": "approved", "assignee": "legal2@acme.example"}
    assert ot.act(task["id"], body).status_code == 200
    ot.wait_for_history()
    assert ot.historic_tasks(taskId=task["id"])[0]["assignee"] == "legal2@acme.example"


def test_complete_with_a_user_token_needs_a_right_to_the_task(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    ot.act(task["id"], {"action": "claim", "assignee": "legal@acme.example"})
    stranger = ot.act(
        task["id"], {"action": "complete", "outcome": "approved"}, token=ot.user_token("brand@acme.example")
    )
    assert stranger.status_code == 403
    assert stranger.json()["message"] == "Forbidden"
    assert stranger.json()["exception"]
    # Another member of the candidate group may complete the task legal@ holds; the holder stays the assignee.
    candidate = ot.act(
        task["id"], {"action": "complete", "outcome": "approved"}, token=ot.user_token("legal2@acme.example")
    )
    assert candidate.status_code == 200
    ot.wait_for_history()
    assert ot.historic_tasks(taskId=task["id"])[0]["assignee"] == "legal@acme.example"


def test_complete_with_a_user_token_as_the_assignee_outside_the_candidates(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    ot.put(f"workflow/v1/tasks/{task['id']}", {"assignee": "brand@acme.example"})
    token = ot.user_token("brand@acme.example")
    assert ot.act(task["id"], {"action": "complete", "outcome": "approved"}, token=token).status_code == 200


def test_complete_of_a_task_someone_else_holds_is_409_with_the_switch(ot, started):
    """Switch ``complete_requires_assignee``: the emulator's former, more lenient-than-strict-reading rule."""
    ot.control("tenants/acme-tenant/settings", {"complete_requires_assignee": True})
    task = ot.open_task(started["id"], "Legal review")
    ot.act(task["id"], {"action": "claim", "assignee": "legal@acme.example"})
    as_other_user = ot.act(
        task["id"], {"action": "complete", "outcome": "approved"}, token=ot.user_token("legal2@acme.example")
    )
    assert as_other_user.status_code == 409
    on_behalf = ot.act(task["id"], {"action": "complete", "outcome": "approved", "assignee": "legal2@acme.example"})
    assert on_behalf.status_code == 409
    stranger = ot.act(
        task["id"], {"action": "complete", "outcome": "approved"}, token=ot.user_token("brand@acme.example")
    )
    assert stranger.status_code == 403
    as_holder = ot.act(
        task["id"], {"action": "complete", "outcome": "approved"}, token=ot.user_token("legal@acme.example")
    )
    assert as_holder.status_code == 200


def test_task_json_has_no_outcomes_by_default(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    single = ot.get(f"workflow/v1/tasks/{task['id']}").json()
    assert "possibleOutcomes" not in single
    assert "outcomeVariable" not in single
    ot.decide(started["id"], "Legal review", "approved")
    ot.wait_for_history()
    [row] = ot.historic_tasks(taskId=task["id"])
    assert not {"possibleOutcomes", "outcomeVariable", "outcome"} & set(row)


def test_task_outcomes_in_json_switch(ot, started):
    ot.control("tenants/acme-tenant/settings", {"task_outcomes_in_json": True})
    task = ot.open_task(started["id"], "Legal review")
    assert [o["value"] for o in task["possibleOutcomes"]] == ["approved", "rejected", "changes_requested"]
    assert task["outcomeVariable"] == "legalOutcome"
    ot.decide(started["id"], "Legal review", "approved")
    ot.wait_for_history()
    [row] = ot.historic_tasks(taskId=task["id"])
    assert row["outcomeVariable"] == "legalOutcome"
    assert "outcome" not in row  # a switch of its own


def test_historic_task_outcome_switch(ot, started):
    ot.control("tenants/acme-tenant/settings", {"historic_task_outcome": True})
    task = ot.open_task(started["id"], "Legal review")
    ot.wait_for_history()  # the task's creation has reached history
    ot.decide(started["id"], "Legal review", "changes_requested")
    [row] = ot.historic_tasks(taskId=task["id"])
    assert row["outcome"] is None  # not in history before its end is
    ot.wait_for_history()
    [row] = ot.historic_tasks(taskId=task["id"])
    assert row["outcome"] == "changes_requested"
    assert "possibleOutcomes" not in row
    open_row = next(r for r in ot.historic_tasks(processInstanceId=started["id"]) if r["endTime"] is None)
    assert open_row["outcome"] is None


def test_put_updates_fields(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    response = ot.put(
        f"workflow/v1/tasks/{task['id']}",
        {
            "assignee": "legal2@acme.example",
            "dueDate": "2032-05-06T07:08:09.000+0000",
            "priority": 80,
            "name": "Legal review (urgent)",
            "description": "Rush",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["assignee"] == "legal2@acme.example"
    assert body["dueDate"] == "2032-05-06T07:08:09.000+0000"
    assert body["priority"] == 80
    assert body["name"] == "Legal review (urgent)"
    assert body["description"] == "Rush"
    assert ot.put(f"workflow/v1/tasks/{task['id']}", {"dueDate": "soon"}).status_code == 400
    assert ot.put(f"workflow/v1/tasks/{task['id']}", {"priority": "high"}).status_code == 400


def test_task_list_queries_do_not_grow_with_rows(ot):
    params = {"includeTaskAssignments": "true", "includeTaskComments": "true", "includeProcessVariables": "true"}
    ot.start(business_key="one")
    with CaptureQueriesContext(connection) as few:
        ot.get("workflow/v1/tasks", params)
    for i in range(3):
        ot.start(business_key=f"more-{i}")
    with CaptureQueriesContext(connection) as many:
        body = ot.get("workflow/v1/tasks", {**params, "count": 100}).json()
    assert body["page"]["totalElements"] == 12
    assert len(many) == len(few)
