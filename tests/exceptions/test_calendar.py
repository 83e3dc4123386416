"""The rights calendar (grouping by week, states in words and colour, filters, tenancy) and the personal ICS feed
(RFC 5545 content parsed back line by line, token rotation and refusal)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from apps.assets.choices import ApprovalState, RightsState
from apps.audit.models import AuditEvent
from apps.common.roles import RoleCode
from apps.exceptions import feeds, lapses
from apps.exceptions.ics import fold, text
from apps.exceptions.lapses import lapse_state
from tests.exceptions.test_api import asset, case
from tests.factories import member

pytestmark = pytest.mark.django_db


def _monday(moment):
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


@pytest.fixture
def library(client_a, client_b):
    """Client A's assets at every distance from now, plus some that must never show; one asset of client B."""
    now = timezone.now()
    a = {
        "hours": asset(client_a, "Lapses in hours", lapse_days=0),
        "days": asset(client_a, "Lapses in five days", lapse_days=5),
        "month": asset(client_a, "Lapses in twelve days", lapse_days=12),
        "later": asset(client_a, "Lapses in 45 days", lapse_days=45),
        "beyond": asset(client_a, "Lapses in 120 days", lapse_days=120),
        "unswept": asset(client_a, "Lapsed, not yet swept", lapse_days=-2),
        "swept": asset(client_a, "Lapsed and swept", lapse_days=-3),
        "withdrawn": asset(client_a, "Withdrawn one", lapse_days=3, approval=ApprovalState.WITHDRAWN),
        "long_ago": asset(client_a, "Lapsed long ago", lapse_days=-40),
        "beta": asset(client_b, "Beta Brands hero", lapse_days=3),
    }
    a["hours"].rights_until = now + timedelta(hours=2)
    a["hours"].save(update_fields=["rights_until"])
    a["cases"] = {
        "hours": case(client_a, a["hours"]),
        "swept": case(client_a, a["swept"]),
        "month": case(client_a, a["month"], state="closed", disposition="renewed"),
    }
    # the sweep marks lapsed rights expired and clears rights_until; the case keeps the lapse
    type(a["swept"]).objects.filter(pk=a["swept"].pk).update(rights_until=None, rights_state=RightsState.EXPIRED)
    return a


def _ids(items):
    return [item.asset.pk for item in items]


# -- states -----------------------------------------------------------------------------------------------------------
def test_lapse_states_change_as_the_date_nears():
    # days are counted in calendar days: noon keeps "in 2 days and an hour" on the day after tomorrow at any hour the
    # suite runs (from 23:00 UTC it fell on the third day)
    now = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0)
    assert lapse_state(now - timedelta(days=3), now) == lapses.LapseState(
        "lapsed", "overdue", "Lapsed", "Rights ended 3 days ago"
    )
    assert lapse_state(now - timedelta(seconds=1), now).code == "lapsed"
    assert lapse_state(now + timedelta(days=2, hours=1), now).detail == "Rights end in 2 days"
    assert lapse_state(now + timedelta(days=7), now).code == "week"
    assert lapse_state(now + timedelta(days=7, seconds=1), now).code == "month"
    assert lapse_state(now + timedelta(days=30), now).css == "soon"
    later = lapse_state(now + timedelta(days=40), now)
    assert later.code == "later" and later.detail.startswith("Rights end on ")


