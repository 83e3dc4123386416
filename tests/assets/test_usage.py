"""The one write path for usage events (``apps.assets.usage.record_usage``): every writer uses it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.utils import timezone

from apps.assets.models import Asset, UsageEvent
from apps.assets.usage import UsageRefused, record_usage

pytestmark = pytest.mark.django_db

APPS = Path(__file__).resolve().parents[2] / "apps"
WRITE_PATH = APPS / "assets" / "usage.py"


def _is_usage_event(node) -> bool:
    return isinstance(node, ast.Name) and node.id == "UsageEvent"


def _writes_usage_events(tree: ast.AST) -> list[int]:
    """Lines that build or store a portal ``UsageEvent`` (``UsageEvent(...)``, ``UsageEvent.objects.<write>``)."""
    writes = {"create", "bulk_create", "get_or_create", "update_or_create"}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        builds = _is_usage_event(func)
        stores = (
            isinstance(func, ast.Attribute)
            and func.attr in writes
            and isinstance(func.value, ast.Attribute)
            and func.value.attr == "objects"
            and _is_usage_event(func.value.value)
        )
        if builds or stores:
            lines.append(node.lineno)
    return lines


def test_usage_events_are_written_in_one_place_only():
    writers = {}
    for path in APPS.rglob("*.py"):
        if "emulators" in path.parts or "migrations" in path.parts or path == WRITE_PATH:
            continue  # the emulators' own UsageEvent is the platform's feed, not ours
        found = _writes_usage_events(ast.parse(path.read_text()))
        if found:
            writers[str(path.relative_to(APPS))] = found
    assert writers == {}
    assert _writes_usage_events(ast.parse(WRITE_PATH.read_text()))  # so the search above can find a writer


def test_a_platform_feed_keeps_events_of_elements_not_yet_synced_and_skips_invalid_ones(client_a, client_b):
    mine = Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Hero")
    Asset.objects.create(client=client_b, content_element_uuid="el-1", name="Beta's copy")
    now = timezone.now().isoformat()
    base = {"event": "download", "occurred_at": now}
    result = record_usage(
        [
            {**base, "id": "u1", "content_element_uuid": "el-1"},
            {**base, "id": "u2", "content_element_uuid": "not-synced-yet"},
            {**base, "id": "u3", "content_element_uuid": "el-1", "event": "print"},
            {**base, "id": "u1", "content_element_uuid": "el-1", "event": "share"},  # the same id: the first wins
        ],
        source="smintio",
        assets=Asset.objects.all(),
        client=client_a,
        all_or_nothing=False,
    )
    assert (result.received, result.created, result.duplicates) == (4, 2, 1)
    assert list(result.refused) == [2] and "event" in result.refused[2]
    stored = {e.uuid: e for e in UsageEvent.objects.all()}
    assert set(stored) == {"u1", "u2"}
    assert stored["u1"].asset == mine and stored["u1"].event == "download"  # not client B's asset of that element
    assert stored["u2"].asset is None and stored["u2"].client == client_a


def test_all_or_nothing_refuses_the_batch_and_names_each_invalid_event(client_a):
    Asset.objects.create(client=client_a, content_element_uuid="el-1", name="Hero")
    good = {"id": "ok", "content_element_uuid": "el-1", "event": "download", "occurred_at": timezone.now()}
    with pytest.raises(UsageRefused) as refused:
        record_usage(
            [good, {**good, "id": "x", "content_element_uuid": "el-9"}], source="api", assets=Asset.objects.all()
        )
    assert set(refused.value.detail) == {"1"}
    assert not UsageEvent.objects.exists()
