"""API list endpoints in CPU per request: one gunicorn sync worker, sequential requests, next to a bare view.

    .venv/bin/python bench/api.py [--database-url postgres://.../greenlight_bench_api] [--requests 500]
                                  [--client bench-012] [--code DIR] [--profile]

The data is ``bench/review.py``'s (1,000,000 assets, 100,000 open tasks over 50 clients; its ``populate`` tops up an
existing database and otherwise leaves it alone). An API token (scope ``read``) of the review benchmark's legal
reviewer of ``--client`` reads:

- the bare view (``/bench/bare/``: the middleware stack, no database), the baseline;
- ``/api/v1/assets/`` (page 1, 50 assets with their limits) and ``/api/v1/tasks/?status=open`` (50 tasks);
- the same two pages again with ``If-None-Match`` set to the ``ETag`` they answered: the 304 of a poller.

One gunicorn sync worker serves them all. For each case, after 20 warm-up requests, ``--requests`` sequential
requests; the worker's CPU seconds (``utime + stime`` of ``/proc/<pid>/stat``) and those of the PostgreSQL backend
serving its (persistent) connection are read before and after. Requests per second per core is
``1 / CPU seconds per request``: what one core would serve if nothing else ran on it. The client's own CPU is not
counted (it runs on the other core, which is why a wall-clock rate here would understate). Throttling is on (as in
production, at the default rate raised out of the way), since a 304 still passes it.

``--code DIR`` serves another checkout of the portal (e.g. ``git archive <commit> | tar -x -C DIR`` with this
tree's ``.venv`` linked in) against the same data: the "before" figures. ``--profile`` prints a cProfile of each
API case, run in-process (Django test client) on the same database. Results go to ``bench/results/api-<UTC>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import free_port, setup_django  # noqa: E402
from bench.review import LEGAL  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/greenlight_bench_api"
TICKS = os.sysconf("SC_CLK_TCK")
AIMS = {"list": 250.0, "304": 1000.0}  # requests per second per core (issue 17, aim 2)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_worker(database_url: str, port: int, code: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn with one sync worker serving ``code``; returns the master and the worker's pid."""
    import requests

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "BENCH_API_THROTTLE": "1",
        # one connection for the whole run (production's 60 s would reconnect mid-case: a new backend to count)
        "DB_CONN_MAX_AGE": "3600",
        "PYTHONPATH": str(code),
    }
    master = subprocess.Popen(
        [
            *(str(ROOT / ".venv/bin/gunicorn"), "portal.wsgi:application", "--workers", "1"),
            *("--bind", f"127.0.0.1:{port}", "--log-level", "warning"),
        ],
        cwd=code,
        env=env,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/bench/bare/", timeout=5).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    else:
        master.kill()
        raise SystemExit("gunicorn did not start")
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    if len(children) != 1:
        master.kill()
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return master, int(children[0])


def backend_pids(exclude: int) -> list[int]:
    """The PostgreSQL backends connected to this database other than ours (the worker's persistent connection)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> %s "
            "AND backend_type = 'client backend'",
            [exclude],
        )
        return [row[0] for row in cursor.fetchall()]


def measure(session, url: str, count: int, worker: int, backends, headers=None, warmup: int = 20) -> dict:
    for _ in range(warmup):
        session.get(url, timeout=30, headers=headers)
    pids = backends()
    before_web, before_db = cpu_seconds(worker), sum(cpu_seconds(pid) for pid in pids)
    started = time.perf_counter()
    server, statuses, queries, sizes = [], set(), set(), set()
    for _ in range(count):
        response = session.get(url, timeout=30, headers=headers)
        statuses.add(response.status_code)
        queries.add(response.headers.get("X-Query-Count"))
        sizes.add(len(response.content))
        match = re.search(r"dur=([\d.]+)", response.headers.get("Server-Timing", ""))
        if match:
            server.append(float(match.group(1)))
    wall = time.perf_counter() - started
    web = (cpu_seconds(worker) - before_web) / count
    db = (sum(cpu_seconds(pid) for pid in pids) - before_db) / count
    return {
        "status": sorted(statuses),
        "queries": sorted(q for q in queries if q),
        "bytes": sorted(sizes),
        "web_cpu_ms": web * 1000,
        "db_cpu_ms": db * 1000,
        "per_core": 1 / web if web else float("inf"),
        "per_core_with_db": 1 / (web + db) if web + db else float("inf"),
        "server_p50": statistics.median(server) if server else None,
        "wall_per_s": count / wall,
    }


def profile(path: str, user, headers: dict, count: int = 50) -> str:
    """cProfile of ``count`` in-process requests (Django test client) on the same database, top by own time."""
    from django.test import Client

    client = Client(headers=headers)
    for _ in range(5):
        client.get(path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(count):
        client.get(path)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(45)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--client", default="bench-012")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout gunicorn serves (default: this one)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    setup_django(args.database_url)
    import requests
    from django.db import connection

    from apps.accounts.models import User
    from apps.accounts.services import create_api_token

    user = User.objects.get(email=LEGAL)  # bench/review.py's populate made the data and this reviewer
    key = create_api_token(user, actor=user, name="bench api", scope="read", expires_days=1).key
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        ours = cursor.fetchone()[0]
    load_before = os.getloadavg()
    port = free_port()
    master, worker = start_worker(args.database_url, port, args.code.resolve())
    base = f"http://127.0.0.1:{port}"
    api = requests.Session()
    api.headers["Authorization"] = f"Token {key}"
    anonymous = requests.Session()
    results, notes = {}, []
    try:
        cases = [
            ("bare view (baseline)", anonymous, "/bench/bare/", None),
            ("API assets, page 1", api, "/api/v1/assets/", None),
            ("API tasks, status=open", api, "/api/v1/tasks/?status=open", None),
        ]
        for name, path in [("API assets, page 1", "/api/v1/assets/"), ("API tasks", "/api/v1/tasks/?status=open")]:
            tag = api.get(base + path, timeout=30).headers.get("ETag")
            if tag:
                cases.append((f"{name}, If-None-Match (304)", api, path, {"If-None-Match": tag}))
            else:
                notes.append(f"{name}: no ETag, no 304 case")
        for name, session, path, headers in cases:
            results[name] = measure(
                session, base + path, args.requests, worker, lambda: backend_pids(ours), headers=headers
            )
            r = results[name]
            print(
                f"  {name}: {r['web_cpu_ms']:.2f} ms web CPU + {r['db_cpu_ms']:.2f} ms PostgreSQL CPU per request, "
                f"status {r['status']}, queries {r['queries']}",
                flush=True,
            )
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=10)
    load_after = os.getloadavg()

    bare = results["bare view (baseline)"]["per_core"]
    print(
        f"\n{args.requests} sequential requests each, one gunicorn sync worker serving {args.code.resolve()}; "
        f"load average before {load_before[0]:.2f} / after {load_after[0]:.2f} on {os.cpu_count()} CPUs\n"
    )
    print(
        f"{'case':<44} {'web CPU ms':>10} {'PG CPU ms':>9} {'req/s/core':>10} {'incl. PG':>9} {'aim':>6} "
        f"{'x aim':>6} {'x bare':>7} {'queries':>8}"
    )
    for name, r in results.items():
        aim = AIMS["304"] if "304" in name else None if name.startswith("bare") else AIMS["list"]
        print(
            f"{name:<44} {r['web_cpu_ms']:>10.2f} {r['db_cpu_ms']:>9.2f} {r['per_core']:>10.0f} "
            f"{r['per_core_with_db']:>9.0f} {aim or '':>6} {(r['per_core'] / aim) if aim else 1:>6.2f} "
            f"{r['per_core'] / bare:>7.2f} {','.join(r['queries']):>8}"
        )
    for note in notes:
        print(note)
    profiles = {}
    if args.profile:
        headers = {"Authorization": f"Token {key}"}
        for name, path in [("assets", "/api/v1/assets/"), ("tasks", "/api/v1/tasks/?status=open")]:
            profiles[name] = profile(path, user, headers)
            print(f"\n--- cProfile, {name} (50 requests in-process) ---\n{profiles[name]}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (out / f"api-{stamp}.json").write_text(
        json.dumps(
            {
                "code": str(args.code.resolve()),
                "load": [load_before, load_after],
                "requests": args.requests,
                "results": results,
                "notes": notes,
                "profiles": profiles,
            },
            indent=2,
        )
    )
    print(f"written to bench/results/api-{stamp}.json")


if __name__ == "__main__":
    main()
