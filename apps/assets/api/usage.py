"""``/api/v1/usage-events/``: integrators report downloads, re-uses and shares; everyone reads usage history.

Ingestion is all-or-nothing per request and idempotent by the integrator's event id (``UsageEvent.uuid``, unique
per client): a re-sent event is counted as a duplicate, never stored twice. Up to 1,000 events per call, checked by
one serializer, their assets resolved with one query and the new ones inserted with one ``INSERT ... ON CONFLICT DO
NOTHING``, so a batch costs a handful of queries whatever its size.
"""

from __future__ import annotations

import functools

import django_filters
from django import forms
from django.db import transaction
from django.db.models import Q
from django_countries import countries
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from apps.assets import events as events_hook
from apps.clients.models import Client

from ..choices import UsageKind
from ..models import Asset, UsageEvent

MAX_EVENTS = 1_000
SOURCE = "api"
UNKNOWN_ASSET = "No such asset among your clients' assets."
AMBIGUOUS_ELEMENT = "Several of your clients hold this element; give `asset`."
MISMATCHED_ELEMENT = "`content_element_uuid` is not this asset's."


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


def _visible(model):
    def queryset(request):
        return model.objects.none() if request is None else model.objects.visible_to(request.user)

    return queryset


class UsageEventFilterSet(django_filters.FilterSet):
    """``/api/v1/usage-events/``: download history per asset (``asset``) and per person (``user_email``)."""

    client = django_filters.ModelChoiceFilter(queryset=_visible(Client), to_field_name="slug")
    asset = django_filters.ModelChoiceFilter(queryset=_visible(Asset), label="Asset id")
    user_email = django_filters.CharFilter(field_name="user_email", lookup_expr="iexact", label="User e-mail")
    event = django_filters.ChoiceFilter(choices=UsageKind.choices)
    occurred_after = django_filters.IsoDateTimeFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        label="Occurred at or after",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    occurred_before = django_filters.IsoDateTimeFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        label="Occurred before",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    class Meta:
        model = UsageEvent
        fields = ["client", "asset", "user_email", "event", "occurred_after", "occurred_before"]


class UsageEventSerializer(serializers.ModelSerializer):
    """A usage event as stored; ``id`` is the reporter's event id (Smint.io's, or the integrator's)."""

    id = serializers.CharField(source="uuid", read_only=True)
    client = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = UsageEvent
        fields = [
            "id",
            "client",
            "asset",
            "content_element_uuid",
            "event",
            "occurred_at",
            "user_email",
            "user_uuid",
            "country",
            "channel",
            "license_purchase_uuid",
            "source",
        ]
        read_only_fields = fields


class CountryField(serializers.CharField):
    """An ISO 3166-1 alpha-2 code, any case in, upper case out."""

    default_error_messages = {"invalid_country": "Not an ISO 3166-1 alpha-2 country code."}

    def __init__(self, **kwargs):
        super().__init__(max_length=2, **kwargs)

    def to_internal_value(self, data):
        code = super().to_internal_value(data).upper()
        if code and code not in _country_codes():
            self.fail("invalid_country")
        return code


class UsageEventInSerializer(serializers.Serializer):
    """One reported event. Name the asset by our ``asset`` id or by its Smint.io ``content_element_uuid``."""

    id = serializers.CharField(max_length=100, help_text="Your event id; re-sending it is not counted twice.")
    asset = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="The asset's id in this API."
    )
    content_element_uuid = serializers.CharField(
        max_length=100, required=False, help_text="The asset's Smint.io content element id (instead of `asset`)."
    )
    event = serializers.ChoiceField(choices=UsageKind.choices)
    occurred_at = serializers.DateTimeField()
    user_email = serializers.EmailField(max_length=254, allow_blank=True, default="")
    user_uuid = serializers.CharField(max_length=100, allow_blank=True, default="")
    country = CountryField(allow_blank=True, default="", help_text="ISO 3166-1 alpha-2, e.g. `DE`.")
    channel = serializers.CharField(max_length=50, allow_blank=True, default="")
    license_purchase_uuid = serializers.CharField(max_length=100, allow_blank=True, default="")

    def validate(self, attrs):
        if "asset" not in attrs and "content_element_uuid" not in attrs:
            raise serializers.ValidationError({"asset": ["Give `asset` or `content_element_uuid`."]})
        return attrs


class UsageIngestResultSerializer(serializers.Serializer):
    received = serializers.IntegerField(help_text="Events in the request.")
    created = serializers.IntegerField(help_text="Events stored by this request.")
    duplicates = serializers.IntegerField(help_text="Events already stored (same client and id), left as they were.")


INGEST_REQUEST = PolymorphicProxySerializer(
    component_name="UsageEventBatch",
    serializers=[UsageEventInSerializer, UsageEventInSerializer(many=True)],
    resource_type_field_name=None,
    many=False,  # one object or a list of them
)
INVALID = OpenApiResponse(
    description="Nothing was stored: more than 1,000 events, or invalid ones. `errors` maps each invalid event's "
    'index (`"0"` for a single object) to its field errors; an asset you cannot see is reported as unknown.'
)


