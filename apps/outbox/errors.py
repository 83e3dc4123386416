"""What a call to a platform can fail with; the outbox relay decides by these types whether to retry a row, count
the failure towards the platform's circuit breaker, or park the row.

Raised by the integrations' HTTP clients (``apps.integrations.http``) and by the outbox handlers; they live here,
below both, so that the relay (``apps.outbox.services``) catches them without importing the integrations.
"""

from __future__ import annotations


class PlatformError(Exception):
    """A call to a platform failed. ``retryable`` says whether the same call may succeed later."""

    retryable = False

    def __init__(self, platform: str, message: str, *, status: int | None = None, code: str = "", body=None):
        self.platform = platform
        self.status = status
        self.code = code
        self.body = body
        super().__init__(f"{platform}: {message}" + (f" (HTTP {status})" if status else ""))
        self.message = message


class TransientError(PlatformError):
    """Network trouble, a timeout, 408, 5xx or 429: worth retrying later."""

    retryable = True

    def __init__(self, *args, retry_after: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class NotYet(TransientError):
    """The platform answered, but what we wait for is not there yet (e.g. OpenText's asynchronous history): retry
    soon. The platform is up, so this never counts towards its circuit breaker."""

    def __init__(self, platform: str, message: str, *, retry_after: float = 2.0):
        super().__init__(platform, message, retry_after=retry_after)


class AuthError(PlatformError):
    """The platform refused our credentials even after a refresh (e.g. a refresh token that was revoked)."""


class PermanentError(PlatformError):
    """A 4xx other than 401/408/429: the same call will fail again (dead-letter it)."""


class NotFound(PermanentError):
    pass


class Conflict(PermanentError):
    """409: someone else changed the object first (e.g. claimed the task)."""
