"""Reading what a request carries, safely: where to go next, and whole numbers typed into forms and query strings."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def next_url(request: HttpRequest, default: str = "dashboard") -> str:
    """The ``next`` the request carries (POST first, then the query string) when it points at this site, otherwise
    ``default`` (a URL name or a path). Never an address elsewhere: ``next=https://evil.example/`` is an open
    redirect, and ``//evil.example`` or ``/\\evil.example`` are the same thing in disguise."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return resolve_url(default) if default else ""


def whole_number(raw: str | None) -> int | None:
    """``raw`` as a non-negative whole number written in ASCII digits, or None. ``"²".isdigit()`` is True and
    ``int("²")`` raises, so ``str.isdigit`` alone lets a crafted value through to a 500."""
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None
