"""Cases: the list (filters, by due date) and the case page with its tasks, decisions, where the asset is used,
the conversation and the timeline (the part its runs make is ``workflows.subject_pages.subject_context``, as on the
asset page); the compliance rules; the rights calendar and its personal iCalendar feed. The case page's decision
forms post to the one decision view of every flow (``reviews:task_decide``)."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.assets import pages
from apps.assets.models import Asset, LicensePurchase, UsageEvent
from apps.clients.models import Client
from apps.common.active_client import params_with_active_client
from apps.common.paging import ascending_page
from apps.common.roles import RoleCode
from apps.workflows import services as workflows
from apps.workflows.models import Task
from apps.workflows.subject_pages import subject_context

from . import compliance, exception_views, feeds, ics, lapses, remediation, services
from .choices import CaseKind
from .filtersets import CaseFilterSet
from .forms import CalendarFeedForm, CalendarFilterForm, RuleFormSet
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
    if page is not None:
        _mark_who_acts_next(page.items)
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


def _mark_who_acts_next(cases) -> None:
    """Each open case's ``next_actors``: who works its open tasks, in words (the person holding a task, else the
    roles that may take it), in one query for the page."""
    open_ids = [case.pk for case in cases if case.is_open]
    actors: dict[int, list[str]] = {}
    tasks = (
        Task.objects.filter(run__subject_type="exceptions.case", run__subject_id__in=open_ids, status="open")
        .select_related("assignee", "run")
        .order_by("created_at")
    )
    for task in tasks if open_ids else []:
        if task.assignee is not None:
            who = task.assignee.get_full_name()
        else:
            roles = [RoleCode(c).label if c in RoleCode.values else str(c) for c in task.candidate_roles]
            who = " or ".join(roles) or "its assignee"
        names = actors.setdefault(task.run.subject_id, [])
        if who not in names:
            names.append(who)
    for case in cases:
        case.next_actors = actors.get(case.pk, [])


@login_required
def case_detail(request, pk: int):
    case = _case_for(request, pk)
    if case.kind == CaseKind.EXCEPTION and remediation.is_external_at(request.user, case.client):
        # An external member to whom the case was sent sees its asset and the correction form, nothing else.
        return redirect("exceptions:external_correction", pk=case.pk)
    return render(request, "exceptions/case_detail.html", _case_context(request, case))


def _case_context(request, case: Case) -> dict:
    usage = UsageEvent.objects.visible_to(request.user).filter(asset=case.asset)  # an external member: if shared
    users = list(
        usage.exclude(user_email="")
        .values("user_email")
        .annotate(events=Count("id"), last=Max("occurred_at"))
        .order_by("-last")[:50]
    )
    return {
        **subject_context(request, case, route="exceptions:case"),
        "case": case,
        "asset": case.asset,
        "licences": case.asset.license_purchases.all(),
        "usage": list(usage.order_by("-occurred_at")[:USAGE_SHOWN]),
        "usage_total": usage.count(),
        "asset_uses": pages.uses(request, case.asset),  # e.g. deliveries to creative requests (apps above)
        "users": users,
        "replacements": services.replacement_choices(case)[:200] if case.is_open else Asset.objects.none(),
        **_evidence(request, case),
        "text_limit": workflows.TEXT_LIMIT,
        **(exception_views.agency_links_context(request, case) if case.kind == CaseKind.EXCEPTION else {}),
    }


USAGE_SHOWN = 50  # the latest usage events of the case's asset listed on its page


def _evidence(request, case: Case) -> dict:
    """The events that broke the rule, as the evidence table lists them, with the count said above it: the events
    listed (a burst spans a person's downloads of several assets, so they are not the asset's usage), and how many
    the rule counted in all when the case keeps only the first ``compliance.EVIDENCE_CAP`` of them."""
    evidence = case.evidence or {}
    ids = evidence.get("events", [])[: compliance.EVIDENCE_CAP]
    rows = list(
        UsageEvent.objects.visible_to(request.user)
        .filter(pk__in=ids)
        .select_related("asset")
        .order_by("occurred_at", "pk")
    )
    return {
        "evidence": rows,
        "evidence_total": max(evidence.get("event_count", len(ids)), len(rows)),
        "evidence_assets": len({row.asset_id for row in rows}),
    }


def asset_cases(request, asset: Asset, context) -> dict:
    """The asset page's cases about the asset (a provider on ``apps.assets.pages``)."""
    cases = list(Case.objects.visible_to(request.user).filter(asset=asset).order_by("-id"))
    return {"cases": cases, **exception_views.asset_context(request, asset, cases)}


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
    change is audited with its before and after. An external member of the client may not open them (404)."""
    client = get_object_or_404(Client.objects.internal_to(request.user), slug=slug)
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


# -- the rights calendar and its feed ---------------------------------------------------------------------------------
@login_required
@vary_on_headers("HX-Request")
def rights_calendar(request):
    """When the rights of the viewer's clients' assets lapse, by week (``lapses``), and the person's feed."""
    params = params_with_active_client(request)
    params.setdefault("window", str(lapses.DEFAULT_WINDOW))
    form = CalendarFilterForm(params, user=request.user)
    now = timezone.now()
    context = {"form": form, "now": now, "page": None, "lapsed": [], "weeks": [], "counts": {}}
    if form.is_valid():
        window = form.cleaned_data["window"] or lapses.DEFAULT_WINDOW
        items, page = lapses.lapses(
            request.user,
            client=form.cleaned_data["client"],
            until=now + timedelta(days=window),
            now=now,
            params=params,
        )
        lapsed, weeks = lapses.by_week(items, now)
        counts = {code: sum(1 for item in items if item.state.code == code) for code in ("lapsed", "week", "month")}
        counts["later"] = len(items) - sum(counts.values())
        context.update(page=page, lapsed=lapsed, weeks=weeks, counts=counts, window=window)
    query = params.copy()
    query.pop("after", None)
    context["query"] = query
    template = "exceptions/calendar.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    else:
        feed = feeds.active_feed(request.user)
        context["feed"] = feed
        context["feed_url"] = feeds.feed_url(request, feeds.token_of(feed)) if feed else ""
        context["feed_form"] = CalendarFeedForm(
            initial={"client": feed.client if feed else None}, user=request.user, auto_id="feed_%s"
        )
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"  # the page shows the person's feed URL, a secret
    return response