# -- the page ---------------------------------------------------------------------------------------------------------
def test_calendar_groups_lapses_by_week_with_their_state_and_case(library, agency_admin, client):
    client.force_login(agency_admin)
    response = client.get("/cases/calendar/")
    assert response.status_code == 200
    lapsed, weeks = response.context["lapsed"], response.context["weeks"]
    assert set(_ids(lapsed)) == {library["unswept"].pk, library["swept"].pk}
    assert all(item.state.code == "lapsed" for item in lapsed)
    upcoming = [item for week in weeks for item in week.lapses]
    assert _ids(upcoming) == [library[k].pk for k in ("hours", "days", "month", "later")]
    assert [item.state.code for item in upcoming] == ["week", "week", "month", "later"]
    assert [week.monday for week in weeks] == sorted({_monday(item.lapse_at) for item in upcoming})
    for week in weeks:
        assert all(_monday(item.lapse_at) == week.monday for item in week.lapses)
    assert weeks[0].is_current == (weeks[0].monday == _monday(timezone.now()))
    by_asset = {item.asset.pk: item for item in [*lapsed, *upcoming]}
    assert by_asset[library["hours"].pk].case == library["cases"]["hours"]
    assert by_asset[library["swept"].pk].case == library["cases"]["swept"]
    assert by_asset[library["month"].pk].case is None  # its case is closed
    assert response.context["counts"] == {"lapsed": 2, "week": 2, "month": 1, "later": 1}
    page = response.content.decode()
    for words in ("Already lapsed", "Week of", "Lapsed", "This week", "This month", "Later", "No open case"):
        assert words in page
    assert f'href="/cases/{library["cases"]["hours"].pk}/"' in page
    assert 'class="due due-overdue">Lapsed<' in page and 'class="due due-today">This week<' in page
    for hidden in ("Withdrawn one", "Lapsed long ago", "Beta Brands hero", "Lapses in 120 days"):
        assert hidden not in page


def test_calendar_window_and_client_filters(library, client_a, client_b, client):
    member(client_a, RoleCode.AGENCY_ADMIN, email="both@acme.example")
    both = member(client_b, RoleCode.AGENCY_ADMIN, email="both@acme.example")  # the same person, in B too
    client.force_login(both)
    wide = client.get("/cases/calendar/", {"window": "180"})
    names = {item.asset.name for week in wide.context["weeks"] for item in week.lapses}
    assert {"Lapses in 120 days", "Beta Brands hero"} <= names
    beta = client.get("/cases/calendar/", {"client": "beta"}).context
    assert [item.asset.name for week in beta["weeks"] for item in week.lapses] == ["Beta Brands hero"]
    assert beta["lapsed"] == []
    acme = client.get("/cases/calendar/", {"client": "acme"}).context
    assert "Beta Brands hero" not in {item.asset.name for week in acme["weeks"] for item in week.lapses}


def test_another_clients_slug_shows_nothing_of_it(library, agency_admin, client):
    client.force_login(agency_admin)
    response = client.get("/cases/calendar/", {"client": "beta"})
    assert response.status_code == 200 and response.context["page"] is None
    assert "Beta Brands hero" not in response.content.decode()
    assert "Some filters are not valid" in response.content.decode()


