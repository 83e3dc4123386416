"""The emulator's BPMN engine: a thin, stateless wrapper around SpiffWorkflow.

The engine holds no instance state. Callers load a workflow from its JSON, act on it and dump it again, so an
instance can run in any process and survives restarts. Process models are every ``*.bpmn`` file of the portal's
``apps/workflows/bpmn`` folder, parsed once and re-parsed when a file changes.

A ``bpmn:userTask`` declares its OpenText attributes as SpiffWorkflow extension properties (names in ``contract``):
``candidateGroups``, ``candidateUsers``, ``assignee``, ``possibleOutcomes``, ``outcomeVariable``, ``dueDateVariable``,
``category``, ``priority``, ``formKey``. Candidate values may be ``${variable}`` expressions, as in OpenText models.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException, TaskNotFoundException
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from . import contract

BPMN_DIR = Path(settings.BASE_DIR) / "apps" / "workflows" / "bpmn"
_EXPRESSION = re.compile(r"^\$\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}$")
_OPEN_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED


class EngineError(Exception):
    """A model that does not parse or a step that fails (a script error, no gateway condition matching)."""


@dataclass(frozen=True)
class Outcome:
    name: str
    value: str


@dataclass(frozen=True)
class ProcessModel:
    """One executable process of the BPMN folder."""

    key: str
    name: str
    definition_id: str
    version: int
    filename: str
    spec: Any = field(repr=False)
    subprocess_specs: dict = field(repr=False)


@dataclass(frozen=True)
class ReadyUserTask:
    """A READY user task with its OpenText attributes resolved against the task's data."""

    spiff_task_id: UUID
    definition_key: str
    name: str
    description: str
    candidate_groups: tuple[str, ...]
    candidate_users: tuple[str, ...]
    possible_outcomes: tuple[Outcome, ...]
    outcome_variable: str
    due_date: datetime | None
    category: str
    priority: int | None
    form_key: str
    assignee: str = ""  # created assigned, as a Flowable model's flowable:assignee does


def parse_outcomes(value: str) -> tuple[Outcome, ...]:
    """``"Approve:approved,Reject:rejected"`` (OpenText's approval-task notation) to outcomes; a bare item is both."""
    outcomes = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        name, _, outcome = item.rpartition(":")
        outcomes.append(Outcome(name=(name or outcome).strip(), value=outcome.strip()))
    return tuple(outcomes)


def parse_datetime(value: Any) -> datetime | None:
    """A due date from a process variable: ISO date-time (``+0000``, ``+00:00``, ``Z``) or date; naive means UTC."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    elif isinstance(value, str) and value.strip():
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _resolve(value: str, data: dict) -> str:
    """A ``${variable}`` expression becomes the variable's value; anything else is literal."""
    match = _EXPRESSION.match(value)
    if match is None:
        return value
    resolved = data.get(match.group(1))
    return "" if resolved is None else str(resolved)


def _split(value: str, data: dict) -> tuple[str, ...]:
    items = (_resolve(part.strip(), data) for part in value.split(","))
    return tuple(dict.fromkeys(item.strip() for item in items if item and item.strip()))


def task_properties(task: Task) -> dict[str, str]:
    """The ``spiffworkflow:properties`` of a task's spec (empty when it declares none)."""
    extensions = getattr(task.task_spec, "extensions", None) or {}
    return dict(extensions.get("properties") or {})


def describe_user_task(task: Task) -> ReadyUserTask:
    """Read a user task's OpenText attributes from its extension properties and its current data."""
    props = task_properties(task)
    data = task.data
    due_variable = props.get(contract.PROP_DUE_DATE_VARIABLE, "").strip()
    priority = props.get(contract.PROP_PRIORITY, "").strip()
    spec = task.task_spec
    return ReadyUserTask(
        spiff_task_id=task.id,
        definition_key=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id or spec.name,
        description=(spec.documentation or "").strip(),
        candidate_groups=_split(props.get(contract.PROP_CANDIDATE_GROUPS, ""), data),
        candidate_users=_split(props.get(contract.PROP_CANDIDATE_USERS, ""), data),
        possible_outcomes=parse_outcomes(props.get(contract.PROP_POSSIBLE_OUTCOMES, "")),
        outcome_variable=props.get(contract.PROP_OUTCOME_VARIABLE, "").strip(),
        due_date=parse_datetime(data.get(due_variable)) if due_variable else None,
        category=props.get(contract.PROP_CATEGORY, "").strip(),
        priority=int(priority) if priority.lstrip("-").isdigit() else None,
        form_key=props.get(contract.PROP_FORM_KEY, "").strip(),
        assignee=_resolve(props.get(contract.PROP_ASSIGNEE, "").strip(), data).strip(),
    )


