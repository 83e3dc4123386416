"""Matching a creative request to cleared assets at scale (issue 13, "Benchmark"), next to a bare baseline.

    .venv/bin/python bench/matching.py [--assets 1000000] [--clients 50] [--client bench-012] [--requests 300]

Uses ``bench/review.py``'s data set in the same database (``BENCH_DATABASE_URL``, default ``greenlight_bench``):
``--assets`` assets over ``--clients`` clients, each with a licence purchase and one or two terms built from the
emulator's demo library by the sync's own ``map_lpt``, topped up with ``COPY`` when fewer are there (migrations,
among them ``assets.0007``'s full-text index, are applied first).

Measured in-process (``apps.creative.matching.match`` has no page of its own yet), each case 20 warm-up and
``--requests`` timed calls, one client: median, p95 and queries per call, and the ratio of the median to the
baseline's, measured in the same run. The baseline is the bare read a library page does: the client's 50 newest
available assets with their licences and terms prefetched. The request: 5 countries, 2 channels, a run of 90 days
starting in 10 days, and (for the text cases) a brief of words taken from the client's own asset names. The
candidate statements are then run once under ``EXPLAIN (ANALYZE, BUFFERS)`` to show which index each uses.
Results are written to ``bench/results/matching-<UTC timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import DEFAULT_URL, ensure_database, setup_django, wait_quiet  # noqa: E402

COUNTRIES = frozenset({"DE", "FR", "GB", "US", "BR"})
CHANNELS = frozenset({"usage_web", "usage_social_media"})


def populate(args) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from apps.assets.models import Asset
    from apps.clients.models import Client
    from bench.review import _load_assets

    call_command("migrate", verbosity=0)
    clients = [
        Client.objects.get_or_create(slug=f"bench-{n:03d}", defaults={"name": f"Bench client {n:03d}"})[0]
        for n in range(args.clients)
    ]
    have = Asset.objects.filter(client__in=clients).count()
    if have < args.assets:
        print(f"loading {args.assets - have:,} assets (have {have:,})", flush=True)
        _load_assets(clients, args.assets - have, timezone.now())
        with connection.cursor() as cursor:
            for table in ("assets_asset", "assets_licensepurchase", "assets_licenseterm"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def brief_words(client) -> tuple[str, str]:
    """A brief of two words of the client's asset names (one in about 5 % of them, one rarer) and a search word."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT w, count(*) FROM assets_asset a, regexp_split_to_table(lower(a.name), '[^a-z]+') w "
            "WHERE a.client_id = %s AND length(w) >= 5 GROUP BY w ORDER BY count(*)",
            [client.pk],
        )
        words = cursor.fetchall()
    common = words[int(len(words) * 0.8)][0]
    rare = words[len(words) // 3][0]
    return f"{common} {rare} for the spring campaign", common


def timed(call, count: int, warmup: int = 20) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        call()
    times, cpu, sql, queries, sizes = [], [], [], set(), set()
    for _ in range(count):
        with CaptureQueriesContext(connection) as captured:
            started, used = time.perf_counter(), time.process_time()
            result = call()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        queries.add(len(captured))
        sql.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
        sizes.add(result)
    return {
        "p50": statistics.median(times),
        "p95": statistics.quantiles(times, n=100)[94],
        "cpu_p50": statistics.median(cpu),
        "cpu_p95": statistics.quantiles(cpu, n=100)[94],
        "sql_p50": statistics.median(sql),
        "queries": sorted(queries),
        "result": sorted(sizes)[:3],
    }


def explain(client, want, search: str) -> list[str]:
    """The candidate statements of one match, under EXPLAIN ANALYZE: the first plan line and the indexes used."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.creative import matching

    with CaptureQueriesContext(connection) as captured:
        matching.match(client, want, search=search)
    lines = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if 'FROM "assets_asset"' not in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
            used = sorted({part.split(" on ")[1].split()[0] for part in plan if " on " in part and "Index" in part})
            total = next((line for line in plan if line.startswith("Execution Time")), "")
            lines.append(f"{sql[:90]}... | {total} | indexes: {', '.join(used) or 'none'}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--assets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--client", default="bench-012")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--max-wait", type=int, default=900, help="seconds to wait for a quiet machine")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The benchmark runs on PostgreSQL (the full-text index is PostgreSQL's).")
    ensure_database(args.database_url)
    setup_django(args.database_url)
    populate(args)

    from django.db.models import Prefetch
    from django.utils import timezone

    from apps.assets.models import Asset, LicensePurchase
    from apps.clients.models import Client
    from apps.creative import matching
    from apps.creative.matching import Want

    client = Client.objects.get(slug=args.client)
    vocabulary = matching.rights.vocabulary_for(client)
    text, word = brief_words(client)
    today = timezone.localdate()
    plain = Want(
        countries=COUNTRIES,
        usages=CHANNELS,
        run_from=today + timedelta(days=10),
        run_until=today + timedelta(days=100),
    )
    briefed = replace(plain, text=text)
    shaped = replace(briefed, content_types=frozenset({"image"}), orientation="landscape")

    def baseline():
        licences = LicensePurchase.objects.prefetch_related("terms")
        page = list(
            Asset.objects.filter(client=client)
            .available()
            .order_by("-id")
            .prefetch_related(Prefetch("license_purchases", queryset=licences))[:50]
        )
        return len(page)

    def run(want, **kwargs):
        def call():
            found = matching.match(client, want, vocabulary=vocabulary, **kwargs)
            return (len(found.full), len(found.partial), found.total_candidates)

        return call

    cases = {
        "baseline: 50 available assets + licences": baseline,
        "match: 5 countries, 2 channels, no brief": run(plain),
        "match: + brief (full-text)": run(briefed),
        "match: + brief, image, landscape": run(shaped),
        f"match: + brief, search '{word[:4]}'": run(briefed, search=word[:4]),
        "match: + brief, source stock only": run(briefed, sources=["stock_provider"]),
    }
    import gc

    gc.freeze()  # as a worker does once loaded (portal/wsgi.py): full collections scan only what requests made
    log: list[str] = []
    wait_quiet("matching", args.max_wait, log)
    results = {name: timed(call, args.requests) for name, call in cases.items()}
    base = results["baseline: 50 available assets + licences"]["p50"]
    client_assets = Asset.objects.filter(client=client).count()
    available = Asset.objects.filter(client=client).available().count()
    print(
        f"\n{Asset.objects.count():,} assets; client {client.slug}: {client_assets:,} assets, {available:,} available; "
        f"brief {text!r}; candidates at most {matching.CANDIDATES}; {args.requests} calls each, in-process; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs ({log[0]} before measuring)\n"
    )
    header = (
        f"{'case':<44} {'p50':>9} {'p95':>9} {'cpu p50':>9} {'cpu p95':>9} {'sql p50':>9} {'queries':>8} "
        f"{'x base':>7}  full/partial/candidates"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<44} {r['p50']:>7.2f}ms {r['p95']:>7.2f}ms {r['cpu_p50']:>7.2f}ms {r['cpu_p95']:>7.2f}ms "
            f"{r['sql_p50']:>7.2f}ms {','.join(map(str, r['queries'])):>8} "
            f"{r['p50'] / base:>7.1f}  {r['result']}"
        )
    plans = explain(client, briefed, word[:4])
    print("\nEXPLAIN ANALYZE of the candidate statements (brief + search):")
    for line in plans:
        print(" ", line)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"matching-{stamp}.json").write_text(
        json.dumps({"client": client.slug, "brief": text, "results": results, "plans": plans, "log": log}, indent=2)
    )


if __name__ == "__main__":
    main()
