from __future__ import annotations

from rest_framework import serializers

from apps.outbox.models import OutboxMessage

from ..choices import SUBSCRIBABLE
from ..models import WebhookAttempt, WebhookEndpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "client",
            "url",
            "description",
            "event_types",
            "is_active",
            "disabled_reason",
            "disabled_at",
            "consecutive_failures",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(serializers.Serializer):
    client = serializers.CharField(max_length=100, help_text="The slug of a client you administer (on create).")
    url = serializers.URLField(max_length=2000)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE), min_length=1)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2000, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE), min_length=1, required=False
    )


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret (whsec_...): returned this once.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text="The new signing secret (whsec_...): returned this once.")
    previous_valid_hours = serializers.IntegerField(help_text="How long the previous secret keeps signing.")


class WebhookDisableSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["status_code", "error", "duration_ms", "attempted_at"]
        read_only_fields = fields  # (and so no integer bounds, which differ per database backend, in the schema)


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event_type = serializers.CharField(source="payload.body.type")
    webhook_id = serializers.CharField(source="payload.msg_id")
    status = serializers.CharField(help_text="pending (queued or retrying), sending, done, failed (parked), discarded.")
    attempt_log = WebhookAttemptSerializer(source="webhook_attempts", many=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "event_type",
            "webhook_id",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "created_at",
            "sent_at",
            "attempt_log",
        ]
        read_only_fields = fields
