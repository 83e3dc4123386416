"""Hints keep their whole event id (up to 1,000 characters) and are unique by its SHA-256, not by the first 200
characters; each hint names the client it is about, so the sync log shows a viewer only their clients' hints.

Existing rows: ``event_key`` is the hash of the id as it was stored (ids cut at 200 characters before this change
keep their cut form); ``client`` is derived as the inbox now does it: a Smint.io hint's tenant (its ``target``,
``smintio:<tenant>``) when exactly one client's connection has that tenant, an OpenText hint's ``businessKey``
when a workflow run has it. Hints nobody can be found for keep no client (staff operators see them).
"""

import hashlib

from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform


def derive(apps, schema_editor):
    InboundEvent = apps.get_model("integrations", "InboundEvent")
    SmintioConnection = apps.get_model("clients", "SmintioConnection")
    WorkflowRun = apps.get_model("workflows", "WorkflowRun")

    batch = []
    for event in InboundEvent.objects.only("pk", "event_id").iterator(chunk_size=2000):
        event.event_key = hashlib.sha256(event.event_id.encode()).hexdigest()
        batch.append(event)
        if len(batch) == 2000:
            InboundEvent.objects.bulk_update(batch, ["event_key"])
            batch = []
    InboundEvent.objects.bulk_update(batch, ["event_key"])

    by_tenant = {}
    for tenant, client_id in SmintioConnection.objects.values_list("tenant", "client_id"):
        by_tenant.setdefault(tenant, set()).add(client_id)
    for tenant, clients in by_tenant.items():
        if len(clients) == 1:
            InboundEvent.objects.filter(source="smintio", target=f"smintio:{tenant[:150]}").update(
                client_id=next(iter(clients))
            )
    runs = WorkflowRun.objects.filter(business_key=OuterRef("business_key")).values("client_id")[:1]
    InboundEvent.objects.filter(source="opentext").annotate(
        business_key=KeyTextTransform("businessKey", "payload")
    ).update(client_id=Subquery(runs))


class Migration(migrations.Migration):
    dependencies = [
        ("clients", "0004_client_review_horizon_days_client_review_regions_and_more"),
        ("integrations", "0004_outbox_models_move_to_outbox_app"),
        ("workflows", "0004_decision_applied_run_missing"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="inboundevent", name="inbound_source_event_unique"),
        migrations.AlterField(model_name="inboundevent", name="event_id", field=models.CharField(max_length=1000)),
        migrations.AddField(
            model_name="inboundevent",
            name="client",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.CASCADE,
                related_name="inbound_events",
                to="clients.client",
            ),
        ),
        migrations.AddField(
            model_name="inboundevent",
            name="event_key",
            field=models.CharField(
                default="", editable=False, help_text="SHA-256 of the whole event id, hex.", max_length=64
            ),
            preserve_default=False,
        ),
        migrations.RunPython(derive, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name="inboundevent",
            constraint=models.UniqueConstraint(fields=("source", "event_key"), name="inbound_source_event_key_unique"),
        ),
    ]
