"""The analytics job's schedule, (re)declared after every migrate as the other apps' schedules are."""

from __future__ import annotations


def ensure_schedules(**kwargs) -> None:
    from django.conf import settings
    from django_q.models import Schedule

    # a minute before the figures it keeps expire (ANALYTICS_CACHE_SECONDS, default 300)
    minutes = max(1, int(getattr(settings, "ANALYTICS_CACHE_SECONDS", 300)) // 60 - 1)
    Schedule.objects.update_or_create(
        name="analytics.warm_default_views",
        defaults={
            "func": "apps.analytics.tasks.warm_default_views",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
        },
    )
