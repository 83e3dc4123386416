"""Settings shared by every environment. Everything that differs between deployments comes from the environment.

``dev``, ``test`` and ``prod`` import this module and adjust it; nothing here holds a secret.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .env import cidr_list, env_bool, env_int, env_list, env_str, fernet_keys

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY.strip():
    # Django would only fail at the first request that signs something (every page, /healthz too).
    raise ImproperlyConfigured(
        "SECRET_KEY is empty. Set it to 50 or more random characters, e.g. the output of "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'."
    )
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # third party
    "rest_framework",
    "django_filters",
    "django_htmx",
    "template_partials",
    "django_q",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "django_guid",
    "csp",
    # ours, in dependency order (see DESIGN.md)
    "apps.common",
    "apps.clients",
    "apps.accounts",
    "apps.audit",
    "apps.sharing",  # what external members may see: below the apps whose rows can be shared
    "apps.assets",
    "apps.outbox",  # the transactional outbox: below the domain apps that enqueue, the integrations register handlers
    "apps.workflows",
    "apps.integrations",
    "apps.reviews",
    "apps.exceptions",
    "apps.creative",  # creative requests (flow 3): beside reviews and exceptions
    "apps.onboarding",  # DAM onboarding (flow 6): beside reviews and exceptions
    "apps.campaigns",  # global campaigns (flow 5): above creative, whose matching and deliveries it reuses
    "apps.notifications",  # e-mail and in-app notices: listens to the domain apps' events (apps.common.events)
    "apps.webhooks",  # integrators' endpoints: listens to the same events, delivers through the outbox
    "apps.analytics",  # where reviews wait: SQL aggregates over the task mirror
    "apps.demo",  # demo data: wires every app together, so it comes last
]

# --- Platforms ------------------------------------------------------------------------------------------------
# EMULATORS mounts faithful stand-ins of both platforms inside the portal (/emulators/...) and points the clients at
# them; off in production, where the real hosts and credentials below are set.
EMULATORS = env_bool("EMULATORS", False)
if EMULATORS:
    INSTALLED_APPS += [
        "apps.emulators.core",
        "apps.emulators.smintio",
        "apps.emulators.opentext",
        "apps.emulators.receiver",
    ]
# How the platforms (and the emulators' notifications) reach this portal, and the OAuth redirect base.
PORTAL_URL = env_str("PORTAL_URL", "http://127.0.0.1:8000").rstrip("/")
EMULATOR_ROOT = f"{PORTAL_URL}/emulators"


def _emulator_default(value: str) -> str:
    """A default that only exists when the emulators are mounted; real deployments must set the variable."""
    return value if EMULATORS else ""


def _derived_secret(purpose: str) -> str:
    """A stable per-installation secret for the emulators' demo credentials, derived from SECRET_KEY (nothing
    secret is written in the code, and no two installations share one)."""
    import hashlib
    import hmac

    return hmac.new(SECRET_KEY.encode(), purpose.encode(), hashlib.sha256).hexdigest()[:40]


# Smint.io defaults for connections; each client's connection (in the database) overrides them. The emulator is
# multi-tenant by path, so the demo tenant's bases are per client: "{EMULATOR_ROOT}/smintio/<client slug>/...".
SMINTIO_AUTH_BASE = env_str("SMINTIO_AUTH_BASE", _emulator_default(f"{EMULATOR_ROOT}/smintio/{{tenant}}/auth"))
SMINTIO_API_BASE = env_str("SMINTIO_API_BASE", _emulator_default(f"{EMULATOR_ROOT}/smintio/{{tenant}}/consumer/v1"))
SMINTIO_CLIENT_ID = env_str("SMINTIO_CLIENT_ID", _emulator_default("greenlight"))
SMINTIO_CLIENT_SECRET = env_str("SMINTIO_CLIENT_SECRET", _emulator_default(_derived_secret("smintio-client")))
SMINTIO_REFRESH_TOKEN = env_str("SMINTIO_REFRESH_TOKEN", "")
OT_BASE_URL = env_str("OT_BASE_URL", _emulator_default(f"{EMULATOR_ROOT}/opentext")).rstrip("/")
OT_TENANT_ID = env_str("OT_TENANT_ID", _emulator_default("greenlight"))
OT_CLIENT_ID = env_str("OT_CLIENT_ID", _emulator_default("greenlight-portal"))
OT_CLIENT_SECRET = env_str("OT_CLIENT_SECRET", _emulator_default(_derived_secret("opentext-client")))
# HMAC secrets for inbound hints; several (comma-separated) during a rotation, the first signs outbound.
NOTIFY_SECRETS = env_list("NOTIFY_SECRET", [_derived_secret("notify")] if EMULATORS else [])
# A burst of hints (one OpenText callback per step of many processes) is acted on once it has been quiet this long,
# or once its first hint has waited HINT_MAX_DELAY_SECONDS: one mirror per run per burst, not one per worker pass.
HINT_QUIET_SECONDS = env_int("HINT_QUIET_SECONDS", 1, minimum=0)
HINT_MAX_DELAY_SECONDS = env_int("HINT_MAX_DELAY_SECONDS", 10, minimum=1)
# Keys (Fernet, comma-separated, newest first) that encrypt connection secrets at rest. Without any, a key is
# derived from SECRET_KEY (production refuses to start without one, so rotating SECRET_KEY cannot lose tokens).
FIELD_ENCRYPTION_KEYS = fernet_keys("FIELD_ENCRYPTION_KEYS")
# The outbox's retry schedule (QUALITY.md section 2): full-jitter backoff from 2 s up to 15 min, parked as failed
# after 72 h or OUTBOX_MAX_ATTEMPTS, whichever comes first; a platform's breaker opens after 5 failures for 30 s.
OUTBOX_BACKOFF_BASE = 2.0
OUTBOX_BACKOFF_CAP = env_int("OUTBOX_BACKOFF_CAP_SECONDS", 900, minimum=1)
OUTBOX_GIVE_UP_HOURS = env_int("OUTBOX_GIVE_UP_HOURS", 72, minimum=1)
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 600, minimum=1)
OUTBOX_LEASE_SECONDS = 120
BREAKER_THRESHOLD = 5
BREAKER_OPEN_SECONDS = env_int("BREAKER_OPEN_SECONDS", 30, minimum=1)
# OpenText writes its history asynchronously: a run whose instance the runtime no longer knows waits for the history
# to say how it ended; only an instance neither knows for this long is closed as cancelled.
OPENTEXT_HISTORY_PATIENCE_HOURS = env_int("OPENTEXT_HISTORY_PATIENCE_HOURS", 24, minimum=1)
# The analytics page keeps the figures of a period's completed tasks this long per client, period and filters (the
# open tasks' figures are always live); 0 computes them on every request (docs/analytics.md).
ANALYTICS_CACHE_SECONDS = env_int("ANALYTICS_CACHE_SECONDS", 300, minimum=0)
# The OpenText emulator's asynchronous history: finished tasks and ended instances show in its history only after
# this many seconds (like the platform, whose models set isasynchistoryenable).
EMULATOR_OPENTEXT_HISTORY_DELAY_SECONDS = 2.0
# Every outbound call has a timeout: (connect, read) seconds.
PLATFORM_TIMEOUT = (env_int("PLATFORM_CONNECT_TIMEOUT", 3, minimum=1), env_int("PLATFORM_READ_TIMEOUT", 10, minimum=1))
# Outbound webhooks (docs/webhooks.md): the seconds a receiver has to connect and to answer; an endpoint is disabled
# after this many failed attempts in a row (its client's admins are told); a rotated secret stays valid this long.
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WEBHOOK_DISABLE_AFTER = env_int("WEBHOOK_DISABLE_AFTER", 20, minimum=1)
WEBHOOK_SECRET_OVERLAP_HOURS = env_int("WEBHOOK_SECRET_OVERLAP_HOURS", 24, minimum=0)
# SSRF: no delivery to private, loopback, link-local, multicast, reserved or unspecified addresses unless the operator
# allows them all (WEBHOOK_ALLOW_PRIVATE_TARGETS) or some networks (WEBHOOK_ALLOWED_CIDRS, comma-separated CIDRs).
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
WEBHOOK_ALLOWED_CIDRS = cidr_list("WEBHOOK_ALLOWED_CIDRS")
# Only https:// endpoints unless this is off (development, tests); production forces it on.
WEBHOOK_REQUIRE_HTTPS = env_bool("WEBHOOK_REQUIRE_HTTPS", not DEBUG)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django_guid.middleware.guid_middleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.accounts.middleware.SessionTimeoutMiddleware",
    "apps.accounts.middleware.UserTimezoneMiddleware",
    "apps.accounts.middleware.NoticeMiddleware",
    "apps.common.middleware.HtmxMessagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# Django's, drawing <select> in Python (a filter form's options were one template include each): apps/common/forms.py
FORM_RENDERER = "apps.common.forms.FormRenderer"
ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "apps.clients.context_processors.active_client",
                "apps.onboarding.context_processors.onboarding_nav",
                "apps.notifications.context_processors.notifications_badge",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------
# PostgreSQL when DATABASE_URL is set; otherwise one SQLite file under var/ that a web process and a q2 worker
# share: WAL lets readers run beside the single writer, busy_timeout waits for the lock instead of failing, and
# IMMEDIATE transactions take the write lock up front so two writers never deadlock on a lock upgrade.
(VAR_DIR / "static").mkdir(parents=True, exist_ok=True)
# Persistent connections (DB_CONN_MAX_AGE seconds) suit production's gunicorn sync workers: one thread, one
# connection, reused. Development forces 0 (runserver's threads, see dev.py); SQLite always uses 0 (below).
# A blank DATABASE_URL counts as unset (production refuses both, see prod.py).
try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_str("DATABASE_URL", "").strip() or f"sqlite:///{VAR_DIR / 'greenlight.sqlite3'}",
            conn_max_age=env_int("DB_CONN_MAX_AGE", 60, minimum=0),
            conn_health_checks=True,
        )
    }
except ValueError as exc:  # an unknown scheme; the message names the scheme only, never the password
    raise ImproperlyConfigured(
        f"DATABASE_URL is not a database URL: {exc} Expected e.g. postgres://user:password@host:5432/greenlight."
    ) from None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA busy_timeout=20000;"
            "PRAGMA foreign_keys=ON;PRAGMA temp_store=MEMORY;PRAGMA mmap_size=134217728;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and task queue -------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "apps.common.redis_cache.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# What every signed-in page reads again (the session, the person and their memberships, the unread badge) is kept in
# the cache only when every process shares it (apps/common/user_cache.py): a per-process memory cache could not
# forget a change made by the worker or another web process.
PER_USER_CACHE_SECONDS = env_int("PER_USER_CACHE_SECONDS", 300 if REDIS_URL else 0, minimum=0)
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"

# django-q2. The ORM broker (default) writes queue rows through the default connection, so a task enqueued inside
# a transaction is rolled back with it. Redis has no delivery receipts, which is why remote effects go through our
# own outbox table and the queue only wakes the relay. timeout < retry keeps a slow task from being re-delivered
# while it still runs; max_attempts is explicit because django-q2's default (0) retries forever.
Q_CLUSTER = {
    "name": "greenlight",
    "workers": env_int("Q_WORKERS", 2, minimum=1),
    "timeout": env_int("Q_TIMEOUT", 300, minimum=1),
    "retry": env_int("Q_RETRY", 360, minimum=2),
    "max_attempts": env_int("Q_MAX_ATTEMPTS", 3, minimum=1),
    "ack_failures": False,
    "save_limit": -1,
    "catch_up": False,
    "recycle": 500,
    "max_rss": 300_000,
    "queue_limit": 8,
    "poll": 0.5,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# A worker heartbeat older than this makes /healthz?worker=1 report the worker as down.
WORKER_HEARTBEAT_STALE_SECONDS = env_int("WORKER_HEARTBEAT_STALE_SECONDS", 180, minimum=60)

# --- Authentication and sessions ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# Django's, reading the signed-in person and their memberships from the per-person cache (apps/accounts/backends.py)
AUTHENTICATION_BACKENDS = ["apps.accounts.backends.ModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ASVS 7.3.1 / 7.3.2: reviewers' sessions end after 30 idle minutes and at most 12 hours after login.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_COOKIE_AGE = env_int("SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# The client's address (sign-in limits, password-reset limits, DRF's anonymous throttle): REMOTE_ADDR unless the
# portal sits behind this many proxies that each append to X-Forwarded-For; then the address the outermost proxy
# saw. 0 ignores the header (anyone can write it). See apps/accounts/throttle.py.
TRUST_X_FORWARDED_FOR = env_int("TRUST_X_FORWARDED_FOR", 0, minimum=0)

# Sign-in limits (ASVS 6.1.1, docs/security.md): failures only, counted in locked database rows. One account from
# one address gets LOGIN_FAILURES_BEFORE_DELAY free failures, then waits LOGIN_DELAY_SECONDS, doubling with each
# further failure up to LOGIN_MAX_DELAY_SECONDS; other addresses are not held up, so nobody can lock someone out.
# One address may fail LOGIN_FAILURES_PER_IP times per LOGIN_IP_WINDOW_SECONDS against any accounts.
LOGIN_FAILURES_BEFORE_DELAY = env_int("LOGIN_FAILURES_BEFORE_DELAY", 5, minimum=1)
LOGIN_DELAY_SECONDS = env_int("LOGIN_DELAY_SECONDS", 30, minimum=1)
LOGIN_MAX_DELAY_SECONDS = env_int("LOGIN_MAX_DELAY_SECONDS", 900, minimum=1)
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 100, minimum=1)
LOGIN_IP_WINDOW_SECONDS = env_int("LOGIN_IP_WINDOW_SECONDS", 900, minimum=60)
for _old, _new in {
    "LOGIN_ATTEMPTS_PER_ACCOUNT": "LOGIN_FAILURES_BEFORE_DELAY (per account and address)",
    "LOGIN_ATTEMPTS_PER_IP": "LOGIN_FAILURES_PER_IP (failures only)",
    "LOGIN_ATTEMPT_WINDOW_SECONDS": "LOGIN_IP_WINDOW_SECONDS and LOGIN_MAX_DELAY_SECONDS",
}.items():
    if _old in os.environ:  # a limit that silently stopped applying would be worse than a refusal to start
        raise ImproperlyConfigured(f"{_old} is no longer read: use {_new}. See docs/security.md.")

# Password reset by e-mail (Django's views): a link valid for an hour; requests limited per address and per client
# address per hour, with the same answer whether or not an account has that address.
PASSWORD_RESET_TIMEOUT = 3600
PASSWORD_RESETS_PER_ADDRESS = env_int("PASSWORD_RESETS_PER_ADDRESS", 3, minimum=1)
PASSWORD_RESETS_PER_IP = env_int("PASSWORD_RESETS_PER_IP", 20, minimum=1)
PASSWORD_RESET_WINDOW_SECONDS = 3600

# --- E-mail ---------------------------------------------------------------------------------------------------
# SMTP in production; development prints mails on the console (the worker's, which sends them), tests keep them
# in memory.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Greenlight <greenlight@localhost>")
# Tasks that became open to a person are mailed together, at most one mail per window (docs/notifications.md).
NOTIFICATIONS_BATCH_MINUTES = env_int("NOTIFICATIONS_BATCH_MINUTES", 15, minimum=1)

# API tokens default to 90 days unless created with another expiry.
API_TOKEN_DEFAULT_DAYS = env_int("API_TOKEN_DEFAULT_DAYS", 90, minimum=1)
# Seconds a token's row is cached (0: read on every request). Revoking or changing a token forgets it at once in a
# shared cache (Redis); with the local-memory cache, in other workers within this. Its person: the per-person cache.
API_TOKEN_CACHE_SECONDS = env_int("API_TOKEN_CACHE_SECONDS", 30, minimum=0)

# --- Security headers -----------------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script anywhere: every <script> is a file under static/ and carries the request's nonce, htmx runs
# with allowEval off, and styles come from our stylesheet only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Internationalisation -------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Request ids and logging ----------------------------------------------------------------------------------
# X-Request-ID is accepted from a trusted proxy when it is a valid UUID, generated otherwise, returned on every
# response, attached to every log line and to every audit event.
DJANGO_GUID = {"GUID_HEADER_NAME": "X-Request-ID", "VALIDATE_GUID": True, "RETURN_HEADER": True}
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_FORMAT = env_str("LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "django_guid.log_filters.CorrelationId", "correlation_id_field": "request_id"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_guid": {"level": "WARNING"},
        "spiff": {"level": "WARNING"},  # SpiffWorkflow logs every task state change at INFO
    },
}

# --- REST API -------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "apps.accounts.permissions.TokenScopePermission",
    ],
    "DEFAULT_PAGINATION_CLASS": "apps.common.api.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["apps.common.filters.FilterBackend"],  # django-filter's, skipped when nothing filters
    "DEFAULT_THROTTLE_CLASSES": ["apps.common.api.PrincipalRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"principal": env_str("API_THROTTLE_RATE", "6000/min")},
    "DEFAULT_RENDERER_CLASSES": ["apps.common.api.JSONRenderer"],  # DRF's documents, encoded by orjson
    "DEFAULT_PARSER_CLASSES": [
        "apps.common.api.JSONParser",  # DRF's, with over-deep nesting a 400 rather than a RecursionError
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.common.schema.ProblemAutoSchema",
    "EXCEPTION_HANDLER": "apps.common.api.problem_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # DRF's default (None) would key anonymous throttling on the whole, client-written X-Forwarded-For header.
    "NUM_PROXIES": TRUST_X_FORWARDED_FOR,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Greenlight API",
    "DESCRIPTION": (
        "Rights-aware content approval between Smint.io and OpenText Workflow Service. "
        "Authenticate with `Authorization: Token <key>` (create a key on your profile page). "
        "Errors are RFC 7807 problem documents (`application/problem+json`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "apps.workflows.choices.TaskStatus",
        "RunStatusEnum": "apps.workflows.choices.RunStatus",
        "LicenseStateEnum": "apps.assets.choices.LicenseState",
        "CreativeRequestStatusEnum": "apps.creative.choices.RequestStatus",
        "CommentSourceEnum": "apps.workflows.models.CommentSource",
        "SourceEnum": "apps.creative.choices.Source",  # a creative request's; named so beside a campaign asset's
        "CampaignAssetSourceEnum": "apps.campaigns.choices.AssetSource",
        "CampaignCellStateEnum": "apps.campaigns.choices.CellState",
        "KindEnum": "apps.exceptions.choices.CaseKind",  # a case's, as it was named before notifications had kinds
        "NotificationKindEnum": "apps.notifications.choices.Kind",
        "NotificationModeEnum": "apps.notifications.choices.Mode",
    },
}
