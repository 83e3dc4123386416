"""Issue 11 item 12: development closes each request's database connection.

runserver serves every request on a new thread and a persistent connection belongs to its thread, so with
``CONN_MAX_AGE=60`` 100 requests left 53 PostgreSQL connections open until they aged out. Each check runs the
development settings in a fresh interpreter, as ``manage.py runserver`` does.
"""

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "portal.settings.dev", "SECRET_KEY": "x" * 50, **extra})
    return env


def _setting(expression: str, **env) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_env(**env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("max_age", [None, "60"])
def test_development_never_keeps_connections_between_requests(max_age):
    env = {"DATABASE_URL": "postgres://greenlight@127.0.0.1:5432/greenlight_dev"}
    if max_age is not None:
        env["DB_CONN_MAX_AGE"] = max_age
    assert _setting("settings.DATABASES['default']['CONN_MAX_AGE']", **env) == "0"


def test_production_keeps_its_connections_for_gunicorns_sync_workers():
    report = _setting(
        "settings.DATABASES['default']['CONN_MAX_AGE']",
        DJANGO_SETTINGS_MODULE="portal.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="greenlight.example.com",
        FIELD_ENCRYPTION_KEYS="Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMta2V5LTEyMzQ=",
        DATABASE_URL="postgres://greenlight@127.0.0.1:5432/greenlight_prod",
    )
    assert report == "60"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _connections(database: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [database]
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_runserver_leaves_no_connection_open_after_a_burst():
    """The measured failure: runserver with the development settings, 40 requests, then count the connections."""
    database = connection.settings_dict["NAME"]
    dsn = connection.settings_dict
    host = f"{dsn['HOST'] or '127.0.0.1'}:{dsn['PORT'] or 5432}"
    url = f"postgres://{dsn['USER']}:{dsn['PASSWORD'] or ''}@{host}/{database}"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=_env(DATABASE_URL=url, DB_CONN_MAX_AGE="60", EMULATORS="false"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "runserver did not start"
                time.sleep(0.2)
        for _ in range(40):  # one connection, so one runserver thread, per request
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                assert response.status == 200
        # A request's connection closes as its response ends; give the last ones a moment.
        deadline = time.monotonic() + 5
        while _connections(database) > 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _connections(database) <= 1
    finally:
        server.terminate()
        server.wait(timeout=10)
