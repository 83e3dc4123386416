from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.workflows.api.serializers import DecideSerializer, SubjectTaskSerializer
from apps.workflows.models import Decision

from ..choices import Disposition
from ..models import Case


class CaseTaskSerializer(SubjectTaskSerializer):
    """A case's task (its own name in the schema)."""


class CaseDecisionSerializer(serializers.ModelSerializer):
    actor = serializers.EmailField(
        source="by", read_only=True, help_text="Who decided: a member's e-mail, or a review link holder's."
    )

    class Meta:
        model = Decision
        fields = ["id", "task", "actor", "outcome", "reason", "decided_at", "applied", "not_applied_reason"]
        read_only_fields = fields


class CaseAssetSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    content_element_uuid = serializers.CharField(read_only=True)


@extend_schema_field({"$ref": "#/components/schemas/CaseStateEnum"})
class CaseStateField(serializers.CharField):
    """``state`` of the case detail: a reference to the list's enum of the same choices. Declared inline twice, the
    choice set would collide by name with the licence's ``state`` and get a hashed component name."""


class CaseSerializer(serializers.ModelSerializer):
    """A case in a list: what it is about, its cause, its dates and who holds its open task."""

    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    asset = serializers.IntegerField(source="asset_id", read_only=True, help_text="The asset's id.")
    asset_name = serializers.CharField(source="asset.name", read_only=True)
    replacement = serializers.IntegerField(
        source="replacement_id", read_only=True, allow_null=True, help_text="The replacing asset's id, if any."
    )
    disposition = serializers.ChoiceField(
        choices=Disposition.choices, allow_blank=True, read_only=True, help_text="How it ended; empty while open."
    )
    owner = serializers.EmailField(
        source="owner_email", read_only=True, allow_null=True, help_text="Who holds the case's open task, if anyone."
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "client",
            "kind",
            "trigger",
            "title",
            "summary",
            "state",
            "asset",
            "asset_name",
            "owner",
            "lapse_at",
            "due_at",
            "escalated_at",
            "disposition",
            "renewed_until",
            "replacement",
            "opened_at",
            "closed_at",
        ]
        read_only_fields = fields


class CaseDetailSerializer(CaseSerializer):
    """One case with its evidence, the replacing asset, and the tasks and decisions of its runs."""

    state = CaseStateField(read_only=True)
    asset = CaseAssetSerializer(read_only=True)
    replacement = CaseAssetSerializer(read_only=True, allow_null=True)
    evidence = serializers.DictField(read_only=True, help_text="What the sweep or the rule saw.")
    closed_by = serializers.EmailField(source="closed_by.email", read_only=True, allow_null=True, default=None)
    tasks = CaseTaskSerializer(source="case_tasks", many=True, read_only=True)
    decisions = CaseDecisionSerializer(source="case_decisions", many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "evidence", "closed_by", "tasks", "decisions"]
        read_only_fields = fields


class CaseDecideSerializer(DecideSerializer):
    task = serializers.IntegerField(help_text="The id of an open task of the case (see the case's `tasks`).")
    # the metadata edit of an exception case's "Fix the metadata" task (with outcome `fixed`): the fields given
    # replace the asset's and are written to Smint.io in one metadata PATCH; the rule is then evaluated again
    name = serializers.CharField(required=False, max_length=300, help_text="Exception fix: the asset's name.")
    description = serializers.CharField(
        required=False, allow_blank=True, max_length=10000, help_text="Exception fix: the description."
    )
    keywords = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=100, help_text="Exception fix."
    )
    categories = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50, help_text="Exception fix."
    )


class ReportSerializer(serializers.Serializer):
    asset = serializers.IntegerField(help_text="The id of an asset you see.")
    reason = serializers.CharField(max_length=2000, help_text="What is wrong with it.")


class DetectSerializer(serializers.Serializer):
    client = serializers.SlugField(help_text="The client whose library the exception rules judge now.")
