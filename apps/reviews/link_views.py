"""Review links: the members' page that sends and revokes them, and the stakeholder's page behind one (no account).

The stakeholder's page shows the link's assets only (no navigation, no other asset, no other person's work) and
answers a forged, revoked or expired link with a page that says so and nothing else (404; 429 for an address that
tried too many tokens). A refused decision or comment answers 400 with the page as it was, the message at the
field and the focus on it; nothing typed is lost."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.common import links as signed_links
from apps.common.http import whole_number
from apps.workflows import services as workflows

from . import links
from .models import ReviewLink

SCOPE = "review"


def _url(request, link: ReviewLink) -> str:
    return request.build_absolute_uri(reverse("reviews:link_page", args=[links.token_for(link)]))


# -- the members' page --------------------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def link_list(request):
    """The review links of the person's clients (newest first, with their URLs while they work) and the form that
    sends one: who, their e-mail, how many days, which assets waiting for a stakeholder's review."""
    values, error, field, status = {}, "", "", 200
    if request.method == "POST":
        days = whole_number(request.POST.get("days", ""))
        try:
            link = links.create_link(
                actor=request.user,
                name=request.POST.get("name", ""),
                email=request.POST.get("email", ""),
                assets=request.POST.getlist("assets"),
                days=days if days is not None else 0,
            )
        except (links.LinkRefused, workflows.DecisionRefused) as refused:
            values, error, field, status = request.POST, str(refused), refused.field, 400
        else:
            messages.success(
                request,
                f"Link for {link.holder_name}, valid until {link.expires_at:%d %b %Y}: {_url(request, link)}",
            )
            return redirect("reviews:link_list")
    sent = list(
        ReviewLink.objects.visible_to(request.user)
        .filter(
            client_id__in=[
                m.client_id for m in request.user.membership_list if links.may_send(request.user, m.client_id)
            ]
        )
        .select_related("client", "created_by")
        .prefetch_related("assets")[:50]
    )
    for link in sent:
        link.url = _url(request, link) if link.is_active else ""
    context = {
        "sent": sent,
        "awaiting": links.awaiting(request.user),
        "values": values,
        "chosen": {str(pk) for pk in (values.getlist("assets") if values else request.GET.getlist("asset"))},
        "error": error,
        "error_field": field,
        "days": links.LINK_DAYS,
        "max_days": links.MAX_LINK_DAYS,
    }
    return render(request, "reviews/review_links.html", context, status=status)


@login_required
@require_POST
def link_revoke(request, pk: int):
    link = get_object_or_404(ReviewLink.objects.visible_to(request.user).select_related("client"), pk=pk)
    try:
        revoked = links.revoke_link(link, actor=request.user)
    except links.LinkRefused as refused:
        messages.error(request, str(refused))
    else:
        if revoked:
            messages.success(request, f"The link for {link.holder_name} no longer works.")
    return redirect("reviews:link_list")


# -- the stakeholder's page, behind the link (no account) ----------------------------------------------------------
@never_cache
@require_http_methods(["GET", "POST"])
def link_page(request, token: str):
    ip = request.META.get("REMOTE_ADDR", "")
    if signed_links.blocked(SCOPE, ip):
        return render(request, "reviews/link_gone.html", {"busy": True}, status=429)
    link = links.link_for(token)
    if link is None:
        signed_links.missed(SCOPE, ip)
        return render(request, "reviews/link_gone.html", status=404)
    context = {"link": link, "values": {}, "error": "", "error_field": "", "error_asset": None, "done": ""}
    if request.method == "POST":
        asset = links.asset_of(link, request.POST.get("asset", ""))
        if asset is None:
            signed_links.missed(SCOPE, ip)
            return render(request, "reviews/link_gone.html", status=404)
        try:
            if request.POST.get("action") == "comment":
                links.comment(link, asset, body=request.POST.get("body", ""), request_ip=ip)
                done = f"Your comment on “{asset.name}” was sent."
            else:
                decision = links.decide(
                    link,
                    asset,
                    outcome=request.POST.get("outcome", ""),
                    reason=request.POST.get("reason", ""),
                    version=whole_number(request.POST.get("version", "")),
                    request_ip=ip,
                )
                done = f"Your decision on “{asset.name}” was recorded: {decision.outcome.replace('_', ' ')}."
        except (links.LinkRefused, workflows.InvalidTransition) as refused:
            field = getattr(refused, "field", "outcome")
            if isinstance(refused, workflows.UnknownOutcome):
                field = "outcome"
            context.update(error=str(refused), error_field=field, error_asset=asset.pk, values=request.POST)
            context["items"] = links.items(link)
            return render(request, "reviews/link_page.html", context, status=400)
        context.update(done=done, done_asset=asset.pk)
    else:
        links.record_use(link, what="view", request_ip=ip)
    context["items"] = links.items(link)
    return render(request, "reviews/link_page.html", context)
