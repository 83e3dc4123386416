"""The campaign pages: the list, the new campaign form, the campaign page (details, the asset x region matrix that
refreshes itself, adding assets from the library, matching or a request's delivery, starting the regional review).

Every rule is the services' (``services.validate``, ``add_assets``, ``start_review``); decisions are taken on the
decision page every flow uses (``reviews:task_decide``). A refusal is shown where the person acted, focus on it.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.assets.models import Asset
from apps.assets.querysets import available_condition
from apps.common.active_client import client_for_new, get_active_client
from apps.common.http import whole_number
from apps.common.smintio_vocabulary import USAGES
from apps.workflows import services as workflows

from . import matrix, services
from .choices import AssetSource, CellState
from .forms import CampaignForm
from .models import Campaign, CampaignAssetRegion

POLL_SECONDS = 15
LIBRARY_LIMIT = 60


@login_required
def campaign_list(request):
    queryset = Campaign.objects.visible_to(request.user).select_related("client", "owner")
    active = get_active_client(request)
    if active is not None:
        queryset = queryset.filter(client=active)
    campaigns = list(queryset.prefetch_related("regions__region")[:200])
    return render(
        request,
        "campaigns/campaign_list.html",
        {"campaigns": campaigns, "can_plan": bool(services.planner_clients(request.user))},
    )


def _client_for_new(request):
    return client_for_new(
        request,
        services.planner_clients(request.user),
        refusal="Only a client's agency admins, content managers, marketing and requesters plan campaigns.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    client, clients = _client_for_new(request)
    regions = services.region_choices()
    if request.method == "POST":
        form = CampaignForm(request.POST, regions=regions)
        if form.is_valid():
            try:
                campaign = services.create(form.plan(), client=client, actor=request.user)
            except services.CampaignErrors as exc:
                form.show(exc.errors)
            except workflows.InvalidTransition as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"“{campaign.name}” is created: add its assets, then start the review.")
                return redirect(campaign)
        status = 400
    else:
        form = CampaignForm(regions=regions)
        status = 200
    first_error = next((name for name in form.fields if form.errors.get(name)), "")
    if first_error and first_error not in ("channels", "regions"):  # a list's first box is focused by the template
        form.fields[first_error].widget.attrs["autofocus"] = True
    return render(
        request,
        "campaigns/campaign_form.html",
        {"form": form, "client": client, "clients": clients, "regions": regions, "first_error": first_error},
        status=status,
    )


def _campaign_for(request, pk: int) -> Campaign:
    return get_object_or_404(Campaign.objects.visible_to(request.user).select_related("client", "owner"), pk=pk)


def _matrix_context(request, campaign: Campaign) -> dict:
    regions, rows = matrix.build(campaign, request.user)
    return {
        "campaign": campaign,
        "regions": regions,
        "rows": rows,
        "poll_seconds": POLL_SECONDS,
        "refreshed_at": timezone.now(),
        "viewer_zone": timezone.get_current_timezone_name(),
    }


def _detail_context(request, campaign: Campaign) -> dict:
    context = _matrix_context(request, campaign)
    can_plan = services.may_plan(request.user, campaign.client)
    context.update(
        can_plan=can_plan,
        channels=[USAGES.get(c, c) for c in campaign.channels],
        pending=CampaignAssetRegion.objects.filter(campaign_asset__campaign=campaign, state=CellState.PENDING).count(),
        sources=AssetSource.choices,
    )
    if can_plan:
        on_campaign = {row.entry.asset_id for row in context["rows"]}
        search = (request.GET.get("q") or "").strip()[:200]
        library = Asset.objects.visible_to(request.user).filter(client=campaign.client).filter(available_condition())
        if search:
            library = library.filter(name__icontains=search)
        context["library"] = [a for a in library.order_by("name", "pk")[:LIBRARY_LIMIT] if a.pk not in on_campaign]
        context["search"] = search
        found = services.matches_for(campaign, limit=20)
        context["matches"] = [m for m in (*found.full, *found.partial) if m.asset.pk not in on_campaign]
        from apps.creative.models import CreativeRequest

        context["delivered_requests"] = list(
            CreativeRequest.objects.visible_to(request.user)
            .filter(client=campaign.client, deliveries__isnull=False)
            .distinct()
            .order_by("-id")[:50]
        )
    return context


@login_required
def campaign_detail(request, pk: int):
    campaign = _campaign_for(request, pk)
    return render(request, "campaigns/campaign_detail.html", _detail_context(request, campaign))


@login_required
@vary_on_headers("HX-Request")
def campaign_matrix(request, pk: int):
    """The matrix alone: what the campaign page polls every 15 seconds (no full reload)."""
    campaign = _campaign_for(request, pk)
    response = render(request, "campaigns/campaign_detail.html#matrix", _matrix_context(request, campaign))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def campaign_add_assets(request, pk: int):
    """Add the chosen assets (``source`` library or matching: ``assets``; delivery: ``request``); a refusal is
    shown at the form that was used."""
    campaign = _campaign_for(request, pk)
    source = request.POST.get("source") or AssetSource.LIBRARY
    try:
        if source == AssetSource.DELIVERY:
            request_id = whole_number(request.POST.get("request"))
            if request_id is None:
                raise services.CampaignRefused("Choose a request whose delivery to add.", field="request")
            assets = services.delivered_assets(campaign, request_id, request.user)
        else:
            ids = [whole_number(v) for v in request.POST.getlist("assets")][: services.MAX_ASSETS + 1]
            assets = list(Asset.objects.visible_to(request.user).filter(pk__in=[i for i in ids if i is not None]))
            if len(assets) != len(ids):
                raise services.CampaignRefused("Some of these assets are not yours to add.", field="assets")
        added = services.add_assets(campaign, assets, actor=request.user, source=source)
    except workflows.InvalidTransition as exc:
        context = _detail_context(request, campaign)
        context.update(add_error=str(exc), add_source=source, add_field=getattr(exc, "field", ""))
        status = 403 if isinstance(exc, workflows.NotASigner) else 400
        return render(request, "campaigns/campaign_detail.html", context, status=status)
    if added:
        messages.success(
            request, f"{len(added)} asset{'s' if len(added) != 1 else ''} added: start the review when ready."
        )
    else:
        messages.info(request, "These assets are already on the campaign.")
    return redirect(f"{campaign.get_absolute_url()}#matrix")


@login_required
@require_POST
def campaign_start(request, pk: int):
    campaign = _campaign_for(request, pk)
    try:
        runs = services.start_review(campaign, actor=request.user)
    except workflows.InvalidTransition as exc:
        context = _detail_context(request, campaign)
        context.update(start_error=str(exc))
        status = 403 if isinstance(exc, workflows.NotASigner) else 400
        return render(request, "campaigns/campaign_detail.html", context, status=status)
    messages.success(
        request, f"The regional review has started: {len(runs)} review{'s' if len(runs) != 1 else ''} at OpenText."
    )
    return redirect(f"{campaign.get_absolute_url()}#matrix")


@login_required
def cell_detail(request, pk: int):
    """A run's subject page (an asset in one region of a campaign): its cell in the campaign's matrix."""
    cell = get_object_or_404(
        CampaignAssetRegion.objects.visible_to(request.user).select_related("campaign_asset"), pk=pk
    )
    return redirect(cell.get_absolute_url())
