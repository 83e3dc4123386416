from rest_framework import serializers

from ..models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="None for events of no client (operators' own)."
    )
    actor = serializers.CharField(source="actor_label", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor",
            "client",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "before",
            "after",
            "reason",
            "request_id",
        ]
        read_only_fields = fields
