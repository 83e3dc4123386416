"""What happens in the portal when a process ends: one handler per process key (DESIGN.md: the portal never
hard-codes a flow's stages; it applies the engine's outcome)."""

from __future__ import annotations

from collections.abc import Callable

OUTCOME_HANDLERS: dict[str, Callable] = {}


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
