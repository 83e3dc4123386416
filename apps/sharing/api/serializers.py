from rest_framework import serializers

from ..choices import SUBJECT_CODES
from ..models import Share


class ShareSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    subject_type = serializers.SerializerMethodField()
    subject = serializers.IntegerField(source="subject_id", read_only=True, help_text="The asset's or case's id.")
    subject_label = serializers.CharField(read_only=True, help_text="What was shared, as it was named then.")
    user = serializers.EmailField(source="user.email", read_only=True, help_text="The external member.")
    shared_by = serializers.EmailField(source="shared_by.email", read_only=True, allow_null=True, default=None)
    created_at = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(read_only=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_by = serializers.EmailField(source="revoked_by.email", read_only=True, allow_null=True, default=None)
    state = serializers.ChoiceField(choices=["active", "expired", "revoked"], read_only=True)

    class Meta:
        model = Share
        fields = [
            "id",
            "client",
            "subject_type",
            "subject",
            "subject_label",
            "user",
            "shared_by",
            "created_at",
            "expires_at",
            "revoked_at",
            "revoked_by",
            "state",
        ]
        read_only_fields = fields

    def get_subject_type(self, share) -> str:
        return SUBJECT_CODES.get(share.subject_type, share.subject_type)


class ShareCreateSerializer(serializers.Serializer):
    subject_type = serializers.ChoiceField(choices=sorted(SUBJECT_CODES.values()), help_text="What is shared.")
    subject = serializers.IntegerField(min_value=1, help_text="The asset's or case's id.")
    user = serializers.EmailField(help_text="An external member of the subject's client.")
    until = serializers.DateField(help_text="The last day of the share (inclusive), within 365 days.")
