from django.db.models import Prefetch
from rest_framework import viewsets

from apps.workflows.models import Decision, Task, WorkflowRun

from .. import services
from ..filtersets import ReviewCycleFilterSet
from .serializers import ReviewCycleSerializer

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
