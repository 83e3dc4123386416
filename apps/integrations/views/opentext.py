"""A client's OpenText connection page (``/integrations/opentext/<slug>/``): its internal members see which tenant
its runs go to; its agency admins set or remove its own (``opentext.connection``). A refusal is shown at its field
with what was typed kept (never the secret); nothing is saved."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.clients.models import Client, OpenTextConnection

from ..opentext import connection as ot_connection

FIELDS = ("tenant", "base_url", "service_client_id")


@login_required
@require_http_methods(["GET", "POST"])
def opentext_connection(request, slug: str):
    client = get_object_or_404(Client.objects.internal_to(request.user), slug=slug)
    current = OpenTextConnection.objects.filter(client=client).first()
    can_edit = ot_connection.may_edit(request.user, client)
    values = {name: getattr(current, name) if current else "" for name in FIELDS}
    context = {
        "client": client,
        "connection": current,
        "can_edit": can_edit,
        "error": None,
        "error_field": None,
        "default_tenant": settings.OT_TENANT_ID,
        "default_base": settings.OT_BASE_URL,
        "open_runs": ot_connection.open_runs(client),
    }
    status = 200
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the client's agency admins may change its OpenText connection.")
        values = {name: str(request.POST.get(name, ""))[:300] for name in FIELDS}
        data = {**values, "service_client_secret": str(request.POST.get("service_client_secret", ""))[:1001]}
        try:
            ot_connection.save(client, actor=request.user, data=data)
        except ot_connection.ConnectionRefused as refused:
            context.update(error=str(refused), error_field=refused.field)
            status = 400
        else:
            messages.success(request, f"{client.name}'s runs now go to the OpenText tenant {values['tenant']}.")
            return redirect("integrations:opentext_connection", slug=client.slug)
    context["values"] = values
    return render(request, "integrations/opentext_connection.html", context, status=status)


@login_required
@require_POST
def opentext_connection_remove(request, slug: str):
    client = get_object_or_404(Client.objects.internal_to(request.user), slug=slug)
    if not ot_connection.may_edit(request.user, client):
        raise PermissionDenied("Only the client's agency admins may change its OpenText connection.")
    try:
        removed = ot_connection.remove(client, actor=request.user)
    except ot_connection.ConnectionRefused as refused:
        messages.error(request, str(refused))
    else:
        if removed:
            messages.success(request, f"{client.name}'s runs go to the environment's OpenText tenant again.")
    return redirect("integrations:opentext_connection", slug=client.slug)