def _resolve_assets(items: dict[int, dict], user) -> dict[int, str | tuple[int, int, str]]:
    """Per item index: ``(asset id, client id, element uuid)``, or the error for its ``asset`` field. One query;
    an asset of a client the caller cannot see reads exactly as one that does not exist."""
    ids = {item["asset"] for item in items.values() if "asset" in item}
    elements = {item["content_element_uuid"] for item in items.values() if "asset" not in item}
    condition = Q(pk__in=ids) | Q(content_element_uuid__in=elements)
    rows = Asset.objects.visible_to(user).filter(condition).values_list("pk", "client_id", "content_element_uuid")
    by_id, by_element = {}, {}
    for row in rows:
        by_id[row[0]] = row
        by_element.setdefault(row[2], []).append(row)
    resolved = {}
    for index, item in items.items():
        if "asset" in item:
            row = by_id.get(item["asset"])
            if row is None:
                resolved[index] = UNKNOWN_ASSET
            elif item.get("content_element_uuid", row[2]) != row[2]:
                resolved[index] = MISMATCHED_ELEMENT
            else:
                resolved[index] = row
        else:
            matches = by_element.get(item["content_element_uuid"], [])
            if len(matches) == 1:
                resolved[index] = matches[0]
            elif matches:  # the same element in two of the caller's clients: only our id tells them apart
                resolved[index] = AMBIGUOUS_ELEMENT
            else:
                resolved[index] = UNKNOWN_ASSET
    return resolved


def _validate(items: list) -> tuple[dict[int, dict], dict[int, dict]]:
    """Field checks of every item with one serializer (a new one per item would copy its fields each time)."""
    check = UsageEventInSerializer()
    valid, errors = {}, {}
    for index, item in enumerate(items):
        try:
            valid[index] = check.run_validation(item)
        except exceptions.ValidationError as exc:
            errors[index] = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
    return valid, errors


def ingest(payload, user) -> dict[str, int]:
    """Validate every event, then store the new ones in one transaction; raises ``ValidationError`` (nothing
    stored, every invalid event named by its index) if any event is invalid.

    Created events are counted from the batch's keys present before and after the insert. Two requests racing
    with the same new event store it once; both may count it as created.
    """
    items = payload if isinstance(payload, list) else [payload]
    if len(items) > MAX_EVENTS:
        raise exceptions.ValidationError(
            {"non_field_errors": [f"At most {MAX_EVENTS:,} events per request; got {len(items):,}."]}
        )
    if not items:
        raise exceptions.ValidationError({"non_field_errors": ["No events."]})
    valid, errors = _validate(items)
    assets = _resolve_assets(valid, user)
    for index, found in assets.items():
        if isinstance(found, str):
            errors[index] = {"asset": [found]}
    if errors:
        raise exceptions.ValidationError({str(index): errors[index] for index in sorted(errors)})

    events: dict[tuple[int, str], UsageEvent] = {}
    for index, item in valid.items():
        asset_id, client_id, element = assets[index]
        key = (client_id, item["id"])
        if key not in events:  # the same event twice in one request is stored once: the first
            events[key] = UsageEvent(
                client_id=client_id,
                asset_id=asset_id,
                uuid=item["id"],
                content_element_uuid=element,
                event=item["event"],
                occurred_at=item["occurred_at"],
                user_email=item["user_email"],
                user_uuid=item["user_uuid"],
                country=item["country"],
                channel=item["channel"],
                license_purchase_uuid=item["license_purchase_uuid"],
                source=SOURCE,
            )
    with transaction.atomic():
        before = _stored(events)
        new = [event for key, event in events.items() if key not in before]
        UsageEvent.objects.bulk_create(new, ignore_conflicts=True)
        created = len(_stored(events)) - len(before)
        if created:
            events_hook.usage_recorded({client_id for client_id, _ in events})  # e.g. compliance rules, soon
    return {"received": len(items), "created": created, "duplicates": len(items) - created}


def _stored(events: dict[tuple[int, str], UsageEvent]) -> set[tuple[int, str]]:
    """Which of these (client id, event id) keys are in the database: one query on the unique index."""
    client_ids = {client_id for client_id, _ in events}
    uuids = {uuid for _, uuid in events}
    found = UsageEvent.objects.filter(client_id__in=client_ids, uuid__in=uuids).values_list("client_id", "uuid")
    return {key for key in found if key in events}


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
        responses={201: UsageIngestResultSerializer, 200: UsageIngestResultSerializer, 400: INVALID},
        description="Report one event (an object) or up to 1,000 (a list). All or nothing: if any event is "
        "invalid, none is stored. Idempotent by (client, `id`): 201 when something new was stored, else 200.",
    )
    def create(self, request):
        counts = ingest(request.data, request.user)
        code = status.HTTP_201_CREATED if counts["created"] else status.HTTP_200_OK
        return Response(UsageIngestResultSerializer(counts).data, status=code)
