from django_countries import countries
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from apps.common.serializers import PlannedListSerializer

from .. import rights, vocabulary
from ..models import Asset, LicensePurchase, LicenseTerm, UsageEvent
from ..usage import UsageEventInSerializer


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


class LimitsSerializer(serializers.Serializer):
    """Where, for what and until when the asset may be used, from its completed licences' terms in force."""

    countries = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="ISO-3166 alpha-2 codes the licensed territories cover; null when not limited to a list "
        "(worldwide, or only exceptions) or not stated (see `territories`).",
    )
    territories = serializers.ListField(
        child=serializers.CharField(), help_text="The licensed territories in words; empty: the licence does not say."
    )
    except_territories = serializers.ListField(child=serializers.CharField(), help_text="Territories ruled out.")
    usages = serializers.ListField(
        child=serializers.CharField(), help_text="Licensed usage keys (`usage_print`); empty: not stated."
    )
    except_usages = serializers.ListField(child=serializers.CharField(), help_text="Usage keys ruled out.")
    editorial_only = serializers.BooleanField(allow_null=True, help_text="null: the licence does not say.")
    until = serializers.DateTimeField(
        allow_null=True,
        help_text="When the rights end (null: no end date); a renewal procurement recorded while Smint.io has not "
        "sent its term yet, then `until_awaits_smintio` is true.",
    )
    until_awaits_smintio = serializers.BooleanField()


class AssetSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    keywords = serializers.ListField(child=serializers.CharField(), read_only=True)
    preview_url = serializers.CharField(
        read_only=True, help_text="An https URL, or empty when Smint.io has no preview."
    )
    available = serializers.BooleanField(
        source="available_now", read_only=True, help_text="Approved with rights in force: creatives may use it."
    )
    limits = serializers.SerializerMethodField(help_text="What “available” allows: where, for what, until when.")

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
            "limits",
            "is_editorial",
            "updated_at",
        ]
        read_only_fields = fields
        list_serializer_class = PlannedListSerializer

    @extend_schema_field(LimitsSerializer)
    def get_limits(self, asset) -> dict:
        words = self.context.setdefault("_vocabularies", {})
        if asset.client_id not in words:
            words[asset.client_id] = rights.vocabulary_for(asset.client)
        found = rights.limits_of(asset, vocabulary=words[asset.client_id])
        # LimitsSerializer's document, built directly: a serializer per row cost more than the rest of the row
        # (its fields are lists of strings and booleans; only ``until`` needs a field's formatting).
        return {
            "countries": list(found.countries) if found.countries is not None else None,
            "territories": list(found.territories),
            "except_territories": list(found.except_territories),
            "usages": list(found.usages),
            "except_usages": list(found.except_usages),
            "editorial_only": found.editorial_only,
            "until": _UNTIL.to_representation(found.until) if found.until is not None else None,
            "until_awaits_smintio": found.until_awaits_smintio,
        }


_UNTIL = LimitsSerializer().fields["until"]


class AssetDetailSerializer(AssetSerializer):
    licences = LicenseSerializer(source="license_purchases", many=True, read_only=True)

    class Meta(AssetSerializer.Meta):
        fields = [*AssetSerializer.Meta.fields, "licences"]
        read_only_fields = fields


# -- the rights check -------------------------------------------------------------------------------------------------
class RightsQuerySerializer(serializers.Serializer):
    """``?countries=DE,FR&usage=web,print&date=2027-03-01``: every part optional (no date: now)."""

    countries = serializers.CharField(required=False, allow_blank=True)
    usage = serializers.CharField(required=False, allow_blank=True)
    date = serializers.DateField(required=False)

    def validate_countries(self, value: str) -> frozenset[str]:
        codes = {code.strip().upper() for code in value.split(",") if code.strip()}
        unknown = sorted(code for code in codes if not countries.alpha2(code) or len(code) != 2)
        if unknown:
            raise serializers.ValidationError(f"Not ISO-3166 alpha-2 country codes: {', '.join(unknown)}.")
        return frozenset(codes)

    def validate_usage(self, value: str) -> frozenset[str]:
        # the client's vocabulary (context ``vocabulary``: its Smint.io usages too), else the built-in one
        words = self.context.get("vocabulary") or vocabulary.DEFAULT
        given = [part.strip() for part in value.split(",") if part.strip()]
        unknown = [part for part in given if words.usage_key(part) is None]
        if unknown:
            known = ", ".join(key.removeprefix("usage_") for key in words.usages)
            raise serializers.ValidationError(f"Unknown usage: {', '.join(unknown)}. Known: {known}.")
        return frozenset(words.usage_key(part) for part in given)


class RightsAssetSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Asset
        fields = ["id", "client", "content_element_uuid", "name"]
        read_only_fields = fields


class RightsUseSerializer(serializers.Serializer):
    countries = serializers.ListField(child=serializers.CharField(), help_text="ISO-3166 alpha-2, sorted.")
    usages = serializers.ListField(child=serializers.CharField(), help_text="Smint.io usage keys (`usage_web`).")
    date = serializers.DateField(help_text="The day of use (today when the query names none).")


@extend_schema_field(
    {
        "type": "string",
        "enum": list(rights.STATUSES),
        "description": "`allowed`, `restricted` (usable with care), `unknown` (never allowed) or `forbidden`.",
    },
    component_name="RightsStatusEnum",
)
class RightsStatusField(serializers.ChoiceField):
    """A verdict's status; its own schema component, apart from the other ``status`` enums."""

    def __init__(self, **kwargs):
        super().__init__(choices=rights.STATUSES, **kwargs)


class LicenceVerdictSerializer(serializers.Serializer):
    uuid = serializers.CharField(help_text="The licence purchase (LPT).")
    status = RightsStatusField()
    reasons = serializers.ListField(child=serializers.CharField())


class RightsCheckSerializer(serializers.Serializer):
    asset = RightsAssetSerializer()
    use = RightsUseSerializer()
    status = RightsStatusField(help_text="The best licence's verdict.")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Every reason; empty when allowed.")
    licences = LicenceVerdictSerializer(many=True)


# -- usage events -----------------------------------------------------------------------------------------------------
class UsageEventSerializer(serializers.ModelSerializer):
    """A usage event as stored; ``id`` is the reporter's event id (Smint.io's, or the integrator's)."""

    id = serializers.CharField(source="uuid", read_only=True)
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    user_email = serializers.CharField(
        read_only=True, help_text="The user's e-mail address, or empty when the reporter named none."
    )

    class Meta:
        model = UsageEvent
        fields = [
            "id",
            "client",
            "asset",
            "content_element_uuid",
            "event",
            "occurred_at",
            "user_email",
            "user_uuid",
            "country",
            "channel",
            "license_purchase_uuid",
            "source",
        ]
        read_only_fields = fields


class UsageIngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Events in the request.")
    created = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(help_text="Events already stored (same client and id), left as they were.")


# The request body: one event or a list of them, each checked by the one write path's ``UsageEventInSerializer``.
INGEST_REQUEST = PolymorphicProxySerializer(
    component_name="UsageEventBatch",
    serializers=[UsageEventInSerializer, UsageEventInSerializer(many=True)],
    resource_type_field_name=None,
    many=False,  # one object or a list of them
)
INGEST_INVALID = OpenApiResponse(
    description="Nothing was stored: more than 1,000 events, or invalid ones. `errors` maps each invalid event's "
    'index (`"0"` for a single object) to its field errors; an asset you cannot see is reported as unknown.'
)
