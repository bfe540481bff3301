"""Reading typed times, in Europe/Berlin (the suite's zone) across midnight and both DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.when import HELP, format_clock, format_duration, from_iso, iso, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)  # 10:30 in Berlin (CET, +01:00)


def at(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def parse(text: str, now: datetime = NOW) -> datetime:
    return parse_when(text, now=now, zone=BERLIN)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("now", NOW),
        (" NOW ", NOW),
        ("15m ago", NOW - timedelta(minutes=15)),
        ("15m", NOW - timedelta(minutes=15)),
        ("15 min ago", NOW - timedelta(minutes=15)),
        ("1 minute ago", NOW - timedelta(minutes=1)),
        ("90 minutes", NOW - timedelta(minutes=90)),
        ("2h ago", NOW - timedelta(hours=2)),
        ("1 hour ago", NOW - timedelta(hours=1)),
        ("3 hours", NOW - timedelta(hours=3)),
        ("2 hr ago", NOW - timedelta(hours=2)),
        ("45s ago", NOW - timedelta(seconds=45)),
        ("30 seconds ago", NOW - timedelta(seconds=30)),
        ("10 SEC AGO", NOW - timedelta(seconds=10)),
        ("09:12", at(2026, 11, 28, 8, 12)),
        ("9:12", at(2026, 11, 28, 8, 12)),
        ("09:12:30", at(2026, 11, 28, 8, 12, 30)),
        ("2026-11-28 09:12", at(2026, 11, 28, 8, 12)),
        ("2026-11-28T09:12:00", at(2026, 11, 28, 8, 12)),
        ("2026-11-28T09:12:00Z", at(2026, 11, 28, 9, 12)),
        ("2026-11-28t09:12:00z", at(2026, 11, 28, 9, 12)),
        ("2026-11-28T09:12:00+05:30", at(2026, 11, 28, 3, 42)),
        ("2026-11-27", at(2026, 11, 26, 23, 0)),  # a date alone is local midnight
    ],
)
def test_every_documented_form(typed: str, expected: datetime) -> None:
    result = parse(typed)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(
    "typed", ["", "   ", "yesterday", "abc", "15 parsecs ago", "ago", "-5m", "2026-13-01 09:00", "12.30", "09:12 pm"]
)
def test_malformed_input_is_refused_with_the_help_text(typed: str) -> None:
    with pytest.raises(DomainError) as caught:
        parse(typed)
    assert str(caught.value).endswith(HELP)
    if typed.strip():
        assert f"'{typed.strip()}'" in str(caught.value)


@pytest.mark.parametrize("typed", ["24:00", "23:60", "09:12:61", "99:99"])
def test_an_impossible_time_of_day_says_so(typed: str) -> None:
    with pytest.raises(DomainError, match=rf"^'{typed}' is not a time of day\. "):
        parse(typed)


def test_a_bare_time_later_than_now_means_yesterday() -> None:
    just_after_midnight = at(2026, 11, 27, 23, 5)  # 00:05 on the 28th in Berlin
    assert parse("23:50", just_after_midnight) == at(2026, 11, 27, 22, 50)  # last night, 15 minutes ago
    assert parse("00:01", just_after_midnight) == at(2026, 11, 27, 23, 1)  # today, four minutes ago


def test_a_bare_time_within_the_minute_counts_as_now_not_yesterday() -> None:
    now = at(2026, 11, 28, 9, 30, 20)  # 10:30:20 in Berlin; the person typed the current minute
    assert parse("10:30", now) == at(2026, 11, 28, 9, 30)
    assert parse("10:31", now) == at(2026, 11, 28, 9, 31)  # 40 s ahead: the clock on the wall, not tomorrow
    assert parse("10:32", now) == at(2026, 11, 27, 9, 32)


def test_local_times_use_the_offset_of_their_own_date_around_spring_forward() -> None:
    # 29 March 2026: Berlin goes from 02:00 CET to 03:00 CEST.
    morning_after = at(2026, 3, 29, 10, 0)  # 12:00 CEST
    assert parse("09:12", morning_after) == at(2026, 3, 29, 7, 12)  # CEST, +02:00
    assert parse("01:30", morning_after) == at(2026, 3, 29, 0, 30)  # still CET, +01:00
    assert parse("2026-03-28 09:12", morning_after) == at(2026, 3, 28, 8, 12)
    assert parse("13:00", morning_after) == at(2026, 3, 28, 12, 0)  # not yet today: yesterday, in CET


def test_a_time_in_the_skipped_hour_is_read_not_refused() -> None:
    now = at(2026, 3, 29, 1, 30)  # 03:30 CEST, just after the jump
    result = parse("02:30", now)  # a wall time that never existed in Berlin
    assert now - timedelta(hours=1) <= result <= now


def test_the_repeated_hour_in_autumn_takes_the_latest_reading_that_has_passed() -> None:
    # 25 October 2026: Berlin goes from 03:00 CEST back to 02:00 CET, so 02:00-02:59 happens twice.
    second_pass = at(2026, 10, 25, 1, 10)  # 02:10 CET, the second time round
    assert parse("02:40", second_pass) == at(2026, 10, 25, 0, 40)  # 02:40 CEST, 30 minutes ago
    assert parse("02:05", second_pass) == at(2026, 10, 25, 1, 5)  # 02:05 CET, five minutes ago
    after_both = at(2026, 10, 25, 2, 30)  # 03:30 CET
    assert parse("02:30", after_both) == at(2026, 10, 25, 1, 30)  # the later 02:30 (CET)


def test_naive_iso_is_read_in_the_given_zone() -> None:
    assert parse_when("2026-07-01 12:00", now=NOW, zone=BERLIN) == at(2026, 7, 1, 10, 0)
    assert parse_when("2026-07-01 12:00", now=NOW, zone=timezone(timedelta(hours=-5))) == at(2026, 7, 1, 17)


def test_iso_round_trip_is_utc_second_precision() -> None:
    moment = datetime(2026, 11, 28, 10, 30, 15, 987_000, tzinfo=BERLIN)
    assert iso(moment) == "2026-11-28T09:30:15Z"
    assert from_iso(iso(moment)) == moment.replace(microsecond=0)
    assert from_iso("2026-11-28T09:30:15+01:00") == at(2026, 11, 28, 8, 30, 15)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=-5), "0s"),
        (timedelta(seconds=42), "42s"),
        (timedelta(minutes=42, seconds=59), "42m"),
        (timedelta(hours=2, minutes=5), "2h 05m"),
        (timedelta(days=3, hours=4, minutes=59), "3d 4h"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "00:00:00"),
        (timedelta(minutes=42, seconds=13), "00:42:13"),
        (timedelta(days=1, hours=2, minutes=3), "26:03:00"),
        (timedelta(seconds=-1), "00:00:00"),
    ],
)
def test_format_clock(delta: timedelta, text: str) -> None:
    assert format_clock(delta) == text


@pytest.mark.parametrize(
    "typed",
    [
        "0001-01-01",
        "0001-01-01T00:00:00Z",
        "0001-01-01T00:00+01:00",
        "1969-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "9999-12-31",
        "9999-12-31T23:59:59-01:00",
        "99999999999999999999 h ago",
        "500000 hours ago",
    ],
)
def test_times_outside_1970_to_2199_are_refused_with_the_years(typed: str) -> None:
    with pytest.raises(DomainError, match=r"Commander keeps.* 1970 to 2199\. Check the year\.$"):
        parse(typed)


def test_the_edges_of_the_years_are_kept() -> None:
    assert parse("1970-01-01T00:00:00Z") == at(1970, 1, 1, 0)
    assert parse("2199-12-31T23:59:59Z") == at(2199, 12, 31, 23, 59, 59)


def test_a_field_that_plans_ahead_refuses_more_than_its_reach() -> None:
    year = timedelta(days=366)
    assert parse_when("2027-11-28T09:00:00Z", now=NOW, zone=BERLIN, ahead=year) == at(2027, 11, 28, 9)
    with pytest.raises(DomainError, match=r"^'2028-01-01' is more than a year ahead \(now is 2026-11-28T09:30:00Z\)"):
        parse_when("2028-01-01", now=NOW, zone=BERLIN, ahead=year)
