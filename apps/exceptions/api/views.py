"""``/api/v1/cases/``: the caller's clients' cases, filtered as the case list is, and decisions on their tasks through
the one decision service of every flow (``workflows.services.decide``), as on the case page and at
``/api/v1/tasks/{id}/decision/``."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.assets.models import Asset
from apps.clients.api.policy import ClientPolicyView
from apps.clients.models import Client
from apps.workflows.api.views import NOT_A_SIGNER, decide_or_problem
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Decision, Task, WorkflowRun
from apps.workflows.services import DecisionRefused

from .. import detection, exception_views, policy
from ..filtersets import CaseFilterSet
from ..models import Case
from .serializers import CaseDecideSerializer, CaseDetailSerializer, CaseSerializer, DetectSerializer, ReportSerializer

SUBJECT = "exceptions.case"
CONFLICT = OpenApiResponse(
    description="Someone else acted on the task first (`urn:greenlight:problem:conflict`): `detail` says who and "
    "`case` holds the case as it is now."
)
REFUSED = OpenApiResponse(
    description="The decision cannot be recorded as given; `errors` names the field (`task`, `outcome`, `reason`, "
    "`renewed_until`, `replacement`, or an exception fix's `name`/`keywords`) and says what is missing."
)


def with_workflow(case: Case) -> Case:
    """Attach the tasks and decisions of the case's runs (a case's runs point at it by subject, not by a key)."""
    runs = WorkflowRun.objects.filter(subject_type=SUBJECT, subject_id=case.pk)
    case.case_tasks = list(Task.objects.filter(run__in=runs).order_by("id"))
    case.case_decisions = list(Decision.objects.filter(run__in=runs).select_related("actor").order_by("decided_at"))
    return case


class CaseViewSet(viewsets.ReadOnlyModelViewSet):
    """Cases of the caller's clients, newest first, with the case list's filters (`owner=me` for the caller's own).
    A case's page lists its tasks and decisions; deciding is a POST to `decision/` (write scope)."""

    filterset_class = CaseFilterSet
    ordering = "-id"

    def get_serializer_class(self):
        return CaseSerializer if self.action == "list" else CaseDetailSerializer

    def get_queryset(self):
        holder = (
            Task.objects.filter(
                run__subject_type=SUBJECT,
                run__subject_id=OuterRef("pk"),
                status=TaskStatus.OPEN,
                assignee__isnull=False,
            )
            .order_by("id")
            .values("assignee__email")[:1]
        )
        return (
            Case.objects.visible_to(self.request.user)
            .select_related("client", "asset", "replacement", "closed_by")
            .annotate(owner_email=Subquery(holder))
        )

    def retrieve(self, request, *args, **kwargs):
        return Response(CaseDetailSerializer(with_workflow(self.get_object())).data)

    def _fresh(self, case: Case) -> dict:
        return CaseDetailSerializer(with_workflow(self.get_queryset().get(pk=case.pk))).data

    @extend_schema(
        request=CaseDecideSerializer,
        responses={201: CaseDetailSerializer, 400: REFUSED, 403: NOT_A_SIGNER, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        case = self.get_object()  # an unknown or invisible case is a 404 before the body is even read
        body = CaseDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        task = (
            Task.objects.visible_to(request.user)
            .filter(pk=data["task"], run__subject_type=SUBJECT, run__subject_id=case.pk)
            .select_related("run", "client")
            .first()
        )
        if task is None:
            raise exceptions.ValidationError({"task": ["Not a task of this case that you may act on."]})
        decided = decide_or_problem(request, task, data, conflict_extra=lambda: {"case": self._fresh(case)})
        if isinstance(decided, Response):
            return decided
        return Response(self._fresh(case), status=status.HTTP_201_CREATED)

    @extend_schema(request=ReportSerializer, responses={201: CaseDetailSerializer, 400: REFUSED})
    @action(detail=False, methods=["post"])
    def report(self, request):
        """Report a problem with an asset: its open report case gets the report, or one is opened (the asset goes
        on hold until the case is cleared or the asset removed)."""
        body = ReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        asset = Asset.objects.visible_to(request.user).filter(pk=body.validated_data["asset"]).first()
        if asset is None:
            raise exceptions.ValidationError({"asset": ["No such asset among those you may see."]})
        if not exception_views.may_report(request.user, asset):
            raise exceptions.PermissionDenied("Only the client's members report problems.")
        try:
            case = detection.report(asset, actor=request.user, reason=body.validated_data["reason"])
        except DecisionRefused as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        return Response(self._fresh(case), status=status.HTTP_201_CREATED)

    @extend_schema(request=DetectSerializer, responses={200: OpenApiResponse(description="Counts of the sweep.")})
    @action(detail=False, methods=["post"])
    def detect(self, request):
        """Run a client's exception rules over its library now (content managers, agency admins, staff): the
        counts of assets judged, findings, cases opened and cases already open."""
        body = DetectSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = Client.objects.internal_to(request.user).filter(slug=body.validated_data["client"]).first()
        if client is None:
            raise exceptions.ValidationError({"client": ["No such client among yours."]})
        if not exception_views.may_detect(request.user, client):
            raise exceptions.PermissionDenied("Only content managers and agency admins run the checks.")
        return Response(detection.sweep(client=client))


class ExceptionPolicySerializer(serializers.Serializer):
    client = serializers.CharField(read_only=True, help_text="The client's slug.")
    accepted_providers = serializers.ListField(child=serializers.CharField(), required=False)
    accepted_license_types = serializers.ListField(child=serializers.CharField(), required=False)
    refused_flags = serializers.ListField(child=serializers.CharField(), required=False)
    sla_hours = serializers.DictField(
        child=serializers.IntegerField(allow_null=True), required=False, help_text="Hours per cause family."
    )
    reason = serializers.CharField(required=False, allow_blank=True, write_only=True, max_length=500)


@extend_schema_view(
    get=extend_schema(responses={200: ExceptionPolicySerializer}),
    patch=extend_schema(request=ExceptionPolicySerializer, responses={200: ExceptionPolicySerializer, 400: REFUSED}),
)
class ExceptionPolicyView(ClientPolicyView):
    """A client's exception policy (``apps.exceptions.policy``): its internal members read it; its agency admins
    change it with an `admin` token (each change audited with before and after). Another client's, or a client
    where the caller is an external member, is a 404."""

    serializer_class = ExceptionPolicySerializer
    policy = policy
    what = "exception policy"
    refused_groups = {"sla_": "sla_hours"}

    current = staticmethod(detection.policy_for)
