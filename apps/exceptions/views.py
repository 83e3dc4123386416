"""Cases: the list (filters, by due date) and the case page with its tasks, decisions, where the asset is used and
the timeline. Its decision forms post to the one decision view of every flow (``reviews:task_decide``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from apps.assets.models import Asset, LicensePurchase, UsageEvent
from apps.audit.models import AuditEvent
from apps.clients.models import Client
from apps.common.active_client import params_with_active_client
from apps.common.paging import ascending_page
from apps.workflows.models import Decision, Task, WorkflowRun

from . import compliance, services
from .filtersets import CaseFilterSet
from .forms import RuleFormSet
from .models import Case, ComplianceRule


@login_required
@vary_on_headers("HX-Request")
def case_list(request):
    params = params_with_active_client(request)
    if "state" not in params:
        params["state"] = "open"
    filterset = CaseFilterSet(
        params, queryset=Case.objects.visible_to(request.user).select_related("client", "asset"), request=request
    )
    page = ascending_page(filterset.qs, params, field="due_at") if filterset.is_valid() else None
    query = params.copy()
    query.pop("after", None)
    template = "exceptions/case_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"filter": filterset, "page": page, "query": query, "now": timezone.now()})


def _case_for(request, pk: int) -> Case:
    licences = LicensePurchase.objects.prefetch_related("terms")
    return get_object_or_404(
        Case.objects.visible_to(request.user)
        .select_related("client", "asset", "replacement", "closed_by")
        .prefetch_related(Prefetch("asset__license_purchases", queryset=licences)),
        pk=pk,
    )


@login_required
def case_detail(request, pk: int):
    case = _case_for(request, pk)
    return render(request, "exceptions/case_detail.html", _case_context(request, case))


def _case_context(request, case: Case) -> dict:
    runs = list(
        WorkflowRun.objects.filter(subject_type="exceptions.case", subject_id=case.pk)
        .order_by("-id")
        .prefetch_related(
            Prefetch("tasks", queryset=Task.objects.select_related("assignee").order_by("id")),
            Prefetch("decisions", queryset=Decision.objects.select_related("actor", "task")),
        )
    )
    visible_tasks = set(Task.objects.visible_to(request.user).filter(run__in=runs).values_list("pk", flat=True))
    usage = UsageEvent.objects.visible_to(request.user).filter(asset=case.asset)  # an external member: if shared
    users = list(
        usage.exclude(user_email="")
        .values("user_email")
        .annotate(events=Count("id"), last=Max("occurred_at"))
        .order_by("-last")[:50]
    )
    events = (
        AuditEvent.objects.visible_to(request.user)
        .filter(object_type="exceptions.case", object_id=str(case.pk))
        .order_by("-id")[:30]
    )
    timeline = sorted(
        [("decision", d.decided_at, d) for run in runs for d in run.decisions.all()]
        + [("event", e.created_at, e) for e in events],
        key=lambda item: item[1],
        reverse=True,
    )
    return {
        "case": case,
        "asset": case.asset,
        "licences": case.asset.license_purchases.all(),
        "runs": runs,
        "current": runs[0] if runs else None,
        "visible_tasks": visible_tasks,
        "usage": list(usage.order_by("-occurred_at")[:50]),
        "usage_total": usage.count(),
        "users": users,
        "timeline": timeline,
        "replacements": services.replacement_choices(case)[:200] if case.is_open else Asset.objects.none(),
        "evidence": list(
            UsageEvent.objects.filter(pk__in=(case.evidence or {}).get("events", [])[:200]).order_by("occurred_at")
        ),
        "now": timezone.now(),
    }


def case_refusal(request, task: Task, *, error: str, error_field: str, status: int):
    """A decision refused (or overtaken) on the case page comes back on the case page: the evidence in view, what
    was typed kept, the message at the form, focus on the field to fix."""
    case = _case_for(request, task.run.subject_id)
    context = _case_context(request, case)
    context.update(form_task=task.pk, values=request.POST, error=error, error_field=error_field)
    return render(request, "exceptions/case_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def compliance_rules(request, slug: str):
    """A client's usage-compliance rules; agency admins change them, everyone of the client may read them. Every
    change is audited with its before and after."""
    client = get_object_or_404(Client.objects.visible_to(request.user), slug=slug)
    rules = compliance.ensure_rules(client)
    can_edit = compliance.can_edit_rules(request.user, client)
    queryset = ComplianceRule.objects.filter(pk__in=[rule.pk for rule in rules]).order_by("kind")
    formset = RuleFormSet(request.POST or None, queryset=queryset)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Only the client's agency admins may change its compliance rules.")
        if formset.is_valid():
            changes = {
                form.instance: {name: form.cleaned_data[name] for name in form.changed_data}
                for form in formset.forms
                if form.has_changed()
            }
            changed = compliance.update_rules(client, actor=request.user, changes=changes)
            messages.success(request, f"{changed} rule{'s' if changed != 1 else ''} of {client.name} saved.")
            return redirect("exceptions:compliance_rules", slug=client.slug)
        messages.error(request, "Nothing was saved: correct the highlighted fields.")
    return render(
        request,
        "exceptions/compliance_rules.html",
        {"client": client, "formset": formset, "can_edit": can_edit},
        status=400 if request.method == "POST" else 200,
    )
