"""Local development and the embedded demo (``make run``): DEBUG on, SQLite and the ORM broker unless set."""

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

_ROOT = Path(__file__).resolve().parent.parent.parent
load_dotenv(_ROOT / ".env")


def _local_secret_key() -> str:
    """A random key kept in var/ so sessions survive restarts; generated on first use, never committed."""
    path = _ROOT / "var" / "dev-secret-key"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


os.environ.setdefault("SECRET_KEY", _local_secret_key())
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
os.environ.setdefault("EMULATORS", "true")
# The demo's mails are kept and read at /mailbox/ (apps.notifications.mailbox); EMAIL_BACKEND overrides it.
os.environ.setdefault("EMAIL_BACKEND", "apps.notifications.mailbox.MailboxBackend")
# The demo's webhook endpoint posts to the integrator's receiver emulated in process (/emulators/receiver/...), on
# loopback: the SSRF guard lets this machine's own addresses through in development only.
os.environ.setdefault("WEBHOOK_ALLOWED_CIDRS", "127.0.0.0/8,::1/128")

from .base import *  # noqa: E402, F403
from .base import DATABASES  # noqa: E402

# runserver answering at once (apps/common/devserver): before WhiteNoise's runserver, which it wraps.
INSTALLED_APPS.insert(INSTALLED_APPS.index("whitenoise.runserver_nostatic"), "apps.common.devserver")  # noqa: F405

# runserver serves each request on a new thread, and a persistent connection belongs to its thread: with
# DB_CONN_MAX_AGE=60, 100 requests left 53 PostgreSQL connections open until they aged out, and a burst exhausted
# the server. Development closes each request's connection (DB_CONN_MAX_AGE is not read here).
DATABASES["default"]["CONN_MAX_AGE"] = 0

# The in-process emulators' request lines are hidden from the console (5,082 of 9,382 lines in a first sync);
# EMULATOR_REQUEST_LOG=true shows them again. Django's own "django.server" handler and format, with that filter.
LOGGING["filters"]["quiet_emulators"] = {  # noqa: F405
    "()": "apps.common.server_log.QuietEmulatorRequests",
    "show": os.environ.get("EMULATOR_REQUEST_LOG", "").lower() in {"1", "true", "yes", "on"},
}
LOGGING["formatters"]["django.server"] = {  # noqa: F405
    "()": "django.utils.log.ServerFormatter",
    "format": "[{server_time}] {message}",
    "style": "{",
}
LOGGING["handlers"]["django.server"] = {  # noqa: F405
    "level": "INFO",
    "class": "logging.StreamHandler",
    "formatter": "django.server",
}
LOGGING["loggers"]["django.server"] = {  # noqa: F405
    "handlers": ["django.server"],
    "level": "INFO",
    "propagate": False,
    "filters": ["quiet_emulators"],
}
# ... and so are the warnings Django logs for the emulators' own 4xx answers (OpenText's late history answers a new
# task's comment list with a 404 until it knows the task: the portal waits for it, nothing is wrong).
LOGGING["loggers"]["django.request"] = {"level": "WARNING", "filters": ["quiet_emulators"]}  # noqa: F405
