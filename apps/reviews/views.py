"""The review dashboard (the reviewer's home) and task actions: claim, release, decide, bulk approve. (The asset
library and the asset page are the assets app's; what they show of reviews comes through ``apps.assets.pages``.)

Full pages and their htmx fragments come from the same templates (``template#partial``). Every state change is a
POST to ``<noun>/<pk>/<verb>/`` calling a service; a task someone else acted on first answers 409 with the fresh
state and says who.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from apps.accounts import delegation
from apps.assets import rights
from apps.assets.models import Asset, LicensePurchase, LicenseTerm
from apps.assets.prefetch import plain_with_licences
from apps.common.active_client import get_active_client, params_with_active_client
from apps.common.http import next_url, whole_number
from apps.common.paging import ascending_page
from apps.reviews import overview, rows
from apps.reviews import services as reviews
from apps.workflows import flows
from apps.workflows import services as workflows
from apps.workflows.choices import TaskStatus
from apps.workflows.filtersets import TaskFilterSet
from apps.workflows.models import Task

TABS = {"mine": "My tasks", "team": "Unassigned for my roles"}
# Reached from the agency overview's figures (``/agency/``): every open task the filter matches, whoever holds it;
# shown as a tab only while it is the one open.
ALL_TAB = ("all", "All open")


def _tasks(user):
    # A row shows the run's title and link, the client's name and the holder, and whether approving needs a reason
    # (the licence against the run's variables): the rest of those rows (the client's policies) is not read.
    return (
        Task.objects.visible_to(user)
        .filter(status=TaskStatus.OPEN)
        .select_related("run", "client", "client__smintio_connection", "assignee")
        .only(
            *[f.name for f in Task._meta.concrete_fields if f.name != "description"],
            "run__title",
            "run__subject_type",
            "run__subject_id",
            "run__process_key",
            "run__variables",
            "client__name",
            "client__slug",
            "client__usage_threshold_percent",
            "client__smintio_connection__updated_at",  # its vocabulary's version (vocabulary_for), no credentials
            "assignee__email",
        )
    )


def _with_progress(tasks):
    """Each task with its cycle's progress (``signed`` of ``signatures`` tasks), in the same query."""
    of_run = Task.objects.filter(run=OuterRef("run")).order_by().values("run")
    return tasks.annotate(
        signatures=Subquery(of_run.annotate(n=Count("pk")).values("n")),
        signed=Subquery(of_run.filter(status=TaskStatus.COMPLETED).annotate(n=Count("pk")).values("n")),
    )


def _listing(request, params) -> dict:
    """The inbox's filter, the current tab and each tab's count for ``params`` (the page's query)."""
    tab = params.get("tab") if params.get("tab") in {*TABS, ALL_TAB[0]} else "mine"
    shown = {**TABS, **dict([ALL_TAB])} if tab == ALL_TAB[0] else TABS
    # the tasks held by members away with this person as their delegate are theirs too (a subquery, no query here),
    # for those who may stand in for someone now (``delegation.may_stand_in``: from the shared cache)
    mine = Q(assignee=request.user)
    if delegation.may_stand_in(request.user):
        mine |= Q(assignee_id__in=delegation.away_with(request.user))
    scopes = {"mine": mine, "team": Q(assignee__isnull=True), "all": Q()}
    scopes = {key: scopes[key] for key in shown}
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
        "tabs": [(key, label, counts[key]) for key, label in shown.items()],
        "query": query,
    }


