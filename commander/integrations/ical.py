"""An iCalendar (RFC 5545) writer for on-call shifts, by hand: a few dozen lines need no dependency.

What the RFC asks for and this does:
- content lines end with CRLF and are folded so no line is longer than 75 octets ("a long line can be
  split between any two characters by inserting a CRLF immediately followed by a single linear
  white-space character"), never inside a multi-octet UTF-8 character (section 3.1);
- TEXT values escape backslash, semicolon, comma and line breaks (section 3.3.11);
- local times carry a TZID, and "an individual VTIMEZONE calendar component MUST be specified for each
  unique TZID parameter value" (section 3.2.19): it is built from zoneinfo with one observance per
  offset change in the calendar's span, so no reader has to know the zone's rules;
- each event has a UID and a DTSTAMP (section 3.6.1). A UTC zone writes UTC times and no VTIMEZONE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from commander.domain.core.zones import offset_changes

PRODID = "-//Commander//On-call schedules//EN"
LINE_OCTETS = 75
_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"})


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""


def write_calendar(name: str, zone: ZoneInfo, events: Sequence[CalendarEvent], *, stamp: datetime) -> str:
    """The whole calendar as text with CRLF line ends, ready to be written as bytes in UTF-8."""
    local = zone.key not in _UTC_NAMES
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    if local:
        lines.append(f"X-WR-TIMEZONE:{zone.key}")
        if events:
            lines += _timezone(zone, min(e.start for e in events), max(e.end for e in events))
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{escape_text(event.uid)}",
            f"DTSTAMP:{_utc(stamp)}",
            _moment("DTSTART", event.start, zone, local),
            _moment("DTEND", event.end, zone, local),
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def escape_text(text: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, every line break written as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded at 75 octets: continuation lines start with a space, which counts."""
    parts: list[str] = []
    current, used = "", 0
    for char in line:
        size = len(char.encode("utf-8"))
        if used + size > LINE_OCTETS:
            parts.append(current)
            current, used = " ", 1
        current += char
        used += size
    parts.append(current)
    return "\r\n".join(parts)


def _moment(prop: str, moment: datetime, zone: ZoneInfo, local: bool) -> str:
    if not local:
        return f"{prop}:{_utc(moment)}"
    wall = moment.astimezone(zone)
    # A local time the clocks show twice means its first showing (RFC 5545, 3.3.5); the second is
    # written in UTC rather than ambiguously.
    if wall.replace(fold=0).astimezone(UTC) != moment.astimezone(UTC):
        return f"{prop}:{_utc(moment)}"
    return f"{prop};TZID={zone.key}:{wall.strftime('%Y%m%dT%H%M%S')}"


def _timezone(zone: ZoneInfo, start: datetime, end: datetime) -> list[str]:
    """A VTIMEZONE: the offset in force at `start` (as an observance since 1970), then each change."""
    opening = start.astimezone(zone)
    offset = opening.utcoffset() or timedelta(0)
    kind = "DAYLIGHT" if opening.dst() else "STANDARD"
    lines = [
        "BEGIN:VTIMEZONE",
        f"TZID:{zone.key}",
        f"BEGIN:{kind}",
        "DTSTART:19700101T000000",
        f"TZOFFSETFROM:{_offset(offset)}",
        f"TZOFFSETTO:{_offset(offset)}",
        f"TZNAME:{escape_text(opening.tzname() or zone.key)}",
        f"END:{kind}",
    ]
    for change in offset_changes(zone, start, end + timedelta(days=1)):
        kind = "DAYLIGHT" if change.daylight else "STANDARD"
        onset = (change.at + change.before).replace(tzinfo=None)  # the wall clock just before the change
        lines += [
            f"BEGIN:{kind}",
            f"DTSTART:{onset.strftime('%Y%m%dT%H%M%S')}",
            f"TZOFFSETFROM:{_offset(change.before)}",
            f"TZOFFSETTO:{_offset(change.after)}",
            f"TZNAME:{escape_text(change.name or zone.key)}",
            f"END:{kind}",
        ]
    lines.append("END:VTIMEZONE")
    return lines


def _offset(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
