"""A small iCalendar (RFC 5545) writer for all-day events: what the rights feed needs and nothing more.

Hand-written because no iCalendar library is installed (``icalendar`` would be the one to take if the feed grows:
time zones, recurrence, alarms). It covers: CRLF line ends, lines folded at 75 octets without splitting a UTF-8
character (3.1), TEXT escaping (3.3.11), UTC stamps (3.3.5) and DATE values (3.3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


@dataclass(frozen=True)
class AllDayEvent:
    """One VEVENT on ``day``. ``uid`` must stay the same while the event is the same, so a calendar application
    updates it in place; ``stamp`` is when its content last changed."""

    uid: str
    day: date
    stamp: datetime
    summary: str
    description: str
    url: str


def calendar(events: list[AllDayEvent], *, prodid: str, name: str, refresh: str = "PT1H") -> str:
    """A VCALENDAR with ``events``, published (``METHOD:PUBLISH``) for calendar applications to poll every
    ``refresh`` (an RFC 5545 duration)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{prodid}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{text(name)}",
        f"REFRESH-INTERVAL;VALUE=DURATION:{refresh}",
        f"X-PUBLISHED-TTL:{refresh}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{utc(event.stamp)}",
            f"DTSTART;VALUE=DATE:{event.day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{event.day + timedelta(days=1):%Y%m%d}",
            f"SUMMARY:{text(event.summary)}",
            f"DESCRIPTION:{text(event.description)}",
            f"URL:{event.url}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def utc(moment: datetime) -> str:
    """A DATE-TIME in UTC form (``19970714T173000Z``)."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def text(value: str) -> str:
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
