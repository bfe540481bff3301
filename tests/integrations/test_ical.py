"""The iCalendar writer: RFC 5545 line ends, folding and escaping, and shifts read back by the `icalendar`
library as the same instants, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from commander.domain.oncall.format import schedule_from_dict
from commander.domain.oncall.schedules import Schedule, shifts
from commander.integrations.ical import CalendarEvent, write_calendar
from tests.domain.oncall.test_properties import PROPERTY, instants, schedules

STAMP = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def calendar_of(schedule: Schedule, start: datetime, end: datetime) -> tuple[str, list[tuple[str, datetime, datetime]]]:
    """The shifts of [start, end) as a calendar, and as (person, start, end); iCalendar counts whole seconds."""
    timeline = shifts(schedule, start.replace(microsecond=0), end.replace(microsecond=0))
    events = [
        CalendarEvent(f"{n}@test", s.start, s.end, f"On call: {s.person}", f"{schedule.name}, {s.source}")
        for n, s in enumerate(timeline)
    ]
    return write_calendar(schedule.name, schedule.zone, events, stamp=STAMP), [
        (s.person, s.start, s.end) for s in timeline
    ]


def read_back(text: str) -> list[tuple[str, datetime, datetime]]:
    calendar = icalendar.Calendar.from_ical(text)
    found = []
    for event in calendar.walk("VEVENT"):
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert start.tzinfo is not None and end.tzinfo is not None
        found.append((str(event["SUMMARY"]).removeprefix("On call: "), start.astimezone(UTC), end.astimezone(UTC)))
    return found


def test_lines_end_with_crlf_and_fold_at_75_octets_without_splitting_a_character() -> None:
    description = "Zoë covers Jürgen; then 夜間 on-call, 24/7\nbring snacks " * 4
    event = CalendarEvent("0@test", STAMP, STAMP + timedelta(hours=8), "On call: Zoë", description)
    text = write_calendar("Payments, EU", ZoneInfo("UTC"), [event], stamp=STAMP)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.removesuffix("\r\n").split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    start = next(n for n, line in enumerate(lines) if line.startswith("DESCRIPTION:"))
    continued = [line for line in lines[start + 1 :] if line.startswith(" ")]
    assert len(continued) >= 3
    unfolded = lines[start] + "".join(line.removeprefix(" ") for line in continued)
    assert unfolded == "DESCRIPTION:" + description.replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
    assert next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))["DESCRIPTION"] == description


def test_a_schedule_across_the_spring_change_reads_back_as_the_same_shifts() -> None:
    schedule = schedule_from_dict(
        {
            "name": "Payments, EU",
            "time_zone": "Europe/Berlin",
            "layers": [
                {
                    "name": "Daily",
                    "rotation": "daily",
                    "handoff": "09:00",
                    "start": "2026-03-01",
                    "participants": ["Alex", "Zoë"],
                }
            ],
        }
    )
    text, expected = calendar_of(schedule, datetime(2026, 3, 25, tzinfo=UTC), datetime(2026, 4, 2, tzinfo=UTC))
    assert "\n" not in text.replace("\r\n", "")
    assert "DTSTART;TZID=Europe/Berlin:20260328T090000" in text and "X-WR-CALNAME:Payments\\, EU" in text
    assert "BEGIN:DAYLIGHT\r\nDTSTART:20260329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200" in text
    assert read_back(text) == expected
    calendar = icalendar.Calendar.from_ical(text)
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")][:2] == ["0@test", "1@test"]
    assert all("DTSTAMP" in e for e in calendar.walk("VEVENT"))


def test_a_utc_schedule_writes_utc_times_and_no_timezone() -> None:
    schedule = schedule_from_dict(
        {
            "name": "Global",
            "time_zone": "UTC",
            "layers": [
                {
                    "name": "Daily",
                    "rotation": "daily",
                    "handoff": "00:00",
                    "start": "2026-01-01",
                    "participants": ["Kim"],
                }
            ],
        }
    )
    text, expected = calendar_of(schedule, datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC))
    assert "VTIMEZONE" not in text and "DTSTART:20260601T000000Z" in text
    assert read_back(text) == expected


@settings(PROPERTY, max_examples=60)
@given(schedules(restricted=True), instants, st.integers(1, 21 * 24))
def test_any_schedule_exported_reads_back_as_the_same_shifts(schedule: Schedule, start: datetime, hours: int) -> None:
    text, expected = calendar_of(schedule, start, start + timedelta(hours=hours))
    assert read_back(text) == expected
