"""The review dashboard (the reviewer's home), task actions, the asset library and the asset page.

Full pages and their htmx fragments come from the same templates (``template#partial``). Every state change is a
POST to ``<noun>/<pk>/<verb>/`` calling a service; a task someone else acted on first answers 409 with the fresh
state and says who.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.assets.filtersets import AssetFilterSet
from apps.assets.models import Asset, LicensePurchase
from apps.common.active_client import params_with_active_client
from apps.common.paging import ascending_page, keyset_page
from apps.workflows import flows
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.filtersets import TaskFilterSet
from apps.workflows.models import Comment, Decision, Task, WorkflowRun
from apps.workflows.timeline import subject_events

from . import services

TABS = {"mine": "My tasks", "team": "Unassigned for my roles"}


def _tasks(user):
    # A row shows the run's title and link, the client's name and the holder: the rest of those rows (the run's
    # variables, the client's policies) is not read, and decoding it cost more than the query.
    return (
        Task.objects.visible_to(user)
        .filter(status=TaskStatus.OPEN)
        .select_related("run", "client", "assignee")
        .only(
            *[f.name for f in Task._meta.concrete_fields if f.name != "description"],
            "run__title",
            "run__subject_type",
            "run__subject_id",
            "run__process_key",
            "client__name",
            "client__slug",
            "assignee__email",
        )
    )


@login_required
@vary_on_headers("HX-Request")
def dashboard(request):
    """My open tasks and my team's unassigned ones, filtered, by due date, with counts per tab."""
    params = params_with_active_client(request)
    tab = params.get("tab") if params.get("tab") in TABS else "mine"
    scopes = {"mine": Q(assignee=request.user), "team": Q(assignee__isnull=True)}
    filterset = TaskFilterSet(params, queryset=_tasks(request.user), request=request)
    valid = filterset.is_valid()
    page = ascending_page(filterset.qs.filter(scopes[tab]), params, field="due_at") if valid else None
    counts = (
        filterset.qs.aggregate(**{name: Count("pk", filter=scope) for name, scope in scopes.items()})
        if valid
        else dict.fromkeys(scopes, 0)
    )
    query = params.copy()
    query.pop("after", None)
    context = {
        "filter": filterset,
        "page": page,
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TABS.items()],
        "query": query,
        "now": timezone.now(),
    }
    template = "reviews/dashboard.html"
    if request.htmx and not request.htmx.boosted:
        template += "#inbox"
    return render(request, template, context)


def _task_for(request, pk: int) -> Task:
    """A task the person may see (open or not): another client's, region's or role's task is a 404."""
    return get_object_or_404(Task.objects.visible_to(request.user).select_related("run", "client", "assignee"), pk=pk)


def _row(request, task: Task, *, status: int = 200, note: str = ""):
    """The task's row as it stands now (htmx), or back to where the person came from."""
    if request.htmx:
        task.refresh_from_db()
        response = render(
            request,
            "reviews/partials/task_row.html",
            {"task": task, "now": timezone.now(), "note": note},
            status=status,
        )
        return response
    if note:
        (messages.error if status >= 400 else messages.success)(request, note)
    return redirect(request.POST.get("next") or reverse("dashboard"))


@login_required
@require_POST
def task_claim(request, pk: int):
    task = _task_for(request, pk)
    try:
        workflows.claim_task(task, actor=request.user, expected_version=_version(request))
    except workflows.NotASigner as exc:
        return _row(request, task, status=403, note=str(exc))
    except workflows.StaleTask as exc:
        return _row(request, task, status=409, note=str(exc))
    except workflows.InvalidTransition as exc:
        return _row(request, task, status=400, note=str(exc))
    return _row(request, task, note="Claimed. It is in “My tasks”.")


@login_required
@require_POST
def task_unclaim(request, pk: int):
    task = _task_for(request, pk)
    try:
        workflows.unclaim_task(task, actor=request.user)
    except workflows.InvalidTransition as exc:
        return _row(request, task, status=400, note=str(exc))
    return _row(request, task, note="Released for your team.")


def _version(request) -> int | None:
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def task_decide(request, pk: int):
    """The decision form of a task of any flow (its subject, the licence in plain language, the flow's own fields)
    and its POST: the one view every decision goes through (``workflows.services.decide``). A refusal or a conflict
    shows this form again with what was typed and why; a decision goes back where the person came from."""
    task = _task_for(request, pk)
    flow = flows.of(task.run)
    back = request.GET.get("next") or request.POST.get("next") or ""
    context = {
        "task": task,
        "flow": flow,
        "now": timezone.now(),
        "values": request.POST,
        "next": back,
        "refusal": workflows.signing_refusal(task, request.user),  # who may not sign sees the task, not the form
        **flow.decision_context(task, request.user),
    }
    template = "reviews/task_decide.html#panel" if request.htmx else "reviews/task_decide.html"
    if request.method == "POST":
        outcome = request.POST.get("outcome", "")
        try:
            workflows.decide(
                task,
                actor=request.user,
                outcome=outcome,
                reason=request.POST.get("reason", ""),
                inputs=flow.read_inputs(request.POST, request.user),
                expected_version=_version(request),
            )
        except workflows.NotASigner as exc:
            error, field, status = str(exc), "", 403
        except workflows.StaleTask as exc:
            task.refresh_from_db()
            error, field, status = f"{exc} Here is the task as it is now.", "", 409
            context.update(task=task)
        except workflows.InvalidTransition as exc:
            error, field, status = str(exc), getattr(exc, "field", "outcome"), 400
        else:
            messages.success(
                request, f"{flow.label_of(outcome)}: “{task.run.title or task.name}”. OpenText is being told."
            )
            safe = back and url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure())
            target = back if safe else reverse("dashboard")
            return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
        if flow.refusal_page and not request.htmx:
            show = import_string(flow.refusal_page)
            return show(request, task, error=error, error_field=field, status=status)
        context.update(error=error, error_field=field)
        return render(request, template, context, status=status)
    return render(request, template, context)