def _page(request, context, params):
    """The tab's page of tasks by due date. Its 50 ids are taken first, on the task table alone; then those tasks
    are read with their run, client, holder, the cycle's progress and whom the person stands in for. In one
    statement, PostgreSQL joined every candidate task (hundreds for a busy team) to its run before keeping 50, and
    planning that statement cost as much as running it."""
    keys = context["filter"].qs.filter(context["scope"]).select_related(None).only("pk", "due_at")
    page = ascending_page(keys, params, field="due_at")
    ids = [task.pk for task in page.items]
    listed = _with_progress(_tasks(request.user).filter(pk__in=ids))
    if delegation.may_stand_in(request.user):  # the rows "for" an away member (two subqueries)
        listed = listed.annotate(for_whom=delegation.stood_in_for(request.user))
    found = {task.pk: task for task in listed.order_by()} if ids else {}
    return dataclasses.replace(page, items=[found[pk] for pk in ids if pk in found])


@login_required
@vary_on_headers("HX-Request")
def dashboard(request):
    """My open tasks and my team's unassigned ones, filtered, by due date, with counts per tab."""
    params = params_with_active_client(request)
    context = _listing(request, params)
    page = _page(request, context, params) if context["valid"] else None
    items = page.items if page else []
    _annotate_rows(items)
    shown = rows.rows(items, request.user, timezone.now())
    context.update(
        page=page,
        rows=shown,
        any_signs=any(row["signs"] for row in shown),
        now=timezone.now(),
        **_columns(items, request.user),
        needing_a_reason=sum(1 for task in items if task.needs_reason),
        text_limit=workflows.TEXT_LIMIT,
    )
    context["row_html"] = rows.html(shown)
    template = "reviews/dashboard.html"
    if request.htmx and not request.htmx.boosted:
        template += "#inbox"
    return rows.with_csrf(render(request, template, context), request)


def _holder(task: Task, user) -> str:
    """The "Held by" cell's words (as reviews/dashboard.html#task-row says them)."""
    return "you" if task.assignee_id == user.pk else (task.assignee_email or "nobody")


def _columns(tasks: list[Task], user) -> dict:
    """A column that says the same on every row says nothing there: the client (one client) and the holder ("nobody"
    on the unassigned tab, "you" on mine) are left out and said once above the table (``common``)."""
    clients = {task.client.name for task in tasks}
    holders = {_holder(task, user) for task in tasks}
    common = []
    if len(clients) == 1:
        common.append(("Client", *clients))
    if len(holders) == 1:
        common.append(("Held by", *holders))
    return {"show_client": len(clients) > 1, "show_holder": len(holders) > 1, "common": common}


def _annotate_rows(tasks: list[Task]) -> None:
    """What a row shows beyond the task, for the whole page at once (a few queries, none per row): the asset
    (``task.asset``: its preview), whether approving it needs a reason (``task.needs_reason``: its licence check
    warns, as ``reviews.services.prepare_decision`` would refuse without one) and the cycle's progress
    (``task.signed`` of ``task.signatures``, from ``_with_progress``)."""
    approvals = [t for t in tasks if t.run.process_key == reviews.APPROVAL and t.run.subject_type == "assets.asset"]
    # plain rows, no model instances: what the row shows (the preview) and what the licence check reads
    assets = plain_with_licences(
        Asset.objects.filter(pk__in={t.run.subject_id for t in approvals})
        .for_licence_check()
        .values("id", "preview_url", "release_json", "release_in_metadata"),
        licences=LicensePurchase.objects.for_licence_check().values(*rights.LICENCE_FIELDS, "release_json"),
        terms=LicenseTerm.objects.values(*rights.TERM_FIELDS),
    )
    approval_pks = {t.pk for t in approvals}
    for task in tasks:
        task.asset = assets.get(task.run.subject_id) if task.pk in approval_pks else None
        if task.asset is not None:
            task.asset.client = task.client  # selected with its vocabulary's version: nothing more to read
        task.needs_reason = bool(task.asset and reviews.licence_check(task.asset, task.run).warnings)


