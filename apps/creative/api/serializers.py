from rest_framework import serializers

from apps.workflows.api.serializers import DecideSerializer, SubjectTaskSerializer
from apps.workflows.services import TEXT_LIMIT

from ..models import CampaignType, CreativeRequest, Delivery, DeliveryItem, Format, ShortlistItem
from ..services import KEYWORDS_LIMIT, TITLE_LIMIT


class CampaignTypeSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = CampaignType
        fields = ["id", "client", "name", "archived_at"]
        read_only_fields = ["id", "client", "archived_at"]


class FormatSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Format
        fields = ["id", "client", "name", "content_type", "orientation", "min_width", "min_height", "archived_at"]
        read_only_fields = ["id", "client", "archived_at"]


class VocabularyCreateSerializer(serializers.Serializer):
    client = serializers.SlugField(help_text="The client's slug (you must be its agency admin).")


class RequestTaskSerializer(SubjectTaskSerializer):
    """A creative request's task (its own name in the schema)."""


class ShortlistItemSerializer(serializers.ModelSerializer):
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    added_by = serializers.EmailField(source="added_by.email", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ShortlistItem
        fields = ["asset", "asset_name", "note", "added_by", "added_at"]
        read_only_fields = fields


class DeliveryItemSerializer(serializers.ModelSerializer):
    asset_name = serializers.CharField(source="asset.name", read_only=True)

    class Meta:
        model = DeliveryItem
        fields = ["id", "asset", "asset_name", "replaced_asset", "usage_event_uuid"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    delivered_by = serializers.EmailField(source="delivered_by.email", read_only=True, allow_null=True, default=None)
    accepted_by = serializers.EmailField(source="accepted_by.email", read_only=True, allow_null=True, default=None)
    items = DeliveryItemSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "delivered_by",
            "delivered_at",
            "note",
            "accepted_at",
            "accepted_by",
            "changes_requested_at",
            "items",
        ]
        read_only_fields = fields


class CreativeRequestSerializer(serializers.ModelSerializer):
    """A request in a list."""

    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    requester = serializers.EmailField(source="requester_email", read_only=True)
    countries = serializers.ListField(child=serializers.CharField(), read_only=True)
    regions = serializers.ListField(child=serializers.CharField(), read_only=True)
    usages = serializers.ListField(child=serializers.CharField(), read_only=True)
    incomplete = serializers.DictField(
        child=serializers.CharField(), read_only=True, help_text="Field → problem (a request started in OpenText)."
    )

    class Meta:
        model = CreativeRequest
        fields = [
            "id",
            "client",
            "requester",
            "title",
            "brief",
            "keywords",
            "campaign_type",
            "format",
            "countries",
            "regions",
            "usages",
            "deadline",
            "run_from",
            "run_until",
            "status",
            "source",
            "incomplete",
            "question",
            "answer",
            "decline_reason",
            "changes_reason",
            "created_at",
            "updated_at",
            "submitted_at",
            "closed_at",
        ]
        read_only_fields = fields


class CreativeRequestDetailSerializer(CreativeRequestSerializer):
    """One request with its open tasks you may see, its shortlist and its deliveries."""

    tasks = RequestTaskSerializer(source="open_tasks", many=True, read_only=True)
    shortlist = ShortlistItemSerializer(many=True, read_only=True)
    deliveries = DeliverySerializer(many=True, read_only=True)

    class Meta(CreativeRequestSerializer.Meta):
        fields = [*CreativeRequestSerializer.Meta.fields, "tasks", "shortlist", "deliveries"]
        read_only_fields = fields


class CreativeRequestWriteSerializer(serializers.Serializer):
    """A new request (``client`` needed) or a draft's new fields. ``submit: true`` submits it at once (then every
    field a submitted request needs is checked: countries or regions, usages, deadline)."""

    client = serializers.SlugField(required=False, help_text="The client's slug; only when creating.")
    title = serializers.CharField(max_length=TITLE_LIMIT, allow_blank=True)
    brief = serializers.CharField(max_length=TEXT_LIMIT, allow_blank=True, default="")
    keywords = serializers.CharField(max_length=KEYWORDS_LIMIT, allow_blank=True, default="")
    campaign_type = serializers.IntegerField(required=False, allow_null=True, default=None)
    format = serializers.IntegerField(required=False, allow_null=True, default=None)
    countries = serializers.ListField(child=serializers.CharField(max_length=2), default=list, max_length=250)
    regions = serializers.ListField(child=serializers.CharField(max_length=30), default=list, max_length=50)
    usages = serializers.ListField(child=serializers.CharField(max_length=100), default=list, max_length=50)
    deadline = serializers.DateField(required=False, allow_null=True, default=None)
    run_from = serializers.DateField(required=False, allow_null=True, default=None)
    run_until = serializers.DateField(required=False, allow_null=True, default=None)
    submit = serializers.BooleanField(default=False, help_text="Submit now rather than keep a draft.")


class ShortlistSerializer(serializers.Serializer):
    asset = serializers.IntegerField(help_text="An available asset of the request's client.")
    note = serializers.CharField(max_length=500, allow_blank=True, default="")
    remove = serializers.BooleanField(default=False, help_text="Take the asset off the shortlist instead.")


class RequestDecideSerializer(DecideSerializer):
    task = serializers.IntegerField(help_text="The id of an open task of the request (see its `tasks`).")
    assets = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=50,
        help_text="To deliver (`delivered`): the assets; left out, the shortlist is delivered.",
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, default="", help_text="A delivery's note.")


class MatchSerializer(serializers.Serializer):
    asset = serializers.IntegerField(source="asset.pk")
    name = serializers.CharField(source="asset.name")
    content_element_uuid = serializers.CharField(source="asset.content_element_uuid")
    preview_url = serializers.CharField(source="asset.preview_url")
    coverage = serializers.CharField(help_text="full or partial")
    score = serializers.FloatField()
    source = serializers.CharField()
    fits = serializers.ListField(child=serializers.CharField(), help_text="Why it fits.")
    watch = serializers.ListField(child=serializers.CharField(), help_text="What to watch.")
    missing = serializers.ListField(child=serializers.CharField(), help_text="What a partial match lacks.")


class MatchesSerializer(serializers.Serializer):
    full = MatchSerializer(many=True)
    partial = MatchSerializer(many=True)
    facets = serializers.DictField(child=serializers.IntegerField())
    bounded = serializers.BooleanField()


class ManifestRowSerializer(serializers.Serializer):
    asset_id = serializers.IntegerField()
    content_element_uuid = serializers.CharField()
    name = serializers.CharField()
    provider = serializers.CharField()
    content_type = serializers.CharField()
    licence = serializers.CharField(help_text="The licence in plain words.")
    territories = serializers.CharField()
    uses = serializers.CharField()
    not_for = serializers.CharField()
    editorial_only = serializers.BooleanField(allow_null=True)
    rights_until = serializers.CharField()
    download = serializers.CharField(help_text="Empty here: downloads are made on the request's page.")