@login_required
@require_POST
def calendar_feed_rotate(request):
    form = CalendarFeedForm(request.POST, user=request.user)
    if not form.is_valid():
        messages.error(request, "Choose one of your clients, or all of them, for the feed.")
        return redirect(f"{reverse('exceptions:rights_calendar')}#feed")
    had = feeds.active_feed(request.user) is not None
    feeds.rotate_feed(request.user, client=form.cleaned_data["client"])
    if had:
        messages.success(request, "Your calendar feed has a new URL; the old one no longer works.")
    else:
        messages.success(request, "Your calendar feed is ready: add its URL to your calendar application.")
    return redirect(f"{reverse('exceptions:rights_calendar')}#feed")


@login_required
@require_POST
def calendar_feed_stop(request):
    if feeds.stop_feed(request.user):
        messages.success(request, "Your calendar feed is turned off; its URL no longer works.")
    else:
        messages.info(request, "You have no calendar feed turned on.")
    return redirect(f"{reverse('exceptions:rights_calendar')}#feed")


@require_GET
def calendar_feed(request):
    """The lapse dates of the feed's clients' assets as iCalendar (RFC 5545). Authenticated by the token alone:
    the session is never read, so a signed-in visitor without the token gets the same 404 as anyone."""
    feed = feeds.feed_for_token(request.GET.get("token", ""))
    if feed is None:
        raise Http404("No such feed.")
    owner, now = feed.owner, timezone.now()
    with timezone.override(zoneinfo.ZoneInfo(owner.time_zone or "UTC")):
        items, _page = lapses.lapses(owner, client=feed.client, until=now + feeds.HORIZON, now=now, limit=feeds.LIMIT)
        events = feeds.lapse_events(items, base=request.build_absolute_uri("/"), now=now)
    body = ics.calendar(events, prodid="-//Greenlight//Rights calendar//EN", name="Greenlight rights lapses")
    response = HttpResponse(body.encode(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="greenlight-rights.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response
