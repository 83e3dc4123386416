"""What the portal knows of its flows from the BPMN files it ships (``apps/workflows/bpmn/*.bpmn``).

OpenText's task JSON does not say which outcomes a task takes (only our emulator could be made to send them; the
platform, like the Flowable engine under it, does not), so a task's outcomes, its outcome variable and its
candidate groups are read here from the same files an OpenText administrator imports (DESIGN invariant 8). A user
task declares them as ``spiffworkflow:property`` extension elements: ``candidateGroups`` (or ``assignee``: a task
created assigned to one person), ``possibleOutcomes`` (``Label:value,Label:value``, OpenText's approval-task
notation) and ``outcomeVariable``.

A process's final outcome is the ``approvalStatus`` process variable (the portal's convention, ``OUTCOME_VARIABLE``);
``ProcessSpec.end_outcomes`` lists every value a process can end with: the literals its script tasks assign, and
the outcomes of the tasks whose variable a script copies into it.
"""

from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

BPMN_DIR = Path(settings.BASE_DIR) / "apps" / "workflows" / "bpmn"
OUTCOME_VARIABLE = "approvalStatus"

_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
_ASSIGN_LITERAL = re.compile(rf"""\b{OUTCOME_VARIABLE}\s*=\s*["']([\w-]+)["']""")
_ASSIGN_VARIABLE = re.compile(rf"\b{OUTCOME_VARIABLE}\s*=\s*([A-Za-z_]\w*)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class UserTaskSpec:
    """One user task of a process as the BPMN declares it."""

    key: str
    name: str
    candidate_groups: tuple[str, ...]
    outcomes: tuple[tuple[str, str], ...]  # (label, value)
    outcome_variable: str
    assignee: str = ""  # a task created assigned (``${requester}``): that person's alone, no candidate group

    @property
    def outcome_values(self) -> tuple[str, ...]:
        return tuple(value for _label, value in self.outcomes)


@dataclass(frozen=True)
class ProcessSpec:
    key: str
    name: str
    tasks: dict[str, UserTaskSpec] = field(default_factory=dict)
    end_outcomes: frozenset[str] = frozenset()

    def task(self, key: str = "", name: str = "") -> UserTaskSpec | None:
        """A task by its definition key, else by its name (a platform that leaves the key out still names it)."""
        if key and key in self.tasks:
            return self.tasks[key]
        if name:
            return next((t for t in self.tasks.values() if t.name == name), None)
        return None


def parse_outcomes(value: str) -> tuple[tuple[str, str], ...]:
    """``"Approve:approved,Reject:rejected"`` → ``(("Approve", "approved"), ...)``; a bare item is both."""
    outcomes = []
    for item in (part.strip() for part in value.split(",")):
        if item:
            label, _, outcome = item.rpartition(":")
            outcomes.append(((label or outcome).strip(), outcome.strip()))
    return tuple(outcomes)


def _properties(element: ET.Element) -> dict[str, str]:
    return {
        prop.get("name", ""): prop.get("value", "")
        for prop in element.findall("bpmn:extensionElements/spiff:properties/spiff:property", _NS)
    }


def _process(element: ET.Element) -> ProcessSpec:
    tasks = {}
    for node in element.iter(f"{{{_NS['bpmn']}}}userTask"):
        props = _properties(node)
        key = node.get("id", "")
        tasks[key] = UserTaskSpec(
            key=key,
            name=node.get("name") or key,
            candidate_groups=tuple(g.strip() for g in props.get("candidateGroups", "").split(",") if g.strip()),
            outcomes=parse_outcomes(props.get("possibleOutcomes", "")),
            outcome_variable=props.get("outcomeVariable", "").strip(),
            assignee=props.get("assignee", "").strip(),
        )
    ends: set[str] = set()
    for script in element.iter(f"{{{_NS['bpmn']}}}script"):
        text = script.text or ""
        ends.update(_ASSIGN_LITERAL.findall(text))
        for variable in _ASSIGN_VARIABLE.findall(text):
            for task in tasks.values():
                if task.outcome_variable == variable:
                    ends.update(task.outcome_values)
    key = element.get("id", "")
    return ProcessSpec(key=key, name=element.get("name") or key, tasks=tasks, end_outcomes=frozenset(ends))


@functools.cache
def catalogue(folder: Path = BPMN_DIR) -> dict[str, ProcessSpec]:
    """Every executable process of the folder by its key (read once per process; the files ship with the code)."""
    processes = {}
    for path in sorted(folder.glob("*.bpmn")):
        root = ET.parse(path).getroot()  # noqa: S314 - repository files
        for element in root.findall("bpmn:process", _NS):
            if element.get("isExecutable", "true") != "false":
                spec = _process(element)
                processes[spec.key] = spec
    return processes


def process(key: str) -> ProcessSpec | None:
    return catalogue().get(key)


def task_spec(process_key: str, task_key: str = "", name: str = "") -> UserTaskSpec | None:
    spec = process(process_key)
    return spec.task(task_key, name) if spec else None
