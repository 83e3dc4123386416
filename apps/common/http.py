"""Reading what a request carries, safely: where to go next, and whole numbers typed into forms and query strings."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.dateparse import parse_datetime
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, default: str = "dashboard") -> str:
    """The ``next`` the request carries (POST first, then the query string) when it points at this site, otherwise
    ``default`` (a URL name or a path). Never an address elsewhere: ``next=https://evil.example/`` is an open
    redirect, and ``//evil.example`` or ``/\\evil.example`` are the same thing in disguise."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: Django's ``redirect`` reverses anything else as a URL name ("²" was a 500).
    local = target.startswith("/") and not target.startswith("//")
    if local and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(default) if default else ""


def whole_number(raw: str | None) -> int | None:
    """``raw`` as a non-negative whole number written in ASCII digits, or None. ``"²".isdigit()`` is True and
    ``int("²")`` raises, so ``str.isdigit`` alone lets a crafted value through to a 500."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


def moment_or_none(raw: str | None) -> dt.datetime | None:
    """An ISO 8601 date-time, or None for anything else: a malformed one, an impossible date (``2024-13-45``: Django's
    parser raises for those), or a UTC offset no database accepts (beyond ±15:59)."""
    try:
        when = parse_datetime(raw or "")
    except ValueError:
        return None
    if when is not None and when.utcoffset() is not None and abs(when.utcoffset()) >= dt.timedelta(hours=16):
        return None
    return when
