"""The analytics index: a client's completed tasks by completion time, with the columns the durations read.

The analytics figures (``apps/analytics/figures.py``) read a client's tasks completed in a period; without it, a
year of one client at 1,000,000 completed tasks was a sequential scan of the whole table (bench/analytics.py). Partial
(completed tasks only) and covering (``INCLUDE``) on PostgreSQL, so the scan is index-only. Built ``CONCURRENTLY`` on
PostgreSQL (the task table is the largest the portal writes to; no write lock while it builds), hence non-atomic;
SQLite gets the plain partial index (it ignores ``INCLUDE``).
"""

from django.db import migrations, models

from apps.common.migration_ops import add_index_concurrently

INDEX = models.Index(
    fields=["client", "completed_at"],
    name="task_completed_client_idx",
    condition=models.Q(status="completed"),
    include=["task_key", "claimed_at", "remote_created_at", "created_at", "due_at"],
)


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("workflows", "0007_decision_by_link_holder")]
    operations = [add_index_concurrently("workflows", "task", INDEX)]