def test_htmx_gets_the_results_fragment_only(library, agency_admin, client):
    client.force_login(agency_admin)
    response = client.get("/cases/calendar/", {"window": "30"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results">') and "Your calendar feed" not in body
    assert "Lapses in twelve days" in body and "Lapses in 45 days" not in body
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_later_lapses_page_by_keyset(library, agency_admin, client, monkeypatch):
    monkeypatch.setattr(lapses, "PAGE_SIZE", 3)
    client.force_login(agency_admin)
    first = client.get("/cases/calendar/")
    seen = _ids(first.context["lapsed"]) + [i.asset.pk for w in first.context["weeks"] for i in w.lapses]
    cursor = first.context["page"].next_after
    assert cursor
    second = client.get("/cases/calendar/", {"after": cursor})
    assert second.context["lapsed"] == [] or all(i.asset.pk not in seen for i in second.context["lapsed"])
    more = [i.asset.pk for w in second.context["weeks"] for i in w.lapses]
    assert more and not set(more) & set(seen)
    assert library["later"].pk in seen + more


def test_calendar_queries_do_not_grow_with_rows(client_a, agency_admin, client, django_assert_max_num_queries):
    for days in range(1, 31):
        case(client_a, asset(client_a, lapse_days=days))
    client.force_login(agency_admin)
    client.get("/cases/calendar/")  # warm the session
    with django_assert_max_num_queries(15):  # 14, and the top bar's unread notifications (one COUNT)
        response = client.get("/cases/calendar/")
    assert sum(len(w.lapses) for w in response.context["weeks"]) == 30


def test_case_list_links_to_the_calendar(agency_admin, client):
    client.force_login(agency_admin)
    assert '<a href="/cases/calendar/" class="btn">Rights calendar</a>' in client.get("/cases/").content.decode()


# -- the feed ---------------------------------------------------------------------------------------------------------
def _create_feed(http) -> str:
    response = http.post("/cases/calendar/feed/rotate/")
    assert response.status_code == 302 and response.url == "/cases/calendar/#feed"
    url = http.get("/cases/calendar/").context["feed_url"]
    assert url.startswith("http://testserver/cases/calendar.ics?token=")
    return url.split("?token=", 1)[1].replace("%3A", ":")


def _unfold(raw: bytes) -> list[str]:
    """RFC 5545 3.1, in reverse: every line ends with CRLF, is at most 75 octets, continues after CRLF + space."""
    assert raw.endswith(b"\r\n")
    physical = raw[:-2].split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert all(len(line) <= 75 for line in physical)
    lines: list[str] = []
    for line in physical:
        text = line.decode()
        if text.startswith(" "):
            lines[-1] += text[1:]
        else:
            lines.append(text)
    return lines


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def _events(lines: list[str]) -> list[dict[str, str]]:
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events, current = [], None
    for line in lines[1:-1]:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            events.append(current)
            current = None
        elif current is not None:
            name, _, value = line.partition(":")
            assert name not in current, f"{name} twice in one event"
            current[name] = value
    assert current is None
    return events


def test_feed_lists_each_lapse_as_an_all_day_event(library, agency_admin, client):
    odd = asset(client_a := library["hours"].client, 'Hero, "big"; part\\two\nline ' + "é" * 80, lapse_days=20)
    agency_admin.time_zone = "Pacific/Auckland"
    agency_admin.save(update_fields=["time_zone"])
    client.force_login(agency_admin)
    token = _create_feed(client)
    response = HttpClient().get("/cases/calendar.ics", {"token": token})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.content
    assert "\\;" in raw.decode() and "\\," in raw.decode()
    events = _events(_unfold(raw))
    zone = zoneinfo.ZoneInfo("Pacific/Auckland")
    shown = {"hours", "days", "month", "later", "beyond", "unswept", "swept"}
    expected = {}
    for key in shown:
        subject = library[key]
        lapse = subject.rights_until or library["cases"]["swept"].lapse_at
        expected[f"asset-{subject.pk}-lapse-{lapse.astimezone(zone):%Y%m%d}@greenlight"] = (subject, lapse)
    odd_day = odd.rights_until.astimezone(zone)
    expected[f"asset-{odd.pk}-lapse-{odd_day:%Y%m%d}@greenlight"] = (odd, odd.rights_until)
    assert {event["UID"] for event in events} == set(expected)
    for event in events:
        subject, lapse = expected[event["UID"]]
        day = lapse.astimezone(zone).date()
        assert event["DTSTART;VALUE=DATE"] == f"{day:%Y%m%d}"
        assert event["DTEND;VALUE=DATE"] == f"{day + timedelta(days=1):%Y%m%d}"
        assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
        assert _unescape(event["SUMMARY"]) == f"Rights lapse: {subject.name} ({client_a.name})"
        description = _unescape(event["DESCRIPTION"])
        assert description.startswith(f"The rights of “{subject.name}” ({client_a.name}) end on ")
        open_case = library["cases"].get(next((k for k in shown if library[k] == subject), ""))
        if open_case is not None and open_case.is_open:
            assert description.endswith(f"\nCase: http://testserver/cases/{open_case.pk}/")
            assert event["URL"] == f"http://testserver/cases/{open_case.pk}/"
        else:
            assert description.endswith(f"\nNo case is open yet. Asset: http://testserver/assets/{subject.pk}/")
    again = _events(_unfold(HttpClient().get("/cases/calendar.ics", {"token": token}).content))
    assert [event["UID"] for event in again] == [event["UID"] for event in events]  # stable


def test_feed_never_shows_another_clients_assets(library, agency_admin, outsider, client):
    client.force_login(outsider)  # client B's admin
    token = _create_feed(client)
    body = HttpClient().get("/cases/calendar.ics", {"token": token}).content.decode()
    events = _events(_unfold(body.encode()))
    assert [_unescape(e["SUMMARY"]) for e in events] == ["Rights lapse: Beta Brands hero (Beta Brands)"]
    assert "Acme" not in body


def test_rotating_the_feed_retires_the_old_url(agency_admin, client):
    client.force_login(agency_admin)
    assert "Create my feed URL" in client.get("/cases/calendar/").content.decode()
    feed = HttpClient()
    first = _create_feed(client)
    assert feed.get("/cases/calendar.ics", {"token": first}).status_code == 200
    second = _create_feed(client)
    assert second != first
    assert feed.get("/cases/calendar.ics", {"token": first}).status_code == 404
    assert feed.get("/cases/calendar.ics", {"token": second}).status_code == 200
    page = client.get("/cases/calendar/").content.decode()
    assert "Replace the URL" in page and "Turn the feed off" in page
    assert client.post("/cases/calendar/feed/stop/").status_code == 302
    assert feed.get("/cases/calendar.ics", {"token": second}).status_code == 404
    assert "Create my feed URL" in client.get("/cases/calendar/").content.decode()
    actions = list(AuditEvent.objects.filter(actor=agency_admin).order_by("id").values_list("action", flat=True))
    assert actions == [feeds.FEED_ROTATE, feeds.FEED_ROTATE, feeds.FEED_STOP]


def test_feed_refuses_everything_but_its_current_token(agency_admin, legal, client):
    client.force_login(agency_admin)
    token = _create_feed(client)
    assert client.get("/cases/calendar.ics").status_code == 404  # the session is never enough
    user_id, _, signature = token.partition(":")
    for wrong in ["", "abc", f"{user_id}:", f"{user_id}:{signature[:-1]}x", f"{legal.pk}:{signature}", "9" * 30]:
        assert HttpClient().get("/cases/calendar.ics", {"token": wrong}).status_code == 404, wrong
    agency_admin.is_active = False
    agency_admin.save(update_fields=["is_active"])
    assert HttpClient().get("/cases/calendar.ics", {"token": token}).status_code == 404


def test_rotating_is_a_post_with_csrf(agency_admin):
    http = HttpClient(enforce_csrf_checks=True)
    http.force_login(agency_admin)
    assert http.get("/cases/calendar/feed/rotate/").status_code == 405
    assert http.post("/cases/calendar/feed/rotate/").status_code == 403
    assert http.post("/cases/calendar/feed/stop/").status_code == 403
    assert feeds.feed_token(agency_admin) is None


def test_ics_text_escaping_and_folding():
    assert text('a\\b;c,d\ne\r\nf"') == 'a\\\\b\\;c\\,d\\ne\\nf"'
    assert fold("x" * 75) == "x" * 75
    folded = fold("SUMMARY:" + "é" * 60)
    parts = folded.split("\r\n")
    assert all(len(part.encode()) <= 75 for part in parts) and all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == "SUMMARY:" + "é" * 60


def test_a_token_with_non_ascii_digits_is_a_404_not_an_error(agency_admin, client):
    client.force_login(agency_admin)
    _create_feed(client)
    for odd in ["²:x", f"{agency_admin.pk}²:x", "\u0661:abc"]:
        assert HttpClient().get("/cases/calendar.ics", {"token": odd}).status_code == 404, odd


# -- issue 10 item 5: the feed is a CalendarFeed row, not state kept in audit events ---------------------------------
def test_the_feed_keeps_its_state_in_its_own_row(library, agency_admin, client):
    from apps.exceptions.models import CalendarFeed

    client.force_login(agency_admin)
    token = _create_feed(client)
    feed = CalendarFeed.objects.get(owner=agency_admin)
    assert feed.client is None and feed.is_active and feed.rotated_at is None and feed.last_used_at is None
    assert feeds.token_of(feed) == token
    assert HttpClient().get("/cases/calendar.ics", {"token": token}).status_code == 200
    feed.refresh_from_db()
    first_use = feed.last_used_at
    assert first_use is not None
    HttpClient().get("/cases/calendar.ics", {"token": token})
    feed.refresh_from_db()
    assert feed.last_used_at == first_use  # a calendar polling often writes at most once a quarter hour
    page = client.get("/cases/calendar/").content.decode()
    assert "Shows all your clients" in page and "last read by a calendar" in page
    version = feed.version
    new_token = _create_feed(client)
    feed.refresh_from_db()
    assert feed.version != version and feed.rotated_at is not None and new_token != token
    client.post("/cases/calendar/feed/stop/")
    feed.refresh_from_db()
    assert feed.revoked_at is not None and not feed.is_active
    assert HttpClient().get("/cases/calendar.ics", {"token": new_token}).status_code == 404
    again = _create_feed(client)  # on again: a new URL, never an earlier one
    assert again not in {token, new_token}
    assert CalendarFeed.objects.filter(owner=agency_admin).count() == 1
    trail = AuditEvent.objects.filter(actor=agency_admin).order_by("id")
    assert [e.action for e in trail] == [feeds.FEED_ROTATE, feeds.FEED_ROTATE, feeds.FEED_STOP, feeds.FEED_ROTATE]
    assert {(e.object_type, e.object_id) for e in trail} == {("exceptions.calendarfeed", str(feed.pk))}
    assert [e.reason for e in trail] == [
        "Feed URL created.",
        "Feed URL replaced.",
        "Feed turned off.",
        "Feed URL created.",
    ]


def test_a_feed_can_show_one_of_the_persons_clients_only(library, client_a, client_b, client):
    member(client_a, RoleCode.AGENCY_ADMIN, email="both@acme.example")
    both = member(client_b, RoleCode.AGENCY_ADMIN, email="both@acme.example")
    client.force_login(both)
    assert client.post("/cases/calendar/feed/rotate/", {"client": "beta"}).status_code == 302
    token = client.get("/cases/calendar/").context["feed_url"].split("?token=", 1)[1].replace("%3A", ":")
    events = _events(_unfold(HttpClient().get("/cases/calendar.ics", {"token": token}).content))
    assert [_unescape(e["SUMMARY"]) for e in events] == ["Rights lapse: Beta Brands hero (Beta Brands)"]
    assert "Shows Beta Brands only" in client.get("/cases/calendar/").content.decode()
    client.post("/cases/calendar/feed/rotate/", {"client": ""})  # replaced, now for every client
    token = client.get("/cases/calendar/").context["feed_url"].split("?token=", 1)[1].replace("%3A", ":")
    summaries = [
        e["SUMMARY"] for e in _events(_unfold(HttpClient().get("/cases/calendar.ics", {"token": token}).content))
    ]
    assert len(summaries) > 1 and any("Acme Outdoor" in s for s in summaries)


def test_a_feed_for_a_client_that_is_not_the_persons_is_refused(library, agency_admin, client):
    from apps.exceptions.models import CalendarFeed

    client.force_login(agency_admin)
    response = client.post("/cases/calendar/feed/rotate/", {"client": "beta"}, follow=True)
    assert "Choose one of your clients" in response.content.decode()
    assert not CalendarFeed.objects.exists()
    with pytest.raises(ValueError, match="only clients you are a member of"):
        feeds.rotate_feed(agency_admin, client=library["beta"].client)
