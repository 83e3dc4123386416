from rest_framework import serializers

from apps.clients.models import SmintioConnection
from apps.outbox.models import OutboxMessage


class ConnectionSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = SmintioConnection
        fields = [
            "client",
            "tenant",
            "status",
            "status_reason",
            "lpt_cursor",
            "usage_cursor",
            "last_pull_started_at",
            "last_pull_finished_at",
            "last_pull_ok",
            "last_pull_error",
            "last_pull_counts",
            "last_change_seen_at",
        ]
        read_only_fields = fields


class OutboxMessageSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "client",
            "platform",
            "kind",
            "ordering_key",
            "status",
            "attempts",
            "next_attempt_at",
            "give_up_at",
            "last_error",
            "last_status_code",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields


class OutboxCountsSerializer(serializers.Serializer):
    queued = serializers.IntegerField()
    retrying = serializers.IntegerField()
    sending = serializers.IntegerField()
    failed = serializers.IntegerField()
    delivered = serializers.IntegerField()


class SyncOverviewSerializer(serializers.Serializer):
    connections = ConnectionSerializer(many=True)
    outbox = OutboxCountsSerializer(source="outbox_counts")
    attention = OutboxMessageSerializer(many=True)


class DiscardSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)
