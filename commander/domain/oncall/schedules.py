"""On-call schedules: layers of rotations, restricted hours and overrides, and who is on call when.

A schedule is a stack of layers in one time zone. Each layer hands its turn from one participant to the
next at a wall-clock time in that zone, so a daily 09:00 handoff stays at 09:00 local across daylight
saving (the shift that spans the change lasts 23 or 25 hours; see `zones` for times the clocks skip or
repeat). A layer with restricted hours has nobody outside them, and whoever the layers beneath it have
shows through. Layers are written bottom first: a later layer lies on top of the earlier ones and wins
wherever it has someone. Overrides lie on top of everything, in the order they were added; one that
`covers` a person applies only while that person would be on call.

The same answer comes two ways: `final_oncall` for one instant, `shifts` for a stretch of time. The
property tests hold them to each other.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from commander.domain.oncall.zones import instant

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
TURN_HOURS = {"daily": 24, "weekly": 168}
ROTATIONS = ("daily", "weekly", "custom")


def same_person(a: str, b: str) -> bool:
    """Names as people type them: "alex" covers "Alex"."""
    return a.casefold() == b.casefold()


@dataclass(frozen=True)
class Restriction:
    """A window of hours, in the schedule's zone, on the weekdays it starts on (Monday is 0). An end at
    or before the start is on the next day: 18:00 to 09:00 is a night."""

    days: frozenset[int]
    start: time
    end: time

    def windows(self, zone: ZoneInfo, first: date, last: date) -> Iterator[tuple[datetime, datetime]]:
        """The window's instants on each day from `first` to `last`, both included."""
        day = first
        while day <= last:
            if day.weekday() in self.days:
                begin = instant(datetime.combine(day, self.start), zone)
                end_day = day if self.end > self.start else day + timedelta(days=1)
                finish = instant(datetime.combine(end_day, self.end), zone)
                if finish > begin:
                    yield begin, finish
            day += timedelta(days=1)


@dataclass(frozen=True)
class Layer:
    """One rotation: participants take turns of `shift_hours` of wall-clock time, the first turn
    starting at the first handoff (the `start` date at `handoff`, moved on to `handoff_day` for a
    weekly rotation). Before it the layer has nobody."""

    name: str
    participants: tuple[str, ...]
    rotation: str  # daily, weekly or custom
    shift_hours: int
    handoff: time
    start: date
    handoff_day: int | None = None  # weekly rotations: the weekday of every handoff (Monday is 0)
    restrictions: tuple[Restriction, ...] = ()

    @cached_property  # a frozen dataclass keeps it in its __dict__: asked once per turn, worked out once
    def first_handoff(self) -> datetime:
        """Naive wall-clock time of the first handoff."""
        day = self.start
        if self.handoff_day is not None:
            day += timedelta(days=(self.handoff_day - day.weekday()) % 7)
        return datetime.combine(day, self.handoff)

    @cached_property
    def turn(self) -> timedelta:
        return timedelta(hours=self.shift_hours)


@dataclass(frozen=True)
class Override:
    """Someone takes the schedule for a while; with `covers`, only while that person would be on it."""

    id: str
    schedule: str
    person: str
    start: datetime
    end: datetime
    covers: str = ""
    added_by: str = ""

    def applies(self, at: datetime, beneath: str | None) -> bool:
        return self.start <= at < self.end and (
            not self.covers or (beneath is not None and same_person(self.covers, beneath))
        )


@dataclass(frozen=True)
class Schedule:
    name: str
    zone: ZoneInfo
    layers: tuple[Layer, ...]  # bottom first, as written: later layers lie on top
    description: str = ""
    overrides: tuple[Override, ...] = ()  # from the log, in the order they were added


@dataclass(frozen=True)
class Shift:
    """A stretch of time one person holds the schedule: a layer's turn (or the part of it that shows)
    or an override."""

    person: str
    start: datetime
    end: datetime
    layer: str  # the layer's name; "" for an override
    override: str = ""  # the override's id
    covers: str = ""  # for an override: whom it covers
    turn: int = 0  # the layer's turn number (pieces of one turn merge back into one shift)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def source(self) -> str:
        """What put this person on call, in words."""
        if self.override:
            return f"override, covering {self.covers}" if self.covers else "override"
        return self.layer


# -- one layer -----------------------------------------------------------------------------------------


def handoff(layer: Layer, zone: ZoneInfo, turn: int) -> datetime:
    """The instant turn number `turn` begins (turn 0 is the first; wall-clock arithmetic in `zone`)."""
    return instant(layer.first_handoff + turn * layer.turn, zone)


