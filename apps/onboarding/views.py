"""Onboarding pages: the asset page's onboarding section (a provider on ``apps.assets.pages``), the onboarding
queue with bulk enrichment. The tasks themselves are decided on the decision page every flow uses (the inbox and
the asset page's Review section link to it), with the flow's own fields."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.assets.models import Asset
from apps.workflows.services import DecisionRefused

from . import checks, services
from .choices import OnboardingState
from .models import Onboarding

QUEUE_LIMIT = 200


def asset_onboarding(request, asset: Asset, context) -> dict:
    """The asset's onboarding, when its page shows an onboarding run (no query for other assets)."""
    if not any(run.process_key == services.PROCESS for run in context.get("runs") or []):
        return {"onboarding": None}
    onboarding = Onboarding.objects.visible_to(request.user).filter(asset=asset).first()
    return {"onboarding": onboarding}


@login_required
@require_http_methods(["GET", "POST"])
def queue(request):
    """The open onboardings of the person's clients, oldest first; content managers and agency admins select some
    and add keywords and categories to all of them at once (each change audited on its asset)."""
    may_enrich = services.enrichers_clients(request.user)
    error, field, values = "", "", {}
    if request.method == "POST":
        values = request.POST
        chosen = request.POST.getlist("asset")
        try:
            if not chosen:
                raise DecisionRefused("Select the assets to enrich.", field="asset")
            changed = services.bulk_enrich(
                [int(pk) for pk in chosen if pk.isdigit()],
                actor=request.user,
                keywords=services.words(request.POST.get("keywords", "")),
                categories=services.words(request.POST.get("categories", "")),
                reason=request.POST.get("reason", "")[:2000],
            )
        except DecisionRefused as refused:
            error, field = str(refused), refused.field or "keywords"
        else:
            messages.success(request, f"{changed} asset{'s' if changed != 1 else ''} enriched.")
            return redirect("onboarding:queue")
    onboardings = (
        Onboarding.objects.visible_to(request.user)
        .filter(state=OnboardingState.OPEN)
        .select_related("asset", "client")
        .order_by("started_at")[:QUEUE_LIMIT]
    )
    context = {
        "onboardings": onboardings,
        "may_enrich": bool(may_enrich),
        "error": error,
        "error_field": field,
        "values": values,
        "chosen": set(values.getlist("asset")) if values else set(),
        "check_labels": checks.LABELS,
    }
    return render(request, "onboarding/queue.html", context, status=400 if error else 200)
