"""The creative request pages: "My requests", the request form (new and draft), the request page (brief, matches
full then partial, shortlist, delivery, comments, timeline, the actions of the viewer's role) and its manifest.

Every rule is the services' (``services.validate`` for the form, ``services.shortlist_*``, ``workflows.decide``
through the one decision view ``reviews:task_decide``); these views read what was sent and show the answer where
the person acted: a refusal comes back on the request page, at the control that was used, with focus on it.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.assets import rights
from apps.assets.models import Asset, LicensePurchase
from apps.assets.vocabulary import vocabulary_for
from apps.common.active_client import client_for_new, get_active_client
from apps.common.http import whole_number
from apps.workflows import services as workflows
from apps.workflows.subject_pages import subject_context

from . import delivery as deliveries
from . import page_helpers, services
from .choices import OPEN_STATUSES, RequestStatus
from .forms import RequestForm
from .models import CreativeRequest, Delivery, DeliveryItem

ROUTE = "creative:request"


# -- the list ---------------------------------------------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def request_list(request):
    """The person's requests (or all they may see), open ones first by deadline, with status, due badge and steps."""
    can_request = bool(page_helpers.requester_clients(request.user))
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
    items = page_helpers.decorate(queryset.order_by("deadline", "-id")[:200])
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
    """The client a new request is for: the one named (``client``), else the active one, else the person's first
    client they request in."""
    return client_for_new(
        request,
        page_helpers.requester_clients(request.user),
        refusal="Only requesters of a client make creative requests; ask your agency admin.",
    )


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
    tasks = page_helpers.open_tasks(context["runs"], request.user)
    pick = tasks.get(services.PICK)
    shortlist = list(item.shortlist.select_related("added_by").order_by("added_at", "id"))
    shortlisted = _assets_with_licences(Asset.objects.filter(pk__in=[s.asset_id for s in shortlist]))
    by_pk = {asset.pk: asset for asset in rights.attach_limits(shortlisted)}
    for entry in shortlist:
        entry.asset_shown = by_pk.get(entry.asset_id)
    delivery_list = list(
        Delivery.objects.filter(request=item)
        .select_related("delivered_by", "accepted_by")
        .prefetch_related(Prefetch("items", queryset=DeliveryItem.objects.select_related("asset", "replaced_asset")))
        .order_by("-delivered_at", "-id")
    )
    delivered = _assets_with_licences(
        Asset.objects.filter(pk__in=[i.asset_id for d in delivery_list for i in d.items.all()])
    )
    words = vocabulary_for(item.client)
    summaries = {asset.pk: rights.licence_summary(asset, words) for asset in delivered}
    for delivery in delivery_list:
        delivery.can_share = deliveries.may_manage_link(delivery, request.user)
        token = deliveries.token_of(delivery) if delivery.can_share else ""
        delivery.share_url = (
            request.build_absolute_uri(reverse("creative:shared_delivery", args=[token])) if token else ""
        )
        for entry in delivery.items.all():
            entry.summary = summaries.get(entry.asset_id)
    picking = bool(pick and pick.signs and item.status == RequestStatus.IN_CREATION)
    context.update(
        item=item,
        tasks=tasks,
        pick=pick,
        picking=picking,
        shortlist=shortlist,
        shortlisted_ids={s.asset_id for s in shortlist},
        deliveries=delivery_list,
        steps=page_helpers.steps(item),
        due_at=page_helpers.due_at(item),
        is_requester=item.requester_id == request.user.pk,
        text_limit=workflows.TEXT_LIMIT,
        link_days=deliveries.LINK_DAYS,
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
    found = page_helpers.matches(item, search=search, sources=sources)
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


@login_required
def delivery_manifest(request, pk: int, delivery_pk: int, fmt: str):
    """The delivered set as CSV or JSON, for design tools and the creative team."""
    if fmt not in ("csv", "json"):
        raise Http404("A manifest is CSV or JSON.")
    item, delivery = _delivery_for(request, pk, delivery_pk)
    rows = deliveries.manifest_rows(delivery, download_url=lambda entry: _download_url(request, item, entry))
    name = f"request-{item.pk}-delivery-{delivery.pk}"
    if fmt == "json":
        body = {
            "request": {"id": item.pk, "title": item.title, "countries": item.countries, "usages": item.usages},
            "delivered_at": delivery.delivered_at.isoformat(),
            "assets": rows,
        }
        response = HttpResponse(json.dumps(body, indent=2), content_type="application/json")
    else:
        response = HttpResponse(deliveries.manifest_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
def delivery_download(request, pk: int, delivery_pk: int, asset_pk: int):
    """A delivered asset's file: a fresh signed address asked of Smint.io at the click (stored ones expire)."""
    item, delivery = _delivery_for(request, pk, delivery_pk)
    entry = get_object_or_404(DeliveryItem.objects.filter(delivery=delivery).select_related("asset"), asset_id=asset_pk)
    try:
        url = deliveries.fresh_download_url(entry, actor=request.user)
    except deliveries.DownloadUnavailable as exc:
        messages.error(request, f"“{entry.asset.name or entry.asset.content_element_uuid}”: {exc}")
        return redirect(f"{item.get_absolute_url()}#delivery")
    response = redirect(url)
    response["Cache-Control"] = "no-store"  # the address is signed and short-lived
    return response


def _download_url(request, item, entry) -> str:
    return request.build_absolute_uri(
        reverse("creative:delivery_download", args=[item.pk, entry.delivery_id, entry.asset_id])
    )


@login_required
@require_POST
def delivery_share(request, pk: int, delivery_pk: int):
    """Make a share link for the creative team (``action=share``, any earlier one stops working) or turn it off;
    a refusal is shown at the share control."""
    item, delivery = _delivery_for(request, pk, delivery_pk)
    try:
        if request.POST.get("action") == "revoke":
            deliveries.revoke_link(delivery, actor=request.user)
            messages.success(request, "The share link is off: it no longer opens the delivery.")
        else:
            days = whole_number(request.POST.get("days")) or deliveries.LINK_DAYS
            deliveries.make_link(delivery, actor=request.user, days=days)
            messages.success(request, f"A share link is ready below; it works for {days} days.")
    except deliveries.LinkRefused as exc:
        context = _detail_context(request, item)
        context.update(share_error=str(exc), share_delivery=delivery.pk)
        return render(request, "creative/request_detail.html", context, status=403)
    return redirect(f"{item.get_absolute_url()}#delivery-{delivery.pk}")


def _shared(token: str) -> Delivery:
    delivery = deliveries.delivery_for_token(token)
    if delivery is None:
        raise Http404("This link is not valid: it may have expired or been turned off.")
    return delivery


def shared_delivery(request, token: str):
    """What a share link opens, without signing in: the delivered assets, each licence in words, downloads and
    the manifest. Nothing else of the request or the client."""
    delivery = _shared(token)
    entries = list(deliveries.items_of(delivery))
    words = vocabulary_for(delivery.request.client)
    for entry in entries:
        entry.summary = rights.licence_summary(entry.asset, words)
    response = render(
        request, "creative/shared_delivery.html", {"delivery": delivery, "entries": entries, "token": token}
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def shared_download(request, token: str, asset_pk: int):
    delivery = _shared(token)
    entry = get_object_or_404(DeliveryItem.objects.filter(delivery=delivery).select_related("asset"), asset_id=asset_pk)
    try:
        url = deliveries.fresh_download_url(entry)
    except deliveries.DownloadUnavailable as exc:
        return render(
            request,
            "creative/shared_delivery.html",
            {"delivery": delivery, "entries": [], "token": token, "error": str(exc)},
            status=503,
        )
    response = redirect(url)
    response["Cache-Control"] = "no-store"
    return response


def shared_manifest(request, token: str, fmt: str):
    if fmt not in ("csv", "json"):
        raise Http404("A manifest is CSV or JSON.")
    delivery = _shared(token)
    rows = deliveries.manifest_rows(
        delivery,
        download_url=lambda entry: request.build_absolute_uri(
            reverse("creative:shared_download", args=[token, entry.asset_id])
        ),
    )
    if fmt == "json":
        response = HttpResponse(json.dumps({"assets": rows}, indent=2), content_type="application/json")
    else:
        response = HttpResponse(deliveries.manifest_csv(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delivery-{delivery.pk}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