def _definition_id(key: str, content: bytes) -> str:
    """Flowable-style ``key:version:id``; the digest changes with the file, so a changed model gets a new id."""
    return f"{key}:{contract.MODEL_VERSION}:{hashlib.sha256(content).hexdigest()[:12]}"


class _ModelCache:
    """Parsed models per folder, re-parsed when any file's name, size or mtime changes (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[Path, tuple[tuple, dict[str, ProcessModel]]] = {}

    def get(self, folder: Path) -> dict[str, ProcessModel]:
        files = sorted(folder.glob("*.bpmn"))
        signature = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        with self._lock:
            cached = self._entries.get(folder)
            if cached is not None and cached[0] == signature:
                return cached[1]
            models = _parse(files)
            self._entries[folder] = (signature, models)
            return models

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _parse(files: Iterable[Path]) -> dict[str, ProcessModel]:
    """Parse all files with one parser, so a call activity may reference a process of another file."""
    files = list(files)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_files([str(f) for f in files])
    except (SpiffWorkflowException, OSError, ValueError) as exc:
        raise EngineError(f"BPMN models do not parse: {exc}") from exc
    contents = {str(f): f.read_bytes() for f in files}
    models: dict[str, ProcessModel] = {}
    for key in parser.get_process_ids():
        try:
            spec = parser.get_spec(key)
            subprocess_specs = parser.get_subprocess_specs(key)
        except SpiffWorkflowException as exc:
            raise EngineError(f"process {key!r} does not parse: {exc}") from exc
        filename = parser.get_process_parser(key).filename or ""
        models[key] = ProcessModel(
            key=key,
            name=spec.description or key,
            definition_id=_definition_id(key, contents.get(filename, key.encode())),
            version=contract.MODEL_VERSION,
            filename=Path(filename).name,
            spec=spec,
            subprocess_specs=subprocess_specs,
        )
    return models


_MODELS = _ModelCache()
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def clear_model_cache() -> None:
    """Forget parsed models (what a restarted process would start with)."""
    _MODELS.clear()


class WorkflowEngine:
    """Start, load, advance and dump SpiffWorkflow instances; no state besides the shared model cache."""

    def __init__(self, bpmn_dir: Path | None = None) -> None:
        self.bpmn_dir = Path(bpmn_dir or BPMN_DIR)

    # --- models -------------------------------------------------------------------------------------------------
    def models(self) -> list[ProcessModel]:
        return sorted(_MODELS.get(self.bpmn_dir).values(), key=lambda m: m.key)

    def model(self, key: str) -> ProcessModel | None:
        return _MODELS.get(self.bpmn_dir).get(key)

    def model_by_definition_id(self, definition_id: str) -> ProcessModel | None:
        return next((m for m in self.models() if m.definition_id == definition_id), None)

    # --- persistence --------------------------------------------------------------------------------------------
    @staticmethod
    def dump(workflow: BpmnWorkflow) -> str:
        return _SERIALIZER.serialize_json(workflow)

    @staticmethod
    def load(workflow_json: str) -> BpmnWorkflow:
        try:
            return _SERIALIZER.deserialize_json(workflow_json)
        except (SpiffWorkflowException, ValueError, KeyError) as exc:
            raise EngineError(f"stored workflow does not load: {exc}") from exc

    # --- execution ----------------------------------------------------------------------------------------------
    def start(self, model: ProcessModel, variables: dict[str, Any]) -> BpmnWorkflow:
        """A new instance run to its first wait state; the variables are the start event's data."""
        workflow = BpmnWorkflow(model.spec, model.subprocess_specs)
        start = workflow.get_tasks(state=TaskState.READY)[0]
        start.data.update(variables)
        self._advance(workflow)
        return workflow

    def complete(self, workflow: BpmnWorkflow, spiff_task_id: UUID, data: dict[str, Any]) -> None:
        """Complete a READY user task with extra data, then run the engine to the next wait state."""
        task = self._ready_user_task(workflow, spiff_task_id)
        task.data.update(data)
        try:
            task.run()
        except SpiffWorkflowException as exc:
            raise EngineError(str(exc)) from exc
        self._advance(workflow)

    @staticmethod
    def cancel(workflow: BpmnWorkflow) -> None:
        workflow.cancel()

    @staticmethod
    def _advance(workflow: BpmnWorkflow) -> None:
        try:
            workflow.do_engine_steps()
        except SpiffWorkflowException as exc:
            raise EngineError(str(exc)) from exc

    @staticmethod
    def _ready_user_task(workflow: BpmnWorkflow, spiff_task_id: UUID) -> Task:
        try:  # a task of an embedded subprocess lives in the subprocess's own task tree
            task = workflow.get_task_from_id(spiff_task_id)
        except TaskNotFoundException:
            task = None
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise EngineError(f"task {spiff_task_id} is not a ready user task")
        return task

    # --- reading ------------------------------------------------------------------------------------------------
    @staticmethod
    def ready_user_tasks(workflow: BpmnWorkflow) -> list[ReadyUserTask]:
        return [describe_user_task(t) for t in workflow.get_tasks(state=TaskState.READY, manual=True)]

    @staticmethod
    def is_completed(workflow: BpmnWorkflow) -> bool:
        return workflow.is_completed()

    @staticmethod
    def ended_by_terminate(workflow: BpmnWorkflow) -> bool:
        return any(
            isinstance(t.task_spec, EndEvent) and isinstance(t.task_spec.event_definition, TerminateEventDefinition)
            for t in workflow.get_tasks(state=TaskState.COMPLETED)
        )

    @staticmethod
    def start_activity(workflow: BpmnWorkflow) -> str:
        """The start event the instance began at (Flowable's ``startActivityId``)."""
        starts = [t for t in workflow.get_tasks() if t.workflow is workflow and isinstance(t.task_spec, StartEvent)]
        return next((t.task_spec.bpmn_id for t in starts if t.task_spec.bpmn_id), "")

    @staticmethod
    def current_activity(workflow: BpmnWorkflow) -> str:
        """The first waiting user task; once ended, the end event reached (Flowable's ``activityId``)."""
        if workflow.is_completed():
            ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if isinstance(t.task_spec, EndEvent)]
            ends = [t for t in ends if t.task_spec.bpmn_id]
            return max(ends, key=lambda t: t.last_state_change).task_spec.bpmn_id if ends else ""
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        return ready[0].task_spec.bpmn_id if ready else ""

    @staticmethod
    def variables(
        workflow: BpmnWorkflow, previous: dict[str, Any] | None = None, *, changed_after: float | None = None
    ) -> dict[str, Any]:
        """The process variables as a Flowable client would see them.

        Spiff keeps data per task, so a running instance's variables are the merged data at its open frontier
        (ready user tasks and joins waiting for other branches), over the previous view: in Flowable variables are
        global, so what one branch wrote stays visible while the other branches run (Spiff may hold a finished
        branch's data in a join outside the frontier). A variable a script task deleted in the step that began at
        ``changed_after`` (``time.time()``) is removed, as ``execution.removeVariable`` would. When the instance
        ends, its final data is merged over the previous view, keeping what other branches decided before a
        terminate end event cut them off.
        """
        if workflow.is_completed():
            return DeepMerge.merge(dict(previous or {}), workflow.data)
        merged: dict[str, Any] = dict(previous or {})
        if changed_after is not None:
            for task in workflow.get_tasks(state=TaskState.COMPLETED):
                if task.last_state_change >= changed_after and getattr(task.task_spec, "script", None):
                    for name in set(task.parent.data if task.parent else ()) - set(task.data):
                        merged.pop(name, None)
        frontier = sorted(workflow.get_tasks(state=_OPEN_STATES), key=lambda t: t.last_state_change)
        for task in frontier:
            if task.parent is not None:
                DeepMerge.merge(merged, task.parent.data)
            DeepMerge.merge(merged, task.data)
        return merged
