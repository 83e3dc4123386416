"""Hint intake and hint bursts over real HTTP (issue 17, aim 5), next to a bare view measured in the same run.

    .venv/bin/python bench/hints.py [--rate 50] [--seconds 20] [--hints 1000] [--senders 4]

Uses its own PostgreSQL database (``BENCH_HINTS_DATABASE_URL``, default ``.../greenlight_bench_hints``, created if
missing and kept). gunicorn (2 sync workers) serves the portal and both emulators; on the first run a client's
Smint.io tenant is seeded, pulled, and ten approval runs are started at the OpenText emulator (kept for later runs).

1. Intake: signed OpenText step hints (each naming one of the runs) sent open-loop at ``--rate`` per second for
   ``--seconds``, next to the bare view at the same rate: server time (``Server-Timing``) and client time measured
   from each request's scheduled start (a late request counts its wait), p50 / p95 / p99.
2. Bursts: a real ``qcluster`` (2 workers, the ORM broker polling every 0.5 s) runs while ``--hints`` step hints
   arrive as fast as ``--senders`` threads send them, naming 10 runs (100 each) or 1 run; once every hint is
   taken, the jobs that took hints (distinct ``processed_at``) and per run the reads of its instance's comments
   (every mirror of a run, ``mirror_run`` or the poll's comment pull, reads them once: the emulator's request log)
   are counted. Each burst runs twice: with ``HINT_QUIET_SECONDS=0`` (how jobs behaved before the quiet period:
   act at once) and with the default.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import ensure_database, free_port, setup_django, start_server  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/greenlight_bench_hints"
SECRET = "bench-hints-notify-secret-0123456789"  # noqa: S105 (signs the bench's own hints)
CLIENT = "bench-hints"
RUNS = 10


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def populate() -> list:
    """Ten approval runs of one client running at the OpenText emulator (made once, kept)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import timezone

    from apps.clients.models import Client
    from apps.emulators.opentext import provisioning
    from apps.emulators.smintio import demo
    from apps.integrations import connections
    from apps.integrations.opentext import sync as opentext_sync
    from apps.integrations.smintio.sync import pull
    from apps.outbox import services as outbox
    from apps.outbox.choices import OutboxStatus
    from apps.outbox.models import OutboxMessage
    from apps.reviews import services
    from apps.workflows.choices import RunStatus
    from apps.workflows.models import WorkflowRun

    call_command("migrate", verbosity=0)
    client, _ = Client.objects.get_or_create(slug=CLIENT, defaults={"name": "Bench hints", "review_usages": []})
    running = WorkflowRun.objects.filter(client=client, status=RunStatus.RUNNING).order_by("id")
    if running.count() >= RUNS:
        return list(running[:RUNS])
    provisioning.setup_tenant(
        settings.OT_TENANT_ID,
        name="Greenlight bench",
        client_id=settings.OT_CLIENT_ID,
        client_secret=settings.OT_CLIENT_SECRET,
        users=[{"email": f"{g}@bench.example", "groups": [g]} for g in ("legal", "brand", "marketing")],
    )
    boot = demo.bootstrap(CLIENT, name=client.name, count=RUNS + 2)
    pull(connections.bootstrap(client, tenant=CLIENT, refresh_token=boot.refresh_token, verify=False), full=True)
    services.start_pending_approvals(client)
    for _ in range(60):
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING).update(next_attempt_at=timezone.now())
        outbox.drain(max_seconds=30)
        opentext_sync.poll()
        if running.count() >= RUNS:
            break
        time.sleep(0.5)
    assert running.count() >= RUNS, f"only {running.count()} runs started at the OpenText emulator"
    return list(running[:RUNS])


def hint(session, base: str, business_key: str) -> tuple[int, float]:
    from apps.integrations.signing import sign

    body = json.dumps({"event_id": str(uuid.uuid4()), "event": "step-reached", "businessKey": business_key}).encode()
    stamp = int(time.time())
    headers = {"Content-Type": "application/json", "X-Timestamp": str(stamp), "X-Signature": sign(body, stamp, SECRET)}
    response = session.post(f"{base}/integrations/opentext/callback/", data=body, headers=headers, timeout=30)
    return response.status_code, float(response.headers.get("Server-Timing", "dur=nan").rsplit("dur=", 1)[1])


def open_loop(call, count: int, rate: float, senders: int = 8) -> list[tuple[int, float, float]]:
    """``call()`` ``count`` times, the i-th scheduled at i/rate s; client time runs from the scheduled start."""
    import threading

    import requests

    local = threading.local()

    def one(due: float):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        status, server = call(local.session)
        return status, server, (time.perf_counter() - due) * 1000

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        futures = []
        for number in range(count):
            due = started + number / rate
            time.sleep(max(0.0, due - time.perf_counter()))
            futures.append(pool.submit(one, due))
        return [future.result() for future in futures]


def summary(results: list[tuple[int, float, float]]) -> dict:
    server = [r[1] for r in results]
    client = [r[2] for r in results]
    return {
        "statuses": dict(Counter(r[0] for r in results)),
        "server_p50": pct(server, 50),
        "server_p95": pct(server, 95),
        "server_p99": pct(server, 99),
        "client_p50": pct(client, 50),
        "client_p95": pct(client, 95),
        "client_p99": pct(client, 99),
    }


