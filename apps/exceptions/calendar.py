"""The rights calendar: when the rights of the viewer's clients' assets lapse, by week, and the same dates as a
personal ICS feed (``/cases/calendar.ics?token=…``) for a calendar application.

Reads ``Asset.rights_until`` as a bare column against constants computed here (never a function of the column), so
``asset_client_rights_until_idx`` (client, rights_until) serves every range.

The feed's token is ``<user id>:<signature>``: a ``django.core.signing`` signature of the user id, salted with the id
of the user's latest feed audit event. Creating or rotating the feed appends an audit event (the trail is
append-only, so the state cannot be rewritten), which changes the salt and so invalidates every earlier URL; turning
the feed off appends a "stop" event. Nothing secret is stored: without the secret key nobody can forge a token, and
the page can show the URL again. A wrong, rotated or stopped token, and an inactive user, are all a plain 404.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.accounts.models import User
from apps.assets.models import Asset
from apps.audit import services as audit
from apps.audit.models import AuditEvent
from apps.clients.models import Client
from apps.common.active_client import params_with_active_client
from apps.common.paging import ascending_page

from .models import Case
from .services import SETTLED

WINDOW_CHOICES = [("30", "Next 30 days"), ("90", "Next 90 days"), ("180", "Next 180 days"), ("365", "Next 12 months")]
DEFAULT_WINDOW = 90
# Rights that ended this recently and were not yet swept still show, as lapsed (the sweep runs every 15 minutes).
LOOKBACK = timedelta(days=30)
WEEK, MONTH = timedelta(days=7), timedelta(days=30)
PAGE_SIZE = 200
FEED_HORIZON = timedelta(days=366)
FEED_LIMIT = 2000

FEED_ROTATE = "exceptions.calendar_feed.rotate"
FEED_STOP = "exceptions.calendar_feed.stop"


# -- states ---------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LapseState:
    """How near a lapse is, in words and a colour class (never colour alone)."""

    code: str  # lapsed / week / month / later
    css: str  # a ``due-*`` class
    label: str  # the state in words
    detail: str  # when, in words


def lapse_state(lapse_at: datetime, now: datetime) -> LapseState:
    local, today = timezone.localtime(lapse_at), timezone.localdate(now)
    days = (local.date() - today).days
    if lapse_at <= now:
        ago = -days
        when = "today" if ago == 0 else "yesterday" if ago == 1 else f"{ago} days ago"
        return LapseState("lapsed", "overdue", "Lapsed", f"Rights ended {when}")
    when = f"today at {local:%H:%M}" if days == 0 else "tomorrow" if days == 1 else f"in {days} days"
    if lapse_at - now <= WEEK:
        return LapseState("week", "today", "This week", f"Rights end {when}")
    if lapse_at - now <= MONTH:
        return LapseState("month", "soon", "This month", f"Rights end {when}")
    return LapseState("later", "later", "Later", f"Rights end on {local.day} {local:%b %Y}")


@dataclass
class Lapse:
    """One asset whose rights lapse (or lapsed), with its open case if any."""

    asset: Asset
    lapse_at: datetime
    case: Case | None
    state: LapseState


@dataclass
class Week:
    monday: date
    lapses: list[Lapse]
    is_current: bool


# -- reading ----------------------------------------------------------------------------------------------------------
def _assets(user, client: Client | None):
    assets = Asset.objects.visible_to(user).exclude(approval_state__in=SETTLED).select_related("client")
    if client is not None:
        assets = assets.filter(client=client)
    return assets.only("id", "name", "content_element_uuid", "rights_until", "updated_at", "client", "client__name")


def _open_cases(user, asset_ids) -> dict[int, Case]:
    """The open case of each asset (the one due first when there are several)."""
    cases = Case.objects.visible_to(user).open().filter(asset_id__in=asset_ids).order_by("-due_at", "-id")
    return {case.asset_id: case for case in cases.only("id", "asset_id", "title", "due_at", "opened_at")}


def _lapsed_with_open_case(user, client: Client | None, now: datetime, since: datetime) -> list[Case]:
    """Open cases whose rights already lapsed and were swept (``rights_until`` is then cleared): they stay on the
    calendar, as lapsed, until the case is decided."""
    cases = (
        Case.objects.visible_to(user)
        .open()
        .filter(lapse_at__lte=now)
        .filter(Q(asset__rights_until__isnull=True) | Q(asset__rights_until__lt=since))
        .exclude(asset__approval_state__in=SETTLED)
        .select_related("asset", "asset__client")
        .order_by("lapse_at", "id")
    )
    if client is not None:
        cases = cases.filter(client=client)
    return list(cases[:PAGE_SIZE])


def lapses(user, *, client: Client | None, until: datetime, now: datetime, params=None, limit: int | None = None):
    """The lapses from ``now - LOOKBACK`` to ``until``, soonest first, and the page they came from (keyset by
    ``rights_until``; the lapsed cases whose rights were already swept come first on the first page)."""
    since = now - LOOKBACK
    rows = _assets(user, client).filter(rights_until__gte=since, rights_until__lt=until)
    page = ascending_page(rows, params or {}, field="rights_until", size=limit or PAGE_SIZE)
    found: list[tuple[Asset, datetime]] = []
    if page.is_first:
        found += [(case.asset, case.lapse_at) for case in _lapsed_with_open_case(user, client, now, since)]
    found += [(asset, asset.rights_until) for asset in page.items]
    seen, unique = set(), []
    for asset, lapse_at in found:
        if asset.pk not in seen:
            seen.add(asset.pk)
            unique.append((asset, lapse_at))
    cases = _open_cases(user, seen)
    items = [Lapse(asset, at, cases.get(asset.pk), lapse_state(at, now)) for asset, at in unique]
    return items, page


def by_week(items: list[Lapse], now: datetime) -> tuple[list[Lapse], list[Week]]:
    """Lapsed ones apart, the rest under the Monday of their week (in the viewer's time zone)."""
    this_monday = _monday(timezone.localdate(now))
    lapsed = sorted((item for item in items if item.state.code == "lapsed"), key=lambda item: item.lapse_at)
    weeks: dict[date, Week] = {}
    for item in items:
        if item.state.code == "lapsed":
            continue
        monday = _monday(timezone.localtime(item.lapse_at).date())
        weeks.setdefault(monday, Week(monday, [], monday == this_monday)).lapses.append(item)
    return lapsed, sorted(weeks.values(), key=lambda week: week.monday)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


# -- the page ---------------------------------------------------------------------------------------------------------
class CalendarFilterForm(forms.Form):
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(), to_field_name="slug", required=False, empty_label="All my clients"
    )
    window = forms.TypedChoiceField(
        choices=WINDOW_CHOICES, coerce=int, required=False, empty_value=DEFAULT_WINDOW, label="Lapsing within"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.visible_to(user).order_by("name")


@login_required
@vary_on_headers("HX-Request")
def rights_calendar(request):
    params = params_with_active_client(request)
    params.setdefault("window", str(DEFAULT_WINDOW))
    form = CalendarFilterForm(params, user=request.user)
    now = timezone.now()
    context = {"form": form, "now": now, "page": None, "lapsed": [], "weeks": [], "counts": {}}
    if form.is_valid():
        window = form.cleaned_data["window"] or DEFAULT_WINDOW
        items, page = lapses(
            request.user,
            client=form.cleaned_data["client"],
            until=now + timedelta(days=window),
            now=now,
            params=params,
        )
        lapsed, weeks = by_week(items, now)
        counts = {code: sum(1 for item in items if item.state.code == code) for code in ("lapsed", "week", "month")}
        counts["later"] = len(items) - sum(counts.values())
        context.update(page=page, lapsed=lapsed, weeks=weeks, counts=counts, window=window)
    query = params.copy()
    query.pop("after", None)
    context["query"] = query
    template = "exceptions/calendar.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    else:
        token = feed_token(request.user)
        context["feed_url"] = _feed_url(request, token) if token else ""
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"  # the page shows the person's feed URL, a secret
    return response


# -- the feed's token -------------------------------------------------------------------------------------------------
def _feed_event(user_id: int) -> AuditEvent | None:
    return (
        AuditEvent.objects.filter(actor_id=user_id, action__in=[FEED_ROTATE, FEED_STOP])
        .order_by("-id")
        .only("id", "action")
        .first()
    )


def _signer(event: AuditEvent) -> signing.Signer:
    return signing.Signer(salt=f"greenlight.exceptions.calendar-feed.{event.pk}")


def feed_token(user: User) -> str | None:
    """The user's current feed token, or None when they have no feed (never created, or turned off)."""
    event = _feed_event(user.pk)
    if event is None or event.action != FEED_ROTATE:
        return None
    return _signer(event).sign(str(user.pk))


def feed_user(token: str) -> User | None:
    """The active user whose current feed token this is; None for anything else."""
    user_id, _, _ = (token or "").partition(":")
    if not user_id.isdigit() or len(user_id) > 18:
        return None
    event = _feed_event(int(user_id))
    if event is None or event.action != FEED_ROTATE:
        return None
    try:
        if _signer(event).unsign(token) != user_id:
            return None
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=int(user_id), is_active=True).first()


