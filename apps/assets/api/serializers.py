from rest_framework import serializers

from ..models import Asset, LicensePurchase, LicenseTerm


class LicenseTermSerializer(serializers.ModelSerializer):
    allowed_usages = serializers.ListField(child=serializers.CharField(), read_only=True)
    restricted_usages = serializers.ListField(child=serializers.CharField(), read_only=True)
    allowed_geographies = serializers.ListField(child=serializers.CharField(), read_only=True)
    restricted_geographies = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = LicenseTerm
        fields = [
            "sequence_number",
            "name",
            "allowed_usages",
            "restricted_usages",
            "allowed_geographies",
            "restricted_geographies",
            "valid_from",
            "valid_until",
            "to_be_used_until",
            "is_editorial_use",
        ]
        read_only_fields = fields


class LicenseSerializer(serializers.ModelSerializer):
    terms = LicenseTermSerializer(many=True, read_only=True)

    class Meta:
        model = LicensePurchase
        fields = [
            "uuid",
            "state",
            "version",
            "license_type",
            "purchased_at",
            "max_downloads",
            "current_downloads",
            "terms",
        ]
        read_only_fields = fields


class AssetSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    available = serializers.BooleanField(
        source="available_now", read_only=True, help_text="Approved with rights in force: creatives may use it."
    )

    class Meta:
        model = Asset
        fields = [
            "id",
            "client",
            "content_element_uuid",
            "name",
            "provider",
            "content_type",
            "preview_url",
            "keywords",
            "approval_state",
            "rights_state",
            "available",
            "is_editorial",
            "updated_at",
        ]
        read_only_fields = fields


class AssetDetailSerializer(AssetSerializer):
    licences = LicenseSerializer(source="license_purchases", many=True, read_only=True)

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "licences"]
        read_only_fields = fields
