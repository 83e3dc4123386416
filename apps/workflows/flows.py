"""The flow registry: each flow is declared once, by the app that owns it (DESIGN invariant 9).

A ``Flow`` names everything the core needs to run a process without knowing it: its BPMN process (``key``, read from
``apps/workflows/bpmn/<key>.bpmn`` by ``workflows.bpmn``), its subject and the subject's page, the outcomes its tasks
and its end can take (with which need a reason, how they are shown, what each final one means for the subject and
for Smint.io), the SLA it is due by, its decision form, how a decision is checked and followed up, what happens when
the process ends or a task is settled in OpenText, and its recurring jobs. The core (``workflows``, ``integrations``)
reads this registry and never names a flow; adding a flow is one app, one declaration and one BPMN file
(docs/architecture.md, "Adding a flow").
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import bpmn

OK, BAD, NEUTRAL = "ok", "bad", "warn"  # how an outcome is shown (always with its words, never by colour alone)


@dataclass(frozen=True)
class Outcome:
    """One value a task or the process can end with. ``state`` is what a final outcome makes of the subject (in the
    flow's own vocabulary), ``smintio`` the workflow status written back to Smint.io (``None``: nothing is)."""

    needs_reason: bool = False
    tone: str = NEUTRAL
    state: str = ""
    smintio: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What a flow makes of a decision before it is recorded: process variables sent with the completion, the
    licence warnings decided over, the licence terms as they stood, and anything its follow-up needs."""

    values: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    snapshot: list = field(default_factory=list)
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Schedule:
    name: str
    func: str  # dotted path of a q2 job
    minutes: int


def _no_inputs(data: Mapping, user) -> dict:
    return {}


def _no_context(task, user) -> dict:
    return {}


@dataclass(frozen=True)
class Flow:
    key: str  # the BPMN process id, stable: OpenText knows the process by it
    label: str
    subject: str  # app_label.model of what a run is about
    subject_page: str  # URL name of the subject's page, taking its id
    sla_kind: str  # clients.TaskKind the tasks are due by
    outcome_prefix: str  # the Smint.io write-back's idempotency key prefix; keys already delivered must never change
    outcomes: dict[str, Outcome]
    on_end: Callable  # (run) -> None, inside the transaction that closes the run
    prepare: Callable  # (task, *, actor, outcome, reason, inputs) -> Prepared; raises DecisionRefused
    after_decision: Callable | None = None  # (task, decision, prepared) -> None, inside the decision's transaction
    on_task_settled: Callable | None = None  # (run, *, task, outcome) -> None; see workflows.services
    read_inputs: Callable = _no_inputs  # (POST or API data, user) -> inputs for ``prepare``
    decision_context: Callable = _no_context  # (task, user) -> what the decision form shows: asset, check, ...
    decision_form: str = ""  # template with the flow's own fields of the decision form ("" = outcome and reason)
    reason_help: str = "Needed for some outcomes. OpenText and the audit trail keep it."
    decided_on_subject_page: bool = False  # the inbox sends people to the subject page to decide
    # dotted path of a view helper ``(request, task, *, error, error_field, status)`` showing a refused decision
    # where it was taken (the subject page); "" = the decision page shows it
    refusal_page: str = ""
    schedules: tuple[Schedule, ...] = ()
    # A flow whose process people may also start in OpenText: ``(Started) -> WorkflowRun | None`` mirrors one such
    # instance the OpenText sync discovered (None: not this portal's to mirror); see ``started_elsewhere``
    adopt: Callable | None = None

    @property
    def process(self) -> bpmn.ProcessSpec:
        spec = bpmn.process(self.key)
        if spec is None:
            raise LookupError(f"No BPMN process {self.key!r} in {bpmn.BPMN_DIR}")
        return spec

    def outcome(self, value: str) -> Outcome:
        return self.outcomes.get(value, Outcome())

    def label_of(self, value: str) -> str:
        for task in self.process.tasks.values():
            for label, known in task.outcomes:
                if known == value:
                    return label
        return value.replace("_", " ").capitalize()


FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    """Declare a flow (from its app's ``ready()``). Every outcome its BPMN can produce must be declared, so a flow
    can never meet an outcome it has not decided how to show and apply."""
    missing = _undeclared(flow)
    if missing:
        raise ValueError(f"Flow {flow.key!r} does not declare the outcomes {sorted(missing)} its BPMN can produce")
    FLOWS[flow.key] = flow
    return flow


def _undeclared(flow: Flow) -> set[str]:
    process = flow.process
    produced = set(process.end_outcomes)
    for task in process.tasks.values():
        produced.update(task.outcome_values)
    return produced - set(flow.outcomes)


def get(key: str) -> Flow | None:
    return FLOWS.get(key)


def of(run) -> Flow:
    flow = FLOWS.get(run.process_key)
    if flow is None:
        raise LookupError(f"No flow is registered for process {run.process_key!r}")
    return flow


def all_flows() -> list[Flow]:
    return sorted(FLOWS.values(), key=lambda f: f.label)


def tone(value: str) -> str:
    """How an outcome (or a subject state named like one) is shown, whichever flow declares it."""
    for flow in FLOWS.values():
        if value in flow.outcomes:
            return flow.outcomes[value].tone
    return NEUTRAL


def subject_page(subject_type: str) -> str:
    return next((f.subject_page for f in FLOWS.values() if f.subject == subject_type), "")


def apply_outcome(run) -> None:
    of(run).on_end(run)


def task_settled(run, *, task, outcome: str | None) -> None:
    flow = of(run)
    if flow.on_task_settled is not None:
        flow.on_task_settled(run, task=task, outcome=outcome)


@dataclass(frozen=True)
class Started:
    """A process instance someone started in OpenText, as the sync discovered it (its variables by name)."""

    process_key: str
    remote_id: str
    business_key: str
    started_by: str
    started_at: Any
    variables: dict


def adoptable() -> list[Flow]:
    """Flows whose processes may be started in OpenText; the sync lists their instances to discover new ones."""
    return [flow for flow in all_flows() if flow.adopt is not None]


def schedules() -> list[Schedule]:
    return [schedule for flow in FLOWS.values() for schedule in flow.schedules]


def describe() -> list[dict[str, Any]]:
    """The registry as data (docs, the admin, tests)."""
    return [
        {
            "key": f.key,
            "label": f.label,
            "subject": f.subject,
            "outcomes": {value: o.__dict__ for value, o in f.outcomes.items()},
            "schedules": [s.name for s in f.schedules],
        }
        for f in all_flows()
    ]
