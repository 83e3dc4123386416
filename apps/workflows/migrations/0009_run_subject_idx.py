"""A subject's runs by (subject type, subject id).

The asset page, a case's and a request's page read their subject's runs (timeline, conversation, stage times). The
partial unique constraint ``run_one_open_per_subject_and_process`` covers open runs only, so those reads were a
sequential scan of every run (bench/review.py at 1,000,000 assets: the asset page's run query 47 -> 21 ms median
with this index). Built ``CONCURRENTLY`` on PostgreSQL (no write lock on a large table), hence non-atomic.
"""

from django.db import migrations, models

from apps.common.migration_ops import add_index_concurrently

INDEX = models.Index(fields=["subject_type", "subject_id"], name="run_subject_idx")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("workflows", "0008_task_completed_client_idx")]
    operations = [add_index_concurrently("workflows", "workflowrun", INDEX)]
