"""The transactional outbox: how every remote effect leaves the portal.

This app is the one way the domain apps (workflows, reviews, exceptions) reach the integrations: they enqueue rows
and ask about rows here, and never import ``apps.integrations``. The outbox sits below the domain apps and imports
nothing above it (checked by import-linter); the integrations, above them, register the handlers that carry out
each kind of row (``@handler("opentext.claim")`` in ``apps.integrations.handlers``), and the relay calls them
through the registry without importing them.

A service that decides something calls ``enqueue`` inside its own transaction, so the decision and the row that
will carry it out commit together or not at all; the queue only wakes the relay (a lost wake-up delays delivery by
at most the scheduled drain interval, it never loses the effect). The relay (``drain``) claims due rows, calls the
handler registered for the row's kind with the row's idempotency key, and records the result.

Guarantees: at-least-once delivery with the same idempotency key on every attempt; per ``ordering_key`` order (a
row waits while an earlier row of its key is pending, sending or failed); rows claimed by one worker only
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite's IMMEDIATE transactions serialise claims); a worker
that dies mid-call leaves a lease that expires and the row is retried; retryable failures back off with full jitter
(honouring ``Retry-After``); permanent failures and rows past their give-up time are parked as ``failed`` for a
person to retry or discard. Nothing is deleted.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from apps.audit import services as audit
from apps.common import events
from apps.common.worker_state import stop_requested

from .choices import BLOCKING_STATUSES, UNGUARDED_PLATFORMS, OutboxStatus
from .choices import Platform as Platform  # the targets a row names: part of the interface (enqueue)
from .errors import NotYet, PlatformError, TransientError
from .models import CircuitBreaker, OutboxMessage

logger = logging.getLogger(__name__)

Handler = Callable[[OutboxMessage], dict | None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that carries out outbox rows of ``kind``; it raises a ``PlatformError`` on failure."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def enqueue(
    *, client, platform: str, kind: str, ordering_key: str, payload: dict, idempotency_key: str = ""
) -> OutboxMessage:
    """Write one remote effect; call it inside the transaction of the change that causes it."""
    if kind not in HANDLERS:
        raise ValueError(f"No outbox handler for {kind!r}")
    now = timezone.now()
    message = OutboxMessage.objects.create(
        client=client,
        platform=platform,
        kind=kind,
        ordering_key=ordering_key,
        payload=payload,
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        next_attempt_at=now,
        give_up_at=now + timedelta(hours=settings.OUTBOX_GIVE_UP_HOURS),
    )
    transaction.on_commit(kick)
    return message


def kick() -> None:
    """Ask a worker to drain soon; several kicks within a second collapse into one job. The job keeps the name it was
    scheduled and queued under (``apps.integrations.tasks.drain_outbox``, which calls ``drain``): a name for the
    queue, not an import."""
    if cache.add("greenlight:outbox-kick", 1, timeout=1):
        from django_q.tasks import async_task

        async_task("apps.integrations.tasks.drain_outbox", task_name="drain outbox")


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Full jitter: random(0, min(cap, base * 2**attempts)), but never sooner than the platform asked."""
    ceiling = min(settings.OUTBOX_BACKOFF_CAP, settings.OUTBOX_BACKOFF_BASE * 2**attempts)
    return max(random.uniform(0, ceiling), retry_after or 0)  # noqa: S311 - jitter, not crypto


# -- circuit breaker -----------------------------------------------------------------------------------------
def breaker_allows(platform: str) -> bool:
    """Closed: yes. Open: no, until ``open_until``; then exactly one caller gets a probe slot."""
    if platform in UNGUARDED_PLATFORMS:
        return True
    now = timezone.now()
    breaker, _ = CircuitBreaker.objects.get_or_create(platform=platform)
    if breaker.open_until is None or breaker.consecutive_failures < settings.BREAKER_THRESHOLD:
        return True
    if breaker.open_until > now:
        return False
    probe_until = now + timedelta(seconds=settings.BREAKER_OPEN_SECONDS)
    return bool(
        CircuitBreaker.objects.filter(pk=breaker.pk)
        .filter(Q(probing_until__isnull=True) | Q(probing_until__lt=now))
        .update(probing_until=probe_until)
    )


