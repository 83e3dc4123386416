"""Comments (platforms.md 5.2) and historic task instances (2.3 item 7)."""

import re
import time

import pytest

from .conftest import TENANT, variables_of

DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")
# Flowable's HistoricTaskInstanceResponse (without its URLs): no outcome, no possibleOutcomes, no createTime.
HISTORIC_TASK_FIELDS = {
    "id",
    "processDefinitionId",
    "processInstanceId",
    "executionId",
    "name",
    "description",
    "deleteReason",
    "owner",
    "assignee",
    "startTime",
    "endTime",
    "durationInMillis",
    "workTimeInMillis",
    "claimTime",
    "taskDefinitionKey",
    "formKey",
    "priority",
    "dueDate",
    "parentTaskId",
    "tenantId",
    "category",
}


def test_comment_on_a_task(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    response = ot.post(f"workflow/v1/tasks/{task['id']}/comments", {"message": "Model release missing"})
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"id", "message", "author", "time", "taskId", "processInstanceId"}
    assert body["message"] == "Model release missing"
    assert body["author"] == "greenlight-service"
    assert body["taskId"] == task["id"]
    # Flowable's REST resource saves the instance id on a task comment only when asked
    assert body["processInstanceId"] is None
    assert DATE.match(body["time"])

    user_comment = ot.post(
        f"workflow/v1/tasks/{task['id']}/comments",
        {"message": "Found it", "saveProcessInstanceId": True},
        token=ot.user_token("legal@acme.example"),
    ).json()
    assert user_comment["author"] == "legal@acme.example"
    assert user_comment["processInstanceId"] == started["id"]

    ot.wait_for_history()  # both lists look their task or instance up in the late history
    listed = ot.get(f"workflow/v1/tasks/{task['id']}/comments").json()
    assert sorted(c["message"] for c in listed) == ["Found it", "Model release missing"]
    [with_comments] = ot.tasks(name="Legal review", includeTaskComments="true")
    assert len(with_comments["comments"]) == 2


def test_lists_come_newest_first_and_unpaged(ot, started):
    """Flowable sorts comments ``TIME_ desc`` and does not page them: a client must not rely on oldest first, and
    ``count`` changes nothing."""
    task = ot.open_task(started["id"], "Legal review")
    for n in range(12):
        ot.post(f"workflow/v1/tasks/{task['id']}/comments", {"message": f"n{n}", "saveProcessInstanceId": True})
    ot.wait_for_history()  # both lists look their task or instance up in the late history
    listed = ot.get(f"workflow/v1/tasks/{task['id']}/comments", {"count": 2}).json()
    assert [c["message"] for c in listed] == [f"n{n}" for n in reversed(range(12))]
    assert len(ot.get(f"workflow/v1/process-instances/{started['id']}/comments", {"count": 2}).json()) == 12


def test_instance_comments_hold_those_saved_with_it_and_survive_completion(ot, started):
    legal = ot.open_task(started["id"], "Legal review")
    brand = ot.open_task(started["id"], "Brand review")
    ot.post(f"workflow/v1/tasks/{legal['id']}/comments", {"message": "one", "saveProcessInstanceId": True})
    ot.post(f"workflow/v1/tasks/{brand['id']}/comments", {"message": "two", "saveProcessInstanceId": True})
    ot.post(f"workflow/v1/tasks/{brand['id']}/comments", {"message": "task only"})
    ot.decide(started["id"], "Legal review", "approved")
    # A finished task takes no new comment (Flowable's POST reads the runtime task) ...
    assert ot.post(f"workflow/v1/tasks/{legal['id']}/comments", {"message": "three"}).status_code == 404
    ot.wait_for_history()  # both lists look their task or instance up in the late history
    listed = ot.get(f"workflow/v1/process-instances/{started['id']}/comments").json()
    assert sorted(c["message"] for c in listed) == ["one", "two"]
    # ... but its comments stay readable (the GET reads the historic task)
    assert [c["message"] for c in ot.get(f"workflow/v1/tasks/{legal['id']}/comments").json()] == ["one"]


