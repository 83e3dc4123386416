from rest_framework import serializers

from ..choices import OnboardingState
from ..models import Onboarding, OnboardingPolicy


class OnboardingSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    asset = serializers.SerializerMethodField()
    state = serializers.ChoiceField(choices=OnboardingState.choices, read_only=True)
    on_hold = serializers.BooleanField(source="asset.on_hold", read_only=True)

    class Meta:
        model = Onboarding
        fields = [
            "id",
            "client",
            "asset",
            "source",
            "state",
            "on_hold",
            "checks",
            "usage_rules",
            "access",
            "started_at",
            "finished_at",
            "reason",
        ]
        read_only_fields = fields

    def get_asset(self, obj) -> dict:
        return {
            "id": obj.asset_id,
            "name": obj.asset.name,
            "content_element_uuid": obj.asset.content_element_uuid,
            "approval_state": obj.asset.approval_state,
        }


class OnboardingPolicySerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    sources = serializers.ListField(
        child=serializers.RegexField(r"^[a-z0-9_]{1,50}$"),
        max_length=50,
        help_text="Smint.io provider keys (bynder, brandfolder) or licence types (in_house) that onboard.",
    )

    cultures = serializers.ListField(
        child=serializers.RegexField(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$"),
        min_length=1,
        max_length=10,
        required=False,
        help_text="Smint.io culture codes the client's metadata is kept in, the main one first (en); enrichment "
        "asks keywords in each.",
    )

    class Meta:
        model = OnboardingPolicy
        fields = ["id", "client", "sources", "approval_after", "shape", "cultures", "updated_at"]
        read_only_fields = ["id", "client", "updated_at"]


class BulkEnrichSerializer(serializers.Serializer):
    assets = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**31 - 1), min_length=1, max_length=200
    )
    keywords = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    categories = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class BulkEnrichResultSerializer(serializers.Serializer):
    changed = serializers.IntegerField()
