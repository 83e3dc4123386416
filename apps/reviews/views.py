"""The review dashboard (the reviewer's home) and task actions: claim, release, decide, bulk approve. (The asset
library and the asset page are the assets app's; what they show of reviews comes through ``apps.assets.pages``.)

Full pages and their htmx fragments come from the same templates (``template#partial``). Every state change is a
POST to ``<noun>/<pk>/<verb>/`` calling a service; a task someone else acted on first answers 409 with the fresh
state and says who.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.common.active_client import get_active_client, params_with_active_client
from apps.common.http import next_url, whole_number
from apps.common.paging import ascending_page
from apps.workflows import flows
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.filtersets import TaskFilterSet
from apps.workflows.models import Task

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


def _listing(request, params) -> dict:
    """The inbox's filter, the current tab and each tab's count for ``params`` (the page's query)."""
    tab = params.get("tab") if params.get("tab") in TABS else "mine"
    scopes = {"mine": Q(assignee=request.user), "team": Q(assignee__isnull=True)}
    filterset = TaskFilterSet(params, queryset=_tasks(request.user), request=request)
    valid = filterset.is_valid()
    counts = (
        filterset.qs.aggregate(**{name: Count("pk", filter=scope) for name, scope in scopes.items()})
        if valid
        else dict.fromkeys(scopes, 0)
    )
    query = params.copy()
    query.pop("after", None)
    return {
        "filter": filterset,
        "valid": valid,
        "scope": scopes[tab],
        "tab": tab,
        "tabs": [(key, label, counts[key]) for key, label in TABS.items()],
        "query": query,
    }


@login_required
@vary_on_headers("HX-Request")
def dashboard(request):
    """My open tasks and my team's unassigned ones, filtered, by due date, with counts per tab."""
    params = params_with_active_client(request)
    context = _listing(request, params)
    filterset = context["filter"]
    page = ascending_page(filterset.qs.filter(context["scope"]), params, field="due_at") if context["valid"] else None
    context.update(page=page, now=timezone.now())
    template = "reviews/dashboard.html"
    if request.htmx and not request.htmx.boosted:
        template += "#inbox"
    return render(request, template, context)


def _tabs_as_seen(request) -> str:
    """The inbox's tabs with their counts for the list the person is looking at (htmx's current URL), to be swapped
    out of band next to a row that moved between them (a claim, a release); empty off the inbox."""
    current = urlsplit(request.htmx.current_url or "")
    if current.path != reverse("dashboard"):
        return ""
    params = QueryDict(current.query, mutable=True)
    active = get_active_client(request)
    if "client" not in params and active is not None:
        params["client"] = active.slug
    return render_to_string("reviews/dashboard.html#tabs", {**_listing(request, params), "oob": True}, request)


def _task_for(request, pk: int) -> Task:
    """A task the person may see (open or not): another client's, region's or role's task is a 404."""
    return get_object_or_404(Task.objects.visible_to(request.user).select_related("run", "client", "assignee"), pk=pk)


def _row(request, task: Task, *, status: int = 200, note: str = ""):
    """The task's row as it stands now (htmx), or back to where the person came from."""
    if request.htmx:
        task.refresh_from_db()
        row = render_to_string(
            "reviews/partials/task_row.html", {"task": task, "now": timezone.now(), "note": note}, request
        )
        return HttpResponse(row + _tabs_as_seen(request), status=status)
    if note:
        (messages.error if status >= 400 else messages.success)(request, note)
    return redirect(next_url(request))


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
    return whole_number(request.POST.get("version"))


@login_required
@require_http_methods(["GET", "POST"])
def task_decide(request, pk: int):
    """The decision form of a task of any flow (its subject, the licence in plain language, the flow's own fields)
    and its POST: the one view every decision goes through (``workflows.services.decide``). A refusal or a conflict
    shows this form again with what was typed and why; a decision goes back where the person came from."""
    task = _task_for(request, pk)
    flow = flows.of(task.run)
    back = next_url(request, default="")
    context = {
        "task": task,
        "flow": flow,
        "now": timezone.now(),
        "values": request.POST,
        "next": back,
        "text_limit": workflows.TEXT_LIMIT,
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
            target = back or reverse("dashboard")
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
    ids = [n for n in map(whole_number, request.POST.getlist("task")) if n is not None][:100]
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
    target = next_url(request)
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)
