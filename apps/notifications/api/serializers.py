from rest_framework import serializers

from ..choices import Kind, Mode
from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = Notification
        fields = ["id", "client", "kind", "title", "body", "url", "why", "created_at", "read_at", "emailed_at"]
        read_only_fields = fields


class ReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text="How many notifications were marked read.")
    unread = serializers.IntegerField(read_only=True, help_text="How many remain unread.")


class PreferenceSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    mode = serializers.ChoiceField(choices=Mode.choices)
