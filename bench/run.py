"""Benchmark the portal over real HTTP against gunicorn on PostgreSQL, next to a bare view measured in the same run.

    .venv/bin/python bench/run.py [--events 1000000] [--clients 50] [--requests 300]

Creates (once) a database ``greenlight_bench`` with ``--events`` audit events spread over ``--clients`` clients,
starts gunicorn (2 sync workers) on a free loopback port, and prints, per endpoint: median and p95 of the server
time (from the ``Server-Timing`` header) and of the client-observed latency, the number of queries per request,
and the ratio of the median to the bare view's. Results are also written to ``bench/results/<timestamp>.json``.

The other benchmarks run on their own (bench/README.md): ``bench/sync.py``, ``bench/review.py``, ``bench/usage.py``,
``bench/rights.py`` and ``bench/matching.py`` (creative-request matching at 1,000,000 assets).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import DEFAULT_URL, ensure_database, free_port, setup_django, start_server  # noqa: E402


def populate(events: int, clients: int) -> dict:
    """Clients, one measured user with an API token, and ``events`` audit events (COPY, so 1M rows take seconds)."""
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import Membership, Role, User
    from apps.accounts.services import create_api_token
    from apps.audit.models import AuditEvent
    from apps.clients.models import Client
    from apps.common.roles import RoleCode

    call_command("migrate", verbosity=0)
    for n in range(clients):
        Client.objects.get_or_create(slug=f"bench-{n:03d}", defaults={"name": f"Bench client {n:03d}"})
    client = Client.objects.get(slug="bench-007")
    user, created = User.objects.get_or_create(email="bench@example.com", defaults={"full_name": "Bench"})
    if created:
        user.set_password("bench password 1234")
        user.save()
    membership, _ = Membership.objects.get_or_create(user=user, client=client)
    membership.roles.set(Role.objects.for_codes([RoleCode.AGENCY_ADMIN, RoleCode.COMPLIANCE]))
    key = create_api_token(user, actor=user, name="bench", scope="read", expires_days=1).key

    have = AuditEvent.objects.count()
    missing = max(0, events - have)
    if missing:
        client_ids = list(Client.objects.filter(slug__startswith="bench-").values_list("pk", flat=True))
        actions = ["clients.client.update_policies", "accounts.apitoken.create", "reviews.task.approve"]
        started = time.perf_counter()
        with connection.cursor() as cursor:
            with cursor.cursor.copy(
                "COPY audit_auditevent (created_at, actor_label, client_id, action, object_type, object_id, "
                "object_repr, reason, request_id) FROM STDIN"
            ) as copy:
                base = datetime.now(UTC).timestamp() - missing
                for n in range(missing):
                    copy.write_row(
                        (
                            datetime.fromtimestamp(base + n, UTC),
                            f"user{n % 500}@example.com",
                            client_ids[n % len(client_ids)],
                            actions[n % len(actions)],
                            "tests.thing",
                            str(n),
                            f"Thing {n}",
                            "",
                            "",
                        )
                    )
            cursor.execute("ANALYZE audit_auditevent")
        print(f"inserted {missing:,} audit events in {time.perf_counter() - started:.1f} s", flush=True)
    oldest = AuditEvent.objects.filter(client=client).order_by("id").values_list("id", flat=True)[200]
    return {
        "client": client.slug,
        "email": user.email,
        "password": "bench password 1234",
        "token": key,
        "deep_before": oldest,
        "events": AuditEvent.objects.count(),
    }


def measure(session, url: str, count: int, warmup: int = 20) -> dict:
    for _ in range(warmup):
        session.get(url, timeout=30)
    server, client, queries, statuses = [], [], set(), set()
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, timeout=30)
        client.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
        match = re.search(r"dur=([\d.]+)", response.headers.get("Server-Timing", ""))
        if match:
            server.append(float(match.group(1)))
        queries.add(response.headers.get("X-Query-Count"))

    def pct(values, q):
        return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]

    return {
        "status": sorted(statuses),
        "server_p50": statistics.median(server),
        "server_p95": pct(server, 95),
        "client_p50": statistics.median(client),
        "client_p95": pct(client, 95),
        "queries": sorted(q for q in queries if q),
    }


def login(base: str, email: str, password: str):
    """A ``requests.Session`` signed in through the login form, as a browser would be."""
    import requests

    session = requests.Session()
    session.get(f"{base}/accounts/login/")
    session.post(
        f"{base}/accounts/login/",
        {"username": email, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/accounts/login/"},
    ).raise_for_status()
    return session


def print_table(results: dict, baseline: float, width: int = 28) -> None:
    """One line per endpoint: status, server p50/p95, client p95, queries per request, median over the bare view's."""
    header = (
        f"{'endpoint':<{width}} {'status':>7} {'server p50':>11} {'server p95':>11} {'client p95':>11} "
        f"{'queries':>8} {'x bare':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<{width}} {','.join(map(str, r['status'])):>7} {r['server_p50']:>9.2f}ms "
            f"{r['server_p95']:>9.2f}ms {r['client_p95']:>9.2f}ms {','.join(r['queries']):>8} "
            f"{r['server_p50'] / baseline:>7.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmark runs on PostgreSQL (QUALITY.md's anchors are PostgreSQL figures).")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    data = populate(args.events, args.clients)

    import requests

    port = free_port()
    server = start_server(args.database_url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        browser = login(base, data["email"], data["password"])
        api = requests.Session()
        api.headers["Authorization"] = f"Token {data['token']}"
        slug = data["client"]
        anonymous = requests.Session()
        cases = [
            ("bare view (baseline)", anonymous, "/bench/bare/"),
            ("bare view, signed in", browser, "/bench/bare/"),
            ("healthz", browser, "/healthz"),
            ("dashboard", browser, "/"),
            ("audit list, page 1", browser, f"/audit/?client={slug}"),
            ("audit list, deep page", browser, f"/audit/?client={slug}&before={data['deep_before']}"),
            ("audit list, action filter", browser, f"/audit/?client={slug}&action=clients."),
            ("audit list, htmx fragment", browser, f"/audit/?client={slug}&q=Thing%201"),
            ("API audit-events, page 1", api, f"/api/v1/audit-events/?client={slug}"),
            ("API me", api, "/api/v1/me/"),
        ]
        browser_htmx = requests.Session()
        browser_htmx.cookies.update(browser.cookies)
        browser_htmx.headers["HX-Request"] = "true"
        cases = [(name, browser_htmx if "htmx" in name else session, path) for name, session, path in cases]
        results = {}
        for name, session, path in cases:
            results[name] = measure(session, base + path, args.requests)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    baseline = results["bare view (baseline)"]["server_p50"]
    print(
        f"\n{data['events']:,} audit events over {args.clients} clients; {args.requests} sequential requests each, "
        f"gunicorn 2 sync workers, PostgreSQL on loopback\n"
    )
    print_table(results, baseline)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"{stamp}.json").write_text(
        json.dumps(
            {"data": {k: v for k, v in data.items() if k not in {"token", "password"}}, "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
