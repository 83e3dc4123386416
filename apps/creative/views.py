"""The creative request pages: "My requests", the request form (new and draft), the request page (brief, matches
full then partial, shortlist, delivery, comments, timeline, the actions of the viewer's role) and its manifest.

Every rule is the services' (``services.validate`` for the form, ``services.shortlist_*``, ``workflows.decide``
through the one decision view ``reviews:task_decide``); these views read what was sent and show the answer where
the person acted: a refusal comes back on the request page, at the control that was used, with focus on it.
"""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.assets import rights
from apps.assets.models import Asset, LicensePurchase
from apps.common.active_client import get_active_client
from apps.common.http import whole_number
from apps.workflows import services as workflows
from apps.workflows.subject_pages import subject_context

from . import pages, services
from .choices import OPEN_STATUSES, RequestStatus
from .forms import RequestForm
from .models import CreativeRequest, Delivery, DeliveryItem

ROUTE = "creative:request"


# -- the list ---------------------------------------------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def request_list(request):
    """The person's requests (or all they may see), open ones first by deadline, with status, due badge and steps."""
    can_request = bool(pages.requester_clients(request.user))
    scope = request.GET.get("scope") or ("mine" if can_request else "all")
    scope = scope if scope in ("mine", "all") else "mine"
    status = request.GET.get("status", "")
    queryset = CreativeRequest.objects.visible_to(request.user).select_related("client", "requester")
    active = get_active_client(request)
    if active is not None:
        queryset = queryset.filter(client=active)
    if scope == "mine":
        queryset = queryset.filter(requester=request.user)
    if status == "":
        queryset = queryset.filter(status__in=OPEN_STATUSES)
    elif status in RequestStatus.values:
        queryset = queryset.filter(status=status)
    items = pages.decorate(queryset.order_by("deadline", "-id")[:200])
    context = {
        "requests": items,
        "scope": scope,
        "status": status,
        "statuses": RequestStatus.choices,
        "can_request": can_request,
        "now": timezone.now(),
    }
    template = "creative/request_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, context)


# -- the form ---------------------------------------------------------------------------------------------------------
def _client_for_new(request):
    """The client a new request is for: the one named (``client``), else the active one, else the person's only
    client they request in; ``None`` while they must choose."""
    clients = pages.requester_clients(request.user)
    if not clients:
        raise PermissionDenied("Only requesters of a client make creative requests; ask your agency admin.")
    slug = request.POST.get("client") or request.GET.get("client")
    if slug:
        chosen = next((c for c in clients if c.slug == slug), None)
        if chosen is None:
            raise Http404("No such client among yours.")
        return chosen, clients
    active = get_active_client(request)
    if active is not None and any(c.pk == active.pk for c in clients):
        return active, clients
    return clients[0], clients


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request):
    client, clients = _client_for_new(request)
    return _request_form(request, client=client, clients=clients, draft=None)


@login_required
@require_http_methods(["GET", "POST"])
def request_edit(request, pk: int):
    draft = get_object_or_404(CreativeRequest.objects.visible_to(request.user).select_related("client"), pk=pk)
    if draft.status != RequestStatus.DRAFT or draft.requester_id != request.user.pk:
        messages.error(request, "Only the requester edits a request, and only while it is a draft.")
        return redirect(draft)
    return _request_form(request, client=draft.client, clients=[draft.client], draft=draft)


def _request_form(request, *, client, clients, draft):
    """Save as draft or submit; the intake service's messages are shown at their fields, focus on the first."""
    if request.method == "POST":
        form = RequestForm(request.POST, client=client, user=request.user)
        if form.is_valid():
            submitting = request.POST.get("action") == "submit"
            try:
                if submitting:
                    saved = services.submit(draft, actor=request.user, intake=form.intake(), client=client)
                    messages.success(request, f"“{saved.title}” is submitted: content operations triage it next.")
                else:
                    saved = services.save_draft(form.intake(), client=client, requester=request.user, request=draft)
                    messages.success(request, f"“{saved.title}” is saved as a draft; submit it when it is ready.")
                return redirect(saved)
            except services.IntakeErrors as exc:
                form.show(exc.errors)
            except workflows.InvalidTransition as exc:
                form.add_error(None, str(exc))
        status = 400
    else:
        form = RequestForm.of(draft, user=request.user) if draft else RequestForm(client=client, user=request.user)
        status = 200
    first_error = next((name for name in form.fields if form.errors.get(name)), "")
    if first_error:  # the page opens at the first field to fix
        form.fields[first_error].widget.attrs["autofocus"] = True
    return render(
        request,
        "creative/request_form.html",
        {"form": form, "client": client, "clients": clients, "draft": draft, "first_error": first_error},
        status=status,
    )


