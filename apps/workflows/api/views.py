from types import SimpleNamespace

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.common.api import problem
from apps.common.conditional import ConditionalListMixin, own_columns

from .. import flows, services
from ..choices import TaskStatus
from ..filtersets import CommentFilterSet, TaskApiFilterSet
from ..models import Comment, Task
from .serializers import (
    CommentCreateSerializer,
    CommentSerializer,
    DecideSerializer,
    DecisionSerializer,
    TaskSerializer,
    VersionSerializer,
)

CONFLICT = OpenApiResponse(
    description="Someone else acted on the task first (`urn:greenlight:problem:conflict`): `detail` says who and "
    "`task` holds the task as it is now."
)
REFUSED = OpenApiResponse(description="The action is not possible in the task's state; see `errors`.")
NOT_A_SIGNER = OpenApiResponse(
    description="The caller may see the task but does not sign it (`urn:greenlight:problem:permission-denied`): "
    "claiming and deciding need one of the task's candidate roles, in its region for a region-scoped person; "
    "`detail` says which. Admins see every task of their clients but sign only with a role the task asks for."
)


# What a list row shows (``TaskSerializer``'s own columns, its client's slug and its run's title): not the task's
# description, nor its run's variables.
LIST_TASK_COLUMNS = [*own_columns(TaskSerializer), "client__slug", "run__title"]


class TaskViewSet(ConditionalListMixin, viewsets.ReadOnlyModelViewSet):
    """Tasks the caller may see (their own, and those for their roles in their regions), oldest first. Claiming,
    releasing and deciding are POST actions; a task someone else acted on first answers 409 with its fresh state."""

    serializer_class = TaskSerializer
    filterset_class = TaskApiFilterSet
    ordering = "id"
    # every change of a task raises its version (and sets updated_at); the title is its run's, the slug its client's
    etag_fields = ("version", "updated_at", "run__title", "client__slug")

    def get_queryset(self):
        return Task.objects.visible_to(self.request.user).select_related("run", "client")

    def load_page(self, queryset, ids: list) -> list:
        """The page as plain rows (``values()``, no model instances: a task, its run and client per row were a
        quarter of the page's CPU) with the attributes ``TaskSerializer`` reads: ``client`` (slug), ``run`` (pk,
        title) and ``region`` (``Task.region``'s own rule)."""
        found = {}
        for values in queryset.filter(pk__in=ids).order_by().values(*LIST_TASK_COLUMNS, "run_id"):
            client = SimpleNamespace(slug=values.pop("client__slug"))
            run = SimpleNamespace(pk=values.pop("run_id"), title=values.pop("run__title"))
            row = SimpleNamespace(**values, client=client, run=run)
            row.region = Task.region.fget(row)
            found[row.id] = row
        return [found[pk] for pk in ids if pk in found]

    def _conflict(self, task: Task, exc: services.StaleTask) -> Response:
        task = Task.objects.select_related("run", "client").get(pk=task.pk)
        return problem(
            status.HTTP_409_CONFLICT,
            code="conflict",
            title="Conflict.",
            detail=str(exc),
            instance=self.request.path,
            task=TaskSerializer(task).data,
        )

    def _transition(self, change, *, field: str) -> Response:
        task = self.get_object()  # an unknown or invisible task is a 404 before the body is even read
        body = VersionSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        try:
            task = change(task, actor=self.request.user, expected_version=body.validated_data.get("version"))
        except services.NotASigner as exc:
            raise exceptions.PermissionDenied(str(exc)) from None
        except services.StaleTask as exc:
            return self._conflict(task, exc)
        except services.InvalidTransition as exc:
            raise exceptions.ValidationError({field: [str(exc)]}) from None
        return Response(TaskSerializer(task).data)

    @extend_schema(
        request=VersionSerializer, responses={200: TaskSerializer, 400: REFUSED, 403: NOT_A_SIGNER, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        return self._transition(services.claim_task, field="status")

    @extend_schema(request=VersionSerializer, responses={200: TaskSerializer, 400: REFUSED, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def unclaim(self, request, pk=None):
        return self._transition(services.unclaim_task, field="status")

    @extend_schema(
        request=DecideSerializer, responses={201: DecisionSerializer, 400: REFUSED, 403: NOT_A_SIGNER, 409: CONFLICT}
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        """Decide a task of any flow: the same service as every decision page (``workflows.services.decide``)."""
        task = self.get_object()
        body = DecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        # the flow's own fields (onboarding's keywords, territories, ...) are read by the flow (``read_inputs``),
        # which checks them; the validated common fields win
        sent = request.data.dict() if hasattr(request.data, "dict") else dict(request.data)
        decision = decide_or_problem(request, task, {**sent, **body.validated_data})
        if isinstance(decision, Response):
            return decision
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


def decide_or_problem(request, task: Task, data: dict, *, conflict_extra=None):
    """Call the decision service with a validated API body; a caller who does not sign the task gets a 403, a
    refusal is a 400 naming the field, someone acting first a 409 with the fresh task (or what ``conflict_extra``
    returns)."""
    flow = flows.of(task.run)
    try:
        return services.decide(
            task,
            actor=request.user,
            outcome=data["outcome"],
            reason=data.get("reason", ""),
            inputs=flow.read_inputs(data, request.user),
            expected_version=data.get("version"),
        )
    except services.NotASigner as exc:
        raise exceptions.PermissionDenied(str(exc)) from None
    except services.StaleTask as exc:
        extra = conflict_extra() if conflict_extra else {"task": TaskSerializer(Task.objects.get(pk=task.pk)).data}
        return problem(
            status.HTTP_409_CONFLICT,
            code="conflict",
            title="Conflict.",
            detail=str(exc),
            instance=request.path,
            **extra,
        )
    except services.DecisionRefused as exc:
        raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
    except services.InvalidTransition as exc:
        raise exceptions.ValidationError({"outcome": [str(exc)]}) from None


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
        # as the subject pages do: the comment goes on an open task of the run that the caller may see
        task = Task.objects.visible_to(request.user).filter(run=run, status=TaskStatus.OPEN).first()
        try:
            note = services.comment(run, actor=request.user, body=body.validated_data["body"], task=task, parent=parent)
        except services.DecisionRefused as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        return Response(CommentSerializer(note).data, status=status.HTTP_201_CREATED)
