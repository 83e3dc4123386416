"""The analytics page and API at 100,000 open and 1,000,000 closed tasks of one client over a year (issue 16,
"Benchmark"), next to a bare view measured in the same run.

    .venv/bin/python bench/analytics.py [--closed 1000000] [--open 100000] [--requests 100]

Uses its own database (``BENCH_ANALYTICS_DATABASE_URL``, default ``.../greenlight_bench_analytics``, created if
missing and kept between runs). The tasks are generated in SQL (``INSERT ... SELECT generate_series``, about a
minute for the whole set): one client (``bench-analytics``) with 20 reviewers, runs of four flows, completed tasks
spread over the last 365 days (85 % claimed after 0-48 h, decided 0-72 h later, 70 % with a due date 3 days after
they became available), open tasks up to 30 days old (40 % claimed). A second client gets 100,000 completed tasks
of its own, so the client filter has something to leave out.

Measured over real HTTP (gunicorn, 2 sync workers): ``--requests`` sequential requests per case after 10 warm-up
ones, server time from the ``Server-Timing`` header, queries from ``X-Query-Count``; the ratio is the median over
the bare view's. The warm-up fills the figures' cache (``ANALYTICS_CACHE_SECONDS``), so these are the figures of a
period someone looked at in the last five minutes; the cost of a first look is measured next, in-process, ``--cold``
times without the cache. Then each analytics statement once under ``EXPLAIN (ANALYZE, BUFFERS)``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import ensure_database, free_port, setup_django, start_server, wait_quiet  # noqa: E402
from bench.run import login, measure, print_table  # noqa: E402

DEFAULT_ANALYTICS_URL = "postgres://postgres@127.0.0.1:5432/greenlight_bench_analytics"
PASSWORD = "bench password 1234"  # noqa: S105 - the bench database's own account

# (process key, stage key, role) of the generated tasks: four flows, eight stages
STAGES = [
    ("asset_approval", "legal_review", "legal"),
    ("asset_approval", "brand_review", "brand"),
    ("asset_approval", "marketing_review", "marketing"),
    ("asset_approval", "stakeholder_review", "external"),
    ("asset_exception", "triage", "content_manager"),
    ("asset_onboarding", "validate_rights", "legal"),
    ("creative_request", "creative_pick", "creative"),
    ("compliance_review", "investigate_compliance", "compliance"),
]
REGIONS = ["emea", "amer", "apac"]

TASK_INSERT = """
INSERT INTO workflows_task (
    client_id, run_id, remote_id, task_key, name, description, candidate_roles, roles_key, possible_outcomes,
    regions, regions_key, assignee_id, assignee_email, status, outcome, due_at, remote_created_at, claimed_at,
    completed_at, version, created_at, updated_at)
SELECT %(client)s, r.id, %(prefix)s || g, s.key, s.key, '', jsonb_build_array(s.role), ',' || s.role || ',', '[]',
       jsonb_build_array(reg.code), ',' || reg.code || ',',
       CASE WHEN t.claimed IS NOT NULL THEN (%(users)s::bigint[])[1 + g %% %(user_count)s] END, '',
       %(status)s, '', CASE WHEN g %% 10 < 7 THEN t.available + interval '3 days' END,
       t.available, t.claimed, t.completed, 1, t.available, now()
FROM generate_series(1, %(count)s) g
CROSS JOIN LATERAL (SELECT (%(stages)s::text[])[1 + g %% %(stage_count)s] AS key,
                           (%(roles)s::text[])[1 + g %% %(stage_count)s] AS role) s
