from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.response import Response

from apps.workflows.choices import TaskStatus
from apps.workflows.models import Comment, Decision, Task, WorkflowRun

from .. import services
from ..filtersets import CommentFilterSet, ReviewCycleFilterSet
from .serializers import CommentCreateSerializer, CommentSerializer, ReviewCycleSerializer

# The processes whose runs are review cycles of an asset.
REVIEW_PROCESSES = [services.APPROVAL]


class ReviewCycleViewSet(viewsets.ReadOnlyModelViewSet):
    """Review cycles of the caller's clients' assets, newest first, with their tasks and decisions."""

    serializer_class = ReviewCycleSerializer
    filterset_class = ReviewCycleFilterSet
    ordering = "-id"

    def get_queryset(self):
        return (
            WorkflowRun.objects.visible_to(self.request.user)
            .filter(subject_type="assets.asset", process_key__in=REVIEW_PROCESSES)
            .select_related("client")
            .prefetch_related(
                Prefetch("tasks", queryset=Task.objects.order_by("id")),
                Prefetch("decisions", queryset=Decision.objects.select_related("actor")),
            )
        )


class CommentViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Comments on the runs of the caller's clients, oldest first; filter by ``run`` or ``asset``. A new comment
    goes on the run's open task the caller may see, which also sends it to OpenText."""

    serializer_class = CommentSerializer
    filterset_class = CommentFilterSet
    ordering = "id"

    def get_queryset(self):
        return Comment.objects.visible_to(self.request.user).prefetch_related("mentions")

    @extend_schema(request=CommentCreateSerializer, responses={201: CommentSerializer})
    def create(self, request, *args, **kwargs):
        body = CommentCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        run, parent = body.validated_data["run"], body.validated_data.get("parent")
        # as the asset page does: the comment goes on an open task of the run that the caller may see
        task = Task.objects.visible_to(request.user).filter(run=run, status=TaskStatus.OPEN).first()
        try:
            note = services.comment(run, actor=request.user, body=body.validated_data["body"], task=task, parent=parent)
        except services.DecisionRefused as exc:
            field = "parent" if parent is not None and parent.run_id != run.pk else "body"
            raise exceptions.ValidationError({field: [str(exc)]}) from None
        return Response(CommentSerializer(note).data, status=status.HTTP_201_CREATED)
