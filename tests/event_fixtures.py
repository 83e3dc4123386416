"""Hearing the domain events (apps.common.events) a service publishes: ``published`` is the list of events said
while the test runs, in order, heard by a catch-all listener alone (the real listeners are set aside)."""

from __future__ import annotations

import pytest

from apps.common import events


class Heard(list):
    """The events heard so far; ``named`` picks those of one name, ``keys`` their keys."""

    def named(self, name: str) -> list[events.Event]:
        return [event for event in self if event.name == name]

    def keys(self, name: str) -> list[str]:
        return [event.key for event in self.named(name)]


@pytest.fixture
def published(monkeypatch) -> Heard:
    monkeypatch.setattr(events, "_LISTENERS", {})
    heard = Heard()
    events.listen("*")(heard.append)
    return heard
