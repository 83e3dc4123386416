"""The SpiffWorkflow wrapper: models, extension properties, persistence across a "restart"."""

from datetime import UTC, datetime

import pytest

from apps.emulators.opentext import services
from apps.emulators.opentext.engine import (
    Outcome,
    WorkflowEngine,
    clear_model_cache,
    parse_datetime,
    parse_outcomes,
    task_properties,
)
from apps.emulators.opentext.models import OtProcessInstance, OtTask

PROPERTIES_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="props_probe" name="Properties probe" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:userTask id="approve" name="Regional approval">
      <bpmn:documentation>Decide for your region.</bpmn:documentation>
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="candidateGroups" value="legal, ${regionGroup}" />
          <spiffworkflow:property name="candidateUsers" value="boss@acme.example" />
          <spiffworkflow:property name="possibleOutcomes" value="Approve:approved,Reject:rejected" />
          <spiffworkflow:property name="outcomeVariable" value="decision" />
          <spiffworkflow:property name="dueDateVariable" value="due" />
          <spiffworkflow:property name="category" value="approval" />
          <spiffworkflow:property name="priority" value="70" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="end" />
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def probe_engine(tmp_path):
    (tmp_path / "props_probe.bpmn").write_text(PROPERTIES_BPMN)
    return WorkflowEngine(bpmn_dir=tmp_path)


def test_parser_exposes_spiffworkflow_properties_of_a_user_task(probe_engine):
    model = probe_engine.model("props_probe")
    assert model.name == "Properties probe"
    workflow = probe_engine.start(model, {"regionGroup": "emea_marketing", "due": "2031-01-02T03:04:05+0000"})
    [ready] = probe_engine.ready_user_tasks(workflow)
    assert ready.definition_key == "approve"
    assert ready.name == "Regional approval"
    assert ready.description == "Decide for your region."
    assert ready.candidate_groups == ("legal", "emea_marketing")
    assert ready.candidate_users == ("boss@acme.example",)
    assert ready.possible_outcomes == (Outcome("Approve", "approved"), Outcome("Reject", "rejected"))
    assert ready.outcome_variable == "decision"
    assert ready.due_date == datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert ready.category == "approval"
    assert ready.priority == 70


def test_asset_approval_user_tasks_declare_their_opentext_attributes():
    model = WorkflowEngine().model("asset_approval")
    assert model is not None
    assert model.name == "Asset approval"
    specs = [model.spec, *model.subprocess_specs.values()]  # the reviews sit in the embedded stage subprocess
    user_tasks = {
        spec.bpmn_id: spec for wf in specs for spec in wf.task_specs.values() if getattr(spec, "manual", False)
    }
    assert set(user_tasks) == {"legal_review", "brand_review", "marketing_review", "stakeholder_review", "revise_asset"}
    expected = {
        "legal_review": ("legal", "legalOutcome"),
        "brand_review": ("brand", "brandOutcome"),
        "marketing_review": ("marketing", "marketingOutcome"),
    }
    for bpmn_id, (group, variable) in expected.items():
        props = user_tasks[bpmn_id].extensions["properties"]
        assert props["candidateGroups"] == group
        assert props["outcomeVariable"] == variable
        assert props["dueDateVariable"] == "reviewDueDate"
        assert [o.value for o in parse_outcomes(props["possibleOutcomes"])] == [
            "approved",
            "rejected",
            "changes_requested",
        ]
    # the contract with the external reviewers' link: who signs, the outcomes, the category
    stakeholder = user_tasks["stakeholder_review"].extensions["properties"]
    assert stakeholder["candidateGroups"] == "external"
    assert stakeholder["category"] == "approval"
    assert stakeholder["outcomeVariable"] == "stakeholderOutcome"
    assert [o.value for o in parse_outcomes(stakeholder["possibleOutcomes"])] == ["approved", "rejected"]
    revise = user_tasks["revise_asset"].extensions["properties"]
    assert revise["candidateGroups"] == "content_owner"
    assert revise["outcomeVariable"] == "revisionOutcome"
    assert [o.value for o in parse_outcomes(revise["possibleOutcomes"])] == ["resubmitted", "withdrawn"]


def test_outcome_notation_and_dates():
    assert parse_outcomes("Approve:approved, Request changes:changes_requested,done") == (
        Outcome("Approve", "approved"),
        Outcome("Request changes", "changes_requested"),
        Outcome("done", "done"),
    )
    assert parse_datetime("2031-03-15T17:00:00.000+0000") == datetime(2031, 3, 15, 17, tzinfo=UTC)
    assert parse_datetime("2031-03-15T17:00:00Z") == datetime(2031, 3, 15, 17, tzinfo=UTC)
    assert parse_datetime("2031-03-15") == datetime(2031, 3, 15, tzinfo=UTC)
    assert parse_datetime("not a date") is None


def test_instance_state_is_in_the_database_after_every_step(ot, started):
    instance = OtProcessInstance.objects.get(public_id=started["id"])
    before = instance.workflow_json
    ot.decide(started["id"], "Legal review", "approved")
    instance.refresh_from_db()
    assert instance.workflow_json != before
    engine = WorkflowEngine()
    workflow = engine.load(instance.workflow_json)
    assert {t.definition_key for t in engine.ready_user_tasks(workflow)} == {"brand_review", "marketing_review"}