CROSS JOIN LATERAL (SELECT (%(regions)s::text[])[1 + (g / 7) %% 3] AS code) reg
JOIN workflows_workflowrun r ON r.business_key = %(run_prefix)s || (1 + g %% %(runs)s)
CROSS JOIN LATERAL (SELECT CASE WHEN g > 0 THEN %(available)s END AS available) a
CROSS JOIN LATERAL (
    SELECT a.available,
           CASE WHEN %(claimed_if)s THEN a.available + random() * interval '48 hours' END AS claimed
) c
CROSS JOIN LATERAL (
    SELECT c.available, c.claimed,
           CASE WHEN %(closed)s THEN LEAST(now(), COALESCE(c.claimed, c.available) + random() * interval '72 hours')
           END AS completed
) t
"""


def populate(args) -> dict:
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import Membership, Role, User
    from apps.accounts.services import create_api_token
    from apps.clients.models import Client
    from apps.common.roles import RoleCode

    call_command("migrate", verbosity=0)
    client, _ = Client.objects.get_or_create(slug="bench-analytics", defaults={"name": "Bench analytics"})
    other, _ = Client.objects.get_or_create(slug="bench-other", defaults={"name": "Bench other"})
    user, created = User.objects.get_or_create(email="bench-analytics@example.com", defaults={"full_name": "Bench"})
    if created:
        user.set_password(PASSWORD)
        user.save()
    membership, _ = Membership.objects.get_or_create(user=user, client=client)
    membership.roles.set(Role.objects.for_codes([RoleCode.AGENCY_ADMIN]))
    reviewers = []
    for n in range(20):
        reviewer, _ = User.objects.get_or_create(email=f"reviewer{n:02d}@bench.example", defaults={"full_name": ""})
        Membership.objects.get_or_create(user=reviewer, client=client)
        reviewers.append(reviewer.pk)
    key = create_api_token(user, actor=user, name="bench", scope="read", expires_days=1).key

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM workflows_task WHERE client_id = %s", [client.pk])
        have = cursor.fetchone()[0]
        if have < args.closed + args.open:
            started = time.perf_counter()
            cursor.execute("DELETE FROM workflows_task WHERE client_id IN (%s, %s)", [client.pk, other.pk])
            cursor.execute("DELETE FROM workflows_workflowrun WHERE client_id IN (%s, %s)", [client.pk, other.pk])
            runs = max(1, (args.closed + args.open) // 5)
            # subject ids apart per client: one open run per subject and process (the database's constraint)
            for target, prefix, count, offset in ((client, "ba-", runs, 0), (other, "bo-", 20_000, 10_000_000)):
                cursor.execute(
                    """
                    INSERT INTO workflows_workflowrun (client_id, process_key, business_key, subject_type,
                        subject_id, title, status, variables, remote_id, outcome, created_at)
                    SELECT %s, (%s::text[])[1 + g %% 4], %s || g, 'assets.asset', %s + g, 'Asset ' || g, 'running',
                           '{}', '', '', now()
                    FROM generate_series(1, %s) g
                    """,
                    [
                        target.pk,
                        ["asset_approval", "asset_exception", "asset_onboarding", "creative_request"],
                        prefix,
                        offset,
                        count,
                    ],
                )
            common = {
                "stages": [s[1] for s in STAGES],
                "roles": [s[2] for s in STAGES],
                "stage_count": len(STAGES),
                "regions": REGIONS,
                "users": reviewers,
                "user_count": len(reviewers),
            }
            batches = [
                # a year of completed tasks
                (
                    client,
                    "bac-",
                    "ba-",
                    runs,
                    args.closed,
                    "completed",
                    "now() - random() * interval '365 days'",
                    "g % 100 < 85",
                    "true",
                ),
                # the backlog: up to 30 days old, 40 % claimed
                (
                    client,
                    "bao-",
                    "ba-",
                    runs,
                    args.open,
                    "open",
                    "now() - random() * interval '30 days'",
                    "g % 10 < 4",
                    "false",
                ),
                (
                    other,
                    "boc-",
                    "bo-",
                    20_000,
                    100_000,
                    "completed",
                    "now() - random() * interval '365 days'",
                    "g % 100 < 85",
                    "true",
                ),
            ]
            for target, prefix, run_prefix, run_count, count, status, available, claimed_if, closed in batches:
                sql = (
                    TASK_INSERT.replace("%(available)s", available)
                    .replace("%(claimed_if)s", claimed_if.replace("%", "%%"))
                    .replace("%(closed)s", closed)
                )
                cursor.execute(
                    sql,
                    {
                        **common,
                        "client": target.pk,
                        "prefix": prefix,
                        "run_prefix": run_prefix,
                        "runs": run_count,
                        "count": count,
                        "status": status,
                    },
                )
                print(f"inserted {count:,} {status} tasks ({time.perf_counter() - started:.0f} s)", flush=True)
            cursor.execute("VACUUM ANALYZE workflows_task")
            cursor.execute("VACUUM ANALYZE workflows_workflowrun")
    return {"client": client.slug, "client_id": client.pk, "email": user.email, "token": key}


def explain(client_id: int, since: datetime, until: datetime) -> list[str]:
    """Each statement the figures run, under EXPLAIN ANALYZE: its time and the indexes it uses."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from apps.analytics import figures

    scope = figures.Scope(client_id=client_id, since=since, until=until, now=timezone.now())
    with CaptureQueriesContext(connection) as captured:
        figures.all_figures(scope)
    lines = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.startswith("SELECT"):  # the transaction and its SET LOCAL
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
            used = sorted({part.split(" on ")[1].split()[0] for part in plan if " on " in part and "Index" in part})
            total = next((line for line in plan if line.startswith("Execution Time")), "")
            lines.append(f"{sql[:80]}... | {total} | indexes: {', '.join(used) or 'none (sequential scan)'}")
    return lines


