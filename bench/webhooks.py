"""Webhook deliveries per second through the outbox, next to the outbox's raw drain rate (a no-op handler) and a
bare POST loop to the same receiver, measured in the same run.

    .venv/bin/python bench/webhooks.py [--deliveries 1000] [--endpoints 1,10]

A local receiver (a separate process: ``http.server`` answering 204) stands in for an integrator. For each endpoint
count: N no-op rows spread over as many ordering keys as there are endpoints (the raw drain: claim, call, record),
then N ``webhook.deliver`` rows through the listener's path (resolve and check the target, sign, POST to the checked
address, record the attempt). One endpoint's deliveries go one at a time (per-endpoint order), so the figures are
given for one endpoint and for several.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import DEFAULT_URL, ensure_database, free_port, setup_django, wait_quiet  # noqa: E402

HOOKS_DB = DEFAULT_URL.rsplit("/", 1)[0] + "/greenlight_bench_hooks"
RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_WEBHOOKS_DATABASE_URL", HOOKS_DB),
    )
    parser.add_argument("--deliveries", type=int, default=1000)
    parser.add_argument("--endpoints", default="1,10")
    parser.add_argument("--max-wait", type=int, default=600, help="seconds to wait for a quiet machine")
    args = parser.parse_args()
    os.environ["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = "true"  # the receiver is on loopback
    os.environ["WEBHOOK_REQUIRE_HTTPS"] = "false"
    ensure_database(args.database_url)
    setup_django(args.database_url)

    import requests
    from django.core.management import call_command
    from django.db import transaction

    from apps.clients.models import Client
    from apps.common import events
    from apps.outbox import services as outbox
    from apps.outbox.choices import OutboxStatus, Platform
    from apps.outbox.models import OutboxMessage
    from apps.webhooks import services
    from apps.webhooks.models import WebhookEndpoint

    call_command("migrate", verbosity=0)
    outbox.handler("bench.noop")(lambda message: None)
    client, _ = Client.objects.get_or_create(slug="bench-hooks", defaults={"name": "Bench hooks"})
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    url = f"http://127.0.0.1:{port}/hook"
    time.sleep(0.5)
    rows = []
    log: list[str] = []
    wait_quiet("webhooks", args.max_wait, log)
    try:
        # A bare POST loop: what the receiver takes from one sender (a new connection each, like the deliveries).
        body = b'{"type":"asset.approved","data":{}}'
        t0 = time.perf_counter()
        for _ in range(args.deliveries // 2):
            with requests.Session() as session:
                session.post(url, data=body, timeout=10)
        bare = time.perf_counter() - t0
        rows.append(("bare POST loop to the receiver (baseline)", args.deliveries // 2, bare))

        for count in [int(n) for n in args.endpoints.split(",")]:
            OutboxMessage.objects.filter(client=client).delete()
            WebhookEndpoint.objects.filter(client=client).delete()
            with transaction.atomic():
                for i in range(args.deliveries):
                    outbox.enqueue(
                        client=client,
                        platform=Platform.WEBHOOK,
                        kind="bench.noop",
                        ordering_key=f"bench:{i % count}",
                        payload={},
                    )
            rows.append((f"raw drain, no-op handler, {count} ordering key(s)", args.deliveries, _drain(outbox, client)))

            OutboxMessage.objects.filter(client=client).delete()
            for _ in range(count):
                services.create_endpoint(client=client, url=url, event_types=["asset.approved"], actor=None)
            with transaction.atomic():
                for i in range(args.deliveries // count):
                    events.publish(
                        "asset.approved",
                        key=f"asset.approved:bench-{count}-{i}",
                        client=client,
                        data={"url": f"/assets/{i}/", "title": f"Asset {i}", "asset": i, "run": i},
                    )
            delivered = args.deliveries // count * count
            rows.append((f"webhook deliveries, {count} endpoint(s)", delivered, _drain(outbox, client)))
            failed = OutboxMessage.objects.filter(client=client).exclude(status=OutboxStatus.DONE).count()
            if failed:
                print(f"{failed} rows not delivered!", file=sys.stderr)
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)

    print(f"\nWebhooks through the outbox, {args.deliveries:,} rows per measure, receiver on loopback; {log[0]}\n")
    header = f"{'measure':<48} {'items':>7} {'seconds':>8} {'per second':>11}"
    print(header)
    print("-" * len(header))
    for name, items, seconds in rows:
        print(f"{name:<48} {items:>7,} {seconds:>8.2f} {items / seconds:>11,.0f}")
    by_name = {name: items / seconds for name, items, seconds in rows}
    for count in args.endpoints.split(","):
        raw = by_name[f"raw drain, no-op handler, {count} ordering key(s)"]
        hooks = by_name[f"webhook deliveries, {count} endpoint(s)"]
        print(f"{count} endpoint(s): webhook deliveries at {hooks / raw:.2f}x the raw drain rate")


def _drain(outbox, client) -> float:
    from apps.outbox.choices import OutboxStatus
    from apps.outbox.models import OutboxMessage

    t0 = time.perf_counter()
    while OutboxMessage.objects.filter(client=client, status=OutboxStatus.PENDING).exists():
        outbox.drain(max_seconds=50, batch=20)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
