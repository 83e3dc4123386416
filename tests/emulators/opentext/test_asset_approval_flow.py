"""asset_approval.bpmn end to end through the REST API: every path of flow 1.

An ended instance leaves the runtime (404), so its end, end activity, delete reason and final variables are read from
``historic-process-instances`` once async history has caught up.
"""

import pytest

from .conftest import variables_of

REVIEWS = ("Legal review", "Brand review", "Marketing review")


def _review_round(ot, instance_id, outcomes):
    for name, outcome in zip(REVIEWS, outcomes, strict=True):
        ot.decide(instance_id, name, outcome)


def test_all_three_approved_ends_the_instance_approved(ot, started):
    _review_round(ot, started["id"], ["approved"] * 3)
    assert ot.tasks(processInstanceId=started["id"]) == []
    ot.assert_gone(started["id"])
    ot.wait_for_history()
    body = ot.history(started["id"])
    assert body["endTime"] is not None
    assert body["endActivityId"] == "end_approved"
    assert body["deleteReason"] is None  # a normal end event
    values = variables_of(body)
    assert values["approvalStatus"] == "approved"
    assert (values["legalOutcome"], values["brandOutcome"], values["marketingOutcome"]) == ("approved",) * 3


def test_an_outcome_one_branch_wrote_stays_visible_while_the_others_run(ot, started):
    """Flowable's variables are global: legal's outcome does not vanish when brand decides next (Spiff keeps a
    finished branch's data in the join, outside the open frontier)."""
    ot.decide(started["id"], "Legal review", "approved")
    ot.decide(started["id"], "Brand review", "changes_requested")
    values = variables_of(ot.instance(started["id"]))
    assert (values["legalOutcome"], values["brandOutcome"]) == ("approved", "changes_requested")


@pytest.mark.parametrize("rejecting", REVIEWS)
def test_one_rejection_ends_the_cycle_at_once(ot, started, rejecting):
    ot.decide(started["id"], rejecting, "rejected")
    assert ot.tasks(processInstanceId=started["id"]) == []
    ot.assert_gone(started["id"])
    ot.wait_for_history()
    body = ot.history(started["id"])
    assert body["endActivityId"] == "end_rejected"
    assert body["deleteReason"] == "terminate end event"  # Flowable's DeleteReason.TERMINATE_END_EVENT
    assert variables_of(body)["approvalStatus"] == "rejected"

    rows = {t["name"]: t for t in ot.historic_tasks(processInstanceId=started["id"])}
    assert set(rows) == set(REVIEWS)
    assert rows[rejecting]["deleteReason"] is None
    assert "outcome" not in rows[rejecting]
    for name in set(REVIEWS) - {rejecting}:
        assert rows[name]["deleteReason"] == "terminate end event"
        assert rows[name]["endTime"] is not None


def test_rejection_after_other_approvals_keeps_their_outcomes(ot, started):
    ot.decide(started["id"], "Legal review", "approved")
    ot.decide(started["id"], "Brand review", "rejected")
    ot.wait_for_history()
    values = variables_of(ot.history(started["id"]))
    assert values["approvalStatus"] == "rejected"
    assert values["legalOutcome"] == "approved"
    finished = ot.historic_tasks(processInstanceId=started["id"], finished="true")
    assert {t["name"]: t["deleteReason"] for t in finished} == {
        "Legal review": None,
        "Brand review": None,
        "Marketing review": "terminate end event",
    }


def test_changes_requested_twice_then_approved(ot, started):
    instance_id = started["id"]
    for round_number in range(2):
        _review_round(ot, instance_id, ["approved", "changes_requested", "approved"])
        [revise] = ot.tasks(processInstanceId=instance_id, includeTaskAssignments="true")
        assert revise["name"] == "Revise asset"
        assert revise["assignments"] == [{"type": "candidate", "user": None, "group": "content_owner"}]
        assert "possibleOutcomes" not in revise  # the client knows a task's outcomes from the model, not the JSON
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
    ot.assert_gone(instance_id)
    ot.wait_for_history()
    assert variables_of(ot.history(instance_id))["approvalStatus"] == "approved"
    names = [t["name"] for t in ot.historic_tasks(processInstanceId=instance_id)]
    assert names.count("Legal review") == 3
    assert names.count("Revise asset") == 2


def started_due(ot, instance_id):
    return variables_of(ot.instance(instance_id))["reviewDueDate"]


def test_changes_then_rejection_in_the_second_round(ot, started):
    _review_round(ot, started["id"], ["changes_requested", "approved", "approved"])
    ot.decide(started["id"], "Revise asset", "resubmitted")
    ot.decide(started["id"], "Marketing review", "rejected")
    assert ot.tasks(processInstanceId=started["id"]) == []
    ot.wait_for_history()
    body = ot.history(started["id"])
    assert variables_of(body)["approvalStatus"] == "rejected"
    assert body["deleteReason"] == "terminate end event"


def test_withdrawn(ot, started):
    _review_round(ot, started["id"], ["changes_requested", "changes_requested", "approved"])
    ot.decide(started["id"], "Revise asset", "withdrawn")
    ot.assert_gone(started["id"])
    ot.wait_for_history()
    body = ot.history(started["id"])
    assert body["endActivityId"] == "end_withdrawn"
    assert body["deleteReason"] is None
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
    ot.wait_for_history()
    [row] = ot.historic_tasks(taskAssignee="brand@acme.example", includeProcessVariables="true")
    assert row["name"] == "Brand review"
    assert "outcome" not in row
    assert variables_of(row)["brandOutcome"] == "approved"  # the outcome, read where Flowable keeps it
    assert variables_of(ot.history(started["id"]))["approvalStatus"] == "approved"
