"""The bottleneck page (``/analytics/``) and its CSV downloads: the same figures, read with the same filter form as
the API (``apps.analytics.api``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from apps.common.exports import stream_csv

from . import figures
from .forms import scope_from

# Each figure's CSV columns (the keys of its rows), in the order of the page's table.
CSV_COLUMNS: dict[str, list[str]] = {
    "summary": [
        "completed",
        "open",
        "wait_median",
        "wait_p90",
        "decide_median",
        "decide_p90",
        "sla_hits",
        "sla_total",
        "sla_rate",
    ],
    "stages": [
        "stage",
        "stage_label",
        "completed",
        "wait_median",
        "wait_p90",
        "decide_median",
        "decide_p90",
        "sla_hits",
        "sla_total",
        "sla_rate",
    ],
    "throughput": ["week", "week_start", "completed"],
    "backlog": ["age", "open"],
    "people": ["person", "email", "open", "oldest_age"],
    "roles": ["role", "role_label", "unclaimed"],
}


def _charts(data: dict) -> dict:
    """What the charts draw (labels and series), read by ``static/js/analytics.js`` from a ``json_script`` element:
    no inline executable script, so the CSP's nonces hold."""
    hours = 3600.0

    def h(value):
        return None if value is None else round(value / hours, 2)

    stages = data["stages"][:10]
    return {
        "throughput": {
            "labels": [r["week"] for r in data["throughput"]],
            "series": [{"label": "Completed", "data": [r["completed"] for r in data["throughput"]]}],
        },
        "backlog": {
            "labels": [r["age"] for r in data["backlog"]],
            "series": [{"label": "Open tasks", "data": [r["open"] for r in data["backlog"]]}],
        },
        "stages": {
            "labels": [r["stage_label"] for r in stages],
            "series": [
                {"label": "Waiting for a claim, p90 (hours)", "data": [h(r["wait_p90"]) for r in stages]},
                {"label": "Time to decide, p90 (hours)", "data": [h(r["decide_p90"]) for r in stages]},
            ],
            "horizontal": True,
        },
        "roles": {
            "labels": [r["role_label"] for r in data["roles"]],
            "series": [{"label": "Unclaimed", "data": [r["unclaimed"] for r in data["roles"]]}],
            "horizontal": True,
        },
    }


@login_required
def bottlenecks(request):
    """Where one client's reviews wait over a period: KPI tiles, charts each with its table, CSV per figure."""
    form, scope = scope_from(request, request.GET)
    data = figures.all_figures(scope) if scope else None
    query = form.data.copy()
    return render(
        request,
        "analytics/bottlenecks.html",
        {
            "form": form,
            "data": data,
            "charts": _charts(data) if data else None,
            "query": query.urlencode(),
            "client": getattr(form, "client", None),
            "scope": scope,
            "cache_minutes": settings.ANALYTICS_CACHE_SECONDS // 60,
        },
    )


@login_required
def export(request):
    """One figure as CSV (``?figure=stages`` and the page's filters; the key figures by default): the rows of its
    table."""
    name = request.GET.get("figure") or "summary"
    if name not in CSV_COLUMNS:
        raise Http404("No such figure.")
    form, scope = scope_from(request, request.GET)
    if scope is None:
        raise Http404("The filters are not valid.")
    rows = [figures.summary(scope)] if name == "summary" else figures.FIGURES[name](scope)
    columns = CSV_COLUMNS[name]
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    return stream_csv(
        f"greenlight-analytics-{form.client.slug}-{name}-{stamp}.csv",
        columns,
        ([row.get(column) for column in columns] for row in rows),
    )
