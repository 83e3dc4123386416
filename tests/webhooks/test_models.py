from __future__ import annotations

import pytest
from django.db import IntegrityError, connection

from apps.webhooks import services
from apps.webhooks.models import WebhookSecret


@pytest.fixture
def created(client_a, agency_admin):
    return services.create_endpoint(
        client=client_a, url="https://93.184.215.14/hook", event_types=["asset.approved"], actor=agency_admin
    )


def test_a_secret_has_the_standard_webhooks_format_and_is_encrypted_at_rest(created):
    assert created.secret.startswith("whsec_") and len(created.secret) > 40
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM webhooks_webhooksecret")
        stored = cursor.fetchone()[0]
    assert created.secret not in stored and created.secret[6:] not in stored
    assert WebhookSecret.objects.get().secret == created.secret


def test_the_database_refuses_a_second_current_secret(created):
    with pytest.raises(IntegrityError):
        WebhookSecret.objects.create(endpoint=created.endpoint, secret=services.new_secret())


def test_a_rotation_keeps_two_secrets_at_most(created, agency_admin):
    services.rotate_secret(created.endpoint, actor=agency_admin)
    third = services.rotate_secret(created.endpoint, actor=agency_admin)
    secrets = services.signing_secrets(created.endpoint)
    assert len(secrets) == 2 and secrets[0] == third and created.secret not in secrets


def test_the_message_id_is_stable_per_delivery():
    assert services.message_id("webhook:1:asset.approved:run-4") == services.message_id(
        "webhook:1:asset.approved:run-4"
    )
    assert services.message_id("webhook:1:a") != services.message_id("webhook:2:a")
