"""The Smint.io emulator on its own port (``manage.py run_emulator``), where a connection can really be dropped."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from apps.assets.models import LicensePurchase
from apps.integrations import connections
from apps.integrations.smintio.client import SmintioClient
from apps.integrations.smintio.sync import pull

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def standalone(tmp_path_factory):
    """A migrated database of its own and the emulator serving it on a free port."""
    database = tmp_path_factory.mktemp("emulator") / "smintio.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}},
        "DJANGO_SETTINGS_MODULE": "portal.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "standalone-emulator-test-key-0123456789-abcdefghijklmnop",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=180)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "run_emulator", "smintio", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.post(f"{base}/_emulator/reset", json={}, timeout=1)
            break
        except requests.ConnectionError:
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=10)


def _control(base: str, path: str, body: dict | None = None, method: str = "POST") -> dict:
    response = requests.request(method, f"{base}/_emulator/{path}", json=body or {}, timeout=10)
    assert response.status_code < 400, response.text
    return response.json() if response.content else {}


@pytest.mark.django_db(transaction=True)
def test_a_dropped_connection_is_retried_and_the_pull_completes(standalone, settings, client_a):
    settings.SMINTIO_AUTH_BASE = f"{standalone}/{{tenant}}/auth"
    settings.SMINTIO_API_BASE = f"{standalone}/{{tenant}}/consumer/v1"
    _control(
        standalone,
        "tenants",
        {
            "slug": client_a.slug,
            "client_id": settings.SMINTIO_CLIENT_ID,
            "client_secret": settings.SMINTIO_CLIENT_SECRET,
        },
    )
    _control(standalone, f"tenants/{client_a.slug}/seed", {"count": 6})
    token = _control(standalone, f"tenants/{client_a.slug}/refresh-token")["refresh_token"]
    connection = connections.bootstrap(client_a, tenant=client_a.slug, refresh_token=token, verify=False)
    _control(standalone, "faults", {"kind": "drop", "count": 2, "path_contains": "license-purchase-transactions"})
    waits: list[float] = []
    report = pull(connection, api=SmintioClient(connection, sleep=waits.append))
    assert len(waits) == 2  # two dropped connections, each retried
    assert report.created == LicensePurchase.objects.filter(client=client_a).count() > 0
    log = _control(standalone, "requests?path_contains=license-purchase-transactions", method="GET")
    assert log["by_status"].get("0", 0) + log["by_status"].get(0, 0) == 2
