"""Recording usage events: the one write path.

Every reporter stores usage events through ``record_usage``: integrators through ``POST /api/v1/usage-events/``,
the Smint.io usage sync (``apps.integrations.smintio.sync``), tests and demo data. It checks each event's fields
(``UsageEventInSerializer``, which also documents the API's request body), resolves its asset among the assets the
caller names, and stores the new ones idempotently by (client, event id) (``UsageEvent.uuid``, unique per client):
a re-sent event is counted as a duplicate, never stored twice, and the same id twice in one batch is stored once
(the first). A batch costs a handful of queries whatever its size: one for the assets, one ``INSERT ... ON
CONFLICT DO NOTHING`` and one look-up of the batch's keys before and after it.

Two policies for invalid events:

- all or nothing (the API): any invalid event refuses the whole batch (``UsageRefused``, every invalid event named
  by its index), so an integrator can fix and re-send it;
- skip (the sync): invalid events are left out and reported (``UsageResult.refused``), since a platform's feed
  cannot be sent back and must not stall the cursor.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django_countries import countries
from rest_framework import exceptions, serializers

from . import events as events_hook
from .choices import UsageKind
from .models import Asset, UsageEvent

MAX_EVENTS = 1_000
UNKNOWN_ASSET = "No such asset among your clients' assets."
AMBIGUOUS_ELEMENT = "Several of your clients hold this element; give `asset`."
MISMATCHED_ELEMENT = "`content_element_uuid` is not this asset's."


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


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


class UsageRefused(exceptions.ValidationError):
    """Nothing was stored: ``detail`` maps each invalid event's index (a string) to its field errors."""


@dataclass
class UsageResult:
    received: int
    created: int
    duplicates: int
    refused: dict[int, dict] = field(default_factory=dict)  # index -> field errors (the skip policy only)


def record_usage(
    items: list, *, source: str, assets: QuerySet[Asset], client=None, all_or_nothing: bool = True
) -> UsageResult:
    """Check, resolve and store ``items`` (dicts of ``UsageEventInSerializer``'s fields) in one transaction.

    ``assets`` is where an event's asset may be found (the API: the caller's visible assets). Without ``client``
    an event must name one of them and belongs to its client. With ``client`` (a platform's feed of one client)
    the assets are narrowed to it, and an event whose content element is not (yet) an asset there is kept without
    an asset. Raises ``UsageRefused`` when ``all_or_nothing`` and any event is invalid; otherwise the invalid ones
    are left out and returned in ``refused``. New events tell ``apps.assets.events.on_usage`` listeners (e.g.
    compliance detection) once the transaction commits.
    """
    if len(items) > MAX_EVENTS:
        raise UsageRefused({"non_field_errors": [f"At most {MAX_EVENTS:,} events per request; got {len(items):,}."]})
    if not items:
        if all_or_nothing:
            raise UsageRefused({"non_field_errors": ["No events."]})
        return UsageResult(0, 0, 0)
    if client is not None:
        assets = assets.filter(client=client)
    valid, errors = _validate(items)
    resolved = _resolve_assets(valid, assets, keep_unknown_elements=client is not None)
    for index, found in resolved.items():
        if isinstance(found, str):
            errors[index] = {"asset": [found]}
            del valid[index]
    if errors and all_or_nothing:
        raise UsageRefused({str(index): errors[index] for index in sorted(errors)})

    rows: dict[tuple[int, str], UsageEvent] = {}
    for index, item in valid.items():
        asset_id, client_id, element = resolved[index]
        key = (client_id or client.pk, item["id"])
        if key not in rows:  # the same event twice in one batch is stored once: the first
            rows[key] = UsageEvent(
                client_id=key[0],
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
                source=source,
            )
    created = 0
    if rows:
        with transaction.atomic():
            before = _stored(rows)
            UsageEvent.objects.bulk_create(
                [row for key, row in rows.items() if key not in before], ignore_conflicts=True
            )
            created = len(_stored(rows)) - len(before)  # two batches racing with one new event may both count it
            if created:
                events_hook.usage_recorded({client_id for client_id, _ in rows})
    return UsageResult(
        received=len(items), created=created, duplicates=len(valid) - created, refused=dict(sorted(errors.items()))
    )


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


def _resolve_assets(
    items: dict[int, dict], assets: QuerySet[Asset], *, keep_unknown_elements: bool
) -> dict[int, str | tuple[int | None, int | None, str]]:
    """Per item index: ``(asset id, client id, element uuid)``, or the error for its ``asset`` field. One query;
    an asset outside ``assets`` reads exactly as one that does not exist. With ``keep_unknown_elements`` an
    element named without an asset id and not found is ``(None, None, element)``: kept, without an asset."""
    ids = {item["asset"] for item in items.values() if "asset" in item}
    elements = {item["content_element_uuid"] for item in items.values() if "asset" not in item}
    rows = assets.filter(Q(pk__in=ids) | Q(content_element_uuid__in=elements)).values_list(
        "pk", "client_id", "content_element_uuid"
    )
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
            element = item["content_element_uuid"]
            matches = by_element.get(element, [])
            if len(matches) == 1:
                resolved[index] = matches[0]
            elif matches:  # the same element in two of the caller's clients: only our id tells them apart
                resolved[index] = AMBIGUOUS_ELEMENT
            else:
                resolved[index] = (None, None, element) if keep_unknown_elements else UNKNOWN_ASSET
    return resolved


def _stored(rows: dict[tuple[int, str], UsageEvent]) -> set[tuple[int, str]]:
    """Which of these (client id, event id) keys are in the database: one query on the unique index."""
    client_ids = {client_id for client_id, _ in rows}
    uuids = {uuid for _, uuid in rows}
    found = UsageEvent.objects.filter(client_id__in=client_ids, uuid__in=uuids).values_list("client_id", "uuid")
    return {key for key in found if key in rows}
