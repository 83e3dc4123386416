"""The allowed-transition maps of runs, tasks and cases (issue 10, item 6), table-driven: every move a map allows is
made and audited on the object that moved, every other move is refused with ``InvalidTransition`` and changes
nothing. Each status is written in one place: ``workflows.services._set_task_status`` and ``_set_run_status``,
``exceptions.services.close_case``; a grep of ``apps/`` pins that nothing else writes one."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from django.db import transaction

from apps.audit.models import AuditEvent
from apps.exceptions.choices import CASE_TRANSITIONS, CaseState, Disposition
from apps.exceptions.services import close_case
from apps.workflows import services
from apps.workflows.choices import RUN_TRANSITIONS, TASK_TRANSITIONS, RunStatus, TaskStatus
from apps.workflows.models import Task, WorkflowRun
from tests.reviews.factories import approval_run, licensed_asset

from .conftest import compliance_case, mirror

pytestmark = pytest.mark.django_db

TASK_MOVES = [(a, b) for a, b in itertools.product(TaskStatus.values, repeat=2) if a != b]
RUN_MOVES = list(itertools.product(RunStatus.values, repeat=2))


def _events(obj, action):
    return list(AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk), action=action))


@pytest.mark.parametrize(
    ("transitions", "states", "final"),
    [
        (TASK_TRANSITIONS, TaskStatus.values, {"cancelled"}),
        (RUN_TRANSITIONS, RunStatus.values, {"completed", "cancelled"}),
        (CASE_TRANSITIONS, CaseState.values, {"closed"}),
    ],
)
def test_each_map_covers_every_state_and_only_its_final_states_are_dead_ends(transitions, states, final):
    assert set(transitions) == set(states)
    assert all(targets <= set(states) for targets in transitions.values())
    assert {state for state, targets in transitions.items() if not targets} == final


@pytest.mark.parametrize(("start", "target"), TASK_MOVES)
def test_a_task_moves_only_as_its_map_allows(client_a, start, target):
    task = mirror(approval_run(licensed_asset(client_a)), "legal_review")
    Task.objects.filter(pk=task.pk).update(status=start)
    with transaction.atomic():
        locked = Task.objects.select_for_update().select_related("client").get(pk=task.pk)
        if target in TASK_TRANSITIONS[start]:
            services._set_task_status([locked], target, action="workflows.task.test_move", after={"why": "table"})
        else:
            with pytest.raises(services.InvalidTransition, match=f"is {start}: it cannot become {target}"):
                services._set_task_status([locked], target, action="workflows.task.test_move")
    task.refresh_from_db()
    if target in TASK_TRANSITIONS[start]:
        assert (task.status, task.version) == (target, 2)
        (event,) = _events(task, "workflows.task.test_move")
        assert (event.before, event.after) == ({"status": start}, {"status": target, "why": "table"})
    else:
        assert (task.status, task.version) == (start, 1)
        assert not _events(task, "workflows.task.test_move")


def test_many_tasks_move_in_one_update_and_one_audit_insert_or_none_moves(client_a, django_assert_num_queries):
    run = approval_run(licensed_asset(client_a))
    tasks = [mirror(run, key) for key in ("legal_review", "brand_review", "marketing_review")]
    locked = list(Task.objects.filter(run=run).order_by("id"))
    with django_assert_num_queries(2):  # one INSERT of the events, one UPDATE of the rows, however many tasks
        services._set_task_status(locked, TaskStatus.CANCELLED, action="workflows.task.cancel", after={"run": run.pk})
    assert set(Task.objects.filter(run=run).values_list("status", "version")) == {("cancelled", 2)}
    assert len(AuditEvent.objects.filter(action="workflows.task.cancel", object_type="workflows.task")) == len(tasks)

    # one task the map does not let move: nothing is written for any of them
    more = [mirror(run, key) for key in ("legal_review", "brand_review")]
    Task.objects.filter(pk=more[0].pk).update(status=TaskStatus.CANCELLED)
    rows = list(Task.objects.filter(pk__in=[t.pk for t in more]))
    with pytest.raises(services.InvalidTransition):
        services._set_task_status(rows, TaskStatus.COMPLETED, action="workflows.task.complete_elsewhere")
    assert list(Task.objects.filter(pk=more[1].pk).values_list("status", flat=True)) == ["open"]


@pytest.mark.parametrize(("start", "target"), RUN_MOVES)
def test_a_run_moves_only_as_its_map_allows(client_a, start, target):
    run = approval_run(licensed_asset(client_a))
    WorkflowRun.objects.filter(pk=run.pk).update(status=start)
    locked = WorkflowRun.objects.select_related("client").get(pk=run.pk)
    if target in RUN_TRANSITIONS[start]:
        services._set_run_status(locked, target, action="workflows.run.test_move")
    else:
        with pytest.raises(services.InvalidTransition, match="it cannot become"):
            services._set_run_status(locked, target, action="workflows.run.test_move")
    run.refresh_from_db()
    moved = target in RUN_TRANSITIONS[start]
    assert run.status == (target if moved else start)
    assert [(e.before, e.after) for e in _events(run, "workflows.run.test_move")] == (
        [({"status": start}, {"status": target})] if moved else []
    )


def test_a_case_closes_once_audited_on_the_case_and_a_closed_case_is_refused(client_a, legal):
    case, run = compliance_case(client_a)
    closed = close_case(case, run=run, disposition=Disposition.NO_ISSUE, reason="checked")
    assert (closed.state, closed.disposition) == (CaseState.CLOSED, Disposition.NO_ISSUE)
    (event,) = _events(case, "exceptions.case.close")
    assert (event.before, event.after, event.reason) == (
        {"state": "open"},
        {"state": "closed", "disposition": "no_issue", "asset": case.asset.content_element_uuid},
        "checked",
    )
    with pytest.raises(services.InvalidTransition, match="The case is closed: it cannot be closed"):
        close_case(case, run=run, disposition=Disposition.ESCALATED)
    case.refresh_from_db()
    assert case.disposition == Disposition.NO_ISSUE and len(_events(case, "exceptions.case.close")) == 1


# -- one place per status ---------------------------------------------------------------------------------------
APPS = Path(__file__).resolve().parents[2] / "apps"
# A status or state written from one of its choices, as an attribute or in an UPDATE/create: only the writers may,
# and they write a variable (the target they checked), so none of these may match anywhere in the portal.
DIRECT_WRITE = re.compile(
    r"\.(status|state)\s*=\s*(TaskStatus|RunStatus|CaseState)\."
    r"|update\([^)]*\b(status|state)=(TaskStatus|RunStatus|CaseState)\.",
    re.S,
)


def test_no_code_writes_a_task_run_or_case_status_but_its_one_writer():
    found = []
    for path in APPS.rglob("*.py"):
        if "emulators" in path.parts or "migrations" in path.parts:
            continue
        text = path.read_text()
        found += [f"{path.relative_to(APPS)}: {m.group(0)}" for m in DIRECT_WRITE.finditer(text)]
    assert found == []


def test_the_grep_finds_a_direct_write():  # the check above can fail
    assert DIRECT_WRITE.search("Task.objects.filter(run=run).update(\n    status=TaskStatus.CANCELLED)")
    assert DIRECT_WRITE.search("case.state = CaseState.CLOSED")
    assert not DIRECT_WRITE.search("Task.objects.filter(status=TaskStatus.OPEN)")


def test_a_task_created_open_is_not_a_move(client_a):
    run = approval_run(licensed_asset(client_a))
    task = mirror(run, "legal_review")
    assert task.status == TaskStatus.OPEN and not AuditEvent.objects.filter(object_type="workflows.task").exists()
