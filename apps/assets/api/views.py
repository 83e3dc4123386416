from types import SimpleNamespace

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from apps.clients.models import Client
from apps.common.conditional import ConditionalListMixin, own_columns

from .. import rights, vocabulary
from ..choices import LicenseState
from ..filtersets import AssetFilterSet, UsageEventFilterSet
from ..models import Asset, LicensePurchase, LicenseTerm, UsageEvent
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

# What a list row shows (``AssetSerializer``'s own columns), plus what ``available`` and ``limits`` read: the client's
# slug, the rights' end, and for ``limits`` each licence's state and the terms' fields the evaluation reads
# (``rights.TERM_FIELDS``). Nothing else: not the synced JSON (``metadata``, each licence's ``raw``), not the terms'
# other JSON lists.
LIST_ASSET_COLUMNS = [*own_columns(AssetSerializer), "client__slug", "rights_until", "renewal_recorded_until"]
LIST_TERM_COLUMNS = rights.TERM_FIELDS


# An asset's licences as its list row shows them, in one value: how many, when the newest was last synced, and which
# terms of its completed licences are in force now (their number and the sum of their ids; a term passing its end
# changes them). PostgreSQL and SQLite alike.
# (Table names from the models, values bound as parameters.)
LICENCES_TAG_SQL = f"""
    SELECT COUNT(DISTINCT l.id) || ':' || COALESCE(CAST(MAX(l.synced_at) AS TEXT), '') || ':' || COUNT(t.id) || ':'
           || COALESCE(SUM(t.id), 0)
    FROM {LicensePurchase._meta.db_table} l
    LEFT JOIN {LicenseTerm._meta.db_table} t ON t.license_purchase_id = l.id
         AND (t.valid_from IS NULL OR t.valid_from <= %s) AND (t.valid_until IS NULL OR t.valid_until > %s)
         AND (t.to_be_used_until IS NULL OR t.to_be_used_until > %s) AND l.state = %s
    WHERE l.asset_id = {Asset._meta.db_table}.id
"""  # noqa: S608


class AssetViewSet(ConditionalListMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's clients' assets, newest first; ``?available=true`` is what creatives may use. The detail adds
    the licences with their terms; ``rights/`` checks an intended use against them."""

    filterset_class = AssetFilterSet
    ordering = "-id"
    # A row changes with the asset (``updated_at``: every write of an asset sets it), its licences (``synced_at``:
    # each upsert; terms are never rewritten, only added), which terms are in force now (``limits``), whether it is
    # available now, and its client's slug and vocabulary (the Smint.io connection's ``updated_at``).
    etag_fields = (
        "updated_at",
        "available_now",
        "client__slug",
        "client__smintio_connection__updated_at",
        "licences_tag",
    )

    def get_queryset(self):
        # ``available`` comes from the one definition of it (``available_condition``), computed by the database.
        assets = (
            Asset.objects.visible_to(self.request.user)
            .select_related("client")
            .annotate(available_now=ExpressionWrapper(available_condition(), output_field=BooleanField()))
        )
        if self.action == "list":  # the page is loaded by ``page_queryset`` once its ETag is known
            return assets
        if self.action == "retrieve":  # the licences and terms, all of them
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

    def etag_queryset(self, queryset):
        # One correlated subquery per row, in plain SQL: the ORM spent more building four subqueries than the
        # database spends running this one.
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        tag = RawSQL(LICENCES_TAG_SQL, [now, now, now, LicenseState.COMPLETED])  # noqa: S611 - constant SQL
        return queryset.annotate(licences_tag=tag)

    def load_page(self, queryset, ids: list) -> list:
        """The page as plain rows (``values()``, no model instances: building ~200 per page was a third of its CPU)
        with the attributes ``AssetSerializer`` and ``rights.limits_of`` read: the shown columns, ``client`` (its
        id and slug), ``licence_list`` (each licence with terms: its ``state`` and ``term_list``)."""
        version = "client__smintio_connection__updated_at"  # its vocabulary's (``limits`` reads it)
        assets = (
            queryset.filter(pk__in=ids).order_by().values(*LIST_ASSET_COLUMNS, "client_id", "available_now", version)
        )
        found, clients = {}, {}
        for values in assets:
            slug, updated_at = values.pop("client__slug"), values.pop(version)
            client = clients.get(values["client_id"])
            if client is None:
                client = clients[values["client_id"]] = Client(pk=values["client_id"], slug=slug)
                vocabulary.vocabulary_at(client, updated_at)  # kept on the client for ``limits``
            found[values["id"]] = SimpleNamespace(**values, client=client, licence_list=[])
        # The terms with their licence's asset and state, in one query, in the order a prefetch gave them (licences
        # newest first, terms by sequence): a licence without terms adds nothing to ``limits``.
        terms = LicenseTerm.objects.filter(license_purchase__asset_id__in=list(found)).order_by(
            "-license_purchase_id", "sequence_number", "id"
        )
        licences = {}
        for values in terms.values(*LIST_TERM_COLUMNS, "license_purchase__asset_id", "license_purchase__state"):
            asset_id, state = values.pop("license_purchase__asset_id"), values.pop("license_purchase__state")
            licence = licences.get(values["license_purchase_id"])
            if licence is None:
                licence = licences[values["license_purchase_id"]] = SimpleNamespace(state=state, term_list=[])
                found[asset_id].licence_list.append(licence)
            licence.term_list.append(SimpleNamespace(**values))
        return [found[pk] for pk in ids if pk in found]

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
