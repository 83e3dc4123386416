"""HTTP plumbing shared by the Smint.io and OpenText clients.

Every call has a timeout, goes through one pooled ``requests.Session`` per connection, and is retried with
exponential backoff and full jitter (``random(0, min(cap, base * 2**attempt))``, Brooker) on network errors,
timeouts, 408, 429 and 5xx, honouring ``Retry-After``, for a bounded number of attempts. Anything else raises a
typed error carrying the platform's own error text. Authentication is the platform client's business: it passes
``authorize`` (adds the header) and ``reauthorize`` (refreshes once after a 401, or a 403 where the platform
uses 403 for expired tokens).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import requests
from django.conf import settings
from django.utils import timezone
from requests.adapters import HTTPAdapter

from apps.outbox.errors import (  # the error types live with the outbox relay that catches them
    AuthError as AuthError,
)
from apps.outbox.errors import (
    Conflict as Conflict,
)
from apps.outbox.errors import (
    NotFound as NotFound,
)
from apps.outbox.errors import (
    NotYet as NotYet,
)
from apps.outbox.errors import (
    PermanentError as PermanentError,
)
from apps.outbox.errors import (
    PlatformError as PlatformError,
)
from apps.outbox.errors import (
    TransientError as TransientError,
)

logger = logging.getLogger(__name__)

RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class RetryPolicy:
    """How many attempts one call gets, and how long to wait between them."""

    max_attempts: int = 5
    base: float = 0.5
    cap: float = 8.0
    # A Retry-After longer than this is not slept through inside a call; the error goes to the caller's schedule.
    max_wait: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        backoff = random.uniform(0, min(self.cap, self.base * 2**attempt))  # noqa: S311 - jitter, not crypto
        return max(backoff, retry_after or 0)


ONE_ATTEMPT = RetryPolicy(max_attempts=1)

_sessions: dict[str, requests.Session] = {}
_sessions_lock = threading.Lock()


def pooled_session(key: str) -> requests.Session:
    """One session (keep-alive pool) per connection key, shared by the threads of a process."""
    with _sessions_lock:
        session = _sessions.get(key)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers["User-Agent"] = "Greenlight/1.0"
            _sessions[key] = session
        return session


def close_sessions() -> None:
    """Close every pooled session and its kept-alive connections (tests: each test's tenants are new keys, and a
    server thread holding an idle connection holds its database connection too)."""
    with _sessions_lock:
        for session in _sessions.values():
            session.close()
        _sessions.clear()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header given as seconds or as an HTTP date; None when absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


class PlatformHttp:
    """Calls one platform: timeouts, retries, refresh-once authentication and typed errors."""

    def __init__(
        self,
        platform: str,
        *,
        session_key: str,
        error_fields: Callable[[dict], tuple[str, str]],
        reauth_statuses: frozenset[int] = frozenset({401}),
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.platform = platform
        self.session = pooled_session(session_key)
        self.error_fields = error_fields
        self.reauth_statuses = reauth_statuses
        self.policy = policy or RetryPolicy()
        self.sleep = sleep

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict | None = None,
        authorize: Callable[[dict], None] | None = None,
        reauthorize: Callable[[], None] | None = None,
        expect: tuple[int, ...] = (200, 201, 204),
        timeout: tuple[float, float] | None = None,
        **kwargs,
    ) -> requests.Response:
        """Send the call, retrying what may succeed later; return the response or raise a ``PlatformError``."""
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            call_headers = dict(headers or {})
            if authorize is not None:
                authorize(call_headers)
            try:
                response = self.session.request(
                    method, url, headers=call_headers, timeout=timeout or settings.PLATFORM_TIMEOUT, **kwargs
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                error: PlatformError = TransientError(self.platform, f"{method} {url}: {exc.__class__.__name__}")
            else:
                if response.status_code in expect:
                    return response
                if response.status_code in self.reauth_statuses and reauthorize is not None and not refreshed:
                    refreshed = True
                    reauthorize()
                    attempt -= 1  # a refresh is not a failed attempt
                    continue
                error = self.error_for(response)
            if not error.retryable or attempt >= self.policy.max_attempts:
                raise error
            wait = self.policy.delay(attempt, getattr(error, "retry_after", None))
            if wait > self.policy.max_wait:
                raise error
            logger.info("%s: attempt %s failed (%s); retrying in %.1f s", self.platform, attempt, error, wait)
            self.sleep(wait)

    def error_for(self, response: requests.Response) -> PlatformError:
        """A typed error carrying the platform's own (code, text), read by ``error_fields`` from a JSON body."""
        status = response.status_code
        body = _json_or_text(response)
        code, text = self.error_fields(body) if isinstance(body, dict) else ("", str(body)[:500])
        args = (self.platform, text or response.reason or "error")
        if status in RETRYABLE_STATUS:
            return TransientError(
                *args,
                status=status,
                code=code,
                body=body,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if status in (401, 403):
            return AuthError(*args, status=status, code=code, body=body)
        if status == 404:
            return NotFound(*args, status=status, code=code, body=body)
        if status == 409:
            return Conflict(*args, status=status, code=code, body=body)
        return PermanentError(*args, status=status, code=code, body=body)


def _json_or_text(response: requests.Response):
    try:
        return response.json()
    except ValueError:
        return response.text[:2000]
