"""Helpers to publish the agreed events (the SMTP server is ``tests.mail_fixtures``' ``smtp``)."""

from __future__ import annotations

from apps.common import events


def task_data(task_id=12, *, roles=("legal",), regions=(), **extra) -> dict:
    data = {
        "url": f"/tasks/{task_id}/decide/",
        "title": "Alpine hero",
        "task": task_id,
        "task_name": "Legal review",
        "task_key": "legal_review",
        "roles": list(roles),
        "regions": list(regions),
        "due_at": None,
        "run": 42,
        "process_key": "asset_approval",
        "subject_type": "assets.asset",
        "subject_id": 487,
    }
    return data | extra


def publish(name, *, key, client, data, actor=None):
    return events.publish(name, key=key, client=client, data=data, actor=actor)
