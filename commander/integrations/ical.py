"""On-call shifts as an iCalendar (RFC 5545) file, written with the `icalendar` library.

The library folds content lines at 75 octets without splitting a character, escapes TEXT values and
writes CRLF line ends. What it is told here:
- local times carry a TZID, and "an individual VTIMEZONE calendar component MUST be specified for each
  unique TZID parameter value" (section 3.2.19): it is built from zoneinfo with one observance per
  offset change in the calendar's span, so no reader has to know the zone's rules;
- each event has a UID and a DTSTAMP (section 3.6.1). A UTC zone writes UTC times and no VTIMEZONE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from commander.domain.oncall.zones import offset_changes

if TYPE_CHECKING:  # icalendar is imported when a calendar is written, never at start-up
    import icalendar

PRODID = "-//Commander//On-call schedules//EN"
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
    import icalendar

    local = zone.key not in _UTC_NAMES
    calendar = icalendar.Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", icalendar.vText(name))
    if local:
        calendar.add("x-wr-timezone", icalendar.vText(zone.key))
        if events:
            calendar.add_component(_timezone(zone, min(e.start for e in events), max(e.end for e in events)))
    for event in events:
        entry = icalendar.Event()
        entry.add("uid", event.uid)
        entry.add("dtstamp", stamp.astimezone(UTC))
        entry.add("dtstart", _moment(event.start, zone, local))
        entry.add("dtend", _moment(event.end, zone, local))
        entry.add("summary", event.summary)
        if event.description:
            entry.add("description", event.description)
        entry.add("transp", "TRANSPARENT")
        calendar.add_component(entry)
    written: bytes = calendar.to_ical(sorted=False)  # in the order above: the RFC's, and a person's
    return written.decode("utf-8")


def _moment(moment: datetime, zone: ZoneInfo, local: bool) -> datetime:
    """The time as the calendar says it: on the zone's wall clock, or in UTC."""
    if not local:
        return moment.astimezone(UTC)
    wall = moment.astimezone(zone)
    # A local time the clocks show twice means its first showing (RFC 5545, 3.3.5); the second is
    # written in UTC rather than ambiguously.
    if wall.replace(fold=0).astimezone(UTC) != moment.astimezone(UTC):
        return moment.astimezone(UTC)
    return wall


def _timezone(zone: ZoneInfo, start: datetime, end: datetime) -> icalendar.Timezone:
    """A VTIMEZONE: the offset in force at `start` (as an observance since 1970), then each change."""
    import icalendar

    opening = start.astimezone(zone)
    offset = opening.utcoffset() or timedelta(0)
    timezone = icalendar.Timezone()
    timezone.add("tzid", zone.key)
    timezone.add_component(
        _observance(bool(opening.dst()), datetime(1970, 1, 1), offset, offset, opening.tzname() or zone.key)
    )
    for change in offset_changes(zone, start, end + timedelta(days=1)):
        onset = (change.at + change.before).replace(tzinfo=None)  # the wall clock just before the change
        timezone.add_component(
            _observance(change.daylight, onset, change.before, change.after, change.name or zone.key)
        )
    return timezone


def _observance(
    daylight: bool, onset: datetime, before: timedelta, after: timedelta, name: str
) -> icalendar.TimezoneDaylight | icalendar.TimezoneStandard:
    import icalendar

    observance = icalendar.TimezoneDaylight() if daylight else icalendar.TimezoneStandard()
    observance.add("dtstart", onset)
    observance.add("tzoffsetfrom", before)
    observance.add("tzoffsetto", after)
    observance.add("tzname", name)
    return observance
