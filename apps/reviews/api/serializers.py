from rest_framework import serializers

from apps.workflows.api.serializers import DecisionSerializer
from apps.workflows.models import Task, WorkflowRun


class IntendedUseSerializer(serializers.Serializer):
    """What the cycle checks the licence against, from the run's variables: ``source`` ``licence`` (a plain cycle:
    the licence on its own terms until ``use_until``, no countries or usages) or the work that set a concrete use
    (``campaign``, ``request``)."""

    source = serializers.CharField(
        source="intendedUseSource",
        default="licence",
        help_text="`licence` (plain cycle: the asset within its licence), `campaign` or `request`.",
    )
    regions = serializers.ListField(child=serializers.CharField(), source="intendedRegions", default=list)
    countries = serializers.ListField(
        child=serializers.CharField(), source="intendedCountries", default=list, help_text="Empty in a plain cycle."
    )
    usages = serializers.ListField(
        child=serializers.CharField(), source="intendedUsages", default=list, help_text="Empty in a plain cycle."
    )
    use_until = serializers.DateField(source="useUntil", allow_null=True, default=None)


class CycleTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "name", "status", "outcome", "assignee_email", "due_at"]
        read_only_fields = fields


class CycleDecisionSerializer(DecisionSerializer):
    class Meta(DecisionSerializer.Meta):
        fields = ["task", "actor", "outcome", "reason", "decided_at", "warnings", "applied", "not_applied_reason"]
        read_only_fields = fields


class ReviewCycleSerializer(serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    asset = serializers.IntegerField(source="subject_id", read_only=True, help_text="The asset's id.")
    intended_use = IntendedUseSerializer(source="variables", read_only=True)
    tasks = CycleTaskSerializer(many=True, read_only=True)
    decisions = CycleDecisionSerializer(many=True, read_only=True)

    class Meta:
        model = WorkflowRun
        fields = [
            "id",
            "client",
            "process_key",
            "business_key",
            "asset",
            "title",
            "status",
            "outcome",
            "intended_use",
            "created_at",
            "started_at",
            "ended_at",
            "tasks",
            "decisions",
        ]
        read_only_fields = fields
