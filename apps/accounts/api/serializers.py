from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import ApiToken, Membership, User


class MembershipSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    client_name = serializers.CharField(source="client.name", read_only=True)
    roles = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    regions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Membership
        fields = ["client", "client_name", "roles", "regions"]


class TokenInfoSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The one client it is limited to, or none."
    )

    class Meta:
        model = ApiToken
        fields = ["name", "prefix", "scope", "client", "created_at", "expires_at"]


class MeSerializer(serializers.ModelSerializer):
    memberships = MembershipSerializer(source="membership_list", many=True, read_only=True)
    token = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "time_zone", "memberships", "token"]

    @extend_schema_field(TokenInfoSerializer(allow_null=True))
    def get_token(self, user):
        token = self.context["request"].auth
        return TokenInfoSerializer(token).data if isinstance(token, ApiToken) else None
