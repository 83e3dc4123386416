"""Migration operations shared by the apps' migrations.

An index on a large table (tasks, runs, licences) is built ``CONCURRENTLY`` on PostgreSQL, so writers are not locked
out while it reads the table; SQLite gets the plain index. ``CONCURRENTLY`` cannot run in a transaction, so a
migration using it sets ``atomic = False``. Migrations import this module: what it does must not change.
"""

from __future__ import annotations

from django.db import migrations, models


def add_index_concurrently(app_label: str, model_name: str, index: models.Index) -> migrations.SeparateDatabaseAndState:
    """``AddIndex(model_name, index)`` in the migration state; in the database, ``CREATE INDEX CONCURRENTLY`` on
    PostgreSQL (``DROP INDEX CONCURRENTLY`` backwards) and a plain ``CREATE INDEX`` elsewhere."""

    def run(method: str):
        def apply(apps, schema_editor):
            concurrently = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
            getattr(schema_editor, method)(apps.get_model(app_label, model_name), index, **concurrently)

        return apply

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddIndex(model_name=model_name, index=index)],
        database_operations=[migrations.RunPython(run("add_index"), run("remove_index"))],
    )
