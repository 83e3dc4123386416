"""Shared by the benchmarks: a PostgreSQL database of their own, Django set up on it, gunicorn on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/greenlight_bench"


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
    import django

    django.setup()


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# -- a quiet machine ------------------------------------------------------------------------------------------------
QUIET_LOAD = 0.5  # the 1-minute load average per CPU under which the machine counts as quiet


def load_per_cpu() -> float:
    return os.getloadavg()[0] / (os.cpu_count() or 1)


def wait_quiet(what: str, max_wait: int, log: list[str]) -> bool:
    """Wait (polling every 15 s, at most ``max_wait`` s) until the 1-minute load average is under
    :data:`QUIET_LOAD` per CPU; True when it is. The load, not process names: a test suite, a browser, a build or
    another session's work all take the CPU whatever they are called. The log line says which it was."""
    deadline = time.monotonic() + max_wait
    while load_per_cpu() >= QUIET_LOAD and time.monotonic() < deadline:
        print(f"[{what}] waiting for a quiet machine: load {os.getloadavg()[0]:.1f}", flush=True)
        time.sleep(15)
    load, quiet = os.getloadavg()[0], load_per_cpu() < QUIET_LOAD
    log.append(f"{what}: {'quiet' if quiet else 'NOT quiet'}, load average {load:.1f} on {os.cpu_count()} CPUs")
    print(log[-1], flush=True)
    return quiet


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(database_url: str, port: int, workers: int = 2) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "portal.wsgi:application",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    return wait_serving(server, port)


def wait_serving(server: subprocess.Popen, port: int, seconds: int = 60) -> subprocess.Popen:
    """``server`` once its bare view answers on ``port``; killed (and the benchmark stopped) if it does not."""
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/bench/bare/", timeout=5).status_code == 200:
                return server
        except requests.RequestException:  # not listening yet, or still importing the app
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def cpu_seconds(database: str) -> dict[str, float]:
    """CPU seconds (user + system) used so far by the portal's gunicorn processes, by PostgreSQL's backends serving
    ``database``, by this process (the load generator) and by the whole machine (``/proc/stat``, all CPUs): read
    before and after a measurement, the differences divided by the requests give each one's CPU per request."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"web": 0.0, "postgres": 0.0, "client": 0.0}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:  # gone meanwhile
            continue
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        if int(entry) == os.getpid():
            used["client"] += seconds
        elif "gunicorn" in command and "portal.wsgi" in command:
            used["web"] += seconds
        elif command.startswith("postgres:") and f" {database} " in command:
            used["postgres"] += seconds
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    used["machine"] = (sum(values) - values[3] - values[4]) / tick  # all but idle and iowait
    return used
