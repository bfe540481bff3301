"""Wall-clock times in a time zone and the instants they name, across daylight-saving changes.

A rotation's handoff is a wall-clock time ("09:00 in Berlin"), so it has to become an instant once per
shift. Two days a year that is not obvious: in spring a stretch of wall time does not exist (the clocks
jump from 02:00 to 03:00), in autumn a stretch happens twice. The rules here: a time that happens twice
means its first occurrence, and a time the clocks jumped over means the moment they jumped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from commander.domain.core.errors import DomainError

_SCAN = timedelta(hours=12)  # no zone changes its offset twice within 12 hours


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone called `name`, or a refusal that says how to name one."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(
            f"'{name}' is not a time zone Commander knows. Use an IANA name such as "
            f"Europe/Berlin, America/New_York or UTC."
        ) from None


def instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `zone` (see the module's rules for DST days)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall.replace(fold=0):
        return first
    # In a gap fold=0 reads the time with the offset before the jump and fold=1 with the one after,
    # so the jump lies between the two readings.
    return _jump(zone, wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first)


def _jump(zone: ZoneInfo, before: datetime, after: datetime) -> datetime:
    """The first whole second in (before, after] whose offset differs from `before`'s: offsets change on
    whole seconds, so a binary search over seconds finds it exactly."""
    offset = before.astimezone(zone).utcoffset()
    low, high = math.floor(before.timestamp()), math.ceil(after.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)


@dataclass(frozen=True)
class OffsetChange:
    """One change of a zone's offset from UTC: what a VTIMEZONE observance describes."""

    at: datetime  # the UTC instant of the change
    before: timedelta  # offset until then
    after: timedelta  # offset from then on
    name: str  # the zone's abbreviation after the change (CEST, EST)
    daylight: bool  # whether daylight-saving time starts (True) or ends (False)


def offset_changes(zone: ZoneInfo, start: datetime, end: datetime) -> list[OffsetChange]:
    """Every change of `zone`'s offset in [start, end), in order."""
    found: list[OffsetChange] = []
    here = start.astimezone(UTC)
    offset = here.astimezone(zone).utcoffset()
    while here < end:
        ahead = min(here + _SCAN, end.astimezone(UTC))
        later = ahead.astimezone(zone).utcoffset()
        if later != offset:
            at = _jump(zone, here, ahead)
            local = at.astimezone(zone)
            found.append(
                OffsetChange(at, offset or timedelta(0), later or timedelta(0), local.tzname() or "", bool(local.dst()))
            )
            offset = later
        here = ahead
    return found
