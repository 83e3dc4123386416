from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.vary import vary_on_headers

from apps.common.active_client import params_with_active_client
from apps.common.exports import stream_csv
from apps.common.paging import keyset_page

from .filtersets import AuditEventFilterSet
from .models import AuditEvent

EXPORT_COLUMNS = [
    "id",
    "created_at",
    "actor_label",
    "client__slug",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "reason",
    "before",
    "after",
    "request_id",
]


def _filtered(request) -> AuditEventFilterSet:
    events = AuditEvent.objects.visible_to(request.user).select_related("client")
    return AuditEventFilterSet(params_with_active_client(request), queryset=events, request=request)


@login_required
@vary_on_headers("HX-Request")
def event_list(request):
    """The audit trail, newest first, filtered; htmx swaps only the results when a filter changes."""
    filterset = _filtered(request)
    page = keyset_page(filterset.qs, request.GET) if filterset.is_valid() else None
    query = request.GET.copy()
    query.pop("before", None)
    template = "audit/event_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"filter": filterset, "page": page, "query": query.urlencode()})


@login_required
def event_detail(request, pk: int):
    event = get_object_or_404(AuditEvent.objects.visible_to(request.user).select_related("client"), pk=pk)
    return render(request, "audit/event_detail.html", {"event": event})


@login_required
def event_export(request):
    """Every matching event as CSV, streamed: memory stays flat however long the trail is."""
    filterset = _filtered(request)
    events = filterset.qs if filterset.is_valid() else AuditEvent.objects.none()
    rows = (_json_columns(row) for row in events.order_by("-id").values_list(*EXPORT_COLUMNS).iterator(chunk_size=2000))
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return stream_csv(
        f"greenlight-audit-{stamp}.csv",
        [column.replace("__", "_") for column in EXPORT_COLUMNS],
        rows,
    )


_JSON_COLUMNS = [EXPORT_COLUMNS.index("before"), EXPORT_COLUMNS.index("after")]


def _json_columns(row: tuple) -> list:
    """A row with its before/after as JSON text (empty when there is none), not Python's repr of a dict."""
    row = list(row)
    for index in _JSON_COLUMNS:
        value = row[index]
        row[index] = "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return row
