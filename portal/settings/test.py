"""Test settings: PostgreSQL when DATABASE_URL is set (CI), SQLite otherwise; fast hashing; no real platforms."""

import os
import secrets

os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ["DEBUG"] = "false"
os.environ["EMULATORS"] = "true"

from .base import *  # noqa: F403
from .base import DATABASES, REST_FRAMEWORK, VAR_DIR

# Hashing cost is not under test; the MD5 hasher keeps persona fixtures fast.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not ":memory:": the live server, the emulators and the sync's threads use the database at once, and
    # SQLite's shared in-memory cache locks whole tables (SQLITE_LOCKED, which no busy timeout waits out); a WAL
    # file waits its turn like the embedded deployment does.
    # One file per process, so two test runs side by side (or a run beside a benchmark) never share a file.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
# The live server's connection threads keep their database connection from one request to the next of a kept-alive
# HTTP connection (the emulators' calls: connecting cost ~5 ms of each 20-30 ms call) and close it when the HTTP
# connection closes (Django's ThreadedWSGIServer.close_request). Other threads never close theirs by age anyway.
# SQLite keeps 0 (base.py).
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 60
# Throttling has its own tests, which lower the rate explicitly.
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"principal": "100000/min"}}
# pytest-django swaps in the locmem backend for the test process; the live servers' subprocesses need it too.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LOGGING_CONFIG = None
# Figures computed on every request: a test's rows are its own (tests/analytics tests the cache explicitly).
ANALYTICS_CACHE_SECONDS = 0
# The OpenText emulator's history lags like the platform's, shorter so tests wait less (the portal must cope).
EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS = 0.3
# The tests' webhook receivers listen on plain http on loopback; tests that check https-only set it back on.
WEBHOOK_REQUIRE_HTTPS = False
# The per-person cache and cached sessions on, as in production (one process: the test's changes reach its cache);
# tests/conftest.py empties the cache before each test.
PER_USER_CACHE_SECONDS = 300
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Hint jobs act at once (tests call them right after posting); tests/integrations/test_hint_burst.py sets a quiet
# period to pin what a burst costs.
HINT_QUIET_SECONDS = 0
