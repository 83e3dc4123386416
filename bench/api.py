"""API list endpoints in CPU per request: one gunicorn sync worker, sequential requests, next to a bare view.

    .venv/bin/python bench/api.py [--database-url postgres://.../greenlight_bench_api] [--requests 500]
                                  [--rounds 10] [--code DIR] [--profile]

The data is ``bench/review.py``'s (1,000,000 assets, 100,000 open tasks over 50 clients, copied into
``greenlight_bench_api``; run ``bench/review.py`` on it first if it is empty). An API token (scope ``read``) of the
review benchmark's legal reviewer of ``bench-012`` reads:

- the bare view (``/bench/bare/``: the middleware stack, no database), the baseline;
- the API floor (``/bench/api-floor/``: the same, then DRF with the project's token authentication, scope permission,
  throttle and renderer, answering 304 without reading a row): what no API answer can cost less than;
- ``/api/v1/assets/`` (page 1, 50 assets with their limits) and ``/api/v1/tasks/?status=open`` (50 tasks);
- the same two pages again with ``If-None-Match`` set to the ``ETag`` they answered: the 304 of a poller.

One gunicorn sync worker serves each checkout: this one, and with ``--code DIR`` another (e.g. ``git archive
<commit> | tar -x -C DIR`` with this tree's ``.venv`` linked in: the "before" figures) against the same data. For
each case, after 20 warm-up requests, ``--requests`` sequential requests per checkout in ``--rounds`` blocks that
alternate between the checkouts, so both see the same machine load; around each block the worker's CPU seconds
(``utime + stime`` of ``/proc/<pid>/stat``) and those of the PostgreSQL backend serving its connection (found by
its ``application_name``) are read. Requests per second per core = ``1 / CPU seconds per request``: what one core
would serve if nothing else ran on it. The client's own CPU is not counted. Throttling is on (at a rate no run
reaches) where the checkout's bench settings know ``BENCH_API_THROTTLE``, since a 304 still passes it.

``--profile`` prints a cProfile of each API case, run in-process (Django test client) on the same database.
Results go to ``bench/results/api-<UTC>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import harness  # noqa: E402
from bench.harness import free_port, setup_django  # noqa: E402
from bench.review import LEGAL  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/greenlight_bench_api"
TICKS = os.sysconf("SC_CLK_TCK")
AIMS = {"list": 250.0, "304": 1000.0}  # requests per second per core (issue 17, aim 2)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_worker(database_url: str, port: int, code: Path, name: str) -> tuple[subprocess.Popen, int]:
    """gunicorn with one sync worker serving ``code``, its connection named ``name`` (PostgreSQL's
    ``application_name``); returns the master and the worker's pid."""

    env = {
        **os.environ,
        "DATABASE_URL": f"{database_url}?application_name={name}",
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
    harness.wait_serving(master, port)
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    if len(children) != 1:
        master.kill()
        raise SystemExit(f"expected one gunicorn worker, found {children}")
    return master, int(children[0])


def backend_pids(name: str) -> list[int]:
    """The PostgreSQL backends of the worker whose connection is named ``name``."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [name])
        return [row[0] for row in cursor.fetchall()]


class Served:
    """One checkout served by one gunicorn worker, with what was counted of each case."""

    def __init__(self, label: str, code: Path, database_url: str, key: str):
        import requests

        self.label, self.code = label, code
        self.name = f"bench-api-{label}"
        self.port = free_port()
        self.master, self.worker = start_worker(database_url, self.port, code, self.name)
        self.base = f"http://127.0.0.1:{self.port}"
        self.api = requests.Session()
        self.api.headers["Authorization"] = f"Token {key}"
        self.anonymous = requests.Session()
        self.counted: dict[str, dict] = {}

    def block(self, name: str, path: str, api: bool, headers, count: int) -> None:
        """``count`` sequential requests, their CPU (worker and its PostgreSQL backend) added to ``name``'s."""
        session = self.api if api else self.anonymous
        pids = backend_pids(self.name)
        web, db = cpu_seconds(self.worker), sum(cpu_seconds(pid) for pid in pids)
        statuses, queries = set(), set()
        for _ in range(count):
            response = session.get(self.base + path, timeout=30, headers=headers)
            statuses.add(response.status_code)
            queries.add(response.headers.get("X-Query-Count"))
        web, db = cpu_seconds(self.worker) - web, sum(cpu_seconds(pid) for pid in pids) - db
        entry = self.counted.setdefault(name, {"n": 0, "web": 0.0, "db": 0.0, "status": set(), "queries": set()})
        entry["n"] += count
        entry["web"] += web
        entry["db"] += db
        entry["status"] |= statuses
        entry["queries"] |= {q for q in queries if q}

    def results(self) -> dict:
        out = {}
        for name, e in self.counted.items():
            web, db = e["web"] / e["n"], e["db"] / e["n"]
            out[name] = {
                "requests": e["n"],
                "status": sorted(e["status"]),
                "queries": sorted(e["queries"], key=int),
                "web_cpu_ms": web * 1000,
                "db_cpu_ms": db * 1000,
                "per_core": 1 / web if web else float("inf"),
                "per_core_with_db": 1 / (web + db) if web + db else float("inf"),
            }
        return out

    def stop(self) -> None:
        self.master.send_signal(signal.SIGTERM)
        self.master.wait(timeout=10)


def profile(path: str, user, headers: dict, count: int = 50) -> str:
    """cProfile of ``count`` in-process requests (Django test client) on the same database, top by own time."""
    from django.test import Client

    client = Client(headers=headers, SERVER_NAME="127.0.0.1")  # an ALLOWED_HOSTS name (not "testserver")
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
    parser.add_argument("--rounds", type=int, default=10, help="blocks per case, alternating between the checkouts")
    parser.add_argument("--client", default="bench-012")
    parser.add_argument("--code", type=Path, help="another checkout to serve next to this one (the before figures)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()

    setup_django(args.database_url)
    from apps.accounts.models import User
    from apps.accounts.services import create_api_token

    user = User.objects.get(email=LEGAL)  # bench/review.py's populate made the data and this reviewer
    key = create_api_token(user, actor=user, name="bench api", scope="read", expires_days=1).key
    load_before = os.getloadavg()
    served = [Served("this", ROOT, args.database_url, key)]
    if args.code:
        served.append(Served("other", args.code.resolve(), args.database_url, key))
    notes = []
    try:
        cases = [
            ("bare view (baseline)", "/bench/bare/", False, None),
            ("API floor: token, scope, throttle, 304", "/bench/api-floor/", True, None),
            ("API assets, page 1", "/api/v1/assets/", True, None),
            ("API tasks, status=open", "/api/v1/tasks/?status=open", True, None),
        ]
        for name, path in [("API assets, page 1", "/api/v1/assets/"), ("API tasks", "/api/v1/tasks/?status=open")]:
            tag = served[0].api.get(served[0].base + path, timeout=30).headers.get("ETag")
            if tag:
                cases.append((f"{name}, If-None-Match (304)", path, True, {"If-None-Match": tag}))
            else:
                notes.append(f"{name}: no ETag, no 304 case")
        block = max(1, args.requests // args.rounds)
        for name, path, api, headers in cases:
            for each in served:  # warm-up
                session = each.api if api else each.anonymous
                for _ in range(20):
                    session.get(each.base + path, timeout=30, headers=headers)
            for _ in range(args.rounds):  # the checkouts alternate, so both see the same load
                for each in served:
                    each.block(name, path, api, headers, block)
            for each in served:
                r = each.counted[name]
                print(
                    f"  [{each.label}] {name}: {r['web'] / r['n'] * 1000:.2f} ms web CPU + "
                    f"{r['db'] / r['n'] * 1000:.2f} ms PostgreSQL CPU per request, status {sorted(r['status'])}",
                    flush=True,
                )
    finally:
        for each in served:
            each.stop()
    load_after = os.getloadavg()

    results = {each.label: each.results() for each in served}
    print(
        f"\n{block * args.rounds} sequential requests a case and checkout, in {args.rounds} blocks alternating "
        f"between the checkouts; one gunicorn sync worker each; load average before {load_before[0]:.2f} / after "
        f"{load_after[0]:.2f} on {os.cpu_count()} CPUs"
    )
    for each in served:
        mine = results[each.label]
        bare = mine["bare view (baseline)"]["per_core"]
        other = results.get("other" if each.label == "this" else "this", {})
        print(f"\n[{each.label}] {each.code}")
        print(
            f"{'case':<44} {'web CPU ms':>10} {'PG CPU ms':>9} {'req/s/core':>10} {'incl. PG':>9} {'aim':>6} "
            f"{'x aim':>6} {'x bare':>7} {'x other':>8} {'queries':>8}"
        )
        for name, r in mine.items():
            aim = None if name.startswith(("bare", "API floor")) else AIMS["304"] if "304" in name else AIMS["list"]
            versus = other.get(name, {}).get("per_core")
            print(
                f"{name:<44} {r['web_cpu_ms']:>10.2f} {r['db_cpu_ms']:>9.2f} {r['per_core']:>10.0f} "
                f"{r['per_core_with_db']:>9.0f} {aim or '':>6} {(r['per_core'] / aim) if aim else 1:>6.2f} "
                f"{r['per_core'] / bare:>7.2f} {(r['per_core'] / versus) if versus else '':>8.3} "
                f"{','.join(r['queries']):>8}"
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
                "code": {each.label: str(each.code) for each in served},
                "load": [load_before, load_after],
                "requests": block * args.rounds,
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