def start_cluster(quiet: int, log: Path) -> subprocess.Popen:
    """A real ``qcluster`` on the bench database; the schedules are put off an hour, so only hint jobs (and what
    they queue) run: a scheduled reconcile would mirror every run by itself."""
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    Schedule.objects.update(next_run=timezone.now() + timedelta(hours=1))
    env = {**os.environ, "HINT_QUIET_SECONDS": str(quiet), "Q_WORKERS": "2"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    time.sleep(8)  # Django and q2 start in 2-5 s on an idle machine
    return process


def stop_cluster(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def burst(base: str, runs: list, per_run: int, senders: int) -> dict:
    """``per_run`` hints for each of ``runs`` as fast as ``senders`` threads send them; wait until all are taken."""
    import requests
    from django.db.models import Count

    from apps.emulators.core.models import RequestLog
    from apps.integrations.models import InboundEvent
    from apps.integrations.opentext import contract

    def mirrors() -> dict[int, int]:
        paths = {
            f"/emulators/opentext{contract.PROCESS_COMMENTS_PATH.format(id=run.remote_id)}": run.pk for run in runs
        }
        rows = RequestLog.objects.filter(emulator="opentext", path__in=list(paths)).values("path")
        return {paths[row["path"]]: row["n"] for row in rows.annotate(n=Count("id"))}

    before = mirrors()
    first_id = (InboundEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    keys = [runs[n % len(runs)].business_key for n in range(per_run * len(runs))]
    local = {}

    def send(key: str) -> int:
        import threading

        session = local.setdefault(threading.get_ident(), requests.Session())
        return hint(session, base, key)[0]

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        statuses = Counter(pool.map(send, keys))
    sent = time.perf_counter() - started
    deadline = time.monotonic() + 120
    mine = InboundEvent.objects.filter(id__gte=first_id)
    while mine.filter(processed_at__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    taken_after = time.perf_counter() - started
    time.sleep(3)  # a job that takes nothing may still be queued; let it run before the next burst
    after = mirrors()
    per_run_mirrors = Counter(after.get(run.pk, 0) - before.get(run.pk, 0) for run in runs)
    return {
        "hints": len(keys),
        "runs": len(runs),
        "statuses": dict(statuses),
        "sent_seconds": round(sent, 2),
        "hints_per_second": round(len(keys) / sent, 1),
        "all_taken_after_seconds": round(taken_after, 2),
        "left_untaken": mine.filter(processed_at__isnull=True).count(),
        "jobs_that_took_hints": mine.values("processed_at").distinct().count(),
        "mirrors_per_run": {str(k): v for k, v in sorted(per_run_mirrors.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--hints", type=int, default=1000)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--skip-bursts", action="store_true")
    args = parser.parse_args()

    url = os.environ.get("BENCH_HINTS_DATABASE_URL", DEFAULT_URL)
    ensure_database(url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "NOTIFY_SECRET": SECRET,
            "PORTAL_URL": base,
            "OT_BASE_URL": f"{base}/emulators/opentext",
            "SMINTIO_AUTH_BASE": f"{base}/emulators/smintio/{{tenant}}/auth",
            "SMINTIO_API_BASE": f"{base}/emulators/smintio/{{tenant}}/consumer/v1",
        }
    )
    setup_django(url)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop gunicorn and the cluster on the way out
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    server = start_server(url, port)
    report: dict = {"load_before": os.getloadavg(), "at": datetime.now(UTC).isoformat(timespec="seconds")}
    try:
        runs = populate()
        from apps.integrations.models import InboundEvent

        count = int(args.rate * args.seconds)
        open_loop(lambda s: (s.get(f"{base}/bench/bare/", timeout=30).status_code, 0.0), 50, args.rate)  # warm-up
        open_loop(lambda s: hint(s, base, runs[0].business_key), 50, args.rate)
        bare = open_loop(
            lambda s: (
                (r := s.get(f"{base}/bench/bare/", timeout=30)).status_code,
                float(r.headers["Server-Timing"].rsplit("dur=", 1)[1]),
            ),
            count,
            args.rate,
        )
        intake = open_loop(lambda s: hint(s, base, runs[0].business_key), count, args.rate)
        from django.utils import timezone
        from django_q.models import OrmQ

        InboundEvent.objects.filter(processed_at__isnull=True).update(processed_at=timezone.now())
        OrmQ.objects.all().delete()
        report["bare"], report["intake"] = summary(bare), summary(intake)
        report["load_after_intake"] = os.getloadavg()
        print(f"load before {report['load_before']}, after intake {report['load_after_intake']}")
        print(f"{'at ' + str(args.rate) + '/s, ' + str(count) + ' requests':<40} {'p50':>8} {'p95':>8} {'p99':>8}")
        for name, key in (("bare view (baseline)", "bare"), ("signed OpenText hint", "intake")):
            s = report[key]
            for side in ("server", "client"):
                print(
                    f"{name + ', ' + side:<40} {s[side + '_p50']:>6.2f}ms {s[side + '_p95']:>6.2f}ms "
                    f"{s[side + '_p99']:>6.2f}ms  {s['statuses']}"
                )
        ratio = report["intake"]["server_p99"] / report["bare"]["server_p99"]
        print(
            f"aim: hint p99 < 50 ms at {args.rate}/s: server p99 {report['intake']['server_p99']:.2f} ms "
            f"({ratio:.1f}x bare), client p99 {report['intake']['client_p99']:.2f} ms"
        )
        if not args.skip_bursts:
            log = ROOT / "bench" / "results" / "hints-cluster.log"
            log.parent.mkdir(exist_ok=True)
            report["bursts"] = []
            for quiet in (0, 1):
                cluster = start_cluster(quiet, log)
                try:
                    for chosen, per_run in ((runs, args.hints // len(runs)), (runs[:1], args.hints)):
                        result = {"HINT_QUIET_SECONDS": quiet, **burst(base, chosen, per_run, args.senders)}
                        result["load"] = os.getloadavg()
                        report["bursts"].append(result)
                        print(json.dumps(result), flush=True)
                finally:
                    stop_cluster(cluster)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"hints-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"written {path}")


if __name__ == "__main__":
    main()
