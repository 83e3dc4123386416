"""The worker keeps the views people open first ready: each client's default period (the last 90 days) and its last
year, recomputed before the cached figures expire, so a first look does not wait for a year of percentiles (3.8 s
at 1,000,000 completed tasks, bench/README.md) while the page still says its figures may be minutes old."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from apps.workflows.models import Task

from . import figures
from .forms import DEFAULT_DAYS

WARMED_DAYS = (DEFAULT_DAYS, 365)


def warm_default_views() -> int:
    """Recompute and keep the period figures of every client with tasks, for the default period and a year;
    returns how many views were warmed (none when the cache is off)."""
    if not getattr(settings, "ANALYTICS_CACHE_SECONDS", 0):
        return 0
    today = timezone.localdate()
    warmed = 0
    for client_id in Task.objects.order_by().values_list("client_id", flat=True).distinct():
        for days in WARMED_DAYS:
            figures.warm(figures.days_scope(client_id, today - timedelta(days=days - 1), today))
            warmed += 1
    return warmed
