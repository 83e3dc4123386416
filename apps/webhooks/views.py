"""Webhook pages for a client's admins: the list, a new endpoint (its secret shown once), an endpoint with its
delivery log, and one POST URL per change (rotate, disable, enable, delete, send a test event)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from apps.clients.models import Client
from apps.common.active_client import client_for_new, get_active_client
from apps.common.paging import keyset_page
from apps.common.roles import Capability
from apps.outbox.models import OutboxMessage

from . import services
from .forms import DisableForm, EndpointForm
from .models import WebhookAttempt, WebhookEndpoint

REFUSAL = "Only a client's agency admins manage its webhooks."


def _endpoint(request, pk: int) -> WebhookEndpoint:
    """One endpoint the person administers; anyone else's is 404 (its existence is not theirs to learn)."""
    return get_object_or_404(WebhookEndpoint.objects.visible_to(request.user).select_related("client"), pk=pk)


def _admin_clients(request) -> list[Client]:
    return list(Client.objects.with_capability(request.user, Capability.MANAGE_CLIENT).order_by("name"))


@login_required
def endpoint_list(request):
    """The endpoints of the active client (or of every client the person administers)."""
    endpoints = WebhookEndpoint.objects.visible_to(request.user).select_related("client")
    active = get_active_client(request)
    if active is not None:
        endpoints = endpoints.filter(client=active)
    return render(
        request,
        "webhooks/endpoint_list.html",
        {"endpoints": endpoints.order_by("client__name", "pk"), "may_create": bool(_admin_clients(request))},
    )


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def endpoint_create(request):
    client, clients = client_for_new(request, _admin_clients(request), refusal=REFUSAL)
    form = EndpointForm(request.POST or None, clients=clients, initial={"client": client.slug})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_endpoint(
                client=data["client"],
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
                actor=request.user,
            )
        except ValueError as exc:
            form.add_error(None, str(exc))
        else:
            response = _secret_page(request, created.endpoint, created.secret)
            if request.htmx:  # the form asked to swap itself: the page with the secret replaces the whole page
                response = reswap(retarget(response, "body"), "innerHTML")
            return response
    template = "webhooks/endpoint_form.html"
    if request.htmx and not request.htmx.boosted:
        template += "#form"
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


@login_required
@vary_on_headers("HX-Request")
def endpoint_detail(request, pk: int):
    """The endpoint and its delivery log: newest first, each delivery's state, attempts and the receiver's codes."""
    endpoint = _endpoint(request, pk)
    deliveries = OutboxMessage.objects.filter(ordering_key=endpoint.ordering_key).prefetch_related(
        Prefetch("webhook_attempts", queryset=WebhookAttempt.objects.order_by("pk"))
    )
    page = keyset_page(deliveries, request.GET, size=25)
    context = {"endpoint": endpoint, "page": page, "disable_form": DisableForm()}
    template = "webhooks/endpoint_detail.html"
    if request.htmx and not request.htmx.boosted:
        template += "#log"
    else:
        context["secrets"] = services.valid_secrets(endpoint)
    return render(request, template, context)


@login_required
@require_POST
def endpoint_rotate(request, pk: int):
    endpoint = _endpoint(request, pk)
    secret = services.rotate_secret(endpoint, actor=request.user)
    return _secret_page(request, endpoint, secret, rotated=True)


def _secret_page(request, endpoint, secret: str, *, rotated: bool = False):
    """The secret in clear text, this once; never cached (a back button must not show it again from a cache)."""
    context = {
        "endpoint": endpoint,
        "secret": secret,
        "rotated": rotated,
        "overlap_hours": settings.WEBHOOK_SECRET_OVERLAP_HOURS,
    }
    response = render(request, "webhooks/endpoint_secret.html", context)
    add_never_cache_headers(response)
    return response


@login_required
@require_POST
def endpoint_test(request, pk: int):
    return _act(
        request,
        pk,
        lambda endpoint: services.send_test(endpoint, actor=request.user),
        "A test event is queued; it shows in the log below once sent.",
    )


@login_required
@require_POST
def endpoint_disable(request, pk: int):
    endpoint = _endpoint(request, pk)
    form = DisableForm(request.POST)
    reason = (form.cleaned_data["reason"] if form.is_valid() else "") or f"Disabled by {request.user.email}."
    return _act(
        request,
        endpoint.pk,
        lambda endpoint: services.disable(endpoint, actor=request.user, reason=reason),
        "The endpoint is disabled; nothing is sent to it until it is enabled.",
    )


@login_required
@require_POST
def endpoint_enable(request, pk: int):
    return _act(
        request,
        pk,
        lambda endpoint: services.enable(endpoint, actor=request.user),
        "The endpoint is enabled; deliveries held back are sent first.",
    )


def _act(request, pk: int, action, done: str):
    """Carry out one audited action on an endpoint of the person's client; a refusal is said on the endpoint's
    page, where they acted."""
    endpoint = _endpoint(request, pk)
    try:
        action(endpoint)
        messages.success(request, done)
    except ValueError as exc:
        messages.error(request, str(exc))
    return redirect(endpoint)


@login_required
@require_POST
def endpoint_delete(request, pk: int):
    endpoint = _endpoint(request, pk)
    services.delete(endpoint, actor=request.user)
    messages.success(request, "The endpoint is deleted; deliveries not yet made are withdrawn.")
    if request.htmx:
        return HttpResponseClientRedirect(reverse("webhooks:endpoint_list"))
    return redirect(reverse("webhooks:endpoint_list"))
