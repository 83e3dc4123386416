"""``/api/v1/campaigns/``: the same campaigns, assets and regional review as the pages, through the same services
(``apps.campaigns.services``). Regional tasks are decided with ``/api/v1/tasks/{id}/decision/`` and the flow's
fields (``restrict_countries``, ``restrict_channels``, ``restrict_until``)."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.assets.models import Asset
from apps.clients.models import Client
from apps.workflows.api.views import NOT_A_SIGNER
from apps.workflows.services import InvalidTransition, NotASigner

from .. import matrix, services
from ..choices import AssetSource
from ..models import Campaign
from .serializers import (
    AddAssetsSerializer,
    CampaignDetailSerializer,
    CampaignSerializer,
    CampaignWriteSerializer,
    StartSerializer,
)

REFUSED = OpenApiResponse(description="A field is wrong: `errors` names each field and says why.")


class CampaignFilterSet(django_filters.FilterSet):
    client = django_filters.CharFilter(field_name="client__slug", help_text="A client's slug.")

    class Meta:
        model = Campaign
        fields = ["client"]


def _refusal(exc: Exception):
    if isinstance(exc, services.CampaignErrors):
        return exceptions.ValidationError(exc.errors)
    if isinstance(exc, NotASigner):
        return exceptions.PermissionDenied(str(exc))
    if isinstance(exc, services.CampaignRefused):
        return exceptions.ValidationError({exc.field or "detail": [str(exc)]})
    return exceptions.ValidationError({"detail": [str(exc)]})


class CampaignViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Campaigns of the caller's clients, newest run first. The detail carries the asset x region matrix: each
    cell's state, restrictions, due date and who acts next. Add assets with `assets/`, start the regional review
    with `start/`."""

    filterset_class = CampaignFilterSet
    ordering = "-id"
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer_class(self):
        if self.action == "create":
            return CampaignWriteSerializer
        return CampaignSerializer if self.action == "list" else CampaignDetailSerializer

    def get_queryset(self):
        return (
            Campaign.objects.visible_to(self.request.user)
            .select_related("client", "owner")
            .prefetch_related("regions__region")
        )

    def _detail(self, campaign: Campaign) -> dict:
        campaign = self.get_queryset().get(pk=campaign.pk)
        _regions, campaign.matrix = matrix.build(campaign, self.request.user)
        return CampaignDetailSerializer(campaign).data

    def retrieve(self, request, *args, **kwargs):
        return Response(self._detail(self.get_object()))

    @extend_schema(
        request=CampaignWriteSerializer, responses={201: CampaignDetailSerializer, 400: REFUSED, 403: NOT_A_SIGNER}
    )
    def create(self, request, *args, **kwargs):
        body = CampaignWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        client = Client.objects.internal_to(request.user).filter(slug=data["client"]).first()
        if client is None:
            raise exceptions.ValidationError({"client": ["Give the slug of one of your clients."]})
        plan = services.Plan(
            name=data["name"],
            channels=data["channels"],
            run_from=data["run_from"],
            run_until=data["run_until"],
            regions=[services.RegionPlan(**entry) for entry in data["regions"]],
        )
        try:
            campaign = services.create(plan, client=client, actor=request.user)
        except InvalidTransition as exc:
            raise _refusal(exc) from None
        return Response(self._detail(campaign), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AddAssetsSerializer, responses={200: CampaignDetailSerializer, 400: REFUSED, 403: NOT_A_SIGNER}
    )
    @action(detail=True, methods=["post"])
    def assets(self, request, pk=None):
        """Add assets: `assets` (ids, source `library` or `matching`) or, with source `delivery`, the assets
        delivered to the creative request `request`. Assets already on the campaign are left as they are."""
        campaign = self.get_object()
        body = AddAssetsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            if data["source"] == AssetSource.DELIVERY:
                if not data.get("request"):
                    raise services.CampaignRefused("Name the request whose delivery to add.", field="request")
                assets = services.delivered_assets(campaign, data["request"], request.user)
            else:
                ids = data.get("assets") or []
                assets = list(Asset.objects.visible_to(request.user).filter(pk__in=ids))
                if len(assets) != len(set(ids)):
                    raise services.CampaignRefused("Some of these assets are not yours to add.", field="assets")
            services.add_assets(campaign, assets, actor=request.user, source=data["source"])
        except InvalidTransition as exc:
            raise _refusal(exc) from None
        return Response(self._detail(campaign))

    @extend_schema(request=StartSerializer, responses={200: CampaignDetailSerializer, 400: REFUSED, 403: NOT_A_SIGNER})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start the regional review of every asset and region not started yet (or of the `regions` named)."""
        campaign = self.get_object()
        body = StartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.start_review(campaign, actor=request.user, regions=body.validated_data["regions"])
        except InvalidTransition as exc:
            raise _refusal(exc) from None
        return Response(self._detail(campaign))
