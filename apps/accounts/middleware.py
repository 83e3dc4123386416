"""Session lifetime and per-user time zone."""

from __future__ import annotations

import time
import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from apps.common import user_cache

from .signals import NOTICES

LOGIN_AT = "greenlight_login_at"
LAST_SEEN = "greenlight_last_seen"
# Refresh the idle clock at most once a minute so that reading pages does not write the session every time.
LAST_SEEN_RESOLUTION = 60


def start_session_clock(request) -> None:
    """Called at login: the absolute and idle clocks both start now."""
    now = int(time.time())
    request.session[LOGIN_AT] = now
    request.session[LAST_SEEN] = now


class SessionTimeoutMiddleware:
    """End a session after ``SESSION_IDLE_TIMEOUT`` idle seconds or ``SESSION_COOKIE_AGE`` since login (ASVS 7.3).

    htmx requests whose session ended get an ``HX-Redirect`` to the login page instead of a login form swapped
    into a fragment.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            login_at = request.session.get(LOGIN_AT, now)
            last_seen = request.session.get(LAST_SEEN, now)
            if now - last_seen > settings.SESSION_IDLE_TIMEOUT or now - login_at > settings.SESSION_COOKIE_AGE:
                logout(request)
                messages.info(request, "You were signed out after a period of inactivity. Please sign in again.")
                return self._to_login(request)
            if now - last_seen >= LAST_SEEN_RESOLUTION or LOGIN_AT not in request.session:
                request.session[LAST_SEEN] = now
                request.session.setdefault(LOGIN_AT, login_at)
        response = self.get_response(request)
        if getattr(request, "htmx", False) and isinstance(response, HttpResponseRedirect):
            login_url = resolve_url(settings.LOGIN_URL)
            if response.url.startswith(login_url):
                return HttpResponseClientRedirect(response.url)
        return response

    def _to_login(self, request):
        url = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.get_full_path()})}"
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(url)
        return HttpResponseRedirect(url)


class UserTimezoneMiddleware:
    """Show every date in the signed-in user's time zone (stored values stay UTC)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.time_zone:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class NoticeMiddleware:
    """Turn a signed-in person's unread notices into toasts on their next full page (one indexed query, or none:
    "nothing unread" is kept in the per-person cache until a notice is written for them, ``Notice.save``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not request.path.startswith("/api/"):
            from django.contrib import messages as django_messages

            from .models import Notice

            unread = user_cache.remember(NOTICES, user.pk, lambda: list(Notice.objects.unread_for(user)))
            if unread:
                for notice in unread:
                    level = django_messages.WARNING if notice.level == "warning" else django_messages.INFO
                    django_messages.add_message(request, level, notice.text)
                Notice.objects.filter(pk__in=[n.pk for n in unread]).update(read_at=timezone.now())
                user_cache.forget(NOTICES, [user.pk])
        return self.get_response(request)
