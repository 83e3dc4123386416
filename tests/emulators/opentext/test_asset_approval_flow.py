"""asset_approval.bpmn end to end through the REST API: every path of flow 1."""

import pytest

from .conftest import variables_of

REVIEWS = ("Legal review", "Brand review", "Marketing review")


def _review_round(ot, instance_id, outcomes):
    for name, outcome in zip(REVIEWS, outcomes, strict=True):
        ot.decide(instance_id, name, outcome)


def test_all_three_approved_ends_the_instance_approved(ot, started):
    _review_round(ot, started["id"], ["approved"] * 3)
    assert ot.tasks(processInstanceId=started["id"]) == []
    body = ot.instance(started["id"])
    assert body["ended"] is True
    assert body["completed"] is True
    assert body["activityId"] == "end_approved"
    values = variables_of(body)
    assert values["approvalStatus"] == "approved"
    assert (values["legalOutcome"], values["brandOutcome"], values["marketingOutcome"]) == ("approved",) * 3


@pytest.mark.parametrize("rejecting", REVIEWS)
def test_one_rejection_ends_the_cycle_at_once(ot, started, rejecting):
    ot.decide(started["id"], rejecting, "rejected")
    assert ot.tasks(processInstanceId=started["id"]) == []
    body = ot.instance(started["id"])
    assert body["ended"] is True
    assert body["activityId"] == "end_rejected"
    assert variables_of(body)["approvalStatus"] == "rejected"

    history = ot.get("workflow/v1/historic-task-instances", {"processInstanceId": started["id"]}).json()
    rows = {t["name"]: t for t in history["_embedded"]["historicTaskInstances"]}
    assert set(rows) == set(REVIEWS)
    assert rows[rejecting]["deleteReason"] is None
    assert rows[rejecting]["outcome"] == "rejected"
    for name in set(REVIEWS) - {rejecting}:
        assert rows[name]["deleteReason"] == "terminated"
        assert rows[name]["endTime"] is not None


def test_rejection_after_other_approvals_keeps_their_outcomes(ot, started):
    ot.decide(started["id"], "Legal review", "approved")
    ot.decide(started["id"], "Brand review", "rejected")
    values = variables_of(ot.instance(started["id"]))
    assert values["approvalStatus"] == "rejected"
    assert values["legalOutcome"] == "approved"
    finished = ot.get(
        "workflow/v1/historic-task-instances", {"processInstanceId": started["id"], "finished": "true"}
    ).json()["_embedded"]["historicTaskInstances"]
    assert {t["name"]: t["deleteReason"] for t in finished} == {
        "Legal review": None,
        "Brand review": None,
        "Marketing review": "terminated",
    }


def test_changes_requested_twice_then_approved(ot, started):
    instance_id = started["id"]
    for round_number in range(2):
        _review_round(ot, instance_id, ["approved", "changes_requested", "approved"])
        [revise] = ot.tasks(processInstanceId=instance_id, includeTaskAssignments="true")
        assert revise["name"] == "Revise asset"
        assert revise["assignments"] == [{"type": "candidate", "user": None, "group": "content_owner"}]
        assert [o["value"] for o in revise["possibleOutcomes"]] == ["resubmitted", "withdrawn"]
        assert revise["outcomeVariable"] == "revisionOutcome"
        assert revise["dueDate"] is None
        assert [t["name"] for t in ot.tasks(candidateOrAssigned="owner@acme.example")] == ["Revise asset"]
        ot.decide(instance_id, "Revise asset", "resubmitted")
        reviews = ot.tasks(processInstanceId=instance_id, includeTaskAssignments="true")
        assert sorted(t["name"] for t in reviews) == sorted(REVIEWS), f"round {round_number + 2}"
        assert all(t["dueDate"] == started_due(ot, instance_id) for t in reviews)
        values = variables_of(ot.instance(instance_id))
        assert "legalOutcome" not in values  # a fresh round starts without the previous outcomes
        assert ot.instance(instance_id)["ended"] is False

    _review_round(ot, instance_id, ["approved"] * 3)
    body = ot.instance(instance_id)
    assert body["ended"] is True
    assert variables_of(body)["approvalStatus"] == "approved"
    history = ot.get("workflow/v1/historic-task-instances", {"processInstanceId": instance_id, "count": 100}).json()
    names = [t["name"] for t in history["_embedded"]["historicTaskInstances"]]
    assert names.count("Legal review") == 3
    assert names.count("Revise asset") == 2


def started_due(ot, instance_id):
    return variables_of(ot.instance(instance_id))["reviewDueDate"]


def test_changes_then_rejection_in_the_second_round(ot, started):
    _review_round(ot, started["id"], ["changes_requested", "approved", "approved"])
    ot.decide(started["id"], "Revise asset", "resubmitted")
    ot.decide(started["id"], "Marketing review", "rejected")
    body = ot.instance(started["id"])
    assert variables_of(body)["approvalStatus"] == "rejected"
    assert ot.tasks(processInstanceId=started["id"]) == []


def test_withdrawn(ot, started):
    _review_round(ot, started["id"], ["changes_requested", "changes_requested", "approved"])
    ot.decide(started["id"], "Revise asset", "withdrawn")
    body = ot.instance(started["id"])
    assert body["ended"] is True
    assert body["activityId"] == "end_withdrawn"
    values = variables_of(body)
    assert values["approvalStatus"] == "withdrawn"
    assert values["revisionOutcome"] == "withdrawn"


def test_reviews_complete_with_user_tokens(ot, started):
    for name, who in [("Legal review", "legal"), ("Brand review", "brand"), ("Marketing review", "marketing")]:
        token = ot.user_token(f"{who}@acme.example")
        task = ot.open_task(started["id"], name)
        assert (
            ot.act(task["id"], {"action": "claim", "assignee": f"{who}@acme.example"}, token=token).status_code == 200
        )
        assert ot.act(task["id"], {"action": "complete", "outcome": "approved"}, token=token).status_code == 200
    history = ot.get("workflow/v1/historic-task-instances", {"taskAssignee": "brand@acme.example"}).json()
    [row] = history["_embedded"]["historicTaskInstances"]
    assert row["name"] == "Brand review"
    assert row["outcome"] == "approved"
    assert variables_of(ot.instance(started["id"]))["approvalStatus"] == "approved"
