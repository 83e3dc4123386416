from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from .. import rights
from ..filtersets import AssetFilterSet, UsageEventFilterSet
from ..models import Asset, LicensePurchase, UsageEvent
from ..querysets import available_condition
from ..usage import record_usage
from .serializers import (
    INGEST_INVALID,
    INGEST_REQUEST,
    AssetDetailSerializer,
    AssetSerializer,
    RightsCheckSerializer,
    RightsQuerySerializer,
    UsageEventSerializer,
    UsageIngestResultSerializer,
)


class AssetViewSet(viewsets.ReadOnlyModelViewSet):
    """The caller's clients' assets, newest first; ``?available=true`` is what creatives may use. The detail adds
    the licences with their terms; ``rights/`` checks an intended use against them."""

    filterset_class = AssetFilterSet
    ordering = "-id"

    def get_queryset(self):
        # ``available`` comes from the one definition of it (``available_condition``), computed by the database.
        assets = (
            Asset.objects.visible_to(self.request.user)
            .select_related("client")
            .annotate(available_now=ExpressionWrapper(available_condition(), output_field=BooleanField()))
        )
        if self.action in ("retrieve", "list"):  # the licences and terms: the detail's, and everyone's limits
            licences = LicensePurchase.objects.prefetch_related("terms")
            assets = assets.prefetch_related(Prefetch("license_purchases", queryset=licences))
        elif self.action == "rights":
            # The check reads only ``release_details`` of the synced JSON: the database extracts it, so the
            # documents themselves (tens of kB per licence) are neither sent nor decoded (p95 20 → 12 ms here).
            licences = (
                LicensePurchase.objects.defer("raw")
                .annotate(release_json=KeyTransform("release_details", KeyTransform("content_element", "raw")))
                .prefetch_related("terms")
            )
            assets = (
                assets.defer("metadata")
                .annotate(
                    release_json=KeyTransform("release_details", "metadata"),
                    release_in_metadata=ExpressionWrapper(
                        Q(metadata__has_key="release_details"), output_field=BooleanField()
                    ),
                )
                .prefetch_related(Prefetch("license_purchases", queryset=licences))
            )
        return assets

    def get_serializer_class(self):
        if self.action == "rights":
            return RightsCheckSerializer
        return AssetDetailSerializer if self.action == "retrieve" else AssetSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "countries",
                OpenApiTypes.STR,
                description="Intended countries, ISO-3166 alpha-2, comma-separated (`DE,FR`).",
            ),
            OpenApiParameter(
                "usage",
                OpenApiTypes.STR,
                description="Intended usages, comma-separated, short or Smint.io form (`web`, `usage_web`): "
                "web, print, social_media, advertising, editorial, broadcast, internal, packaging, out_of_home.",
            ),
            OpenApiParameter("date", OpenApiTypes.DATE, description="The day of use (default: now)."),
        ],
        responses={
            200: RightsCheckSerializer,
            400: OpenApiResponse(description="An unknown country or usage, or a malformed date; see `errors`."),
            404: OpenApiResponse(description="No such asset among the caller's clients'."),
        },
    )
    @action(detail=True, filter_backends=[], pagination_class=None)
    def rights(self, request, pk=None):
        """Whether the asset's licences allow a use (countries, usages, day): `allowed`, `restricted` (a limit
        nearly reached), `unknown` (the licence does not say; never allowed) or `forbidden`, with every reason, for
        the asset (its best licence) and for each licence purchase."""
        asset = self.get_object()  # another client's asset is a 404 before the query is read
        words = rights.vocabulary_for(asset.client)  # its Smint.io vocabulary, else the built-in one
        query = RightsQuerySerializer(data=request.query_params, context={"vocabulary": words})
        query.is_valid(raise_exception=True)
        on = query.validated_data.get("date")
        use = rights.Use(
            countries=query.validated_data.get("countries", frozenset()),
            usages=query.validated_data.get("usage", frozenset()),
            on=on,
        )
        each = rights.evaluate_each(
            asset, use, threshold_percent=asset.client.usage_threshold_percent, vocabulary=words
        )
        verdict = rights.overall(verdict for _, verdict in each)
        body = {
            "asset": asset,
            "use": {
                "countries": sorted(use.countries),
                "usages": sorted(use.usages),
                "date": on or timezone.localdate(),
            },
            "status": verdict.status,
            "reasons": verdict.reasons,
            "licences": [{"uuid": lpt.uuid, "status": v.status, "reasons": v.reasons} for lpt, v in each],
        }
        return Response(RightsCheckSerializer(body).data)


class UsageEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Usage events of the caller's clients, newest stored first; POST reports events (a `write` token)."""

    serializer_class = UsageEventSerializer
    filterset_class = UsageEventFilterSet
    parser_classes = [JSONParser]  # a list of events has no form encoding
    ordering = "-id"

    def get_queryset(self):
        return UsageEvent.objects.visible_to(self.request.user).select_related("client")

    @extend_schema(
        request=INGEST_REQUEST,
        responses={201: UsageIngestResultSerializer, 200: UsageIngestResultSerializer, 400: INGEST_INVALID},
        description="Report one event (an object) or up to 1,000 (a list). All or nothing: if any event is "
        "invalid, none is stored. Idempotent by (client, `id`): 201 when something new was stored, else 200.",
    )
    def create(self, request):
        items = request.data if isinstance(request.data, list) else [request.data]
        # Any asset the caller may see; the events' clients are their assets' clients.
        result = record_usage(items, source="api", assets=Asset.objects.visible_to(request.user))
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(UsageIngestResultSerializer(result).data, status=code)
