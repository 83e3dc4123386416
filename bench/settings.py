"""Settings for benchmarks: production-like (DEBUG off, no debug toolbars), plain HTTP on loopback, a bare view.

Measured over real HTTP against gunicorn; the middleware below reports each response's server time and query
count in headers so the client can record them without parsing pages.
"""

import os

os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("EMULATORS", "true")  # the sync benchmark pulls from the emulator served by gunicorn

from portal.settings.base import *  # noqa: F403
from portal.settings.base import MIDDLEWARE, REST_FRAMEWORK

ROOT_URLCONF = "bench.urls"
# Production keeps its cache in Redis (docs/operations.md), which turns on the per-person cache and cached sessions
# (apps/common/user_cache.py); the queue stays on the ORM broker (the benchmarks measure pages, not the worker).
CACHES = {
    "default": {
        "BACKEND": "apps.common.redis_cache.RedisCache",
        "LOCATION": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5"),
    }
}
PER_USER_CACHE_SECONDS = 300
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
MIDDLEWARE = ["bench.middleware.ServerTimingMiddleware", *MIDDLEWARE]
# Throttling is not what is measured, except by bench/api.py (BENCH_API_THROTTLE=1): a 304 still passes it, so its
# cost is counted there, at a rate no benchmark reaches.
if os.environ.get("BENCH_API_THROTTLE") == "1":
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"principal": "1000000/min"}}
else:
    REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING_CONFIG = None