# -- the request page -------------------------------------------------------------------------------------------------
def _request_for(request, pk: int) -> CreativeRequest:
    return get_object_or_404(
        CreativeRequest.objects.visible_to(request.user).select_related(
            "client", "requester", "campaign_type", "format"
        ),
        pk=pk,
    )


def _assets_with_licences(queryset):
    licences = Prefetch("license_purchases", queryset=LicensePurchase.objects.prefetch_related("terms"))
    return queryset.select_related("client").prefetch_related(licences)


def _detail_context(request, item: CreativeRequest) -> dict:
    context = subject_context(request, item, route=ROUTE)
    tasks = pages.open_tasks(context["runs"], request.user)
    pick = tasks.get(services.PICK)
    shortlist = list(item.shortlist.select_related("added_by").order_by("added_at", "id"))
    shortlisted = _assets_with_licences(Asset.objects.filter(pk__in=[s.asset_id for s in shortlist]))
    by_pk = {asset.pk: asset for asset in rights.attach_limits(shortlisted)}
    for entry in shortlist:
        entry.asset_shown = by_pk.get(entry.asset_id)
    deliveries = list(
        Delivery.objects.filter(request=item)
        .select_related("delivered_by", "accepted_by")
        .prefetch_related(Prefetch("items", queryset=DeliveryItem.objects.select_related("asset", "replaced_asset")))
        .order_by("-delivered_at", "-id")
    )
    delivered = _assets_with_licences(
        Asset.objects.filter(pk__in=[i.asset_id for d in deliveries for i in d.items.all()])
    )
    limits = {asset.pk: asset.limits for asset in rights.attach_limits(delivered)}
    for delivery in deliveries:
        for entry in delivery.items.all():
            entry.limits = limits.get(entry.asset_id)
    picking = bool(pick and pick.signs and item.status == RequestStatus.IN_CREATION)
    context.update(
        item=item,
        tasks=tasks,
        pick=pick,
        picking=picking,
        shortlist=shortlist,
        shortlisted_ids={s.asset_id for s in shortlist},
        deliveries=deliveries,
        steps=pages.steps(item),
        due_at=pages.due_at(item),
        is_requester=item.requester_id == request.user.pk,
        text_limit=workflows.TEXT_LIMIT,
        region_names=item.regions,
    )
    return context


@login_required
def request_detail(request, pk: int):
    item = _request_for(request, pk)
    context = _detail_context(request, item)
    if context["picking"] or item.status in (RequestStatus.TRIAGE, RequestStatus.NEEDS_INFO):
        context.update(_matches_context(request, item))
    return render(request, "creative/request_detail.html", context)


def _matches_context(request, item) -> dict:
    search = (request.GET.get("q") or "").strip()[:200]
    sources = [s for s in request.GET.getlist("source") if s][:5]
    found = pages.matches(item, search=search, sources=sources)
    return {"matches": found, "search": search, "sources": sources}


@login_required
@vary_on_headers("HX-Request")
def request_matches(request, pk: int):
    """The matches alone (the search and source facet refine them in place, the ranking kept)."""
    item = _request_for(request, pk)
    context = _detail_context(request, item)
    context.update(_matches_context(request, item))
    template = "creative/request_detail.html#matches" if request.htmx else "creative/request_detail.html"
    return render(request, template, context)


def request_refusal(request, task, *, error: str, error_field: str, status: int):
    """A decision refused on the request page comes back on the request page: the message at the form that was
    used, what was typed kept, focus on the field to fix (``Flow.refusal_page``)."""
    item = _request_for(request, task.run.subject_id)
    context = _detail_context(request, item)
    context.update(form_task=task.pk, values=request.POST, error=error, error_field=error_field)
    return render(request, "creative/request_detail.html", context, status=status)


