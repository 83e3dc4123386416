"""``integrations.0005_inbound_event_key_and_client`` gives stored hints their key and, where it can be found, the
client they are about."""

from __future__ import annotations

import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.clients.models import SmintioConnection
from apps.workflows.models import WorkflowRun

BEFORE = [("integrations", "0004_outbox_models_move_to_outbox_app")]
AFTER = [("integrations", "0005_inbound_event_key_and_client")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_stored_hints_get_their_key_and_client(client_a, client_b):
    SmintioConnection.objects.create(client=client_a, tenant="acme-tenant")
    WorkflowRun.objects.create(
        client=client_b,
        process_key="asset_approval",
        business_key="beta:asset_approval:1:x",
        subject_type="assets.asset",
        subject_id=1,
        title="Beta hero",
    )
    try:
        old = _migrate(BEFORE).get_model("integrations", "InboundEvent")
        rows = {
            "a": old.objects.create(source="smintio", event_id="s-1", event="x", target="smintio:acme-tenant"),
            "b": old.objects.create(
                source="opentext",
                event_id="o-1",
                event="x",
                target="opentext",
                payload={"businessKey": "beta:asset_approval:1:x"},
            ),
            "none": old.objects.create(source="smintio", event_id="s-2", event="x", target="smintio:nobody"),
        }
    finally:
        _migrate(AFTER)
    from apps.integrations.models import InboundEvent

    stored = {name: InboundEvent.objects.get(pk=row.pk) for name, row in rows.items()}
    assert stored["a"].client == client_a and stored["b"].client == client_b and stored["none"].client is None
    assert stored["a"].event_key == hashlib.sha256(b"s-1").hexdigest()
