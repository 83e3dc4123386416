"""The flow registry (``apps.workflows.flows``): a flow is declared once, against the BPMN file it runs, and every
outcome that file can produce is one the flow has decided how to show and apply."""

from __future__ import annotations

import importlib
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from apps.workflows import bpmn, flows

REGISTERED = [
    "asset_approval",
    "asset_exception",
    "asset_onboarding",
    "compliance_review",
    "creative_request",
    "rights_renewal",
]

# Final outcomes of a registered flow that deliberately write nothing back to Smint.io, each with the document that
# says so.
NOT_WRITTEN_BACK: dict[tuple[str, str], str] = {
    # a creative request is not an asset: its end is the request's, nothing to tell Smint.io
    ("creative_request", "delivered"): "docs/flows.md",
    ("creative_request", "declined"): "docs/flows.md",
}


@pytest.fixture
def registry(monkeypatch):
    """A copy of the registry the test may change; the real one is left as the apps registered it."""
    monkeypatch.setattr(flows, "FLOWS", dict(flows.FLOWS))
    return flows.FLOWS


@pytest.fixture
def private_bpmn(tmp_path, monkeypatch):
    """``write(xml)``: a BPMN file of the test's own that ``bpmn.process`` (and so ``Flow.process``) reads."""

    def write(body: str) -> Path:
        path = tmp_path / "private.bpmn"
        path.write_text(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
            'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="defs">\n'
            f"{textwrap.dedent(body)}\n</bpmn:definitions>\n"
        )
        bpmn.catalogue.cache_clear()
        monkeypatch.setattr(bpmn, "process", lambda key: bpmn.catalogue(tmp_path).get(key))
        return path

    yield write
    bpmn.catalogue.cache_clear()


PRIVATE_PROCESS = """
<bpmn:process id="private_check" name="Private check" isExecutable="true">
  <bpmn:userTask id="check" name="Check it">
    <bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="candidateGroups" value="legal, brand" />
      <spiffworkflow:property name="possibleOutcomes" value="Looks fine:fine,Not fine:not_fine" />
      <spiffworkflow:property name="outcomeVariable" value="checkOutcome" />
    </spiffworkflow:properties></bpmn:extensionElements>
  </bpmn:userTask>
  <bpmn:scriptTask id="copy"><bpmn:script>approvalStatus = checkOutcome</bpmn:script></bpmn:scriptTask>
  <bpmn:scriptTask id="late"><bpmn:script>approvalStatus = "timed_out"</bpmn:script></bpmn:scriptTask>
</bpmn:process>
"""


def _flow(key: str, outcomes) -> flows.Flow:
    return flows.Flow(
        key=key,
        label="Private check",
        subject="assets.asset",
        subject_page="assets:asset_detail",
        sla_kind="approval",
        outcome_prefix="private",
        outcomes={value: flows.Outcome() for value in outcomes},
        on_end=lambda run: None,
        prepare=lambda task, **kwargs: flows.Prepared(),
    )


# -- registering ---------------------------------------------------------------------------------------------------
def test_the_apps_register_each_flow_once():
    assert sorted(flows.FLOWS) == REGISTERED
    by_label = [
        "asset_approval",
        "asset_exception",
        "asset_onboarding",
        "creative_request",
        "rights_renewal",
        "compliance_review",
    ]
    assert [f.key for f in flows.all_flows()] == by_label


def test_a_flow_that_leaves_out_an_outcome_its_bpmn_can_produce_is_refused(registry, private_bpmn):
    private_bpmn(PRIVATE_PROCESS)
    assert bpmn.process("private_check").end_outcomes == {"fine", "not_fine", "timed_out"}  # literal and copied
    with pytest.raises(ValueError, match=r"'private_check' does not declare the outcomes \['timed_out'\]"):
        flows.register(_flow("private_check", ["fine", "not_fine"]))
    with pytest.raises(ValueError, match=r"\['not_fine', 'timed_out'\]"):
        flows.register(_flow("private_check", ["fine"]))
    assert "private_check" not in registry

    registered = flows.register(_flow("private_check", ["fine", "not_fine", "timed_out"]))
    assert registry["private_check"] is registered
    assert registered.process.tasks["check"].candidate_groups == ("legal", "brand")


def test_an_approval_flow_missing_a_declared_end_is_refused(registry):
    real = flows.get("asset_approval")
    without = {value: outcome for value, outcome in real.outcomes.items() if value != "withdrawn"}
    with pytest.raises(ValueError, match=r"\['withdrawn'\]"):
        flows.register(_flow("asset_approval", without))
    assert registry["asset_approval"] is real  # the registered flow is untouched


def test_a_flow_without_a_bpmn_file_cannot_be_registered(registry):
    with pytest.raises(LookupError, match="No BPMN process 'nowhere'"):
        flows.register(_flow("nowhere", []))
    assert "nowhere" not in registry


def test_a_run_of_a_process_no_app_declares_has_no_flow():
    from apps.workflows.models import WorkflowRun

    run = WorkflowRun(process_key="foreign_model", subject_id=1)
    assert run.flow is None and run.subject_url == ""
    with pytest.raises(LookupError, match="No flow is registered for process 'foreign_model'"):
        flows.of(run)


