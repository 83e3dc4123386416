"""``workflows.0005_task_regions``: tasks mirrored before tasks carried a set of regions keep what they meant."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("workflows", "0004_decision_applied_run_missing")]
AFTER = [("workflows", "0005_task_regions")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_a_tasks_region_is_kept_and_a_multi_region_cycles_tasks_take_its_regions():
    old = _migrate(BEFORE)
    client = old.get_model("clients", "Client").objects.create(name="Northwind", slug="northwind")
    run_model, task_model = old.get_model("workflows", "WorkflowRun"), old.get_model("workflows", "Task")

    def task(n, region, intended):
        run = run_model.objects.create(
            client=client,
            process_key="asset_approval",
            business_key=f"northwind:asset_approval:{n}",
            subject_type="assets.asset",
            subject_id=n,
            status="running",
            variables={"region": region, "intendedRegions": intended} if intended is not None else {},
        )
        return task_model.objects.create(client=client, run=run, remote_id=f"t-{n}", name="Review", region=region)

    one = task(1, "emea", ["emea"])
    several = task(2, "", ["emea", "amer"])
    case = task(3, "", None)  # a case's run: no region
    try:
        new = _migrate(AFTER)
        rows = {t.pk: (t.regions, t.regions_key) for t in new.get_model("workflows", "Task").objects.order_by("pk")}
        assert rows == {
            one.pk: (["emea"], ",emea,"),
            several.pk: (["amer", "emea"], ",amer,emea,"),
            case.pk: ([], ""),
        }
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
