"""A subject's runs by (subject type, subject id).

The asset page, a case's and a request's page read their subject's runs (timeline, conversation, stage times). The
partial unique constraint ``run_one_open_per_subject_and_process`` covers open runs only, so those reads were a
sequential scan of every run (bench/review.py at 1,000,000 assets: the asset page's run query 47 -> 21 ms median
with this index). Built ``CONCURRENTLY`` on PostgreSQL (no write lock on a large table), hence non-atomic.
"""

from django.db import migrations, models

INDEX = models.Index(fields=["subject_type", "subject_id"], name="run_subject_idx")


def create(apps, schema_editor):
    run = apps.get_model("workflows", "WorkflowRun")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX.create_sql(run, schema_editor, concurrently=True))
    else:
        schema_editor.add_index(run, INDEX)


def drop(apps, schema_editor):
    run = apps.get_model("workflows", "WorkflowRun")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INDEX.remove_sql(run, schema_editor, concurrently=True))
    else:
        schema_editor.remove_index(run, INDEX)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("workflows", "0008_task_completed_client_idx")]
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="workflowrun", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
