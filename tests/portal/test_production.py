"""S1 and the production settings, each run in a fresh interpreter with only the environment a deployment has."""

import json
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALID_FERNET_KEY = "Zm9yLXRlc3RzLW9ubHktMzItYnl0ZXMta2V5LTEyMzQ="


def _clean_env(**extra) -> dict:
    # Nothing of the test run leaks in (DJANGO_ALLOW_ASYNC_UNSAFE, set for the browser tests, would rightly fail
    # the deploy check), only what a deployment sets.
    import os

    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="greenlight.example.com",
        FIELD_ENCRYPTION_KEYS=VALID_FERNET_KEY,
    )
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def prod_env(tmp_path_factory):
    """Production settings on a migrated SQLite file of their own."""
    database = tmp_path_factory.mktemp("prod") / "greenlight.sqlite3"
    env = _clean_env(DATABASE_URL=f"sqlite:///{database}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)
    return env


def _run(args, env, **extra_env):
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env={**env, **extra_env}, capture_output=True, text=True, timeout=120
    )


def _request(env, path: str, *, secure: bool = True, report: str = "", headers: str = "{}", **extra_env) -> dict:
    """GET ``path`` through the whole stack under production settings; returns status, headers and ``report``."""
    code = (
        "import django, json; django.setup(); from django.conf import settings; from django.test import Client; "
        f"r = Client().get('{path}', SERVER_NAME='greenlight.example.com', secure={secure}, headers={headers}); "
        f"print(json.dumps({{'status': r.status_code, 'headers': dict(r.headers), 'report': {report or 'None'}}}))"
    )
    result = _run(["-c", code], env, **extra_env)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    out["stderr"] = result.stderr
    return out


def test_check_deploy_is_clean_with_production_settings(prod_env):
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], prod_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": None}, "Set the SECRET_KEY environment variable"),
        ({"ALLOWED_HOSTS": ""}, "Set ALLOWED_HOSTS"),
        ({"FIELD_ENCRYPTION_KEYS": None}, "Set FIELD_ENCRYPTION_KEYS"),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not valid"),
        ({"Q_WORKERS": "zero"}, "Q_WORKERS='zero' is not valid"),
        ({"Q_TIMEOUT": "400"}, "q2.E002"),
        # Issue 11 item 11: each of these started, and then failed every request (or silently used SQLite).
        ({"SECRET_KEY": ""}, "SECRET_KEY is empty. Set it to 50 or more random characters"),
        ({"SECRET_KEY": "   "}, "SECRET_KEY is empty"),
        ({"SECRET_KEY": "only-twenty-chars-xx"}, "SECRET_KEY is too weak for portal.settings.prod"),
        (
            {"FIELD_ENCRYPTION_KEYS": "notakey"},
            "FIELD_ENCRYPTION_KEYS: key 1 of 1 is not a Fernet key (a Fernet key is",
        ),
        ({"FIELD_ENCRYPTION_KEYS": f"{VALID_FERNET_KEY},notakey"}, "FIELD_ENCRYPTION_KEYS: key 2 of 2 is not a Fernet"),
        ({"DATABASE_URL": None}, "Set DATABASE_URL for portal.settings.prod, e.g. postgres://"),
        ({"DATABASE_URL": " "}, "Set DATABASE_URL for portal.settings.prod"),
        ({"DATABASE_URL": "postgress://greenlight:s3cret@db/greenlight"}, "DATABASE_URL is not a database URL"),
        ({"LOGIN_ATTEMPTS_PER_ACCOUNT": "5"}, "LOGIN_ATTEMPTS_PER_ACCOUNT is no longer read: use LOGIN_FAILURES"),
    ],
)
def test_production_settings_fail_fast_on_missing_or_malformed_env(prod_env, env, message):
    full = {**prod_env}
    for key, value in env.items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    result = _run(["manage.py", "check"], full)
    assert result.returncode != 0
    assert message in result.stderr
    assert "ImproperlyConfigured" in result.stderr or "SystemCheckError" in result.stderr
    # A refusal names the variable, never its secret value.
    assert "notakey" not in result.stderr.replace("FIELD_ENCRYPTION_KEYS=", "")
    assert "s3cret" not in result.stderr


def test_production_with_valid_settings_serves_healthz_and_a_page(prod_env):
    """The counterpart of the refusals: a deployment that starts answers (an empty SECRET_KEY used to start, then
    fail every request with a 500, /healthz too)."""
    assert _request(prod_env, "/healthz")["status"] == 200
    assert _request(prod_env, "/api/v1/me/")["status"] == 401


def test_tls_hardening_static_storage_and_json_logs(prod_env):
    report = (
        "[settings.SECURE_HSTS_SECONDS, settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, "
        "settings.SECURE_SSL_REDIRECT, settings.STORAGES['staticfiles']['BACKEND'], "
        "settings.LOGGING['handlers']['console']['formatter']]"
    )
    out = _request(prod_env, "/healthz", report=report)
    assert out["report"] == [
        31536000,
        True,
        True,
        True,
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "json",
    ]
    # /healthz renders no template, so this needs no collected static files.
    assert out["headers"]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_healthz_is_not_redirected_to_https_so_load_balancers_can_probe_it(prod_env):
    assert _request(prod_env, "/healthz", secure=False)["status"] == 200
    assert _request(prod_env, "/accounts/login/", secure=False)["status"] == 301


def test_json_logs_carry_the_request_id(prod_env):
    request_id = "6f1c0a3e-7c1b-4a7e-9d5a-2b3c4d5e6f70"
    out = _request(prod_env, "/api/v1/nowhere/", headers=f"{{'X-Request-ID': '{request_id}'}}")
    assert out["status"] == 404
    assert out["headers"]["X-Request-ID"] == request_id
    lines = [json.loads(line) for line in out["stderr"].splitlines() if line.startswith("{")]
    not_found = next(line for line in lines if "Not Found" in line["message"])
    assert not_found["request_id"] == request_id
    assert not_found["level"] == "WARNING"


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_redis_url_switches_the_broker_and_the_cache(prod_env):
    report = "{'cache': settings.CACHES['default']['BACKEND'], 'q2': 'redis' in settings.Q_CLUSTER, 'body': r.json()}"
    out = _request(prod_env, "/healthz", report=report, REDIS_URL="redis://127.0.0.1:6379/15")
    broker = out["report"]["body"]["checks"]["broker"]
    assert broker["ok"] is True
    assert "redis" in broker["broker"].lower()
    assert out["report"]["cache"] == "apps.common.redis_cache.RedisCache"
    assert out["report"]["q2"] is True
