"""The figures against a crafted history (tests/analytics/factories.py) with known timestamps.

The same tests run on SQLite (durations interpolated in Python) and, with DATABASE_URL set, on PostgreSQL
(``percentile_cont`` in SQL): both paths must give the same numbers."""

from datetime import timedelta

import pytest
from django.db import connection

from apps.analytics import figures
from apps.analytics.figures import Scope
from apps.common.roles import RoleCode
from tests.factories import member

from .factories import NOW, SINCE, UNTIL, H, at, history


@pytest.fixture
def crafted(client_a, client_b):
    person_a = member(client_a, RoleCode.BRAND, email="a@acme.example")
    person_b = member(client_a, RoleCode.CONTENT_MANAGER, email="b@acme.example")
    history(client_a, client_b, person_a=person_a, person_b=person_b)
    return client_a


def scope(client, **filters):
    values = {"since": SINCE, "until": UNTIL, "now": NOW, **filters}
    return Scope(client_id=client.pk, **values)


def test_percentile_interpolates_like_percentile_cont():
    assert figures.percentile([], 0.5) is None
    assert figures.percentile([5.0], 0.9) == 5.0
    assert figures.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert figures.percentile([3600.0, 10800.0], 0.9) == pytest.approx(10080.0)


def test_summary_of_the_crafted_history(crafted):
    summary = figures.summary(scope(crafted))
    assert summary == {
        "completed": 5,
        "open": 5,
        # waits 30 min, 1 h, 2 h, 3 h
        "wait_median": 1.5 * H,
        "wait_p90": 2.7 * H,
        # decides 1 h, 2 h, 4 h, 5 h, 24 h
        "decide_median": 4.0 * H,
        "decide_p90": 5 * H + 0.6 * 19 * H,
        "sla_hits": 2,
        "sla_total": 3,
        "sla_rate": 0.6667,
    }


def test_slowest_stage_first_with_its_percentiles(crafted):
    rows = figures.stages(scope(crafted))
    assert [r["stage"] for r in rows] == ["brand_review", "legal_review", "triage"]
    legal = rows[1]
    assert legal["stage_label"] == "Legal review / Resolve the rights or policy issue"
    assert legal["completed"] == 3
    assert (legal["wait_median"], legal["wait_p90"]) == (2.0 * H, 2.8 * H)
    assert (legal["decide_median"], legal["decide_p90"]) == (4.0 * H, 4.8 * H)
    assert (legal["sla_hits"], legal["sla_total"], legal["sla_rate"]) == (1, 2, 0.5)
    assert rows[0]["decide_p90"] == 24.0 * H
    assert rows[2]["sla_rate"] is None  # no due date: no SLA to hit


def test_throughput_per_iso_week_lists_empty_weeks(crafted):
    assert figures.throughput(scope(crafted)) == [
        {"week": "2026-W45", "week_start": "2026-11-02", "completed": 2},
        {"week": "2026-W46", "week_start": "2026-11-09", "completed": 1},
        {"week": "2026-W47", "week_start": "2026-11-16", "completed": 2},
        {"week": "2026-W48", "week_start": "2026-11-23", "completed": 0},
    ]


def test_backlog_by_age_counts_open_tasks_now(crafted):
    assert [(r["age"], r["open"]) for r in figures.backlog(scope(crafted))] == [
        ("< 1 day", 1),
        ("1-3 days", 1),
        ("3-7 days", 1),
        ("7-14 days", 1),
        ("> 14 days", 1),
    ]


def test_queues_per_person_and_unclaimed_per_role(crafted):
    people = figures.people(scope(crafted))
    assert [(r["email"], r["open"], r["oldest_age"]) for r in people] == [
        ("a@acme.example", 2, 10 * 24 * H),
        ("b@acme.example", 1, 20 * 24 * H),
    ]
    roles = figures.roles(scope(crafted))
    assert [(r["role"], r["unclaimed"]) for r in roles] == [("legal", 2), ("brand", 1)]