def rotate_feed(user: User) -> str:
    """Create the user's feed, or replace its URL (every earlier URL stops working). Audited."""
    with transaction.atomic():
        had = feed_token(user) is not None
        audit.record(FEED_ROTATE, actor=user, obj=user, reason="Feed URL replaced." if had else "Feed URL created.")
    return feed_token(user) or ""


def stop_feed(user: User) -> None:
    """Turn the user's feed off: its URL answers 404 from now on. Audited."""
    with transaction.atomic():
        audit.record(FEED_STOP, actor=user, obj=user, reason="Feed turned off.")


def _feed_url(request, token: str) -> str:
    return request.build_absolute_uri(f"{reverse('exceptions:calendar_feed')}?{urlencode({'token': token})}")


@login_required
@require_POST
def calendar_feed_rotate(request):
    had = feed_token(request.user) is not None
    rotate_feed(request.user)
    if had:
        messages.success(request, "Your calendar feed has a new URL; the old one no longer works.")
    else:
        messages.success(request, "Your calendar feed is ready: add its URL to your calendar application.")
    return redirect(f"{reverse('exceptions:rights_calendar')}#feed")


@login_required
@require_POST
def calendar_feed_stop(request):
    stop_feed(request.user)
    messages.success(request, "Your calendar feed is turned off; its URL no longer works.")
    return redirect(f"{reverse('exceptions:rights_calendar')}#feed")