def test_comments_of_an_ended_instance_stay_readable(ot, started):
    """Flowable keeps comments after the end (they live in history), so the instance's comments still answer."""
    legal = ot.open_task(started["id"], "Legal review")
    ot.post(
        f"workflow/v1/tasks/{legal['id']}/comments",
        {"message": "Rejected: no model release", "saveProcessInstanceId": True},
    )
    ot.decide(started["id"], "Legal review", "rejected")
    ot.assert_gone(started["id"])
    ot.wait_for_history()
    listed = ot.get(f"workflow/v1/process-instances/{started['id']}/comments")
    assert listed.status_code == 200
    assert [c["message"] for c in listed.json()] == ["Rejected: no model release"]
    assert ot.get(f"workflow/v1/tasks/{legal['id']}/comments").status_code == 200


def test_comment_validation(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    assert ot.post(f"workflow/v1/tasks/{task['id']}/comments", {"message": "  "}).status_code == 400
    assert (
        ot.post("workflow/v1/tasks/00000000-0000-0000-0000-000000000000/comments", {"message": "x"}).status_code == 404
    )


def test_start_comment_is_an_instance_comment(ot):
    body = ot.start(comment="Please hurry")
    ot.wait_for_history()  # both lists look their task or instance up in the late history
    [comment] = ot.get(f"workflow/v1/process-instances/{body['id']}/comments").json()
    assert comment["message"] == "Please hurry"
    assert comment["taskId"] is None


def test_historic_task_instances(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    ot.act(task["id"], {"action": "claim", "assignee": "legal@acme.example"})
    ot.decide(started["id"], "Legal review", "approved")
    ot.wait_for_history()

    body = ot.get("workflow/v1/historic-task-instances", {"processInstanceId": started["id"]}).json()
    rows = body["_embedded"]["historicTaskInstances"]
    assert body["page"]["totalElements"] == 3
    done = next(r for r in rows if r["id"] == task["id"])
    assert set(done) == HISTORIC_TASK_FIELDS
    assert done["assignee"] == "legal@acme.example"
    assert DATE.match(done["endTime"])
    assert DATE.match(done["startTime"])
    assert isinstance(done["durationInMillis"], int)
    assert done["durationInMillis"] >= 0
    assert 0 <= done["workTimeInMillis"] <= done["durationInMillis"]  # from the claim to the end
    assert done["deleteReason"] is None
    open_rows = [r for r in rows if r["id"] != task["id"]]
    assert all(r["endTime"] is None and r["durationInMillis"] is None for r in open_rows)

    finished = ot.get("workflow/v1/historic-task-instances", {"finished": "true"}).json()
    assert [r["id"] for r in finished["_embedded"]["historicTaskInstances"]] == [task["id"]]
    unfinished = ot.get("workflow/v1/historic-task-instances", {"finished": "false"}).json()
    assert unfinished["page"]["totalElements"] == 2
    by_assignee = ot.get("workflow/v1/historic-task-instances", {"taskAssignee": "legal@acme.example"}).json()
    assert by_assignee["page"]["totalElements"] == 1
    nobody = ot.get("workflow/v1/historic-task-instances", {"taskAssignee": "x@acme.example"}).json()
    assert "_embedded" not in nobody


def test_historic_task_variables_only_when_asked(ot, started):
    ot.decide(started["id"], "Legal review", "approved")
    ot.wait_for_history()
    [plain] = ot.historic_tasks(taskDefinitionKey="legal_review")
    assert "variables" not in plain
    [with_process] = ot.historic_tasks(taskDefinitionKey="legal_review", includeProcessVariables="true")
    assert variables_of(with_process)["legalOutcome"] == "approved"
    assert {v["scope"] for v in with_process["variables"]} == {"global"}
    [with_local] = ot.historic_tasks(taskDefinitionKey="legal_review", includeTaskLocalVariables="true")
    assert with_local["variables"] == []  # the emulator keeps no task-local variables


def test_task_history_lags_by_the_delay(ot):
    """Async history: a task created within the delay is not in history yet; one ended within it still looks open."""
    ot.control(f"tenants/{TENANT}/settings", {"history_delay_seconds": 0.5})
    started = ot.start()
    assert ot.historic_tasks(processInstanceId=started["id"]) == []
    time.sleep(0.55)
    assert len(ot.historic_tasks(processInstanceId=started["id"])) == 3

    ot.decide(started["id"], "Legal review", "approved")
    params = {"processInstanceId": started["id"], "taskDefinitionKey": "legal_review"}
    [row] = ot.historic_tasks(**params)
    assert (row["endTime"], row["durationInMillis"], row["deleteReason"]) == (None, None, None)
    assert ot.historic_tasks(**params, finished="true") == []
    assert len(ot.historic_tasks(processInstanceId=started["id"], finished="false")) == 3
    assert ot.get(f"workflow/v1/tasks/{row['id']}").status_code == 404  # the runtime knows at once

    time.sleep(0.55)
    [row] = ot.historic_tasks(**params, finished="true")
    assert DATE.match(row["endTime"])


# -- someone commenting in OpenText itself (the demo's and the tests' way in) --------------------------------------
def test_comment_lists_404_until_the_history_knows_their_task_or_instance(ot):
    """Flowable's comment resources look the task or instance up in the (asynchronous) history: a new one is a 404
    there, though a comment can already be added (the runtime knows the task); the comment is not delayed itself."""
    ot.control(f"tenants/{TENANT}/settings", {"history_delay_seconds": 0.5})
    started = ot.start()
    task = ot.open_task(started["id"], "Legal review")
    assert ot.post(f"workflow/v1/tasks/{task['id']}/comments", {"message": "early"}).status_code == 201
    assert ot.get(f"workflow/v1/tasks/{task['id']}/comments").status_code == 404
    assert ot.get(f"workflow/v1/process-instances/{started['id']}/comments").status_code == 404

    time.sleep(0.55)
    assert [c["message"] for c in ot.get(f"workflow/v1/tasks/{task['id']}/comments").json()] == ["early"]
    assert ot.get(f"workflow/v1/process-instances/{started['id']}/comments").json() == []


def test_a_user_comments_in_opentext_on_a_task_or_an_instance(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    on_task = ot.control("comments", {"user": "legal@acme.example", "message": "Release on file", "task": task["id"]})
    assert on_task.status_code == 201
    on_instance = ot.control("comments", {"user": "ext@partner.example", "message": "FYI", "instance": started["id"]})
    assert on_instance.status_code == 201
    # OpenText's own task application saves a task comment with its instance: both lists show it
    assert on_task.json()["processInstanceId"] == started["id"]
    ot.wait_for_history()  # both lists look their task or instance up in the late history
    listed = ot.get(f"workflow/v1/process-instances/{started['id']}/comments").json()
    assert [(c["author"], c["message"], c["taskId"]) for c in listed] == [
        ("ext@partner.example", "FYI", None),
        ("legal@acme.example", "Release on file", task["id"]),
    ]
    assert [c["id"] for c in ot.get(f"workflow/v1/tasks/{task['id']}/comments").json()] == [on_task.json()["id"]]


def test_a_user_comment_on_a_finished_task_or_without_a_place_is_refused(ot, started):
    task = ot.open_task(started["id"], "Legal review")
    ot.decide(started["id"], "Legal review", "approved")
    done = ot.control("comments", {"user": "legal@acme.example", "message": "late", "task": task["id"]})
    assert done.status_code == 404
    nowhere = ot.control("comments", {"user": "legal@acme.example", "message": "where?"})
    assert nowhere.status_code == 400
    empty = ot.control("comments", {"user": "legal@acme.example", "message": " ", "instance": started["id"]})
    assert empty.status_code == 400


def test_the_opentext_comment_command_writes_on_the_newest_open_task(ot, started, settings):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.EMULATORS = True
    settings.OT_TENANT_ID = TENANT
    out = StringIO()
    call_command(
        "opentext_comment",
        "Typed in OpenText",
        "--email",
        "brand@acme.example",
        "--business-key",
        "acme:asset-1",
        stdout=out,
    )
    assert "brand@acme.example commented on task" in out.getvalue()
    ot.wait_for_history()  # both lists look their task or instance up in the late history
    listed = ot.get(f"workflow/v1/process-instances/{started['id']}/comments").json()
    assert [(c["author"], c["message"]) for c in listed] == [("brand@acme.example", "Typed in OpenText")]
    with pytest.raises(CommandError, match="No open task"):
        call_command("opentext_comment", "x", "--email", "a@b.example", "--business-key", "nobody")