def test_instance_survives_a_restart(ot, started, tmp_path):
    """A fresh engine with no parsed models (and no BPMN files at all) continues from the stored JSON."""
    clear_model_cache()
    fresh = WorkflowEngine(bpmn_dir=tmp_path)
    assert fresh.models() == []
    instance = OtProcessInstance.objects.get(public_id=started["id"])
    workflow = fresh.load(instance.workflow_json)
    rows = OtTask.objects.filter(process_instance=instance, end_time__isnull=True)
    assert {t.spiff_task_id for t in fresh.ready_user_tasks(workflow)} == {r.spiff_task_id for r in rows}
    for row in rows.order_by("id"):
        services.complete_task(instance.tenant, str(row.public_id), outcome="approved", engine=fresh)
    ot.assert_gone(started["id"])
    ot.wait_for_history()
    body = ot.history(started["id"])
    assert body["endActivityId"] == "end_approved"
    assert {v["name"]: v["value"] for v in body["variables"]}["approvalStatus"] == "approved"


def test_task_properties_of_a_task_without_extensions(probe_engine):
    workflow = probe_engine.start(probe_engine.model("props_probe"), {})
    start_task = next(t for t in workflow.get_tasks() if t.task_spec.name == "Start")
    assert task_properties(start_task) == {}


# --- the approval shape a client's policy gives a run (process variables read once, at the start) ----------------
def _decide(engine, workflow, key: str, outcome: str) -> None:
    ready = [t for t in engine.ready_user_tasks(workflow) if t.definition_key == key]
    assert ready, f"no open {key} among {[t.definition_key for t in engine.ready_user_tasks(workflow)]}"
    engine.complete(workflow, ready[0].spiff_task_id, {ready[0].outcome_variable: outcome})


def _open(engine, workflow) -> list[str]:
    return sorted(t.definition_key for t in engine.ready_user_tasks(workflow))


def test_asset_approval_without_policy_variables_is_the_default_shape():
    engine = WorkflowEngine()
    workflow = engine.start(engine.model("asset_approval"), {})
    assert _open(engine, workflow) == ["brand_review", "legal_review", "marketing_review"]
    for key in ("legal_review", "brand_review", "marketing_review"):
        _decide(engine, workflow, key, "approved")
    assert engine.is_completed(workflow)
    assert workflow.data["approvalStatus"] == "approved"


def test_asset_approval_stages_quorum_and_stakeholder_step():
    engine = WorkflowEngine()
    policy = {
        "approvalStages": [["legal"], ["brand", "marketing"]],
        "approvalQuorum": {"brand": 2},
        "stakeholderStep": True,
    }
    workflow = engine.start(engine.model("asset_approval"), policy)
    assert _open(engine, workflow) == ["legal_review"]  # the first stage alone
    _decide(engine, workflow, "legal_review", "approved")
    assert _open(engine, workflow) == ["brand_review", "brand_review", "marketing_review"]  # two brand signatures
    _decide(engine, workflow, "brand_review", "approved")
    _decide(engine, workflow, "marketing_review", "approved")
    assert _open(engine, workflow) == ["brand_review"]  # the quorum is not met yet: no stakeholder task
    _decide(engine, workflow, "brand_review", "approved")
    [stakeholder] = engine.ready_user_tasks(workflow)
    assert (stakeholder.definition_key, stakeholder.candidate_groups) == ("stakeholder_review", ("external",))
    _decide(engine, workflow, "stakeholder_review", "approved")
    assert engine.is_completed(workflow)
    assert workflow.data["approvalStatus"] == "approved"


def test_a_quorum_stops_at_the_first_refusal_and_a_stakeholder_may_reject():
    engine = WorkflowEngine()
    workflow = engine.start(engine.model("asset_approval"), {"approvalQuorum": {"brand": 2}, "stakeholderStep": True})
    _decide(engine, workflow, "brand_review", "changes_requested")
    assert _open(engine, workflow) == ["legal_review", "marketing_review"]  # the other brand task is cancelled
    _decide(engine, workflow, "legal_review", "approved")
    _decide(engine, workflow, "marketing_review", "approved")
    assert _open(engine, workflow) == ["revise_asset"]
    _decide(engine, workflow, "revise_asset", "resubmitted")
    assert _open(engine, workflow) == ["brand_review", "brand_review", "legal_review", "marketing_review"]
    for key in ("brand_review", "brand_review", "legal_review", "marketing_review"):
        _decide(engine, workflow, key, "approved")
    _decide(engine, workflow, "stakeholder_review", "rejected")
    assert engine.is_completed(workflow) and engine.ended_by_terminate(workflow)
    assert workflow.data["approvalStatus"] == "rejected"


def test_a_rejection_in_a_stage_ends_the_cycle_and_cancels_the_stage():
    engine = WorkflowEngine()
    workflow = engine.start(engine.model("asset_approval"), {"approvalQuorum": {"legal": 2}})
    _decide(engine, workflow, "legal_review", "rejected")
    assert engine.is_completed(workflow) and engine.ended_by_terminate(workflow)
    assert workflow.data["approvalStatus"] == "rejected"
    assert engine.ready_user_tasks(workflow) == []
