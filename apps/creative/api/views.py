"""``/api/v1/creative-requests/`` (and the vocabularies ``/api/v1/campaign-types/``, ``/api/v1/formats/``): the same
intake and the same decisions as the pages, through the one service of each (``apps.creative.services``,
``workflows.services.decide``)."""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.assets.models import Asset
from apps.audit import services as audit
from apps.clients.models import Client
from apps.common.roles import Capability, roles_with
from apps.workflows.api.views import NOT_A_SIGNER, decide_or_problem
from apps.workflows.choices import TaskStatus
from apps.workflows.models import Task
from apps.workflows.services import InvalidTransition, NotASigner

from .. import delivery as deliveries
from .. import services
from ..choices import RequestStatus, Source
from ..models import CampaignType, CreativeRequest, Delivery, Format, ShortlistItem
from .serializers import (
    CampaignTypeSerializer,
    CreativeRequestDetailSerializer,
    CreativeRequestSerializer,
    CreativeRequestWriteSerializer,
    FormatSerializer,
    ManifestRowSerializer,
    MatchesSerializer,
    RequestDecideSerializer,
    ShortlistSerializer,
    VocabularyCreateSerializer,
)

INTAKE_REFUSED = OpenApiResponse(description="A field is wrong: `errors` names each field and says why.")
CONFLICT = OpenApiResponse(description="The request is not in a state that allows this (`detail` says why).")


class CreativeRequestFilterSet(django_filters.FilterSet):
    client = django_filters.CharFilter(field_name="client__slug", help_text="A client's slug.")
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    source = django_filters.ChoiceFilter(choices=Source.choices)
    mine = django_filters.BooleanFilter(method="filter_mine", help_text="Only the requests you asked for.")

    class Meta:
        model = CreativeRequest
        fields = ["client", "status", "source", "mine"]

    def filter_mine(self, queryset, name, value):
        return queryset.filter(requester=self.request.user) if value else queryset


def _intake(data: dict, client) -> services.Intake:
    """The body's fields as an intake; vocabulary ids of another client (or none) are refused as fields."""
    errors = {}
    found = {}
    for name, model in (("campaign_type", CampaignType), ("format", Format)):
        pk = data.get(name)
        found[name] = None
        if pk is not None:
            found[name] = model.objects.active().filter(client=client, pk=pk).first()
            if found[name] is None:
                errors[name] = [f"Not one of this client's {model._meta.verbose_name_plural}."]
    if errors:
        raise exceptions.ValidationError(errors)
    return services.Intake(
        title=data.get("title", ""),
        brief=data.get("brief", ""),
        keywords=data.get("keywords", ""),
        campaign_type=found["campaign_type"],
        format=found["format"],
        countries=[c.upper() for c in data.get("countries", [])],
        regions=data.get("regions", []),
        usages=data.get("usages", []),
        deadline=data.get("deadline"),
        run_from=data.get("run_from"),
        run_until=data.get("run_until"),
    )


def _refusal(exc: Exception):
    if isinstance(exc, services.IntakeErrors):
        return exceptions.ValidationError(exc.errors)
    if isinstance(exc, NotASigner):
        return exceptions.PermissionDenied(str(exc))
    if isinstance(exc, services.RequestRefused):
        return exceptions.ValidationError({exc.field: [str(exc)]})
    return _Conflict(str(exc))


