"""The outbox's models move here from the integrations app in the migration state only: their tables
(``integrations_outboxmessage``, ``integrations_circuitbreaker``), indexes and constraints stay as
``integrations.0002`` created them, and ``integrations.0004`` drops the models from that app's state.

Ordered after ``integrations.0003`` so that on a fresh database the tables exist before this state names them, and
before ``integrations.0004`` so that no state lacks the models. The content types of the two models follow them
(their permissions with them); audit events keep the ``object_type`` they were recorded with.
"""

import django.db.models.deletion
from django.db import migrations, models

MODELS = ("outboxmessage", "circuitbreaker")


def _move_content_types(apps, schema_editor, source: str, target: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not rows.filter(app_label=target, model=model).exists():
            rows.filter(app_label=source, model=model).update(app_label=target)


def forwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "integrations", "outbox")


def backwards(apps, schema_editor):
    _move_content_types(apps, schema_editor, "outbox", "integrations")


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("clients", "0004_client_review_horizon_days_client_review_regions_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("integrations", "0003_inbound_target_note"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CircuitBreaker",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        (
                            "platform",
                            models.CharField(
                                choices=[("smintio", "Smint.io"), ("opentext", "OpenText")], max_length=20, unique=True
                            ),
                        ),
                        ("consecutive_failures", models.PositiveIntegerField(default=0)),
                        ("open_until", models.DateTimeField(blank=True, null=True)),
                        ("probing_until", models.DateTimeField(blank=True, null=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "db_table": "integrations_circuitbreaker",
                    },
                ),
                migrations.CreateModel(
                    name="OutboxMessage",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        (
                            "platform",
                            models.CharField(choices=[("smintio", "Smint.io"), ("opentext", "OpenText")], max_length=20),
                        ),
                        (
                            "kind",
                            models.CharField(help_text="Handler name, e.g. smintio.workflow_status.", max_length=100),
                        ),
                        (
                            "ordering_key",
                            models.CharField(help_text="Rows with the same key are delivered in order.", max_length=200),
                        ),
                        ("payload", models.JSONField(default=dict)),
                        ("idempotency_key", models.CharField(max_length=255, unique=True)),
                        (
                            "status",
                            models.CharField(
                                choices=[
                                    ("pending", "Queued"),
                                    ("sending", "Sending"),
                                    ("done", "Delivered"),
                                    ("failed", "Failed"),
                                    ("discarded", "Discarded"),
                                ],
                                default="pending",
                                max_length=20,
                            ),
                        ),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField()),
                        (
                            "give_up_at",
                            models.DateTimeField(help_text="After this the row is parked as failed (72 h by default)."),
                        ),
                        ("lease_until", models.DateTimeField(blank=True, null=True)),
                        ("last_error", models.TextField(blank=True)),
                        ("last_status_code", models.PositiveSmallIntegerField(blank=True, null=True)),
                        ("result", models.JSONField(blank=True, null=True)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "client",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="outbox_messages",
                                to="clients.client",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "integrations_outboxmessage",
                        "ordering": ["id"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("status", "pending")), fields=["next_attempt_at"], name="outbox_due_idx"
                            ),
                            models.Index(fields=["ordering_key", "id"], name="outbox_order_idx"),
                            models.Index(fields=["client", "status"], name="outbox_client_status_idx"),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(("status__in", ["pending", "sending", "done", "failed", "discarded"])),
                                name="outbox_status_valid",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