def turn_at(layer: Layer, zone: ZoneInfo, at: datetime) -> int:
    """The number of the turn under way at `at`: estimated from the wall clock, then settled against
    the instants, which is exact on days the clocks change too."""
    wall = at.astimezone(zone).replace(tzinfo=None)
    turn = (wall - layer.first_handoff) // layer.turn
    while handoff(layer, zone, turn) > at:
        turn -= 1
    while handoff(layer, zone, turn + 1) <= at:
        turn += 1
    return turn


def in_hours(layer: Layer, zone: ZoneInfo, at: datetime) -> bool:
    """Whether `at` falls in the layer's restricted hours (always, when it has none)."""
    if not layer.restrictions:
        return True
    day = at.astimezone(zone).date()
    return any(
        begin <= at < end
        for restriction in layer.restrictions
        for begin, end in restriction.windows(zone, day - timedelta(days=1), day)
    )


def layer_person(layer: Layer, zone: ZoneInfo, at: datetime) -> str | None:
    """Who this layer has at `at`: nobody before its first handoff or outside its hours."""
    if at < handoff(layer, zone, 0) or not in_hours(layer, zone, at):
        return None
    return layer.participants[turn_at(layer, zone, at) % len(layer.participants)]


def layer_shifts(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[Shift]:
    """The layer's turns in [start, end), cut to its hours."""
    begin = max(start, handoff(layer, zone, 0))
    if begin >= end:
        return []
    hours = _hours(layer, zone, begin, end)
    found: list[Shift] = []
    turn = turn_at(layer, zone, begin)
    low = handoff(layer, zone, turn)
    window = 0
    while low < end and window < len(hours):
        high = handoff(layer, zone, turn + 1)
        person = layer.participants[turn % len(layer.participants)]
        while window < len(hours) and hours[window][1] <= low:
            window += 1
        index = window
        while index < len(hours) and hours[index][0] < high:
            piece_start, piece_end = max(low, hours[index][0]), min(high, hours[index][1])
            if piece_start < piece_end:
                found.append(Shift(person, piece_start, piece_end, layer.name, turn=turn))
            index += 1
        turn, low = turn + 1, high
    return found


def _hours(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The layer's restricted hours within [start, end), merged where they touch."""
    if not layer.restrictions:
        return [(start, end)]
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    windows = sorted(
        (max(begin, start), min(finish, end))
        for restriction in layer.restrictions
        for begin, finish in restriction.windows(zone, first, last)
        if begin < end and finish > start
    )
    merged: list[tuple[datetime, datetime]] = []
    for begin, finish in windows:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], finish))
        else:
            merged.append((begin, finish))
    return merged


# -- the schedule --------------------------------------------------------------------------------------


def who_is_on_call(schedule: Schedule, at: datetime) -> list[tuple[Layer, str]]:
    """Each layer that has someone at `at`, with that person: the top layer first. Overrides aside."""
    found = [(layer, layer_person(layer, schedule.zone, at)) for layer in reversed(schedule.layers)]
    return [(layer, person) for layer, person in found if person is not None]


def final_oncall(schedule: Schedule, at: datetime) -> str | None:
    """The one person on call at `at`: the top layer that has someone, then the overrides on top."""
    layers = who_is_on_call(schedule, at)
    person = layers[0][1] if layers else None
    for override in schedule.overrides:
        if override.applies(at, person):
            person = override.person
    return person


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The final timeline of [start, end): who holds the schedule when, overrides applied, in order.
    Stretches where nobody is on call (restricted hours with nothing beneath) are simply absent."""
    timeline: list[Shift] = []
    for layer in schedule.layers:
        timeline = _lay_over(timeline, layer_shifts(layer, schedule.zone, start, end))
    for override in schedule.overrides:
        low, high = max(start, override.start), min(end, override.end)
        if low >= high:
            continue
        whole = Shift(override.person, low, high, "", override.id, override.covers)
        if not override.covers:
            timeline = _lay_over(timeline, [whole])
            continue
        covered = [
            replace(whole, start=max(low, shift.start), end=min(high, shift.end))
            for shift in timeline
            if same_person(shift.person, override.covers) and shift.start < high and shift.end > low
        ]
        timeline = _lay_over(timeline, covered)
    return _joined(timeline)


def whole_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The shifts that touch [start, end), each whole rather than cut at the edges (a calendar shows
    Monday's shift starting on Monday even when it is asked from Wednesday)."""
    margin = max((layer.turn for layer in schedule.layers), default=timedelta(0)) + timedelta(days=1)
    margin = max([margin] + [o.end - o.start for o in schedule.overrides if o.start < end and o.end > start])
    return [
        shift for shift in shifts(schedule, start - margin, end + margin) if shift.end > start and shift.start < end
    ]