# -- the shortlist ----------------------------------------------------------------------------------------------------
@login_required
@require_POST
def shortlist(request, pk: int):
    """Add (``action=add``) or remove an asset from the shortlist; a refusal is shown at the asset's button."""
    item = _request_for(request, pk)
    asset_id = whole_number(request.POST.get("asset"))
    asset = Asset.objects.visible_to(request.user).filter(pk=asset_id).first() if asset_id else None
    adding = request.POST.get("action") != "remove"
    try:
        if asset is None:
            raise services.RequestRefused("No such asset among your client's assets.", field="asset")
        if adding:
            services.shortlist_add(item, asset, actor=request.user, note=request.POST.get("note", ""))
            messages.success(request, f"“{asset.name or asset.content_element_uuid}” is on the shortlist.")
        else:
            services.shortlist_remove(item, asset, actor=request.user)
            messages.success(request, f"“{asset.name or asset.content_element_uuid}” is off the shortlist.")
    except workflows.InvalidTransition as exc:
        context = _detail_context(request, item)
        if context["picking"] or item.status in (RequestStatus.TRIAGE, RequestStatus.NEEDS_INFO):
            context.update(_matches_context(request, item))
        found = context.get("matches")
        shown = {m.asset.pk for m in (*found.full, *found.partial)} if found else set()
        # at the match that was clicked; above the matches when it is no longer among them
        context.update(shortlist_error=str(exc), shortlist_asset=asset_id if asset_id in shown else None)
        status = 403 if isinstance(exc, workflows.NotASigner) else 400
        return render(request, "creative/request_detail.html", context, status=status)
    return redirect(f"{item.get_absolute_url()}#shortlist")


# -- the delivery -----------------------------------------------------------------------------------------------------
def _delivery_for(request, pk: int, delivery_pk: int) -> tuple[CreativeRequest, Delivery]:
    item = _request_for(request, pk)
    delivery = get_object_or_404(Delivery.objects.filter(request=item), pk=delivery_pk)
    return item, delivery


def manifest_rows(delivery: Delivery) -> list[dict]:
    """One row per delivered asset: what it is and what its licence allows, in words."""
    assets = _assets_with_licences(Asset.objects.filter(pk__in=delivery.items.values("asset_id")))
    rows = []
    for asset in rights.attach_limits(assets.order_by("pk")):
        limits = asset.limits
        rows.append(
            {
                "asset": asset.pk,
                "content_element_uuid": asset.content_element_uuid,
                "name": asset.name,
                "where": limits.where,
                "for": limits.what,
                "until": limits.until.date().isoformat() if limits.until else "",
                "restrictions": ", ".join(limits.except_usages),
                "licence": str(limits),
            }
        )
    return rows


@login_required
def delivery_manifest(request, pk: int, delivery_pk: int, fmt: str):
    """The delivered set as CSV or JSON, for design tools and the creative team."""
    if fmt not in ("csv", "json"):
        raise Http404("A manifest is CSV or JSON.")
    item, delivery = _delivery_for(request, pk, delivery_pk)
    rows = manifest_rows(delivery)
    name = f"request-{item.pk}-delivery-{delivery.pk}"
    if fmt == "json":
        body = {
            "request": {"id": item.pk, "title": item.title, "countries": item.countries, "usages": item.usages},
            "delivered_at": delivery.delivered_at.isoformat(),
            "assets": rows,
        }
        response = HttpResponse(json.dumps(body, indent=2), content_type="application/json")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        fields = ["asset", "content_element_uuid", "name", "where", "for", "until", "restrictions", "licence"]
        writer = csv.DictWriter(response, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _safe_cell(v) for k, v in row.items()})
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


def _safe_cell(value):
    """A cell a spreadsheet never reads as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@login_required
def delivery_download(request, pk: int, delivery_pk: int, asset_pk: int):
    """A delivered asset's file: a fresh signed address asked of Smint.io at the click (stored ones expire)."""
    item, delivery = _delivery_for(request, pk, delivery_pk)
    entry = get_object_or_404(DeliveryItem.objects.filter(delivery=delivery).select_related("asset"), asset_id=asset_pk)
    try:
        url = pages.fresh_download_url(entry.asset)
    except pages.DownloadUnavailable as exc:
        messages.error(request, f"“{entry.asset.name or entry.asset.content_element_uuid}”: {exc}")
        return redirect(f"{item.get_absolute_url()}#delivery")
    response = redirect(url)
    response["Cache-Control"] = "no-store"  # the address is signed and short-lived
    return response
