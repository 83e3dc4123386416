"""``LimitsSweep``: the threshold at which the renewal sweep last judged all of a client's licence limits (issue 17,
aim 4). A new, empty table: no client has a row, so the next sweep reads each client's limits in full once."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0006_opentext_connection"),
        ("exceptions", "0005_exception_policy_and_agency_links"),
    ]

    operations = [
        migrations.CreateModel(
            name="LimitsSweep",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("threshold_percent", models.PositiveSmallIntegerField()),
                ("judged_at", models.DateTimeField()),
                (
                    "client",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="clients.client"
                    ),
                ),
            ],
        ),
    ]