def now_and_next(
    schedule: Schedule, at: datetime, *, horizon: timedelta = timedelta(days=90)
) -> tuple[Shift | None, Shift | None]:
    """The shift under way at `at` (whole, not cut at `at`) and the next one with someone else (or the
    first after a stretch with nobody), looking up to `horizon` ahead: a few days first, which is where
    the answer nearly always is, and further only when it is not."""
    for ahead in (timedelta(days=2), timedelta(days=16), horizon):
        ahead = min(ahead, horizon)
        timeline = whole_shifts(schedule, at, at + ahead)
        current = next((shift for shift in timeline if shift.start <= at < shift.end), None)
        upcoming, reach = None, current.end if current else at
        for shift in timeline:
            if shift.start < reach:
                continue
            if current is None or shift.start > reach or not same_person(shift.person, current.person):
                upcoming = shift
                break
            reach = shift.end  # the same person on again straight away: their time goes on
        if upcoming is not None or ahead == horizon:
            break
    return current, upcoming


def people(schedule: Schedule) -> list[str]:
    """Everyone the schedule can put on call, in the order they first appear."""
    names = [p for layer in schedule.layers for p in layer.participants] + [o.person for o in schedule.overrides]
    return list(dict.fromkeys(names))


def _lay_over(under: Sequence[Shift], over: Sequence[Shift]) -> list[Shift]:
    """`over` laid on `under` (both in order, neither overlapping itself): where `over` has someone,
    they win; the rest of `under` shows through."""
    result = list(over)
    first = 0
    for shift in under:
        cursor = shift.start
        while first < len(over) and over[first].end <= cursor:
            first += 1
        index = first
        while index < len(over) and over[index].start < shift.end:
            if over[index].start > cursor:
                result.append(replace(shift, start=cursor, end=over[index].start))
            cursor = max(cursor, over[index].end)
            index += 1
        if cursor < shift.end:
            result.append(replace(shift, start=cursor, end=shift.end))
    result.sort(key=lambda s: s.start)
    return result


def _joined(timeline: list[Shift]) -> list[Shift]:
    """Pieces of one turn (or one override) that touch again once what lay between is gone, joined."""
    joined: list[Shift] = []
    for shift in timeline:
        last = joined[-1] if joined else None
        if (
            last is not None
            and last.end == shift.start
            and last.person == shift.person
            and (last.layer, last.override, last.turn) == (shift.layer, shift.override, shift.turn)
        ):
            joined[-1] = replace(last, end=shift.end)
        else:
            joined.append(shift)
    return joined


# -- escalation policies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Whom a level pages: everyone a schedule has on call, or one person by name."""

    kind: str  # "schedule" or "person"
    name: str


@dataclass(frozen=True)
class EscalationLevel:
    targets: tuple[Target, ...]
    delay_minutes: int  # how long nobody acknowledges before the next level is paged


@dataclass(frozen=True)
class EscalationPolicy:
    """Ordered levels; after the last one the whole policy runs again `repeat` more times."""

    name: str
    levels: tuple[EscalationLevel, ...]
    repeat: int = 0
    description: str = ""


@dataclass(frozen=True)
class Responder:
    """A person to page, and the schedule that put them on call ("" when the level names them)."""

    person: str
    via: str = ""


@dataclass(frozen=True)
class EscalationStep:
    """One page of a policy's run: level `level` (0 is the first) paged `after` the first page."""

    level: int
    after: timedelta
    round: int  # 0 for the first pass through the levels, 1 for the first repeat…


def escalation_plan(policy: EscalationPolicy) -> list[EscalationStep]:
    """Every page the policy makes while nobody acknowledges, in order: each level waits its delay
    before the next, and the last level's delay leads into the next round."""
    steps: list[EscalationStep] = []
    after = timedelta(0)
    for round_ in range(policy.repeat + 1):
        for index, level in enumerate(policy.levels):
            steps.append(EscalationStep(index, after, round_))
            after += timedelta(minutes=level.delay_minutes)
    return steps


def escalation_targets(
    policy: EscalationPolicy, level: int, at: datetime, schedules: dict[str, Schedule] | None = None
) -> list[Responder]:
    """Who level `level` (0 is the first) pages at `at`: each named person, and whoever each named
    schedule has on call then. A schedule with nobody on call adds nobody; a person reached twice is
    paged once. `schedules` is keyed by the casefolded name."""
    if not 0 <= level < len(policy.levels):
        raise IndexError(f"{policy.name} has {len(policy.levels)} levels; there is no level {level}")
    found: dict[str, Responder] = {}
    for target in policy.levels[level].targets:
        if target.kind == "person":
            found.setdefault(target.name.casefold(), Responder(target.name))
            continue
        schedule = (schedules or {}).get(target.name.casefold())
        person = final_oncall(schedule, at) if schedule is not None else None
        if person is not None:
            found.setdefault(person.casefold(), Responder(person, schedule.name if schedule else target.name))
    return list(found.values())
