from rest_framework import serializers

from apps.workflows.api.serializers import DecisionSerializer
from apps.workflows.models import Comment, Task, WorkflowRun


class IntendedUseSerializer(serializers.Serializer):
    """What the cycle checks the licence against, from the run's variables (set from the client's policy)."""

    regions = serializers.ListField(child=serializers.CharField(), source="intendedRegions", default=list)
    usages = serializers.ListField(child=serializers.CharField(), source="intendedUsages", default=list)
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


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_label", read_only=True, help_text="The author's e-mail.")
    mentions = serializers.SlugRelatedField(slug_field="email", many=True, read_only=True)

    class Meta:
        model = Comment
        fields = ["id", "run", "task", "parent", "author", "body", "mentions", "created_at"]
        read_only_fields = fields


class CommentCreateSerializer(serializers.ModelSerializer):
    """A new comment on a run the caller may see; ``@e-mail`` mentions notify people of the client."""

    class Meta:
        model = Comment
        fields = ["run", "parent", "body"]
        extra_kwargs = {"parent": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)  # no request (schema generation): nothing is visible
        self.fields["run"].queryset = WorkflowRun.objects.visible_to(user)
        self.fields["parent"].queryset = Comment.objects.visible_to(user)