def cold(client_id: int, since: datetime, until: datetime, count: int) -> dict:
    """The figures computed from scratch (no cache), in-process: what the first request of a period pays."""
    import statistics

    from django.utils import timezone

    from apps.analytics import figures

    times = {"period (completed tasks)": [], "open now (backlog, queues)": []}
    for _ in range(count):
        scope = figures.Scope(client_id=client_id, since=since, until=until, now=timezone.now())
        started = time.perf_counter()
        figures._period_figures(scope)
        times["period (completed tasks)"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        figures.open_figures(scope)
        times["open now (backlog, queues)"].append((time.perf_counter() - started) * 1000)
    return {name: {"p50": statistics.median(v), "max": max(v)} for name, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_ANALYTICS_DATABASE_URL", DEFAULT_ANALYTICS_URL))
    parser.add_argument("--closed", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--cold", type=int, default=5, help="times the figures are computed without the cache")
    parser.add_argument("--max-wait", type=int, default=300, help="seconds to wait for a quiet machine")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmark runs on PostgreSQL.")
    ensure_database(args.database_url)
    setup_django(args.database_url)
    data = populate(args)

    import requests
    from django.utils import timezone

    today = timezone.localdate()
    year = f"client={data['client']}&since={today - timedelta(days=364)}&until={today}"
    port = free_port()
    server = start_server(args.database_url, port)
    base = f"http://127.0.0.1:{port}"
    log: list[str] = []
    try:
        browser = login(base, data["email"], PASSWORD)
        api = requests.Session()
        api.headers["Authorization"] = f"Token {data['token']}"
        anonymous = requests.Session()
        cases = [
            ("bare view (baseline)", anonymous, "/bench/bare/"),
            ("bare view, signed in", browser, "/bench/bare/"),
            ("analytics page, a year", browser, f"/analytics/?{year}"),
            ("analytics page, 90 days", browser, f"/analytics/?client={data['client']}"),
            ("analytics page, a year, 1 flow", browser, f"/analytics/?{year}&flow=asset_approval"),
            ("analytics page, a year, 1 stage", browser, f"/analytics/?{year}&stage=legal_review"),
            ("API analytics, a year", api, f"/api/v1/analytics/?{year}"),
        ]
        wait_quiet("analytics", args.max_wait, log)
        results = {name: measure(session, base + path, args.requests, warmup=10) for name, session, path in cases}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'completed') "
            "FROM workflows_task WHERE client_id = %s",
            [data["client_id"]],
        )
        open_count, closed_count = cursor.fetchone()
    baseline = results["bare view (baseline)"]["server_p50"]
    print(
        f"\nclient {data['client']}: {open_count:,} open and {closed_count:,} completed tasks over a year; "
        f"{args.requests} sequential requests each, gunicorn 2 sync workers, PostgreSQL on loopback ({log[0]})\n"
    )
    print_table(results, baseline, width=34)
    zone = timezone.get_current_timezone()
    since = datetime.combine(today - timedelta(days=364), datetime.min.time(), tzinfo=zone)
    until = datetime.combine(today + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    computed = cold(data["client_id"], since, until, args.cold)
    print(f"\nComputed without the cache, in-process ({args.cold} times):")
    for name, r in computed.items():
        print(f"  {name:<30} p50 {r['p50']:>8.1f} ms   max {r['max']:>8.1f} ms")
    plans = explain(data["client_id"], since, until)
    print("\nEXPLAIN ANALYZE of the figures' statements (a year, no other filter):")
    for line in plans:
        print(" ", line)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"analytics-{stamp}.json").write_text(
        json.dumps(
            {
                "results": results,
                "cold": computed,
                "plans": plans,
                "log": log,
                "open": open_count,
                "closed": closed_count,
            }
        )
    )


if __name__ == "__main__":
    main()
