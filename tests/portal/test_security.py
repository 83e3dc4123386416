"""S1, S4, S5: deployment checks, CSRF on htmx posts, and the security headers of every page."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _prod_env(**extra):
    # A clean environment, as a deployment has: nothing of the test run (DJANGO_ALLOW_ASYNC_UNSAFE, set for the
    # browser tests, would rightly fail the deploy check).
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="greenlight.example.com",
        **extra,
    )
    return env


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_prod_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SECRET_KEY": None}, "Set the SECRET_KEY environment variable"),
        ({"ALLOWED_HOSTS": ""}, "Set ALLOWED_HOSTS"),
        ({"DEBUG": "true"}, "DEBUG must be off"),
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not valid"),
        ({"Q_WORKERS": "zero"}, "Q_WORKERS='zero' is not valid"),
    ],
)
def test_production_settings_fail_fast_on_missing_or_malformed_env(env, message):
    full = _prod_env()
    for key, value in env.items():
        if value is None:
            full.pop(key, None)
        else:
            full[key] = value
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_pages_carry_the_security_headers(legal, login):
    response = login(legal).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in csp
    assert "unsafe-eval" not in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Request-ID"]
    nonce = csp.split("'nonce-")[1].split("'")[0]
    page = response.content.decode()
    assert page.count("<script") == page.count(f'nonce="{nonce}"')
    assert "<script>" not in page and " on" + "click=" not in page


def test_hsts_and_secure_cookies_in_production():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
            "s.STORAGES['staticfiles']['BACKEND'], s.LOGGING['handlers']['console']['formatter'])",
        ],
        cwd=ROOT,
        env=_prod_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == [
        "31536000",
        "True",
        "True",
        "True",
        "whitenoise.storage.CompressedManifestStaticFilesStorage",
        "json",
    ]


def test_htmx_post_without_csrf_token_is_refused(client_a, agency_admin, login):
    browser = login(agency_admin, enforce_csrf_checks=True)
    response = browser.post("/clients/switch/", {"client": "acme"}, headers={"HX-Request": "true"})
    assert response.status_code == 403


def test_htmx_post_with_the_body_csrf_header_is_accepted(client_a, agency_admin, login):
    browser = login(agency_admin, enforce_csrf_checks=True)
    page = browser.get("/").content.decode()
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = browser.post(
        "/clients/switch/", {"client": "acme"}, headers={"HX-Request": "true", "X-CSRFToken": token}
    )
    assert response.status_code == 302


def test_json_logs_carry_the_request_id(capsys):
    """Production log lines are JSON objects with the request id of the request that wrote them."""
    code = (
        "import django, logging; django.setup(); "
        "from django.test import Client; Client().get('/api/v1/nowhere/', headers={'X-Request-ID': "
        "'6f1c0a3e-7c1b-4a7e-9d5a-2b3c4d5e6f70'}, SERVER_NAME='greenlight.example.com', secure=True)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_prod_env(), capture_output=True, text=True, timeout=60
    )
    import json

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    not_found = next(line for line in lines if "Not Found" in line["message"])
    assert not_found["request_id"] == "6f1c0a3e-7c1b-4a7e-9d5a-2b3c4d5e6f70"
    assert not_found["level"] == "WARNING"


def _prod_request_script(path: str, extra: str = "") -> str:
    return (
        "import django, json; django.setup(); from django.test import Client; "
        f"r = Client().get('{path}', SERVER_NAME='greenlight.example.com', secure=True); "
        f"print(json.dumps({{'status': r.status_code, 'headers': dict(r.headers){extra}}}))"
    )


def _run_prod(code: str, **env):
    import json

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=_prod_env(**env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_responses_carry_hsts_over_https():
    # /healthz renders no template, so this needs no collected static files.
    out = _run_prod(_prod_request_script("/healthz"))
    headers = {k.lower(): v for k, v in out["headers"].items()}
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains; preload"


def test_healthz_is_not_redirected_to_https_so_load_balancers_can_probe_it():
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz', SERVER_NAME='greenlight.example.com'); "
        "print(json.dumps({'status': r.status_code}))"
    )
    assert _run_prod(code)["status"] == 200
    code = code.replace("/healthz", "/accounts/login/")
    assert _run_prod(code)["status"] == 301


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_redis_url_switches_the_broker_and_the_cache():
    code = (
        "import django, json; django.setup(); from django.conf import settings; from django.test import Client; "
        "r = Client().get('/healthz', SERVER_NAME='greenlight.example.com'); "
        "print(json.dumps({'broker': r.json()['checks']['broker'], "
        "'cache': settings.CACHES['default']['BACKEND'], 'q2': 'redis' in settings.Q_CLUSTER}))"
    )
    out = _run_prod(code, REDIS_URL="redis://127.0.0.1:6379/15")
    assert out["broker"]["ok"] is True
    assert "redis" in out["broker"]["broker"].lower()
    assert out["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert out["q2"] is True