@pytest.mark.parametrize(
    ("filters", "completed", "open_now"),
    [
        ({"flow": "asset_exception"}, 1, 1),
        ({"stage": "brand_review"}, 1, 2),
        ({"role": "legal"}, 3, 2),
        ({"region": "amer"}, 1, 0),
        ({"region": "emea"}, 3, 1),
        ({"since": at(16)}, 2, 5),
        ({"until": at(10)}, 2, 5),
    ],
)
def test_filters_narrow_every_figure(crafted, filters, completed, open_now):
    s = scope(crafted, **filters)
    assert figures.summary(s)["completed"] == completed
    assert figures.summary(s)["open"] == open_now
    assert sum(r["completed"] for r in figures.stages(s)) == completed
    assert sum(r["open"] for r in figures.backlog(s)) == open_now


def test_another_clients_tasks_are_never_counted(crafted, client_b):
    other = figures.all_figures(scope(client_b))
    assert other["summary"]["completed"] == 1
    assert other["summary"]["open"] == 1
    assert other["people"] == []


def test_an_empty_scope_gives_empty_figures(client_a):
    data = figures.all_figures(scope(client_a))
    assert data["summary"]["completed"] == 0
    assert data["summary"]["wait_median"] is None
    assert data["summary"]["sla_rate"] is None
    assert data["stages"] == [] and data["roles"] == [] and data["people"] == []
    assert {r["completed"] for r in data["throughput"]} == {0}


def test_the_backend_path_in_use(crafted):
    """Which percentile path ran (SQLite: Python; PostgreSQL: SQL), so a run on each backend says so."""
    assert figures._on_postgres() is (connection.vendor == "postgresql")


def test_the_period_figures_are_kept_for_a_while_and_the_open_ones_stay_live(crafted, settings):
    from django.core.cache import cache

    from .factories import NOW, run, task

    settings.ANALYTICS_CACHE_SECONDS = 300
    cache.clear()
    s = scope(crafted)
    first = figures.all_figures(s)
    more = run(crafted)
    task(more, "legal_review", available=at(12), completed=at(12, 11))  # completed in the period
    task(more, "legal_review", available=NOW - timedelta(hours=1))  # open now
    second = figures.all_figures(s)
    assert second["summary"]["completed"] == first["summary"]["completed"] == 5  # kept
    assert second["summary"]["open"] == first["summary"]["open"] + 1  # live
    assert second["backlog"][0]["open"] == first["backlog"][0]["open"] + 1
    cache.clear()
    assert figures.all_figures(s)["summary"]["completed"] == 6


def test_the_worker_keeps_each_clients_default_view_and_year_ready(crafted, settings):
    """A first look is served from figures the worker computed (``tasks.warm_default_views``), not computed in the
    request; what completes meanwhile shows at the worker's next round."""
    from django.core.cache import cache
    from django.utils import timezone

    from apps.analytics import tasks

    from .factories import run, task

    settings.ANALYTICS_CACHE_SECONDS = 300
    cache.clear()
    today = timezone.localdate()
    default = figures.days_scope(crafted.pk, today - timedelta(days=89), today)
    year = figures.days_scope(crafted.pk, today - timedelta(days=364), today)

    assert tasks.warm_default_views() == 2 * 2  # two views of each client with tasks (the history has A's and B's)
    before = figures.all_figures(default)["summary"]["completed"]
    task(run(crafted), "legal_review", available=at(12), completed=at(12, 11))
    assert figures.all_figures(default)["summary"]["completed"] == before  # from what the worker kept
    assert figures.all_figures(year)["summary"]["completed"] == before

    tasks.warm_default_views()
    assert figures.all_figures(default)["summary"]["completed"] == before + 1
    assert figures.all_figures(year)["summary"]["completed"] == before + 1


def test_nothing_is_warmed_when_the_cache_is_off(crafted, settings):
    from apps.analytics import tasks

    settings.ANALYTICS_CACHE_SECONDS = 0
    assert tasks.warm_default_views() == 0
