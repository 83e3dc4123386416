"""Sign-in and password-reset limits (ASVS 6.1.1, 6.3) and the client address they are keyed on.

Sign-in counts **failures**, in two counters:

- *account and address*: the failures of one account from one client address. The first
  ``LOGIN_FAILURES_BEFORE_DELAY`` are free; each further one makes that address wait before its next try,
  ``LOGIN_DELAY_SECONDS`` doubling up to ``LOGIN_MAX_DELAY_SECONDS`` ("try again in 30 seconds"). Other addresses
  are not held up, so nobody can lock a person out of their account by guessing wrong on purpose. The count is
  forgotten after a day without failures, or at a successful sign-in from that address.
- *address*: failures from one address against any accounts, ``LOGIN_FAILURES_PER_IP`` per
  ``LOGIN_IP_WINDOW_SECONDS`` (generous, since an office shares one address), so one address cannot sweep accounts.

An attempt is counted before its password is checked and given back when it succeeds: only failures stay counted,
and twenty simultaneous guesses get exactly the free checks (each counter is a row locked for its update;
SQLite's IMMEDIATE transactions serialise the same way). Unknown e-mail addresses are counted like known ones, so
the answers reveal nothing. IPv6 clients are counted per /64, the block one subscriber usually holds.

Password-reset requests are counted per client address and per e-mail address in fixed windows.

The client address is ``REMOTE_ADDR``, unless ``TRUST_X_FORWARDED_FOR`` says how many proxies stand in front of the
portal; each appends the address it received the request from to ``X-Forwarded-For``, so the entry that many places
from the right is the one the outermost proxy saw (entries further left were written by the client).
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from .models import LoginThrottle, normalize_email

# How long the failures of one account from one address are remembered after the last one.
FAILURE_MEMORY_SECONDS = 24 * 3600
# Expired rows are deleted once they have been expired this long (never while an attempt may be using them).
PRUNE_AFTER_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_seconds: int = 0


ALLOWED = Verdict(allowed=True)


# -- the client address ------------------------------------------------------------------------------------------


def _parse_address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    candidates = [value]
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        candidates.append(value[1 : value.index("]")])
    elif value.count(":") == 1:  # "203.0.113.7:443"
        candidates.append(value.split(":")[0])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        mapped = getattr(address, "ipv4_mapped", None)
        return mapped or address
    return None


def client_ip(request) -> str | None:
    """The client's address as this deployment can know it (see the module docstring), or ``None``."""
    remote = _parse_address(request.META.get("REMOTE_ADDR") or "")
    proxies = settings.TRUST_X_FORWARDED_FOR
    if proxies:
        forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if entry.strip()]
        if forwarded:
            # Fewer entries than proxies: the request entered behind the outer ones, whose left-most entry the
            # first proxy it met wrote (DRF's NUM_PROXIES reads the header the same way).
            address = _parse_address(forwarded[-min(proxies, len(forwarded))])
            if address is not None:
                return str(address)
    return str(remote) if remote is not None else None


def _bucket(ip: str | None) -> str:
    """What one client's attempts are counted under: the address, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _digest(*parts: str) -> str:
    """Keys hold no e-mail address in clear (and stay short whatever was typed)."""
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _pair_key(email: str, ip: str | None) -> str:
    return f"signin-pair:{_digest(normalize_email(email), _bucket(ip))}"


def _ip_key(ip: str | None) -> str:
    return f"signin-ip:{_bucket(ip)}"


# -- counters ----------------------------------------------------------------------------------------------------


def _locked(key: str) -> LoginThrottle:
    """The counter ``key``, created if missing, locked until the end of the caller's transaction."""
    for _ in range(3):
        row = LoginThrottle.objects.select_for_update().filter(key=key).first()
        if row is not None:
            return row
        # ON CONFLICT DO NOTHING: two first attempts at once both end up locking the one row.
        LoginThrottle.objects.bulk_create([LoginThrottle(key=key)], ignore_conflicts=True)
    raise RuntimeError(f"The throttle row {key!r} vanished three times while being locked.")


