"""Fairness: how many hours each person held a schedule over a period, and how many of them were off hours.

Off hours are everything outside 09:00-18:00 Monday to Friday in the schedule's own zone: the nights and
weekends that wear people out. A person on two schedules at once carries both, so both count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from commander.domain.oncall.schedules import Restriction, Schedule, Shift, shifts

BUSINESS_HOURS = Restriction(frozenset(range(5)), time(9), time(18))


@dataclass
class PersonHours:
    person: str
    shifts: int = 0
    total: timedelta = timedelta(0)
    off_hours: timedelta = timedelta(0)
    by_schedule: dict[str, timedelta] = field(default_factory=dict)

    @property
    def business(self) -> timedelta:
        return self.total - self.off_hours


def fairness(schedules: Iterable[Schedule], start: datetime, end: datetime) -> list[PersonHours]:
    """Each person's on-call time in [start, end), most hours first (then by name)."""
    found: dict[str, PersonHours] = {}
    for schedule in schedules:
        for shift in shifts(schedule, start, end):
            row = found.setdefault(shift.person.casefold(), PersonHours(shift.person))
            row.shifts += 1
            row.total += shift.length
            row.off_hours += shift.length - business_part(shift, schedule.zone)
            row.by_schedule[schedule.name] = row.by_schedule.get(schedule.name, timedelta(0)) + shift.length
    return sorted(found.values(), key=lambda row: (-row.total, row.person.casefold()))


def business_part(shift: Shift, zone: ZoneInfo) -> timedelta:
    """How much of the shift falls within business hours in `zone`."""
    first = shift.start.astimezone(zone).date() - timedelta(days=1)
    last = shift.end.astimezone(zone).date()
    total = timedelta(0)
    for begin, end in BUSINESS_HOURS.windows(zone, first, last):
        overlap = min(end, shift.end) - max(begin, shift.start)
        if overlap > timedelta(0):
            total += overlap
    return total