@login_required
@require_POST
def tasks_bulk_approve(request):
    """Approve several selected tasks, each checked and audited on its own (``workflows.services.decide``); those
    the person may not sign, that need a reason (licence warnings) or that changed meanwhile are left open and
    listed."""
    ids = [int(value) for value in request.POST.getlist("task") if value.isdigit()][:100]
    approved, skipped = 0, []
    chosen = Task.objects.visible_to(request.user).filter(status=TaskStatus.OPEN, pk__in=ids)
    for task in chosen.select_related("run", "client"):
        try:
            workflows.decide(task, actor=request.user, outcome="approved")
            approved += 1
        except workflows.InvalidTransition as exc:
            skipped.append(f"{task.run.title or task.name}: {exc}")
    if approved:
        messages.success(request, f"Approved {approved} task{'s' if approved != 1 else ''}.")
    for note in skipped:
        messages.warning(request, f"Not approved — {note}")
    if not approved and not skipped:
        messages.info(request, "Select the tasks to approve first.")
    target = request.POST.get("next") or reverse("dashboard")
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


# -- assets -----------------------------------------------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def asset_list(request):
    params = params_with_active_client(request)
    filterset = AssetFilterSet(
        params, queryset=Asset.objects.visible_to(request.user).select_related("client"), request=request
    )
    page = keyset_page(filterset.qs, params, size=48) if filterset.is_valid() else None
    query = params.copy()
    query.pop("before", None)
    template = "reviews/asset_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"filter": filterset, "page": page, "query": query})


def _asset_context(request, asset: Asset) -> dict:
    runs = list(
        WorkflowRun.objects.filter(subject_type="assets.asset", subject_id=asset.pk)
        .order_by("-id")
        .prefetch_related(
            Prefetch("tasks", queryset=Task.objects.select_related("assignee").order_by("id")),
            Prefetch("decisions", queryset=Decision.objects.select_related("actor")),
        )
    )
    current = runs[0] if runs else None
    visible_tasks = set(Task.objects.visible_to(request.user).filter(run__in=runs).values_list("pk", flat=True))
    comments = (
        Comment.objects.filter(run__in=runs).select_related("author", "task").prefetch_related("replies")
        if runs
        else Comment.objects.none()
    )
    events = subject_events(request.user, asset, runs, limit=20)
    timeline = sorted(
        [("decision", d.decided_at, d) for run in runs for d in run.decisions.all()]
        + [("comment", c.created_at, c) for c in comments]
        + [("event", e.created_at, e) for e in events]
        + [("run", run.created_at, run) for run in runs],
        key=lambda item: item[1],
        reverse=True,
    )
    return {
        "asset": asset,
        "runs": runs,
        "current": current,
        "visible_tasks": visible_tasks,
        "check": services.licence_check(asset, current) if current is not None else None,
        "licences": asset.license_purchases.all(),
        "timeline": timeline,
        "comments": [c for c in comments if c.parent_id is None],
        "now": timezone.now(),
    }


def _asset_for(request, pk: int) -> Asset:
    return get_object_or_404(
        Asset.objects.visible_to(request.user)
        .select_related("client")
        .prefetch_related(Prefetch("license_purchases", queryset=LicensePurchase.objects.prefetch_related("terms"))),
        pk=pk,
    )


@login_required
@vary_on_headers("HX-Request")
def asset_detail(request, pk: int):
    """Preview, metadata, licence in plain language, approval state and timeline, comments, and the viewer's
    actions. The comment thread refreshes itself (htmx polling)."""
    asset = _asset_for(request, pk)
    context = _asset_context(request, asset)
    if request.htmx and request.GET.get("part") == "thread":
        return render(request, "reviews/asset_detail.html#thread", context)
    return render(request, "reviews/asset_detail.html", context)


@login_required
@require_POST
def asset_comment(request, pk: int):
    asset = _asset_for(request, pk)
    run = WorkflowRun.objects.filter(subject_type="assets.asset", subject_id=asset.pk).order_by("-id").first()
    if run is None:
        messages.error(request, "This asset has no review yet to comment on.")
        return redirect("reviews:asset_detail", pk=asset.pk)
    parent = Comment.objects.filter(run=run, pk=request.POST.get("parent") or 0).first()
    task = Task.objects.visible_to(request.user).filter(run=run, status=TaskStatus.OPEN).first()
    try:
        services.comment(run, actor=request.user, body=request.POST.get("body", ""), task=task, parent=parent)
    except workflows.InvalidTransition as exc:
        if request.htmx:
            return HttpResponse(f'<p class="error" role="alert">{exc}</p>', status=400)
        messages.error(request, str(exc))
        return redirect("reviews:asset_detail", pk=asset.pk)
    if request.htmx:
        return render(request, "reviews/asset_detail.html#thread", _asset_context(request, asset))
    return redirect("reviews:asset_detail", pk=asset.pk)
