from __future__ import annotations

from rest_framework import serializers

from ..choices import AssetSource, CellState
from ..models import Campaign


class RegionPlanSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=30, help_text="A region's code (the region vocabulary: emea, amer...).")
    countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, default=list, help_text="Some of the region's."
    )
    review_due = serializers.DateField(required=False, allow_null=True, default=None)


class CampaignWriteSerializer(serializers.Serializer):
    client = serializers.CharField(max_length=100, help_text="The slug of one of your clients.")
    name = serializers.CharField(max_length=300, allow_blank=True)
    channels = serializers.ListField(child=serializers.CharField(max_length=50), max_length=20)
    run_from = serializers.DateField(allow_null=True)
    run_until = serializers.DateField(allow_null=True)
    regions = RegionPlanSerializer(many=True, max_length=20)


class CampaignRegionSerializer(serializers.Serializer):
    code = serializers.CharField(source="region.code")
    name = serializers.CharField(source="region.name")
    countries = serializers.ListField(child=serializers.CharField())
    time_zone = serializers.CharField()
    review_due = serializers.DateTimeField()


class CampaignSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner = serializers.EmailField(source="owner.email", read_only=True, allow_null=True, default=None)
    regions = CampaignRegionSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "client", "name", "owner", "channels", "run_from", "run_until", "regions", "created_at"]


class NextStepSerializer(serializers.Serializer):
    role = serializers.CharField()
    task = serializers.CharField()
    assignee = serializers.CharField(allow_blank=True)


class CellSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    region = serializers.CharField()
    state = serializers.ChoiceField(choices=CellState.choices)
    restrictions = serializers.DictField(help_text="{countries, channels, until} when restricted; else empty.")
    due_at = serializers.DateTimeField()
    next_steps = NextStepSerializer(many=True)


class MatrixRowSerializer(serializers.Serializer):
    asset = serializers.IntegerField(source="entry.asset_id")
    asset_name = serializers.CharField(source="entry.asset.name")
    source = serializers.ChoiceField(choices=AssetSource.choices, source="entry.source")
    cells = CellSerializer(many=True)


class CampaignDetailSerializer(CampaignSerializer):
    matrix = MatrixRowSerializer(many=True, read_only=True)

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "matrix"]


class AddAssetsSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=AssetSource.choices, default=AssetSource.LIBRARY)
    assets = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=200)
    request = serializers.IntegerField(
        min_value=1, required=False, help_text="With source `delivery`: the creative request whose delivery to add."
    )


class StartSerializer(serializers.Serializer):
    regions = serializers.ListField(
        child=serializers.CharField(max_length=30), required=False, default=list, help_text="Empty: every region."
    )