def breaker_success(platform: str) -> None:
    if platform in UNGUARDED_PLATFORMS:
        return
    CircuitBreaker.objects.filter(platform=platform).update(consecutive_failures=0, open_until=None, probing_until=None)


# The platforms whose breaker opening is ``sync.broken`` (the content and workflow platforms; mail has its own
# breaker, and telling people by mail that mail is down would not reach them).
SYNCED_PLATFORMS = frozenset({Platform.SMINTIO, Platform.OPENTEXT})


def breaker_failure(platform: str, *, client=None) -> None:
    """Count a failed call; at ``BREAKER_THRESHOLD`` in a row the breaker opens (or, failing a probe, opens again).
    The move from closed to open (one conditional UPDATE, so of two workers failing at once one makes it) publishes
    ``sync.broken`` about ``client`` (the failed row's: the breaker is the platform's, shared by every client), keyed
    by the moment it opened; staying open or reopening after a failed probe says nothing more."""
    if platform in UNGUARDED_PLATFORMS:
        return
    CircuitBreaker.objects.filter(platform=platform).update(consecutive_failures=F("consecutive_failures") + 1)
    now = timezone.now()
    open_until = now + timedelta(seconds=settings.BREAKER_OPEN_SECONDS)
    tripping = CircuitBreaker.objects.filter(platform=platform, consecutive_failures__gte=settings.BREAKER_THRESHOLD)
    with transaction.atomic():
        opened = tripping.filter(open_until__isnull=True).update(open_until=open_until, probing_until=None)
        if opened and platform in SYNCED_PLATFORMS:
            events.publish(
                "sync.broken",
                key=f"sync.broken:{platform}:breaker-{now:%Y%m%dT%H%M%S.%f}",
                client=client,
                data={
                    "url": reverse("integrations:sync_log"),
                    "title": f"The connection to {Platform(platform).label}",
                    "platform": platform,
                    "reason": (
                        f"{settings.BREAKER_THRESHOLD} calls in a row failed; calls pause for "
                        f"{settings.BREAKER_OPEN_SECONDS} seconds, then one call probes whether it is back."
                    ),
                },
            )
        if opened:
            return
    tripping.update(open_until=open_until, probing_until=None)


# -- relay ----------------------------------------------------------------------------------------------------
def recover_expired_leases() -> int:
    """Rows whose worker died mid-call go back to the queue (the attempt was counted when claimed)."""
    return OutboxMessage.objects.filter(status=OutboxStatus.SENDING, lease_until__lt=timezone.now()).update(
        status=OutboxStatus.PENDING, lease_until=None, lease_owner=""
    )