class _Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class CreativeRequestViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Creative requests of the caller's clients (a draft only to its requester), newest first. Create with
    `submit: true` to submit at once; a draft is changed with PATCH/PUT and submitted with `submit/`. Tasks are
    decided with `decision/` (triage, the requester's answer and acceptance, the creative's delivery)."""

    filterset_class = CreativeRequestFilterSet
    ordering = "-id"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return CreativeRequestWriteSerializer
        return CreativeRequestSerializer if self.action == "list" else CreativeRequestDetailSerializer

    def get_queryset(self):
        return CreativeRequest.objects.visible_to(self.request.user).select_related("client")

    def _detail(self, request_obj: CreativeRequest) -> dict:
        request_obj = (
            self.get_queryset()
            .prefetch_related(
                Prefetch("shortlist", queryset=ShortlistItem.objects.select_related("asset", "added_by")),
                Prefetch(
                    "deliveries",
                    queryset=Delivery.objects.select_related("delivered_by", "accepted_by").prefetch_related(
                        "items__asset"
                    ),
                ),
            )
            .get(pk=request_obj.pk)
        )
        request_obj.open_tasks = list(
            Task.objects.visible_to(self.request.user)
            .filter(run__subject_type=services.SUBJECT, run__subject_id=request_obj.pk, status=TaskStatus.OPEN)
            .order_by("id")
        )
        return CreativeRequestDetailSerializer(request_obj).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail(self.get_object()))

    @extend_schema(
        request=CreativeRequestWriteSerializer,
        responses={201: CreativeRequestDetailSerializer, 400: INTAKE_REFUSED, 403: NOT_A_SIGNER},
    )
    def create(self, request, *args, **kwargs):
        body = CreativeRequestWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client = Client.objects.internal_to(request.user).filter(slug=data.get("client") or "").first()
        if client is None:
            raise exceptions.ValidationError({"client": ["Give the slug of one of your clients."]})
        intake = _intake(data, client)
        try:
            if data["submit"]:
                created = services.submit(actor=request.user, client=client, intake=intake, source=Source.API)
            else:
                created = services.save_draft(intake, client=client, requester=request.user, source=Source.API)
        except InvalidTransition as exc:
            raise _refusal(exc) from None
        return Response(self._detail(created), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CreativeRequestWriteSerializer,
        responses={200: CreativeRequestDetailSerializer, 400: INTAKE_REFUSED, 403: NOT_A_SIGNER, 409: CONFLICT},
    )
    def update(self, request, *args, **kwargs):
        draft = self.get_object()
        partial = kwargs.pop("partial", False)
        body = CreativeRequestWriteSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        given = {k: v for k, v in body.validated_data.items() if k in request.data or not partial}
        current = {name: getattr(draft, name) for name in services.FIELDS}
        current["campaign_type"] = draft.campaign_type_id
        current["format"] = draft.format_id
        intake = _intake({**current, **given}, draft.client)
        try:
            if given.get("submit"):
                saved = services.submit(draft, actor=request.user, intake=intake)
            else:
                saved = services.save_draft(intake, client=draft.client, requester=request.user, request=draft)
        except InvalidTransition as exc:
            raise _refusal(exc) from None
        return Response(self._detail(saved))

    @extend_schema(request=None, responses={200: CreativeRequestDetailSerializer, 400: INTAKE_REFUSED, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit a draft: checked as a submitted request and its process started in OpenText."""
        try:
            submitted = services.submit(self.get_object(), actor=request.user)
        except InvalidTransition as exc:
            raise _refusal(exc) from None
        return Response(self._detail(submitted))

    @extend_schema(
        request=RequestDecideSerializer,
        responses={201: CreativeRequestDetailSerializer, 400: INTAKE_REFUSED, 403: NOT_A_SIGNER, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        """Decide an open task of the request: triage (`accept`, `ask` with the question as reason, `decline`
        with a reason), the requester's `answered` (the answer as reason), the creative's `delivered` (`assets`
        or the shortlist), the requester's `accepted` or `changes_requested` (with what)."""
        creative_request = self.get_object()
        body = RequestDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        task = (
            Task.objects.visible_to(request.user)
            .filter(pk=data["task"], run__subject_type=services.SUBJECT, run__subject_id=creative_request.pk)
            .select_related("run", "client")
            .first()
        )
        if task is None:
            raise exceptions.ValidationError({"task": ["Not a task of this request that you may act on."]})
        decided = decide_or_problem(
            request, task, data, conflict_extra=lambda: {"request": self._detail(creative_request)}
        )
        if isinstance(decided, Response):
            return decided
        return Response(self._detail(creative_request), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ShortlistSerializer,
        responses={200: CreativeRequestDetailSerializer, 400: INTAKE_REFUSED, 403: NOT_A_SIGNER, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def shortlist(self, request, pk=None):
        """Add an asset to the shortlist (or take it off with `remove: true`): creatives, while in creation."""
        creative_request = self.get_object()
        body = ShortlistSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        asset = Asset.objects.visible_to(request.user).filter(pk=data["asset"]).first()
        if asset is None:
            raise exceptions.ValidationError({"asset": ["No such asset among your clients' assets."]})
        try:
            if data["remove"]:
                services.shortlist_remove(creative_request, asset, actor=request.user)
            else:
                services.shortlist_add(creative_request, asset, actor=request.user, note=data["note"])
        except InvalidTransition as exc:
            raise _refusal(exc) from None
        return Response(self._detail(creative_request))

    @extend_schema(
        responses={200: MatchesSerializer},
        parameters=[
            OpenApiParameter("search", str, description="Words every match must contain."),
            OpenApiParameter("source", str, many=True, description="brand_library, connected_dam, stock_provider."),
        ],
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def matches(self, request, pk=None):
        """The client's available assets for the request, full matches and partial ones apart, best first, each
        with why it fits and what to watch. `search` narrows by words, `source` by where assets come from."""
        creative_request = self.get_object()
        found = services.matches_for(
            creative_request,
            search=request.query_params.get("search", "")[:200],
            sources=request.query_params.getlist("source"),
        )
        return Response(MatchesSerializer(found).data)

    @extend_schema(responses={200: ManifestRowSerializer(many=True)})
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def manifest(self, request, pk=None):
        """The latest delivery's manifest: each asset with its licence in plain words (`?delivery=` another)."""
        creative_request = self.get_object()
        chosen = creative_request.deliveries.all()
        wanted = request.query_params.get("delivery", "")
        delivery = chosen.filter(pk=int(wanted)).first() if wanted.isdigit() else chosen.first()
        if delivery is None:
            raise exceptions.NotFound("No delivery yet.")
        return Response(deliveries.manifest_rows(delivery))


class VocabularyViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """A client's vocabulary of campaign types or formats. Everyone of the client reads it; agency admins add
    entries and archive them (archived entries stay on the requests that named them)."""

    model = CampaignType
    ordering = "id"
    filterset_fields = {"client__slug": ["exact"]}

    def get_queryset(self):
        queryset = self.model.objects.visible_to(self.request.user).select_related("client")
        if self.request.query_params.get("archived") not in ("1", "true"):
            queryset = queryset.active()
        return queryset

    def _admin_client(self, slug: str) -> Client:
        client = Client.objects.internal_to(self.request.user).filter(slug=slug).first()
        membership = next((m for m in self.request.user.membership_list if client and m.client_id == client.pk), None)
        if (
            client is None
            or membership is None
            or not set(membership.role_codes) & set(roles_with(Capability.MANAGE_CLIENT))
        ):
            raise exceptions.PermissionDenied("Only the client's agency admins edit its vocabulary.")
        return client

    def create(self, request, *args, **kwargs):
        where = VocabularyCreateSerializer(data=request.data)
        where.is_valid(raise_exception=True)
        client = self._admin_client(where.validated_data["client"])
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        if self.model.objects.filter(client=client, name__iexact=body.validated_data["name"]).exists():
            raise exceptions.ValidationError({"name": ["The client already has an entry of that name."]})
        entry = body.save(client=client)
        audit.record(
            f"creative.{self.model._meta.model_name}.create",
            actor=request.user,
            client=client,
            obj=entry,
            after={"name": entry.name},
        )
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        entry = self.get_object()
        self._admin_client(entry.client.slug)
        if entry.archived_at is None:
            entry.archived_at = timezone.now()
            entry.save(update_fields=["archived_at"])
            audit.record(
                f"creative.{self.model._meta.model_name}.archive", actor=request.user, client=entry.client, obj=entry
            )
        return Response(self.get_serializer(entry).data)


class CampaignTypeViewSet(VocabularyViewSet):
    __doc__ = VocabularyViewSet.__doc__
    model = CampaignType
    serializer_class = CampaignTypeSerializer

    @extend_schema(request=CampaignTypeSerializer, responses={201: CampaignTypeSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class FormatViewSet(VocabularyViewSet):
    __doc__ = VocabularyViewSet.__doc__
    model = Format
    serializer_class = FormatSerializer

    @extend_schema(request=FormatSerializer, responses={201: FormatSerializer})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)