# -- every registered flow against its BPMN --------------------------------------------------------------------------
@pytest.mark.parametrize("key", REGISTERED)
def test_every_registered_flows_bpmn_ships_and_declares_tasks_it_can_run(key):
    flow = flows.get(key)
    assert (Path(settings.BASE_DIR) / "apps" / "workflows" / "bpmn" / f"{key}.bpmn").is_file()
    process = flow.process
    assert process.key == key and process.tasks and process.end_outcomes
    for task in process.tasks.values():
        assert task.candidate_groups or task.assignee, f"{key}.{task.key} has no candidate group: nobody would see it"
        assert task.outcomes, f"{key}.{task.key} declares no outcomes: it could only be decided in OpenText"
        assert task.outcome_variable, f"{key}.{task.key} has no outcome variable"
        assert set(task.outcome_values) <= set(flow.outcomes)
    assert process.end_outcomes <= set(flow.outcomes)


@pytest.mark.parametrize("key", REGISTERED)
def test_every_final_outcome_declares_its_smintio_status_or_is_documented_as_not_written_back(key):
    flow = flows.get(key)
    for value in sorted(flow.process.end_outcomes):
        outcome = flow.outcome(value)
        document = NOT_WRITTEN_BACK.get((key, value))
        if document is None:
            assert outcome.smintio, f"{key} can end with {value!r} but declares no Smint.io status for it"
            assert outcome.state, f"{key} can end with {value!r} but does not say what it makes of the subject"
        else:
            assert outcome.smintio is None
            assert value in (Path(settings.BASE_DIR) / document).read_text(), (key, value, document)


@pytest.mark.parametrize("key", REGISTERED)
def test_every_flows_subject_page_schedules_and_keys_resolve(key):
    flow = flows.get(key)
    assert reverse(flow.subject_page, args=[1]).endswith("/1/")
    app_label, model = flow.subject.split(".")
    from django.apps import apps

    assert apps.get_model(app_label, model) is not None
    for schedule in flow.schedules:
        module, name = schedule.func.rsplit(".", 1)
        assert callable(getattr(importlib.import_module(module), name)), schedule
        assert schedule.minutes > 0
    assert flow.sla_kind and flow.outcome_prefix


def test_write_back_keys_are_unique_per_flow():
    prefixes = [f.outcome_prefix for f in flows.all_flows()]
    assert len(prefixes) == len(set(prefixes)), "two flows would share Smint.io idempotency keys"


# -- what the pages ask the registry -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "tone"),
    [
        ("approved", flows.OK),
        ("rejected", flows.BAD),
        ("changes_requested", flows.NEUTRAL),
        ("usage_withdrawn", flows.BAD),
        ("no_issue", flows.OK),
        ("renewed", flows.OK),
        ("taken_down", flows.BAD),
        ("user_warned", flows.NEUTRAL),
        ("something_else", flows.NEUTRAL),
        ("", flows.NEUTRAL),
    ],
)
def test_tone_of_an_outcome_whichever_flow_declares_it(value, tone):
    assert flows.tone(value) == tone


def test_an_outcome_two_flows_declare_has_one_tone():
    """``flows.tone`` does not know the flow: the same word must look the same everywhere."""
    tones: dict[str, set[str]] = {}
    for flow in flows.all_flows():
        for value, outcome in flow.outcomes.items():
            tones.setdefault(value, set()).add(outcome.tone)
    assert {value: found for value, found in tones.items() if len(found) > 1} == {}
    assert all(o.tone in (flows.OK, flows.BAD, flows.NEUTRAL) for f in flows.all_flows() for o in f.outcomes.values())


@pytest.mark.parametrize(
    ("key", "value", "label"),
    [
        ("asset_approval", "changes_requested", "Request changes"),
        ("asset_approval", "resubmitted", "Resubmit"),
        ("compliance_review", "escalated", "Escalate"),
        ("compliance_review", "usage_withdrawn", "Usage withdrawn"),
        ("rights_renewal", "not_renewed", "Cannot renew"),
        ("rights_renewal", "taken_down", "Taken down"),  # an end no task offers: made from the value
        ("asset_approval", "no_such_thing", "No such thing"),
    ],
)
def test_label_of_reads_the_bpmn_and_falls_back_to_the_value_in_words(key, value, label):
    assert flows.get(key).label_of(value) == label


def test_subject_page_by_subject_type():
    assert flows.subject_page("assets.asset") == "assets:asset_detail"
    assert flows.subject_page("exceptions.case") == "exceptions:case_detail"
    assert flows.subject_page("clients.client") == ""


def test_the_registry_as_data_names_every_flow_its_outcomes_and_jobs():
    described = {entry["key"]: entry for entry in flows.describe()}
    assert sorted(described) == REGISTERED
    approval = described["asset_approval"]
    assert approval["subject"] == "assets.asset"
    assert approval["outcomes"]["rejected"]["needs_reason"] is True
    assert approval["outcomes"]["approved"]["smintio"] == "approved"
    assert approval["schedules"] == ["reviews.start_pending_approvals", "reviews.escalate_overdue"]
    assert sorted(s.name for s in flows.schedules()) == sorted(s for e in described.values() for s in e["schedules"])