def new_lease_owner() -> str:
    """Who holds a claim: this host and process (so a watchdog can release what a killed worker held) and a nonce
    (so two claims of one process are told apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease_seconds() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def claim(limit: int = 10) -> list[OutboxMessage]:
    """Claim up to ``limit`` due rows that no earlier row of their ordering key holds back."""
    now = timezone.now()
    earlier_blocking = OutboxMessage.objects.filter(
        ordering_key=OuterRef("ordering_key"), id__lt=OuterRef("id"), status__in=BLOCKING_STATUSES
    )
    with transaction.atomic():
        due = (
            OutboxMessage.objects.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            .exclude(Exists(earlier_blocking))
            .order_by("id")
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        rows = list(due[:limit])
        if not rows:
            return []
        lease_until, owner = now + _lease_seconds(), new_lease_owner()
        OutboxMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
            status=OutboxStatus.SENDING, lease_until=lease_until, lease_owner=owner, attempts=F("attempts") + 1
        )
    for row in rows:
        row.status, row.lease_until, row.lease_owner = OutboxStatus.SENDING, lease_until, owner
        row.attempts += 1
    return rows


def _renew(message: OutboxMessage) -> bool:
    """Right before a claimed row is sent, extend its lease from now; ``False`` when the row is no longer ours (a
    batch that outlived its lease: another worker recovered and claimed the row, and sends it)."""
    lease_until = timezone.now() + _lease_seconds()
    renewed = OutboxMessage.objects.filter(
        pk=message.pk, status=OutboxStatus.SENDING, lease_owner=message.lease_owner
    ).update(lease_until=lease_until)
    message.lease_until = lease_until
    return bool(renewed)


def deliver(message: OutboxMessage) -> str:
    """Carry out one claimed row and record what happened; returns the row's new status (``sending``: the row was
    no longer ours, nothing was done)."""
    if not _renew(message):
        logger.warning("Outbox %s #%s: lease lost before sending; its new holder sends it", message.kind, message.pk)
        return OutboxStatus.SENDING
    if not breaker_allows(message.platform):
        # Not an attempt: the platform is known to be down. Wait for the breaker, keep the row's place.
        open_until = CircuitBreaker.objects.get(platform=message.platform).open_until or timezone.now()
        _finish(message, status=OutboxStatus.PENDING, attempts=F("attempts") - 1, next_attempt_at=open_until)
        return OutboxStatus.PENDING
    try:
        result = HANDLERS[message.kind](message)
    except NotYet as exc:  # the platform answered: it is up, what we need is late
        breaker_success(message.platform)
        return _retry_or_park(message, exc, exc.retry_after, backoff=False)
    except TransientError as exc:
        breaker_failure(message.platform, client=message.client)
        return _retry_or_park(message, exc, exc.retry_after)
    except PlatformError as exc:
        breaker_success(message.platform)  # the platform answered: it is up, the request was wrong
        logger.warning("Outbox %s #%s refused permanently: %s", message.kind, message.pk, exc)
        _finish(message, status=OutboxStatus.FAILED, last_error=str(exc)[:4000], last_status_code=exc.status)
        return OutboxStatus.FAILED
    except Exception as exc:  # a bug or an unexpected answer: retried like a transient failure, and logged
        logger.exception("Outbox %s #%s crashed", message.kind, message.pk)
        return _retry_or_park(message, exc, None)
    breaker_success(message.platform)
    _finish(
        message,
        status=OutboxStatus.DONE,
        sent_at=timezone.now(),
        result=result or {},
        last_error="",
        last_status_code=None,
    )
    return OutboxStatus.DONE


def _retry_or_park(message: OutboxMessage, exc: Exception, retry_after: float | None, *, backoff: bool = True) -> str:
    now = timezone.now()
    status_code = getattr(exc, "status", None)
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS or now >= message.give_up_at:
        logger.error("Outbox %s #%s parked after %s attempts: %s", message.kind, message.pk, message.attempts, exc)
        _finish(message, status=OutboxStatus.FAILED, last_error=str(exc)[:4000], last_status_code=status_code)
        return OutboxStatus.FAILED
    delay = backoff_seconds(message.attempts, retry_after) if backoff else retry_after or 0
    _finish(
        message,
        status=OutboxStatus.PENDING,
        next_attempt_at=now + timedelta(seconds=delay),
        last_error=str(exc)[:4000],
        last_status_code=status_code,
    )
    return OutboxStatus.PENDING


def _finish(message: OutboxMessage, **fields) -> None:
    """Record the outcome; only the worker holding the lease may (a row re-claimed after its lease expired
    belongs to the new holder)."""
    OutboxMessage.objects.filter(pk=message.pk, status=OutboxStatus.SENDING, lease_owner=message.lease_owner).update(
        lease_until=None, lease_owner="", **fields
    )


def drain(*, max_seconds: float = 50.0, batch: int = 10) -> dict[str, int]:
    """Deliver due rows until none is left or the time budget is spent (below the q2 task timeout)."""
    recover_expired_leases()
    counts: dict[str, int] = {}
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and not stop_requested():
        rows = claim(batch)
        if not rows:
            break
        for index, row in enumerate(rows):
            if stop_requested():  # the worker is stopping: hand the rest back at once, not after their lease
                _release(rows[index:])
                return counts
            status = deliver(row)
            counts[status] = counts.get(status, 0) + 1
    return counts


def _release(rows: list[OutboxMessage]) -> None:
    """Claimed rows not tried after all go back to the queue, their claim not counted as an attempt (only rows
    still ours: one re-claimed by another worker is theirs)."""
    OutboxMessage.objects.filter(
        pk__in=[r.pk for r in rows], status=OutboxStatus.SENDING, lease_owner=rows[0].lease_owner
    ).update(status=OutboxStatus.PENDING, lease_until=None, lease_owner="", attempts=F("attempts") - 1)


# -- operator actions (audited) -------------------------------------------------------------------------------
def retry_now(message: OutboxMessage, *, actor) -> OutboxMessage:
    """Put a failed row back in the queue with a fresh give-up window."""
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if message.status != OutboxStatus.FAILED:
            raise ValueError(f"Only failed calls can be retried; this one is {message.get_status_display()}.")
        now = timezone.now()
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = now
        message.give_up_at = now + timedelta(hours=settings.OUTBOX_GIVE_UP_HOURS)
        message.save(update_fields=["status", "next_attempt_at", "give_up_at"])
        audit.record(
            "integrations.outbox.retry",
            actor=actor,
            client=message.client,
            obj=message,
            before={"status": OutboxStatus.FAILED, "last_error": message.last_error},
            after={"status": OutboxStatus.PENDING},
        )
        transaction.on_commit(kick)
    return message


def has_pending(*, ordering_key: str, task: int) -> bool:
    """A call for one task of one ordering key is queued or on its way (the platform's view is older than ours)."""
    return OutboxMessage.objects.filter(
        ordering_key=ordering_key, status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING], payload__task=task
    ).exists()


