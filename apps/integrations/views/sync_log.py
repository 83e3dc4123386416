"""The sync log: each connection's position and health, the outbox, recent hints; retry and discard of calls."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from apps.common.active_client import get_active_client
from apps.common.paging import keyset_page
from apps.common.roles import Capability
from apps.outbox import services as outbox
from apps.outbox.models import OutboxMessage

from ..filtersets import CallFilterSet, asset_names
from ..overview import may_read_sync, operable_clients, sync_overview


@login_required
@vary_on_headers("HX-Request")
def sync_log(request):
    """Per connection the last pull, cursor, lag and counts; calls waiting, retrying or failed; recent hints.
    The panel refreshes itself every few seconds (htmx polling). Staff operators and agency admins only."""
    if not may_read_sync(request.user):
        raise PermissionDenied("The sync log is for operators and the clients' agency admins.")
    context = sync_overview(request.user, get_active_client(request))
    template = "integrations/sync_log.html"
    if request.htmx and not request.htmx.boosted:
        template += "#panel"
        return render(request, template, context)
    return render(request, template, {**context, **_calls(request)})


def _calls(request) -> dict:
    """Every call of the person's clients, filtered, newest first, a keyset page at a time."""
    clients = operable_clients(request.user)
    calls = OutboxMessage.objects.filter(client__in=clients).select_related("client")
    filterset = CallFilterSet(request.GET, queryset=calls, clients=clients)
    page = keyset_page(filterset.qs, request.GET, size=25) if filterset.is_valid() else None
    if page is not None:
        names = asset_names(page.items, clients)
        for message in page.items:
            message.asset_name = names.get((message.payload or {}).get("content_element_uuid"), "")
    query = request.GET.copy()
    query.pop("before", None)
    return {"calls_filter": filterset, "calls": page, "calls_query": query.urlencode()}


def _message_for_operator(request, pk: int) -> OutboxMessage:
    message = get_object_or_404(
        OutboxMessage.objects.filter(client__in=operable_clients(request.user)).select_related("client"), pk=pk
    )
    if not request.user.has_capability(message.client, Capability.MANAGE_CLIENT):
        raise PermissionDenied("Only the client's agency admins may retry or discard calls.")
    return message


@login_required
@require_POST
def outbox_retry(request, pk: int):
    message = _message_for_operator(request, pk)
    try:
        outbox.retry_now(message, actor=request.user)
        messages.success(request, f"Call #{message.pk} is queued again.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return _back_to_log(request)


@login_required
@require_POST
def outbox_discard(request, pk: int):
    message = _message_for_operator(request, pk)
    try:
        outbox.discard(message, actor=request.user, reason=request.POST.get("reason", ""))
        messages.success(request, f"Call #{message.pk} is discarded; it will not be sent.")
    except ValueError as exc:
        messages.error(request, str(exc))
    return _back_to_log(request)


def _back_to_log(request):
    if request.htmx:
        return render(
            request, "integrations/sync_log.html#panel", sync_overview(request.user, get_active_client(request))
        )
    return redirect("integrations:sync_log")
