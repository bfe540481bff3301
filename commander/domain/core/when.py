"""Reading the times people type: '09:12', '2026-11-28 09:12', ISO 8601, '15m ago'."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from commander.domain.core.errors import DomainError

_AGO = re.compile(r"^(\d+)\s*(s|sec|m|min|h|hr|hours?|minutes?|seconds?)\s*(ago)?$", re.IGNORECASE)
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hour": 3600,
    "hours": 3600,
}

HELP = "Use 09:12, 2026-11-28 09:12, an ISO time such as 2026-11-28T09:12:00Z, or '15m ago'."
# No incident, shift or report reaches before the Unix epoch, and a year past 2199 is a typo; both would
# also overflow the millisecond clock stamps and the store's integers downstream.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


class OutOfRange(DomainError):
    """A readable time outside the years Commander keeps, or too far ahead for its field."""


def parse_when(text: str, *, now: datetime, zone: tzinfo, ahead: timedelta | None = None) -> datetime:
    """Turn typed text into an aware UTC datetime; local forms are read in `zone`.

    A bare clock time means the latest such time that is not in the future (typing 23:50 just after
    midnight means last night). Times before 1970 or from 2200 on are refused, and so are times more
    than `ahead` after `now` when it is given (a field where that is the sensible rule).
    """
    try:
        moment = _parse(text, now=now, zone=zone)
    except OverflowError:  # e.g. 9999-12-31T23:59-01:00 is past year 9999 in UTC
        raise OutOfRange(
            f"'{text.strip()}' is not between 1970 and 2199: Commander keeps times from 1970 to 2199. Check the year."
        ) from None
    return check_range(moment, text.strip(), now=now, ahead=ahead)


def check_range(
    moment: datetime, typed: str, *, now: datetime | None = None, ahead: timedelta | None = None
) -> datetime:
    """`moment` when it is between 1970 and 2199 (and no more than `ahead` after `now`); else a refusal
    that quotes what was typed."""
    if moment < EARLIEST:
        raise OutOfRange(f"'{typed}' is before 1970: Commander keeps times from 1970 to 2199. Check the year.")
    if moment >= LATEST:
        raise OutOfRange(f"'{typed}' is after 2199: Commander keeps times from 1970 to 2199. Check the year.")
    if ahead is not None and now is not None and moment > now + ahead:
        span = "a year" if 365 <= ahead.days <= 366 else f"{ahead.days} days" if ahead.days else format_duration(ahead)
        raise OutOfRange(f"'{typed}' is more than {span} ahead (now is {iso(now)}). Give a time within {span}.")
    return moment


def check_day(day: date, typed: str) -> date:
    """`day` when it falls between 1970 and 2199; else the same refusal as for a time."""
    check_range(datetime.combine(day, time(), UTC), typed)
    return day


def _parse(text: str, *, now: datetime, zone: tzinfo) -> datetime:
    raw = text.strip()
    if not raw:
        raise DomainError(f"No time given. {HELP}")
    if raw.lower() == "now":
        return now.astimezone(UTC)
    ago = _AGO.match(raw)
    if ago:
        return (now - timedelta(seconds=int(ago.group(1)) * _UNITS[ago.group(2).lower()])).astimezone(UTC)
    clock = _CLOCK.match(raw)
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if hour > 23 or minute > 59 or second > 59:
            raise DomainError(f"'{raw}' is not a time of day. {HELP}")
        local_now = now.astimezone(zone)
        # Compare in UTC: aware datetimes sharing a tzinfo compare by wall time, which is wrong on the
        # night the clocks go back (02:40 can have passed once already at 02:10). Both readings of an
        # ambiguous time are candidates; the latest that is not in the future wins.
        candidates = sorted(
            (
                datetime.combine(day, time(hour, minute, second, fold=fold), zone).astimezone(UTC)
                for day in (local_now.date(), local_now.date() - timedelta(days=1))
                for fold in (0, 1)
            ),
            reverse=True,
        )
        limit = now + timedelta(seconds=59)
        return next((candidate for candidate in candidates if candidate <= limit), candidates[-1])
    try:
        parsed = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise DomainError(f"'{raw}' is not a time Commander can read. {HELP}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    """UTC, second precision, with a Z: the form used in payloads and exports."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def format_duration(delta: timedelta) -> str:
    """'42m', '2h 05m', '3d 4h'; negative durations show as 0s."""
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def format_clock(delta: timedelta) -> str:
    """An incident clock: 00:42:13, 26:03:00 past a day."""
    seconds = max(0, int(delta.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}"


__all__ = [
    "EARLIEST",
    "HELP",
    "LATEST",
    "OutOfRange",
    "check_day",
    "check_range",
    "format_clock",
    "format_duration",
    "from_iso",
    "iso",
    "parse_when",
]
