"""Usage-event ingestion through the API over real HTTP, next to a bare view measured in the same run.

    .venv/bin/python bench/usage.py [--events 100000] [--batch 1000] [--senders 2] [--workers 2]

Uses its own PostgreSQL database (``BENCH_USAGE_DATABASE_URL``, default ``.../greenlight_bench_usage``, created if
missing), one client with ``--assets`` assets and an integrator with a ``write`` token. The usage table is emptied
first, so every run inserts into the same starting state. gunicorn (``--workers`` sync workers) serves the portal.

1. Baseline: the bare view (whole middleware stack, no database), ``--requests`` sequential GETs.
2. Ingestion: ``--events`` new events as JSON lists of ``--batch``, sent by ``--senders`` threads at once to
   ``POST /api/v1/usage-events/``; half name the asset by id, half by its Smint.io element id. Prints events per
   second over the wall time, and per batch the server time (``Server-Timing``) and the client-observed time.
3. Idempotency: the first batch sent again must answer 200 with 0 created; the table must hold exactly
   ``--events`` rows.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import ensure_database, free_port, setup_django, start_server  # noqa: E402
from bench.run import measure  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/greenlight_bench_usage"
CLIENT = "bench-usage"
COUNTRIES = ["DE", "FR", "GB", "US", "ES", "IT", "NL", "JP"]
KINDS = ["download", "download", "download", "reuse", "share"]


def populate(assets: int) -> dict:
    """One client with ``assets`` assets, an integrator with a write token; the usage table emptied."""
    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import Membership, Role, User
    from apps.accounts.services import create_api_token
    from apps.assets.models import Asset
    from apps.clients.models import Client
    from apps.common.roles import RoleCode

    call_command("migrate", verbosity=0)
    client, _ = Client.objects.get_or_create(slug=CLIENT, defaults={"name": "Bench usage"})
    user, _ = User.objects.get_or_create(email="integrator@bench.example", defaults={"full_name": "Integrator"})
    membership, _ = Membership.objects.get_or_create(user=user, client=client)
    membership.roles.set(Role.objects.for_codes([RoleCode.INTEGRATOR]))
    key = create_api_token(user, actor=user, name="bench", scope="write", expires_days=1).key
    have = Asset.objects.filter(client=client).count()
    Asset.objects.bulk_create(
        Asset(client=client, content_element_uuid=f"bench-el-{n}", name=f"Bench asset {n}") for n in range(have, assets)
    )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE assets_usageevent")
    rows = Asset.objects.filter(client=client).order_by("pk").values_list("pk", "content_element_uuid")[:assets]
    return {"token": key, "assets": list(rows)}


def batches(assets: list[tuple[int, str]], events: int, size: int, run: str) -> list[bytes]:
    """The request bodies, encoded before the clock starts so the sender's JSON work is not measured."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    bodies = []
    for first in range(0, events, size):
        items = []
        for n in range(first, min(first + size, events)):
            pk, element = assets[n % len(assets)]
            item = {
                "id": f"{run}-{n}",
                "event": KINDS[n % len(KINDS)],
                "occurred_at": (start + timedelta(seconds=n)).isoformat(),
                "user_email": f"user{n % 300}@bench.example",
                "country": COUNTRIES[n % len(COUNTRIES)],
                "channel": "web",
            }
            item |= {"asset": pk} if n % 2 else {"content_element_uuid": element}
            items.append(item)
        bodies.append(json.dumps(items).encode())
    return bodies


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_USAGE_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--assets", type=int, default=2_000)
    parser.add_argument("--senders", type=int, default=2, help="batches in flight at once")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--requests", type=int, default=300, help="bare-view requests for the baseline")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmark runs on PostgreSQL.")

    ensure_database(args.database_url)
    setup_django(args.database_url)
    data = populate(args.assets)
    run = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    bodies = batches(data["assets"], args.events, args.batch, run)

    import requests

    from apps.assets.models import UsageEvent

    port = free_port()
    server = start_server(args.database_url, port, workers=args.workers)
    base = f"http://127.0.0.1:{port}"
    url = f"{base}/api/v1/usage-events/"
    headers = {"Authorization": f"Token {data['token']}", "Content-Type": "application/json"}
    local = threading.local()

    def send(body: bytes) -> tuple[int, dict, float, float]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers.update(headers)
        started = time.perf_counter()
        response = session.post(url, data=body, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        timing = response.headers.get("Server-Timing", "dur=nan").rsplit("dur=", 1)[1]
        return response.status_code, response.json(), float(timing), elapsed

    try:
        bare = measure(requests.Session(), f"{base}/bench/bare/", args.requests)
        warm = send(bodies[0])  # the first batch also warms both workers' imports; it is re-sent in step 3
        with ThreadPoolExecutor(args.senders) as pool:
            started = time.perf_counter()
            results = list(pool.map(send, bodies[1:]))
            wall = time.perf_counter() - started
        replay = send(bodies[0])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    statuses = sorted({status for status, *_ in results})
    created = warm[1]["created"] + sum(body["created"] for _, body, _, _ in results)
    sent = args.events - len(json.loads(bodies[0]))
    server_ms = [timing for *_, timing, _ in results]
    client_ms = [elapsed for *_, elapsed in results]
    stored = UsageEvent.objects.filter(client__slug=CLIENT).count()
    summary = {
        "events": args.events,
        "batch": args.batch,
        "senders": args.senders,
        "workers": args.workers,
        "statuses": statuses,
        "timed_events": sent,
        "wall_s": wall,
        "events_per_s": sent / wall,
        "batch_server_p50": statistics.median(server_ms),
        "batch_server_p95": pct(server_ms, 95),
        "batch_client_p50": statistics.median(client_ms),
        "batch_client_p95": pct(client_ms, 95),
        "bare_server_p50": bare["server_p50"],
        "bare_server_p95": bare["server_p95"],
        "replay_status": replay[0],
        "replay_counts": replay[1],
        "replay_ms": replay[3],
        "created": created,
        "stored": stored,
    }

    print(
        f"\n{args.events:,} usage events in batches of {args.batch:,}, {args.senders} senders, gunicorn "
        f"{args.workers} sync workers, PostgreSQL on loopback\n"
    )
    print(f"bare view (baseline)      server p50 {bare['server_p50']:.2f} ms, p95 {bare['server_p95']:.2f} ms")
    print(
        f"ingestion                 {sent:,} events in {wall:.2f} s = {sent / wall:,.0f} events/s "
        f"(statuses {','.join(map(str, statuses))})"
    )
    print(
        f"  per batch               server p50 {summary['batch_server_p50']:.1f} ms, p95 "
        f"{summary['batch_server_p95']:.1f} ms; client p50 {summary['batch_client_p50']:.1f} ms, p95 "
        f"{summary['batch_client_p95']:.1f} ms; {summary['batch_server_p50'] / bare['server_p50']:.0f}x bare p50"
    )
    print(
        f"  per event               {summary['batch_server_p50'] / args.batch * 1000:.0f} us of server time "
        f"({summary['batch_server_p50'] / args.batch / bare['server_p50']:.2f}x a bare request)"
    )
    print(f"re-sent first batch       {replay[0]} {replay[1]} in {replay[3]:.1f} ms")
    print(f"stored                    {stored:,} rows for {args.events:,} events (created counted: {created:,})")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / f"usage-{run}Z.json").write_text(json.dumps(summary, indent=2))
    if stored != args.events or replay[1].get("created") != 0 or statuses != [201]:
        raise SystemExit("ingestion was not exact: see the figures above")


if __name__ == "__main__":
    main()
