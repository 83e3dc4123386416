from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.common.serializers import PlannedListSerializer

from ..models import Comment, CommentSource, Decision, Task, WorkflowRun
from ..services import TEXT_LIMIT


class OutcomeSerializer(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


# A task's ``possible_outcomes`` (``[[label, value]]`` in the model) as ``[{label, value}]``. (A comment, not a
# docstring: drf-spectacular would publish a docstring as the description of every serializer using the mixin.)
class PossibleOutcomesMixin(serializers.Serializer):
    possible_outcomes = serializers.SerializerMethodField()

    @extend_schema_field(OutcomeSerializer(many=True))
    def get_possible_outcomes(self, task) -> list[dict]:
        return [{"label": label, "value": value} for label, value in task.possible_outcomes]


class TaskSerializer(PossibleOutcomesMixin, serializers.ModelSerializer):
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    title = serializers.CharField(source="run.title", read_only=True, help_text="What the run is about.")
    candidate_roles = serializers.ListField(child=serializers.CharField(), read_only=True)
    regions = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Codes of the regions the task's work is for; reviewers scoped to any of them see it. Empty: for "
        "no region in particular (everyone with the role).",
    )
    region = serializers.CharField(
        read_only=True,
        help_text="Deprecated, use `regions`: the task's region when it has exactly one, else empty.",
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "client",
            "run",
            "title",
            "name",
            "task_key",
            "candidate_roles",
            "regions",
            "region",
            "possible_outcomes",
            "status",
            "outcome",
            "assignee_email",
            "due_at",
            "version",
            "claimed_at",
            "completed_at",
        ]
        read_only_fields = fields
        list_serializer_class = PlannedListSerializer


class SubjectTaskSerializer(PossibleOutcomesMixin, serializers.ModelSerializer):
    """A task as a subject's page in the API lists it (a case's, a creative request's): what it is, who may sign, how
    it stands and what it can end with."""

    candidate_roles = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "name",
            "task_key",
            "candidate_roles",
            "possible_outcomes",
            "status",
            "outcome",
            "assignee_email",
            "due_at",
            "version",
            "completed_at",
        ]
        read_only_fields = fields


class DecisionSerializer(serializers.ModelSerializer):
    actor = serializers.EmailField(
        source="by", read_only=True, help_text="Who decided: a member's e-mail, or a review link holder's."
    )
    warnings = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="The licence conflicts decided over."
    )

    class Meta:
        model = Decision
        fields = ["id", "task", "actor", "outcome", "reason", "decided_at", "warnings", "applied", "not_applied_reason"]
        read_only_fields = fields


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The task's version as the caller last saw it: a task changed since then answers 409.",
    )


class DecideSerializer(VersionSerializer):
    outcome = serializers.CharField(
        max_length=50,
        allow_blank=True,  # refused by the service, which names the allowed values
        help_text="One of the task's `possible_outcomes` values; anything else is a 400 that lists them.",
    )
    reason = serializers.CharField(
        allow_blank=True,
        default="",
        max_length=TEXT_LIMIT,
        help_text="Needed for the outcomes the task's flow says (reject, request changes, withdraw, take down, ...) "
        "and to approve over licence warnings.",
    )
    renewed_until = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Rights renewal, to renew: the day the renewed licence runs until (in the future).",
    )
    replacement = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Rights renewal, to replace: the id of an available asset of the same client.",
    )
    use_countries = serializers.ListField(
        child=serializers.CharField(max_length=2),
        required=False,
        default=list,
        help_text="Asset approval, optional: the countries (ISO alpha-2) of a concrete use to check the licence "
        "against instead of the cycle's (a plain cycle checks the licence on its own terms).",
    )
    use_usages = serializers.ListField(
        child=serializers.CharField(max_length=100),
        required=False,
        default=list,
        help_text="Asset approval, optional: the Smint.io usage keys (`usage_web`) of that use.",
    )
    use_until = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Asset approval, optional: the last day of that use."
    )


class CommentSerializer(serializers.ModelSerializer):
    author = serializers.CharField(
        source="author_label",
        read_only=True,
        help_text="The author's e-mail; for a comment written in OpenText by someone without an account here, their "
        "OpenText user id.",
    )
    mentions = serializers.SlugRelatedField(slug_field="email", many=True, read_only=True)
    source = serializers.ChoiceField(
        choices=CommentSource.choices,
        read_only=True,
        help_text="Where the comment was written: in Greenlight (`portal`) or in OpenText (`opentext`).",
    )

    class Meta:
        model = Comment
        fields = ["id", "run", "task", "parent", "author", "body", "mentions", "source", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "created_at": {"help_text": "When it was written (at OpenText for one written there); the list is by id."}
        }


class CommentCreateSerializer(serializers.ModelSerializer):
    """A new comment on a run the caller may see; ``@e-mail`` mentions notify people of the client."""

    class Meta:
        model = Comment
        fields = ["run", "parent", "body"]
        extra_kwargs = {"parent": {"required": False}, "body": {"max_length": TEXT_LIMIT}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)  # no request (schema generation): nothing is visible
        self.fields["run"].queryset = WorkflowRun.objects.visible_to(user)
        self.fields["parent"].queryset = Comment.objects.visible_to(user)
