"""Connecting a client to its Smint.io tenant (the OAuth redirect and callback), disconnecting it, and a sync by
hand. The work is in ``apps.integrations.connections``; no remote call is made here."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST, require_safe

from apps.audit import services as audit
from apps.clients.models import Client, SmintioConnection
from apps.common.http import next_url
from apps.common.roles import Capability

from .. import connections

TENANT = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?")  # a host label: ASCII only, no '-' at either end


@login_required
@require_POST
def smintio_connect(request, slug: str):
    """Start connecting the client to a Smint.io tenant (agency admins): to Smint.io's consent page. The client's
    current connection, if any, keeps working until Smint.io's consent is redeemed."""
    client = get_object_or_404(Client.objects.visible_to(request.user), slug=slug)
    tenant = (request.POST.get("tenant") or "").strip().lower()
    if not TENANT.fullmatch(tenant):
        messages.error(request, "Enter the Smint.io tenant name (the part before .smint.io), letters, digits or '-'.")
        return redirect(client)
    return redirect(connections.begin_connect(request, client, tenant=tenant))


@login_required
@require_safe
def smintio_callback(request):
    """Smint.io sends the browser back here after consent (or refusal)."""
    state = request.GET.get("state", "")
    if request.GET.get("error"):
        error = (request.GET.get("error_description") or request.GET["error"])[:300]
        if not state:
            return HttpResponseBadRequest("Missing state.")
        attempt = connections.refuse_connect(request, state=state, error=error)
        messages.error(request, f"Smint.io did not connect to “{attempt.tenant}”: {error}. {_unchanged(attempt)}")
        return redirect(attempt.client)
    code = request.GET.get("code", "")
    if not code or not state or len(code) > 2048:
        return HttpResponseBadRequest("Missing code or state.")
    attempt = connections.finish_connect(request, state=state, code=code)
    messages.info(
        request,
        f"Smint.io accepted; the connection to “{attempt.tenant}” is being completed and the first sync starts. "
        + _unchanged(attempt, until=True),
    )
    return redirect(attempt.client)


def _unchanged(attempt, *, until: bool = False) -> str:
    current = SmintioConnection.objects.filter(client=attempt.client).first()
    if current is None or not current.is_usable:
        return ""
    if until:
        return f"Until then the connection to “{current.tenant}” keeps working."
    return f"The connection to “{current.tenant}” is unchanged."


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
    return redirect(next_url(request, default="integrations:sync_log"))