def _inbox_as_seen(request) -> str:
    """The inbox list the panel was opened from (htmx's current URL: its path and query only), so a decision goes
    back to the tab and filters the person was on; empty when it was opened elsewhere."""
    current = urlsplit(request.htmx.current_url or "") if request.htmx else None
    if current is None or current.path != reverse("dashboard"):
        return ""
    return f"{current.path}?{current.query}" if current.query else current.path


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
        html = render_to_string(
            "reviews/dashboard.html#task-row",
            {"row": rows.row(task, request.user, timezone.now()), "note": note},
            request,
        )
        return HttpResponse(html + _tabs_as_seen(request), status=status)
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
    back = next_url(request, default="") or _inbox_as_seen(request)
    context = {
        "task": task,
        "flow": flow,
        "now": timezone.now(),
        # what was typed, or the outcome a keyboard shortcut chose (``?outcome=approved``: a, r, c in the inbox)
        "values": request.POST if request.method == "POST" else {"outcome": request.GET.get("outcome", "")},
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


SHOW_TASKS = "show-tasks:"  # a message's extra tag: the tasks its "Show them" selects (components/toasts.html)


def _names(tasks: list[Task], limit: int = 5) -> str:
    names = [f"“{task.run.title or task.name}”" for task in tasks[:limit]]
    more = len(tasks) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


@login_required
@require_POST
def tasks_bulk_approve(request):
    """Approve several selected tasks, each checked and audited on its own (``workflows.services.decide``) with the
    one reason given for the selection; those that need a reason when none was given (licence warnings), that the
    person may not sign or that changed meanwhile are left open. One message sums it up and names those left."""
    ids = [n for n in map(whole_number, request.POST.getlist("task")) if n is not None][:100]
    reason = request.POST.get("reason", "").strip()
    approved, need_reason, refused = 0, [], []
    chosen = Task.objects.visible_to(request.user).filter(status=TaskStatus.OPEN, pk__in=ids)
    for task in chosen.select_related("run", "client").order_by("due_at", "pk"):
        try:
            workflows.decide(task, actor=request.user, outcome="approved", reason=reason)
            approved += 1
        except workflows.DecisionRefused as exc:
            (need_reason if getattr(exc, "field", "") == "reason" else refused).append((task, str(exc)))
        except workflows.InvalidTransition as exc:  # not theirs to sign, changed meanwhile, not open any more
            refused.append((task, str(exc)))
    if not ids:
        messages.info(request, "Select the tasks to approve first.")
    else:
        parts = [f"{approved} approved"]
        if need_reason:
            parts.append(
                f"{len(need_reason)} need{'s' if len(need_reason) == 1 else ''} a reason: "
                f"{_names([task for task, _ in need_reason])}"
            )
        if refused:
            parts.append(
                f"{len(refused)} not approved: "
                + "; ".join(f"“{t.run.title or t.name}”: {why}" for t, why in refused[:5])
            )
        if len(ids) > approved + len(need_reason) + len(refused):
            parts.append(f"{len(ids) - approved - len(need_reason) - len(refused)} no longer open")
        # The tasks left for a reason ride with the message: its "Show them" selects them in the list (app.js).
        show = f"{SHOW_TASKS}{','.join(str(task.pk) for task, _ in need_reason)}" if need_reason else ""
        (messages.success if approved and not (need_reason or refused) else messages.warning)(
            request, ", ".join(parts) + ".", extra_tags=show
        )
    target = next_url(request)
    return HttpResponseClientRedirect(target) if request.htmx else redirect(target)


@login_required
def agency_overview(request):
    """One page across the agency staff's clients (``reviews.overview``): open work per client and stage, overdue
    and escalated items, SLA breaches this week, each figure a link to the filtered inbox. Not for a member of one
    client who is no agency admin there (403)."""
    if not overview.clients_of(request.user):
        raise PermissionDenied("The agency overview is for agency admins and staff of several clients.")
    now = timezone.now()
    return render(
        request,
        "reviews/agency_overview.html",
        {"clients": overview.figures(request.user, now=now), "week_start": overview.week_start(now), "now": now},
    )
