"""Production: every secret and host comes from the environment; TLS hardening on; JSON logs; hashed static."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, DEBUG, FIELD_ENCRYPTION_KEYS, LOGGING, SECRET_KEY, STORAGES
from .env import FERNET_KEY_HINT, env_bool, env_int, env_str

# Each refusal names the variable and what a valid value looks like: a deployment that starts must work.
if DEBUG:
    raise ImproperlyConfigured("DEBUG must be off with portal.settings.prod.")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("Set ALLOWED_HOSTS (comma-separated) for portal.settings.prod.")
# Django's deploy check (security.W009) only warns about a weak key; production refuses one at start-up.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        "SECRET_KEY is too weak for portal.settings.prod: use 50 or more random characters (not 'django-insecure-…'), "
        "e.g. the output of python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
if not FIELD_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        f"Set FIELD_ENCRYPTION_KEYS ({FERNET_KEY_HINT}) so platform tokens can be encrypted at rest."
    )
if not os.environ.get("DATABASE_URL", "").strip():
    # Without it base.py falls back to a SQLite file inside the code directory: data a redeploy would lose.
    raise ImproperlyConfigured(
        "Set DATABASE_URL for portal.settings.prod, e.g. postgres://greenlight:<password>@db.internal:5432/greenlight "
        "(a single-machine deployment on SQLite names its file: sqlite:////var/lib/greenlight/greenlight.sqlite3)."
    )

# TLS terminates at the load balancer; trust its X-Forwarded-Proto only when told to.
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Webhook payloads and their signatures travel only over TLS in production (WEBHOOK_REQUIRE_HTTPS is not read here).
WEBHOOK_REQUIRE_HTTPS = True
SESSION_COOKIE_NAME = "__Host-sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken"

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

LOGGING["handlers"]["console"]["formatter"] = env_str("LOG_FORMAT", "json")
