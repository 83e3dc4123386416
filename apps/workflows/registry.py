"""What happens in the portal when a process ends: one handler per process key (DESIGN.md: the portal never
hard-codes a flow's stages; it applies the engine's outcome)."""

from __future__ import annotations

from collections.abc import Callable

OUTCOME_HANDLERS: dict[str, Callable] = {}
TASK_HANDLERS: dict[str, Callable] = {}


def on_outcome(process_key: str):
    """Register ``handler(run)``; it runs inside the transaction that marks the run completed or cancelled."""

    def register(handler: Callable) -> Callable:
        OUTCOME_HANDLERS[process_key] = handler
        return handler

    return register


def apply_outcome(run) -> None:
    handler = OUTCOME_HANDLERS.get(run.process_key)
    if handler is not None:
        handler(run)


def on_task_settled(process_key: str):
    """Register ``handler(run, task=..., outcome=...)``: a task of a running process was settled by OpenText rather
    than by a decision here (completed in OpenText: ``outcome`` is theirs; our decision withdrawn: ``outcome`` is
    ``None``), so the subject's state can follow. Runs inside the transaction that records it."""

    def register(handler: Callable) -> Callable:
        TASK_HANDLERS[process_key] = handler
        return handler

    return register


def task_settled(run, *, task, outcome: str | None) -> None:
    handler = TASK_HANDLERS.get(run.process_key)
    if handler is not None:
        handler(run, task=task, outcome=outcome)
