"""The sync log's list of calls: filters by platform, kind, state, client and asset (by name)."""

from __future__ import annotations

import django_filters
from django import forms

from apps.assets.models import Asset
from apps.clients.models import Client
from apps.outbox.choices import OutboxStatus, Platform
from apps.outbox.models import OutboxMessage


class CallFilterSet(django_filters.FilterSet):
    """``queryset`` is the calls of the clients the person may operate; ``clients`` those clients."""

    platform = django_filters.ChoiceFilter(choices=Platform.choices, empty_label="Any platform", label="Platform")
    kind = django_filters.ChoiceFilter(choices=[], empty_label="Any call", label="Call")
    status = django_filters.ChoiceFilter(choices=OutboxStatus.choices, empty_label="Any state", label="State")
    client = django_filters.ModelChoiceFilter(
        queryset=Client.objects.none(), to_field_name="slug", empty_label="All my clients", label="Client"
    )
    asset = django_filters.CharFilter(
        method="by_asset",
        label="Asset",
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "asset name"}),
    )

    class Meta:
        model = OutboxMessage
        fields = ["platform", "kind", "status", "client", "asset"]

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.clients = clients if clients is not None else Client.objects.none()
        self.filters["client"].queryset = self.clients.order_by("name")
        kinds = self.queryset.order_by("kind").values_list("kind", flat=True).distinct()
        self.filters["kind"].extra["choices"] = [(kind, kind) for kind in kinds]

    def by_asset(self, queryset, name, value):
        """Calls about the assets whose name contains ``value``: the element id their payload names."""
        elements = Asset.objects.filter(client__in=self.clients, name__icontains=value).values_list(
            "content_element_uuid", flat=True
        )
        return queryset.filter(payload__content_element_uuid__in=list(elements[:500]))


def asset_names(messages, clients) -> dict[str, str]:
    """Element id -> asset name for the calls shown (one query), so rows name the asset, not a truncated id."""
    uuids = {m.payload.get("content_element_uuid") for m in messages if isinstance(m.payload, dict)}
    uuids.discard(None)
    if not uuids:
        return {}
    rows = Asset.objects.filter(client__in=clients, content_element_uuid__in=uuids).values_list(
        "content_element_uuid", "name"
    )
    return {uuid: name for uuid, name in rows if name}
