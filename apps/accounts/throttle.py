"""Login attempt limiting (ASVS 6.1.1) with a counter the database increments atomically.

A cache-based read-modify-write lets concurrent guesses slip past the limit (QUALITY.md section 5); here each
attempt is one ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` statement, so twenty simultaneous wrong
passwords for one account get exactly ``LOGIN_ATTEMPTS_PER_ACCOUNT`` password checks. Attempts are counted per
account (whether or not it exists, so the answer reveals nothing) and per client IP (a higher limit, so one
address cannot sweep many accounts). Other accounts are never locked out by someone else's attempts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from .models import LoginThrottle, normalize_email


@dataclass(frozen=True)
class AttemptVerdict:
    allowed: bool
    retry_after_seconds: int


def _window_start(now: float, window: int) -> int:
    return int(now) - int(now) % window


def _hit(key: str, window_start: int) -> int:
    """Count one attempt under ``key`` in the window starting at ``window_start``; return the new count."""
    qn = connection.ops.quote_name
    table, key_col, window_col, count_col = (
        qn(LoginThrottle._meta.db_table),
        qn("key"),
        qn("window_start"),
        qn("count"),
    )
    sql = (
        f"INSERT INTO {table} ({key_col}, {window_col}, {count_col}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({key_col}) DO UPDATE SET "
        f"{count_col} = CASE WHEN {table}.{window_col} = excluded.{window_col} "
        f"THEN {table}.{count_col} + 1 ELSE 1 END, "
        f"{window_col} = excluded.{window_col} "
        f"RETURNING {count_col}"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [key, window_start])
        return cursor.fetchone()[0]


def register_attempt(email: str, ip: str | None) -> AttemptVerdict:
    """Count a login attempt before the password is checked. ``allowed`` False means: do not check it."""
    window = settings.LOGIN_ATTEMPT_WINDOW_SECONDS
    now = time.time()
    start = _window_start(now, window)
    retry_after = start + window - int(now)
    account_count = _hit(f"account:{normalize_email(email)}", start)
    ip_count = _hit(f"ip:{ip}", start) if ip else 0
    allowed = account_count <= settings.LOGIN_ATTEMPTS_PER_ACCOUNT and ip_count <= settings.LOGIN_ATTEMPTS_PER_IP
    return AttemptVerdict(allowed=allowed, retry_after_seconds=retry_after)


def clear_account(email: str) -> None:
    """A successful login forgets the account's failed attempts (the IP's stay counted)."""
    LoginThrottle.objects.filter(key=f"account:{normalize_email(email)}").delete()