# -- the feed ---------------------------------------------------------------------------------------------------------
@require_GET
def calendar_feed(request):
    """The lapse dates of the token holder's clients' assets as iCalendar (RFC 5545). Authenticated by the token
    alone: the session is never read, so a signed-in visitor without the token gets the same 404 as anyone."""
    user = feed_user(request.GET.get("token", ""))
    if user is None:
        raise Http404("No such feed.")
    now = timezone.now()
    zone = zoneinfo.ZoneInfo(user.time_zone or "UTC")
    with timezone.override(zone):
        items, _page = lapses(user, client=None, until=now + FEED_HORIZON, now=now, limit=FEED_LIMIT)
        body = build_ics(items, base=request.build_absolute_uri("/"), now=now)
    response = HttpResponse(body.encode(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="greenlight-rights.ics"'
    response["Cache-Control"] = "private, no-cache"
    response["X-Robots-Tag"] = "noindex"
    return response


def build_ics(items: list[Lapse], *, base: str, now: datetime) -> str:
    """One all-day VEVENT per asset on the day its rights end (in the current time zone). The UID is stable per
    asset and day, so a calendar updates the event in place and drops it when the date moves."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Greenlight//Rights calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Greenlight rights lapses",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    root = base.rstrip("/")
    for item in items:
        asset, day = item.asset, timezone.localtime(item.lapse_at).date()
        name = asset.name or asset.content_element_uuid
        if item.case is not None:
            link = root + item.case.get_absolute_url()
            follow = f"Case: {link}"
        else:
            link = root + reverse("assets:asset_detail", args=[asset.pk])
            follow = f"No case is open yet. Asset: {link}"
        when = timezone.localtime(item.lapse_at)
        description = (
            f"The rights of “{name}” ({asset.client.name}) end on {when.day} {when:%b %Y at %H:%M %Z}.\n{follow}"
        )
        stamp = max(filter(None, [asset.updated_at, item.case.opened_at if item.case else None]), default=now)
        lines += [
            "BEGIN:VEVENT",
            f"UID:asset-{asset.pk}-lapse-{day:%Y%m%d}@greenlight",
            f"DTSTAMP:{_utc(stamp)}",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{ics_text(f'Rights lapse: {name} ({asset.client.name})')}",
            f"DESCRIPTION:{ics_text(description)}",
            f"URL:{link}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _utc(moment: datetime) -> str:
    return moment.astimezone(zoneinfo.ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def ics_text(value: str) -> str:
    """RFC 5545 3.3.11 TEXT: backslash, semicolon and comma escaped, line breaks as ``\\n``."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """RFC 5545 3.1: lines longer than 75 octets continue on the next line after a space, never inside a UTF-8
    character."""
    if len(line.encode()) <= limit:
        return line
    parts, current, size = [], "", 0
    for char in line:
        octets = len(char.encode())
        if size + octets > limit:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += octets
    parts.append(current)
    return "\r\n".join(parts)
