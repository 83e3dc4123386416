"""Smint.io sync throughput and outbox drain rate, end to end over HTTP, next to raw rates measured in the same run.

    .venv/bin/python bench/sync.py [--lpts 10000] [--calls 2000] [--database-url postgres://.../greenlight_bench_sync]

The Smint.io emulator is served by gunicorn (4 workers) on PostgreSQL; this process is the portal's worker.
1. Raw page-fetch rate: the licence-purchase feed read page by page (100 per page) with a bare ``requests`` loop,
   nothing stored. This is what the emulator can deliver; the sync cannot be faster.
2. Sync: ``pull(full=True)`` of the same feed into an empty portal library: each page COPY-upserted with its terms
   and cursor while the next is fetched, then every licence's binaries (one call each, 16 in parallel) and the
   usage feed.
3. Raw write rate: ``PUT workflow-status`` with fresh idempotency keys from a bare loop.
4. Outbox drain: as many workflow-status rows delivered by ``outbox.drain`` (claim, call, record).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import DEFAULT_URL, ensure_database, free_port, setup_django, start_server  # noqa: E402

TENANT = "bench-sync"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--lpts", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=2_000)
    args = parser.parse_args()
    os.environ["EMULATORS"] = "true"
    ensure_database(args.database_url)
    setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection as django_connection
    from django.db import transaction

    from apps.assets.models import Asset, AssetSignal, Binary, LicensePurchase, LicenseTerm, UsageEvent
    from apps.clients.models import Client, SmintioConnection
    from apps.emulators.smintio import demo
    from apps.emulators.smintio.models import LicensePurchaseTransaction, Tenant
    from apps.integrations import connections
    from apps.integrations.smintio.sync import pull
    from apps.outbox import services as outbox
    from apps.outbox.choices import OutboxStatus
    from apps.outbox.models import OutboxMessage

    call_command("migrate", verbosity=0)
    load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
    started = time.perf_counter()
    tenant = Tenant.objects.filter(slug=TENANT).first()
    if tenant is None or LicensePurchaseTransaction.objects.filter(tenant=tenant).count() < args.lpts:
        demo.bootstrap(TENANT, name="Bench sync", seed_content=False)
        demo.seed_library(Tenant.objects.get(slug=TENANT), count=args.lpts, replace=True)
    boot = demo.bootstrap(TENANT, name="Bench sync", seed_content=False)
    lpt_total = LicensePurchaseTransaction.objects.filter(tenant__slug=TENANT).count()
    print(f"emulator library: {lpt_total:,} licence purchases (ready in {time.perf_counter() - started:.1f} s)")

    port = free_port()
    server = start_server(args.database_url, port, workers=4)
    base = f"http://127.0.0.1:{port}/emulators/smintio/{TENANT}"
    import requests

    try:
        client, _ = Client.objects.get_or_create(slug=TENANT, defaults={"name": "Bench sync"})
        Asset.objects.filter(client=client).delete()  # start from an empty portal library every run
        # ... with the tables' statistics of an empty library, as a fresh install has: without this, the previous
        # run's 10,000 deleted rows (dead tuples, row estimates ten times too high) made the planner scan the
        # licence and term tables on every page, a cost of the bench's reset and not of a first sync.
        with django_connection.cursor() as cursor:
            for model in (Asset, LicensePurchase, LicenseTerm, Binary, AssetSignal, UsageEvent):
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
        SmintioConnection.objects.filter(client=client).delete()
        connection = connections.bootstrap(client, tenant=TENANT, refresh_token=boot.refresh_token, verify=False)
        SmintioConnection.objects.filter(pk=connection.pk).update(
            auth_base=f"{base}/auth", api_base=f"{base}/consumer/v1"
        )
        connection.refresh_from_db()

        # 1. raw page fetch
        from apps.integrations.smintio.client import SmintioClient

        token = SmintioClient(connection).access_token()
        connection.refresh_from_db()
        raw = requests.Session()
        raw.headers["Authorization"] = f"Bearer {token}"
        cursor, fetched, t0 = "", 0, time.perf_counter()
        while True:
            params = {"limit": 100, **({"continuation_uuid": cursor} if cursor else {})}
            page = raw.get(f"{base}/consumer/v1/sync/license-purchase-transactions", params=params, timeout=30).json()
            items = page["license_purchase_transactions"]
            fetched += len(items)
            cursor = page["continuation_uuid"]
            if not items:
                break
        raw_seconds = time.perf_counter() - t0
        raw_rate = fetched / raw_seconds

        # 1b. raw binary-list fetch, 16 in parallel like the sync (a sample of licences)
        from concurrent.futures import ThreadPoolExecutor

        sample = list(
            LicensePurchaseTransaction.objects.filter(tenant__slug=TENANT, state="completed").values_list(
                "cart_purchase_transaction_uuid", "uuid"
            )[: args.calls]
        )

        def fetch_binaries(pair):
            cart, lpt = pair
            url = (
                f"{base}/consumer/v1/sync/cart-purchase-transactions/{cart}"
                f"/license-purchase-transactions/{lpt}/binaries"
            )
            raw.get(url, timeout=30).raise_for_status()

        t0 = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(fetch_binaries, sample))
        raw_binary_rate = len(sample) / (time.perf_counter() - t0)

        # 2. the sync
        t0 = time.perf_counter()
        report = pull(connection, full=True)
        sync_seconds = time.perf_counter() - t0
        stored = LicensePurchase.objects.filter(client=client).count()

        # 3. raw write rate and 4. outbox drain, on the same elements
        elements = list(
            Asset.objects.filter(client=client).values_list("content_element_uuid", flat=True)[: args.calls]
        )
        body = {
            "status": "approved",
            "reason": None,
            "decided_at": datetime.now(UTC).isoformat(),
            "decided_by": "bench@example.com",
            "workflow_reference": "bench",
            "restrictions": None,
        }
        half = len(elements) // 2
        t0 = time.perf_counter()
        for element in elements[:half]:
            raw.put(
                f"{base}/consumer/v1/content-elements/{element}/workflow-status",
                json=body,
                headers={"Idempotency-Key": str(uuid.uuid4())},
                timeout=30,
            ).raise_for_status()
        raw_write_rate = half / (time.perf_counter() - t0)
        OutboxMessage.objects.filter(client=client).delete()
        with transaction.atomic():
            for element in elements[half:]:
                outbox.enqueue(
                    client=client,
                    platform="smintio",
                    kind="smintio.workflow_status",
                    ordering_key=f"smintio:element:{element}",
                    payload={"content_element_uuid": element, "body": body},
                )
        t0 = time.perf_counter()
        while OutboxMessage.objects.filter(client=client, status=OutboxStatus.PENDING).exists():
            outbox.drain(max_seconds=50, batch=20)
        drain_seconds = time.perf_counter() - t0
        delivered = OutboxMessage.objects.filter(client=client, status=OutboxStatus.DONE).count()
        drain_rate = delivered / drain_seconds
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)

    load_after = " ".join(f"{x:.2f}" for x in os.getloadavg())
    licences_seconds = report.phase_seconds["licences"]
    binaries_seconds = report.phase_seconds["binaries"]
    rows = [
        ("raw LPT page fetch (baseline)", fetched, raw_seconds, raw_rate, 1.0),
        (
            "sync: licence pages into the database",
            report.received,
            licences_seconds,
            report.received / licences_seconds,
            report.received / licences_seconds / raw_rate,
        ),
        (
            "raw binary-list fetch, 16 parallel (baseline)",
            len(sample),
            len(sample) / raw_binary_rate,
            raw_binary_rate,
            1.0,
        ),
        (
            "sync: binary lists into the database",
            report.binaries,
            binaries_seconds,
            report.binaries / binaries_seconds,
            report.binaries / binaries_seconds / raw_binary_rate,
        ),
        (
            "sync: whole pull (licences, binaries, usage)",
            stored,
            sync_seconds,
            stored / sync_seconds,
            stored / sync_seconds / raw_rate,
        ),
        ("raw workflow-status PUT (baseline)", half, half / raw_write_rate, raw_write_rate, 1.0),
        ("outbox drain (claim, PUT, record)", delivered, drain_seconds, drain_rate, drain_rate / raw_write_rate),
    ]
    print("\nSmint.io sync and outbox over HTTP; emulator on gunicorn (4 workers), PostgreSQL on loopback")
    print(f"load average at the start {load_before}, at the end {load_after} ({os.cpu_count()} CPUs)\n")
    header = f"{'measure':<50} {'items':>8} {'seconds':>9} {'per second':>11} {'x baseline':>11}"
    print(header)
    print("-" * len(header))
    for name, items, seconds, rate, ratio in rows:
        print(f"{name:<50} {items:>8,} {seconds:>9.2f} {rate:>11,.0f} {ratio:>11.2f}")
    licence_ratio = report.received / licences_seconds / raw_rate
    print(
        f"\naim (issue 17, aim 3): licence pages into the database at >= 0.50x the raw page fetch: "
        f"{licence_ratio:.2f}x, {'met' if licence_ratio >= 0.5 else 'NOT met'}"
    )
    print(
        f"pull: {report.created:,} created, {report.binaries:,} binaries, {report.usage_events:,} usage events, "
        f"{report.pages} pages"
    )
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"sync-{stamp}.json").write_text(
        json.dumps(
            {"rows": rows, "pull": report.counts(), "load_average": {"start": load_before, "end": load_after}},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
