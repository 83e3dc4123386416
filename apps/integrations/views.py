from __future__ import annotations

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection as db_connection
from django.db.models import Count, Q
from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from apps.audit import services as audit
from apps.clients.models import Client, SmintioConnection
from apps.common.active_client import get_active_client
from apps.common.roles import Capability
from apps.outbox import services as outbox
from apps.outbox.choices import OutboxStatus
from apps.outbox.models import OutboxMessage

from . import connections
from .models import InboundEvent, WorkerHeartbeat

logger = logging.getLogger(__name__)


def _check_database() -> dict:
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True}


def _check_broker() -> dict:
    from django_q.brokers import get_broker

    broker = get_broker()
    if broker.ping() is False:
        return {"ok": False, "error": "broker did not answer"}
    return {"ok": True, "broker": broker.info(), "queued": broker.queue_size()}


def _check_worker() -> dict:
    beat = WorkerHeartbeat.objects.filter(cluster=settings.Q_CLUSTER["name"]).first()
    if beat is None:
        return {"ok": False, "error": "no heartbeat yet"}
    age = (timezone.now() - beat.seen_at).total_seconds()
    return {"ok": age <= settings.WORKER_HEARTBEAT_STALE_SECONDS, "last_heartbeat_seconds_ago": round(age)}


@never_cache
@require_safe
def healthz(request):
    """Liveness for load balancers: 200 when the database and the broker answer, 503 otherwise.

    The worker's heartbeat is reported but only decides the status with ``?worker=1`` (for monitoring): a
    stopped worker delays background work but must not take healthy web processes out of rotation.
    """
    checks = {}
    for name, check in (("database", _check_database), ("broker", _check_broker), ("worker", _check_worker)):
        try:
            checks[name] = check()
        except Exception as exc:  # any failure of a dependency is reported, never raised
            logger.warning("Health check %s failed: %s", name, exc)
            checks[name] = {"ok": False, "error": exc.__class__.__name__}
    required = ["database", "broker"] + (["worker"] if request.GET.get("worker") == "1" else [])
    healthy = all(checks[name]["ok"] for name in required)
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )


# -- sync log ----------------------------------------------------------------------------------------------------
def _operable_clients(user):
    return Client.objects.with_capability(user, Capability.VIEW_AUDIT)


def sync_overview(user, client=None) -> dict:
    """What the sync log shows (also the API's ``/sync/`` body): per connection its position and health, the
    outbox by state, the calls that need a person, and the latest hints."""
    clients = _operable_clients(user)
    if client is not None:
        clients = clients.filter(pk=client.pk)
    connections_qs = SmintioConnection.objects.filter(client__in=clients).select_related("client")
    messages_qs = OutboxMessage.objects.filter(client__in=clients)
    counts = messages_qs.aggregate(
        queued=Count("id", filter=Q(status=OutboxStatus.PENDING, attempts=0)),
        retrying=Count("id", filter=Q(status=OutboxStatus.PENDING, attempts__gt=0)),
        sending=Count("id", filter=Q(status=OutboxStatus.SENDING)),
        failed=Count("id", filter=Q(status=OutboxStatus.FAILED)),
        delivered=Count("id", filter=Q(status=OutboxStatus.DONE)),
    )
    attention = list(
        messages_qs.filter(Q(status=OutboxStatus.FAILED) | Q(status=OutboxStatus.PENDING, attempts__gt=0))
        .select_related("client")
        .order_by("-id")[:50]
    )
    delivered = list(
        messages_qs.filter(status=OutboxStatus.DONE).select_related("client").order_by("-sent_at", "-id")[:10]
    )
    hints = list(InboundEvent.objects.visible_to(user)[:10]) if clients.exists() else []
    return {
        "connections": list(connections_qs),
        "outbox_counts": counts,
        "attention": attention,
        "delivered": delivered,
        "hints": hints,
        "now": timezone.now(),
        "can_operate": clients.filter(pk__in=user.client_ids_with(Capability.MANAGE_CLIENT)).exists(),
    }


@login_required
@vary_on_headers("HX-Request")
def sync_log(request):
    """Per connection the last pull, cursor, lag and counts; calls waiting, retrying or failed; recent hints.
    The panel refreshes itself every few seconds (htmx polling)."""
    context = sync_overview(request.user, get_active_client(request))
    template = "integrations/sync_log.html"
    if request.htmx and not request.htmx.boosted:
        template += "#panel"
    return render(request, template, context)


def _message_for_operator(request, pk: int) -> OutboxMessage:
    message = get_object_or_404(
        OutboxMessage.objects.filter(client__in=_operable_clients(request.user)).select_related("client"), pk=pk
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


# -- connecting a client -------------------------------------------------------------------------------------------
@login_required
@require_POST
def smintio_connect(request, slug: str):
    client = get_object_or_404(Client.objects.visible_to(request.user), slug=slug)
    tenant = (request.POST.get("tenant") or "").strip().lower()
    if not tenant or not tenant.replace("-", "").isalnum():
        messages.error(request, "Enter the Smint.io tenant name (the part before .smint.io), letters, digits or '-'.")
        return redirect(client)
    return redirect(connections.begin_connect(request, client, tenant=tenant))


@login_required
@require_safe
def smintio_callback(request):
    """Smint.io sends the browser back here after consent (or refusal)."""
    if request.GET.get("error"):
        messages.error(
            request, f"Smint.io did not connect: {request.GET.get('error_description') or request.GET['error']}."
        )
        return redirect("clients:client_list")
    code, state = request.GET.get("code", ""), request.GET.get("state", "")
    if not code or not state:
        return HttpResponseBadRequest("Missing code or state.")
    connection = connections.finish_connect(request, state=state, code=code)
    messages.info(request, "Smint.io accepted; the connection is being completed and the first sync starts.")
    return redirect(connection.client)


@login_required
@require_POST
def smintio_disconnect(request, slug: str):
    client = get_object_or_404(Client.objects.visible_to(request.user), slug=slug)
    if not SmintioConnection.objects.filter(client=client).exists():
        messages.error(request, "This client has no Smint.io connection.")
        return redirect(client)
    connections.disconnect(client, actor=request.user)
    messages.success(request, "Smint.io is disconnected; its access is being revoked.")
    return redirect(client)


@login_required
@require_POST
def smintio_sync_now(request, slug: str):
    client = get_object_or_404(Client.objects.visible_to(request.user), slug=slug)
    connection = get_object_or_404(SmintioConnection, client=client)
    if not request.user.has_capability(client, Capability.MANAGE_CLIENT):
        raise PermissionDenied("Only the client's agency admins may start a sync.")
    from django_q.tasks import async_task

    audit.record("integrations.smintio.sync_now", actor=request.user, client=client, obj=connection)
    async_task("apps.integrations.tasks.pull_smintio", connection.pk, task_name=f"smintio pull {connection.pk}")
    messages.success(request, "A sync of this client is queued; the sync log shows its progress.")
    return redirect(request.POST.get("next") or "integrations:sync_log")
