"""The personal rights-calendar feed (``CalendarFeed``): its token, creating, replacing and turning it off (each
audited), finding the feed a token opens, and its content as iCalendar events.

A token is ``<owner id>:<signature>`` (see ``CalendarFeed``). A wrong, replaced or turned-off token, a feed whose
owner is inactive, and anything malformed are all the same "no feed" (the view answers a plain 404).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from apps.audit import services as audit
from apps.clients.models import Client

from . import ics
from .lapses import Lapse
from .models import CalendarFeed

FEED_ROTATE = "exceptions.calendar_feed.rotate"
FEED_STOP = "exceptions.calendar_feed.stop"
HORIZON = timedelta(days=366)  # how far ahead a feed looks
LIMIT = 2000  # lapses per feed
USE_GRANULARITY = timedelta(minutes=15)  # ``last_used_at`` is written at most this often per feed
_TOKEN = re.compile(r"([0-9]{1,18}):[A-Za-z0-9_-]{1,100}")  # ASCII digits only ("²".isdigit() is True)


def _signer(version: int) -> signing.Signer:
    # The salt's form predates the model (it held an audit event id then): migrated feeds keep their URLs.
    return signing.Signer(salt=f"greenlight.exceptions.calendar-feed.{version}")


def _new_version() -> int:
    return secrets.randbits(62)  # random, not a counter: a feed deleted and created again never reuses one


def token_of(feed: CalendarFeed) -> str:
    return _signer(feed.version).sign(str(feed.owner_id))


def active_feed(user) -> CalendarFeed | None:
    """The user's feed while it is on (and its client, if any, still theirs); None otherwise."""
    return CalendarFeed.objects.visible_to(user).filter(revoked_at__isnull=True).select_related("client").first()


def feed_token(user) -> str | None:
    """The user's current feed token, or None when they have no feed (never created, or turned off)."""
    feed = active_feed(user)
    return token_of(feed) if feed else None


def feed_for_token(token: str) -> CalendarFeed | None:
    """The feed this token opens (with its active owner), or None for anything else; notes the use."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        return None
    feed = (
        CalendarFeed.objects.filter(owner_id=int(match[1]), revoked_at__isnull=True, owner__is_active=True)
        .select_related("owner", "client")
        .first()
    )
    if feed is None:
        return None
    try:
        if _signer(feed.version).unsign(token) != match[1]:
            return None
    except signing.BadSignature:
        return None
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at >= USE_GRANULARITY:
        # A calendar polls every hour or so: one write per quarter hour at most, and never two at once.
        CalendarFeed.objects.filter(pk=feed.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_GRANULARITY)
        ).update(last_used_at=now)
    return feed


def rotate_feed(user, *, client: Client | None = None) -> CalendarFeed:
    """Create the user's feed, or replace its URL (every earlier URL stops working), showing ``client``'s lapses
    only, or every client's (None). ``client`` must be one the user may see. Audited."""
    if client is not None and not Client.objects.visible_to(user).filter(pk=client.pk).exists():
        raise ValueError("A feed can show only clients you are a member of.")
    now = timezone.now()
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(owner=user).first()
        if feed is None:
            feed = CalendarFeed.objects.create(owner=user, client=client, version=_new_version(), created_at=now)
            reason = "Feed URL created."
        else:
            replaced = feed.is_active
            feed.client, feed.version, feed.revoked_at = client, _new_version(), None
            if replaced:
                feed.rotated_at = now
            else:  # turned on again: a new URL, as when it was first created
                feed.created_at, feed.rotated_at, feed.last_used_at = now, None, None
            feed.save(update_fields=["client", "version", "revoked_at", "rotated_at", "created_at", "last_used_at"])
            reason = "Feed URL replaced." if replaced else "Feed URL created."
        audit.record(
            FEED_ROTATE, actor=user, obj=feed, reason=reason, after={"client": client.slug if client else None}
        )
    return feed


def stop_feed(user) -> bool:
    """Turn the user's feed off: its URL answers 404 from now on. Audited; False when it was not on."""
    with transaction.atomic():
        feed = CalendarFeed.objects.select_for_update().filter(owner=user, revoked_at__isnull=True).first()
        if feed is None:
            return False
        feed.revoked_at = timezone.now()
        feed.save(update_fields=["revoked_at"])
        audit.record(FEED_STOP, actor=user, obj=feed, reason="Feed turned off.")
    return True


def feed_url(request, token: str) -> str:
    return request.build_absolute_uri(f"{reverse('exceptions:calendar_feed')}?{urlencode({'token': token})}")


def lapse_events(items: list[Lapse], *, base: str, now: datetime) -> list[ics.AllDayEvent]:
    """One all-day event per asset on the day its rights end (in the current time zone). The UID is stable per
    asset and day, so a calendar updates the event in place and drops it when the date moves."""
    root = base.rstrip("/")
    events = []
    for item in items:
        asset, when = item.asset, timezone.localtime(item.lapse_at)
        name, holder = asset.name or asset.content_element_uuid, asset.client.name
        if item.case is not None:
            link = root + item.case.get_absolute_url()
            follow = f"Case: {link}"
        else:
            link = root + reverse("assets:asset_detail", args=[asset.pk])
            follow = f"No case is open yet. Asset: {link}"
        events.append(
            ics.AllDayEvent(
                uid=f"asset-{asset.pk}-lapse-{when.date():%Y%m%d}@greenlight",
                day=when.date(),
                stamp=max(filter(None, [asset.updated_at, item.case.opened_at if item.case else None]), default=now),
                summary=f"Rights lapse: {name} ({holder})",
                description=f"The rights of “{name}” ({holder}) end on {when.day} {when:%b %Y at %H:%M %Z}.\n{follow}",
                url=link,
            )
        )
    return events