def pending_for(*, ordering_key: str, kinds, task: int):
    """Rows not yet delivered (queued, or parked) of ``kinds`` for one task of one ordering key."""
    return OutboxMessage.objects.filter(
        ordering_key=ordering_key,
        kind__in=list(kinds),
        status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED],
        payload__task=task,
    )


def withdraw(rows, *, reason: str) -> int:
    """Greenlight itself gives up rows that must never be sent (the platform settled the matter without them, e.g.
    a completion of a task someone completed in OpenText first); audited like an operator's discard. Call it inside
    the transaction of the change that makes them moot. Returns how many were withdrawn."""
    withdrawn = 0
    for message in rows.select_for_update().order_by("id"):
        if message.status not in (OutboxStatus.PENDING, OutboxStatus.FAILED):
            continue
        OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.DISCARDED, last_error=reason[:4000])
        audit.record(
            "integrations.outbox.withdraw",
            client=message.client,
            obj=message,
            before={"status": message.status},
            after={"status": OutboxStatus.DISCARDED},
            reason=reason,
        )
        withdrawn += 1
    if withdrawn:
        transaction.on_commit(kick)  # later rows of the same object may proceed now
    return withdrawn


def discard(message: OutboxMessage, *, actor, reason: str) -> OutboxMessage:
    """Give up a queued or failed call for good (it will never be sent); later calls of its object proceed."""
    if not reason.strip():
        raise ValueError("Say why this call is discarded; it is kept in the audit trail.")
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().get(pk=message.pk)
        if message.status not in (OutboxStatus.FAILED, OutboxStatus.PENDING):
            raise ValueError(f"A call that is {message.get_status_display().lower()} cannot be discarded.")
        before = message.status
        message.status = OutboxStatus.DISCARDED
        message.save(update_fields=["status"])
        audit.record(
            "integrations.outbox.discard",
            actor=actor,
            client=message.client,
            obj=message,
            before={"status": before},
            after={"status": OutboxStatus.DISCARDED},
            reason=reason,
        )
        transaction.on_commit(kick)
    return message
