"""Issue 11 item 13: the dependency audit says plainly when it could not check, and never calls that a pass.

pip-audit runs for real against an OSV-compatible API served here on 127.0.0.1 (``AUDIT_OSV_URL``); PyPI is kept
out of reach through a proxy address nothing listens on, so the outcome does not depend on this machine's network.
"""

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "audit-dependencies"
PINNED_REQUESTS = next(
    line.split("==")[1].strip()
    for line in (ROOT / "requirements" / "prod.txt").read_text().splitlines()
    if line.startswith("requests==")
)


def _advisory(vuln_id: str, package: str, fixed: str) -> dict:
    return {
        "id": vuln_id,
        "summary": f"{package} advisory for the test",
        "affected": [
            {
                "package": {"name": package, "ecosystem": "PyPI"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            }
        ],
    }


class FakeOsv:
    """An OSV API (POST /v1/query) that knows the advisories it is given, by (package, version)."""

    def __init__(self, advisories: dict[tuple[str, str], list[dict]]):
        self.advisories = advisories
        self.queries: list[tuple[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = (query["package"]["name"], query["version"])
                fake.queries.append(key)
                vulns = fake.advisories.get(key, [])
                body = json.dumps({"vulns": vulns} if vulns else {}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/query"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


KNOWS_THE_CANARY = {("django", "3.2"): [_advisory("PYSEC-2021-98", "django", "3.2.1")]}


@pytest.fixture
def osv():
    servers = []

    def start(advisories):
        servers.append(FakeOsv(advisories))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _audit(osv_url: str, *args, **env):
    closed_proxy = "http://127.0.0.1:9"  # nothing listens there: PyPI cannot be reached
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL"}}
    base.update(HTTPS_PROXY=closed_proxy, HTTP_PROXY=closed_proxy, NO_PROXY="127.0.0.1,localhost")
    base.update(AUDIT_OSV_URL=osv_url, **env)
    result = subprocess.run(
        [str(SCRIPT), *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=300, check=False
    )
    return result.returncode, result.stdout + result.stderr


def test_a_source_that_knows_nothing_is_reported_as_not_checked_not_as_a_pass(osv):
    """A source answering "nothing known" for everything (or 404s, as PyPI's mirror here does) made pip-audit print
    'No known vulnerabilities found'."""
    knows_nothing = osv({})
    status, output = _audit(knows_nothing.url)
    assert status == 0  # the test command goes on
    assert "NOT CHECKED" in output
    assert "UNKNOWN" in output
    assert "No known vulnerabilities" not in output
    assert "osv: it reports no advisory for django==3.2" in output
    assert "pypi: " in output and "ProxyError" in output  # why PyPI could not be asked
    assert knows_nothing.queries == [("django", "3.2")]  # only the canary was asked


def test_a_release_gate_fails_when_nothing_could_be_checked(osv):
    knows_nothing = osv({})
    assert _audit(knows_nothing.url, "--require-check")[0] == 3
    assert _audit(knows_nothing.url, AUDIT_REQUIRE_CHECK="1")[0] == 3


def test_an_unreachable_source_is_reported_with_its_reason():
    status, output = _audit("http://127.0.0.1:9/v1/query")
    assert status == 0
    assert "NOT CHECKED" in output
    assert "osv: " in output and "Connection" in output


def test_a_source_that_knows_the_canary_audits_every_pinned_package(osv):
    source = osv(KNOWS_THE_CANARY)
    status, output = _audit(source.url)
    assert status == 0, output
    assert "against osv" in output
    assert "No known vulnerabilities found" in output
    assert "NOT CHECKED" not in output
    asked = {name for name, _ in source.queries}
    assert {"django", "requests", "cryptography", "gunicorn", "psycopg"} <= asked


def test_a_known_vulnerability_in_a_pin_fails_the_audit(osv):
    source = osv({**KNOWS_THE_CANARY, ("requests", PINNED_REQUESTS): [_advisory("GHSA-test-0001", "requests", "99.0")]})
    status, output = _audit(source.url)
    assert status == 1
    assert "GHSA-test-0001" in output
    assert "requests" in output
