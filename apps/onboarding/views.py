"""Onboarding pages: the asset page's onboarding section (a provider on ``apps.assets.pages``) where the open tasks
are worked with the flow's own fields (``decided_on_subject_page``: the inbox links there; a refusal comes back on
the asset page, at the form that was used), the onboarding queue with bulk enrichment."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.assets.models import Asset
from apps.assets.views import asset_page
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.services import DecisionRefused

from . import checks, services
from .choices import OnboardingState
from .models import Onboarding

QUEUE_LIMIT = 200


def asset_onboarding(request, asset: Asset, context) -> dict:
    """The asset's onboarding, when its page shows an onboarding run (no query for other assets), with the open
    tasks of its run the viewer may see and what their forms show (suggestions, choices)."""
    run = next((run for run in context.get("runs") or [] if run.process_key == services.PROCESS), None)
    if run is None:
        return {"onboarding": None}
    onboarding = Onboarding.objects.visible_to(request.user).filter(asset=asset).first()
    visible = context.get("visible_tasks") or set()
    tasks = [
        task
        for task in run.tasks.all()
        if task.status == TaskStatus.OPEN and task.pk in visible and onboarding and onboarding.is_open
    ]
    enriching = any(t.task_key == services.ENRICH for t in tasks)
    form = services.form_context(onboarding, asset, with_suggestions=enriching) if tasks else {}
    return {
        "onboarding": onboarding,
        "onboarding_run": run,
        "onboarding_tasks": sorted(tasks, key=services.step_order),
        "onboarding_form": form,
        "onboarding_text_limit": workflows.TEXT_LIMIT,
    }


def asset_refusal(request, task, *, error: str, error_field: str, status: int):
    """A decision refused (or overtaken) on the asset page comes back on the asset page: the message at the form
    that was used, what was typed kept, the focus on the field to fix (``Flow.refusal_page``)."""
    extra = {"form_task": task.pk, "values": request.POST, "error": error, "error_field": error_field}
    return asset_page(request, task.run.subject_id, extra=extra, status=status)


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