def _renew_window(row: LoginThrottle, now: int, window: int) -> None:
    """Start counting afresh when the row's window is over."""
    if now >= row.expires_at:
        row.count = 0
        row.blocked_until = 0
        row.expires_at = now + window


def _prune(now: int) -> None:
    LoginThrottle.objects.filter(expires_at__lt=now - PRUNE_AFTER_SECONDS, blocked_until__lt=now).delete()


def delay_after(failures: int) -> int:
    """The wait before the next try after ``failures`` failures of one account from one address."""
    extra = failures - settings.LOGIN_FAILURES_BEFORE_DELAY
    if extra < 0:
        return 0
    return min(settings.LOGIN_DELAY_SECONDS * 2 ** min(extra, 30), settings.LOGIN_MAX_DELAY_SECONDS)


# -- sign-in -----------------------------------------------------------------------------------------------------


def register_attempt(email: str, ip: str | None) -> Verdict:
    """Count a sign-in attempt as a failure before its password is checked; ``allowed`` False means: do not check
    it (nothing is counted then). Call :func:`register_success` when the password was right."""
    now = int(time.time())
    _prune(now)
    with transaction.atomic():
        pair = _locked(_pair_key(email, ip))
        if pair.blocked_until > now:
            return Verdict(allowed=False, retry_after_seconds=pair.blocked_until - now)
        by_ip = _locked(_ip_key(ip))
        _renew_window(by_ip, now, settings.LOGIN_IP_WINDOW_SECONDS)
        if by_ip.count >= settings.LOGIN_FAILURES_PER_IP:
            return Verdict(allowed=False, retry_after_seconds=by_ip.expires_at - now)
        by_ip.count += 1
        by_ip.save(update_fields=["count", "blocked_until", "expires_at"])
        if now >= pair.expires_at:
            pair.count = 0
        pair.count += 1
        pair.expires_at = now + FAILURE_MEMORY_SECONDS
        delay = delay_after(pair.count)
        pair.blocked_until = now + delay if delay else 0
        pair.save(update_fields=["count", "blocked_until", "expires_at"])
    return ALLOWED


def register_success(email: str, ip: str | None) -> None:
    """The password was right: forget this account's failures from this address and give the address its attempt
    back. Failures of the account from other addresses stay counted."""
    LoginThrottle.objects.filter(key=_pair_key(email, ip)).delete()
    LoginThrottle.objects.filter(key=_ip_key(ip), count__gt=0).update(count=F("count") - 1)


# -- password reset ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResetVerdict:
    allowed: bool  # False: this client address asked too often; refuse the request
    send: bool  # False: this e-mail address was sent enough mails this hour; answer as usual, send nothing
    retry_after_seconds: int = 0


def register_reset_request(email: str, ip: str | None) -> ResetVerdict:
    """Count a password-reset request per client address and per e-mail address, known or not."""
    now = int(time.time())
    window = settings.PASSWORD_RESET_WINDOW_SECONDS
    _prune(now)
    with transaction.atomic():
        by_ip = _locked(f"reset-ip:{_bucket(ip)}")
        _renew_window(by_ip, now, window)
        if by_ip.count >= settings.PASSWORD_RESETS_PER_IP:
            return ResetVerdict(allowed=False, send=False, retry_after_seconds=by_ip.expires_at - now)
        by_ip.count += 1
        by_ip.save(update_fields=["count", "blocked_until", "expires_at"])
        by_address = _locked(f"reset-address:{_digest(normalize_email(email))}")
        _renew_window(by_address, now, window)
        by_address.count += 1
        by_address.save(update_fields=["count", "blocked_until", "expires_at"])
    return ResetVerdict(allowed=True, send=by_address.count <= settings.PASSWORD_RESETS_PER_ADDRESS)


def wait_text(seconds: int) -> str:
    """'30 seconds', '1 minute', '15 minutes': how long a person waits, rounded up."""
    seconds = max(1, int(seconds))
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes"
