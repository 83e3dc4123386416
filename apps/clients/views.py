from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.accounts.models import Membership
from apps.common.active_client import set_active_client
from apps.common.http import next_url
from apps.common.roles import Capability

from . import services
from .forms import ClientPolicyForm
from .models import Client, SmintioConnectAttempt


@login_required
def client_list(request):
    """The clients the user belongs to, with their roles there and each client's headline policies."""
    clients = Client.objects.internal_to(request.user).annotate(member_count=Count("memberships"))
    roles_by_client = {m.client_id: m for m in request.user.membership_list}
    rows = [(client, roles_by_client.get(client.pk)) for client in clients]
    return render(request, "clients/client_list.html", {"rows": rows})


@login_required
@vary_on_headers("HX-Request")
def client_detail(request, slug: str):
    client = get_object_or_404(Client.objects.internal_to(request.user).select_related("smintio_connection"), slug=slug)
    connection = getattr(client, "smintio_connection", None)
    attempt = SmintioConnectAttempt.objects.filter(client=client).select_related("started_by").first()  # the latest
    if request.htmx and not request.htmx.boosted:
        return render(
            request,
            "clients/client_detail.html#smintio",
            {
                "client": client,
                "connection": connection,
                "attempt": attempt,
                "can_manage": request.user.has_capability(client, Capability.MANAGE_CLIENT),
            },
        )
    members = (
        Membership.objects.visible_to(request.user)
        .filter(client=client)
        .select_related("user")
        .prefetch_related("roles", "regions")
    )
    return render(
        request,
        "clients/client_detail.html",
        {
            "client": client,
            "connection": connection,
            "attempt": attempt,
            "members": members,
            "can_manage": request.user.has_capability(client, Capability.MANAGE_CLIENT),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def client_policies(request, slug: str):
    """Edit the client's policies (agency admins only); every change lands in the audit trail."""
    client = get_object_or_404(Client.objects.internal_to(request.user), slug=slug)
    if not request.user.has_capability(client, Capability.MANAGE_CLIENT):
        raise PermissionDenied("Only the client's agency admins may change its policies.")
    form = ClientPolicyForm(request.POST or None, client=client)
    if request.method == "POST":
        if form.is_valid():
            services.update_policies(
                client, actor=request.user, changes=form.changes(), reason=form.cleaned_data["reason"]
            )
            messages.success(request, f"Policies of {client.name} saved.")
            return redirect(client)
        messages.error(request, "Nothing was saved: correct the highlighted fields.")
    return render(
        request,
        "clients/client_policies.html",
        {"client": client, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def client_switch(request):
    """Make one client (or all of them, with an empty value) the one the UI works in."""
    slug = request.POST.get("client", "")
    client = get_object_or_404(Client.objects.visible_to(request.user), slug=slug) if slug else None
    set_active_client(request, client)
    return redirect(next_url(request))
