"""What analytics needs to know about one incident, from its lifecycle events alone.

The events go through the real fold (`IncidentFold`), so reopening, backdating and the milestone chain
mean here exactly what they mean on the incident's own screen. One pass also notes when the incident was
open (for time in each severity and responder load) and judges each stakeholder update against the due
time the console showed then (commander.domain.updates.timers).

Every time is counted from the incident's start (detected, else declared):
  detect       start -> declared
  acknowledge  start -> acknowledged (the declaration, unless someone set it)
  mitigate     start -> mitigated (the resolution, when it was never mitigated on its own)
  resolve      start -> the LAST resolution (a reopened incident is resolved when it is resolved again;
               one closed without being resolved is resolved when closed)
An open incident has no time to resolve: it is counted, flagged open, and shown with its age.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from commander.domain.core.events import Event, well_formed
from commander.domain.core.policy import Policy
from commander.domain.incident.state import IncidentFold, IncidentState, Status
from commander.domain.updates.timers import next_update

STAGES = ("detect", "acknowledge", "mitigate", "resolve")
LIFECYCLE_KINDS = (
    "incident.declared",
    "severity.changed",
    "status.changed",
    "milestone.set",
    "role.assigned",
    "update.sent",
    "update.delivered",
    "update.snoozed",
)
UPDATE_KINDS = frozenset({"update.sent", "update.delivered"})
# One update published to several places at once is several events (a delivery per destination) a few
# seconds apart: updates this close to the one before are the same update.
SAME_UPDATE = timedelta(minutes=3)
NO_TIME = timedelta(0)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class Listed(Protocol):
    """What analytics reads from the incident list (commander.store.records.IncidentSummary)."""

    @property
    def id(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def services(self) -> Sequence[str]: ...
    @property
    def drill(self) -> bool: ...
    @property
    def started_at_ms(self) -> int | None: ...


@dataclass(frozen=True)
class Punctuality:
    """Each time an update fell due: sent by then, sent after it, or never sent before the incident ended."""

    on_time: int = 0
    late: int = 0
    missed: int = 0

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.missed

    @property
    def share(self) -> float | None:
        return self.on_time / self.due if self.due else None

    def __add__(self, other: Punctuality) -> Punctuality:
        return Punctuality(self.on_time + other.on_time, self.late + other.late, self.missed + other.missed)


@dataclass(frozen=True)
class Held:
    """A person holding a role in the incident while it was open, from `start` to `end`."""

    person: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class IncidentFacts:
    id: str
    reference: str
    title: str
    severity: str
    services: tuple[str, ...]
    drill: bool
    open: bool
    start: datetime
    milestones: Mapping[str, datetime]
    times: Mapping[str, timedelta | None]  # per stage; None: not reached (yet)
    reopened: int
    in_severity: Mapping[str, timedelta]  # time spent open in each severity
    updates: Punctuality
    held: tuple[Held, ...]

    def age(self, now: datetime) -> timedelta:
        """Start to the resolution, or to now while open."""
        end = self.times["resolve"]
        return end if end is not None else max(NO_TIME, now - self.start)


@dataclass
class _Walk:
    """What one pass over an incident's events collects besides the folded state."""

    spans: list[tuple[datetime, datetime | None]] = field(default_factory=list)  # while open
    opened: datetime | None = None
    on_time: int = 0
    late: int = 0
    missed: int = 0
    last_update: datetime | None = None


def incident_facts(row: Listed, events: Iterable[Event], policy: Policy, now: datetime) -> IncidentFacts | None:
    """Facts about one incident from its events of LIFECYCLE_KINDS (any order; others are ignored by the
    fold); None when they hold no declaration."""
    folder = IncidentFold(row.id, policy)
    state, walk = folder.state, _Walk()
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        was_open = state.declared and state.is_open
        if was_open and event.kind in UPDATE_KINDS:
            _judge_update(state, walk, policy, event.occurred_at)
        elif was_open and event.kind == "status.changed" and not _opens(event):
            _judge_end(state, walk, policy, event.occurred_at)  # the due time in force when it ended
        folder.apply(event, checked=True)
        is_open = state.declared and state.is_open
        if is_open and not was_open:
            walk.opened = event.occurred_at
        elif was_open and not is_open and walk.opened is not None:
            walk.spans.append((walk.opened, event.occurred_at))
            walk.opened = None
    if not state.declared:
        return None
    start = state.started_at() or state.milestones["declared"]
    if state.is_open:
        _judge_end(state, walk, policy, now)
        walk.spans.append((walk.opened or start, None))
    spans = _settled_spans(walk.spans, state, now)
    return IncidentFacts(
        id=row.id,
        reference=row.reference,
        title=row.title,
        severity=row.severity or state.severity,
        services=tuple(row.services),
        drill=row.drill,
        open=state.is_open,
        start=start,
        milestones=dict(state.milestones),
        times=_stage_times(state, start),
        reopened=state.reopened,
        in_severity=_time_in_severity(state, spans),
        updates=Punctuality(walk.on_time, walk.late, walk.missed),
        held=_held(state, spans),
    )


def _stage_times(state: IncidentState, start: datetime) -> dict[str, timedelta | None]:
    m = state.milestones
    resolved = None if state.is_open else m.get("resolved") or m.get("closed")
    reached = {
        "detect": m.get("declared"),
        "acknowledge": m.get("acknowledged"),
        "mitigate": m.get("mitigated") or resolved,
        "resolve": resolved,
    }
    return {stage: None if moment is None else max(NO_TIME, moment - start) for stage, moment in reached.items()}


def _opens(event: Event) -> bool:
    try:
        return Status(event.payload["status"]).is_open
    except ValueError:
        return True  # a status this version does not know changes nothing (see the fold)


def _judge_update(state: IncidentState, walk: _Walk, policy: Policy, at: datetime) -> None:
    """An update went out: on time if by the due time in force just before it (snoozes included)."""
    last = walk.last_update
    walk.last_update = at if last is None else max(last, at)
    if last is not None and abs(at - last) < SAME_UPDATE:
        return  # the same update, reaching another destination
    due = next_update(state, policy, at).due
    if due is None:
        return  # none was expected (a severity without a cadence): nothing to be late for
    if at <= due:
        walk.on_time += 1
    else:
        walk.late += 1


def _judge_end(state: IncidentState, walk: _Walk, policy: Policy, end: datetime) -> None:
    """The incident ended (or it is now): an update due before then and never sent was missed."""
    due = next_update(state, policy, end).due
    if due is not None and due < end:
        walk.missed += 1


def _settled_spans(
    spans: list[tuple[datetime, datetime | None]], state: IncidentState, now: datetime
) -> list[tuple[datetime, datetime]]:
    """The open spans with the milestones as they stand: a backdated declaration starts the first one
    earlier, a backdated resolution ends the last one earlier."""
    settled = [(begin, end or now) for begin, end in spans]
    if not settled:
        return settled
    declared = state.milestones.get("declared")
    if declared is not None and declared < settled[0][0]:
        settled[0] = (declared, settled[0][1])
    if not state.is_open:
        resolved = state.milestones.get("resolved") or state.milestones.get("closed")
        begin = settled[-1][0]
        if resolved is not None and resolved >= begin:
            settled[-1] = (begin, resolved)
    return settled


def _time_in_severity(state: IncidentState, spans: list[tuple[datetime, datetime]]) -> dict[str, timedelta]:
    """Each severity runs from its change to the next one, by when they happened (occurred_at), and
    counts while the incident was open. The first reaches back to the start."""
    history = sorted(state.severity_history, key=lambda item: item[1])
    totals: dict[str, timedelta] = {}
    for index, (severity, since) in enumerate(history):
        begin = since if index else _EARLIEST
        until = history[index + 1][1] if index + 1 < len(history) else _LATEST
        inside = sum((overlap(begin, until, a, b) for a, b in spans), NO_TIME)
        totals[severity] = totals.get(severity, NO_TIME) + inside
    return totals


def _held(state: IncidentState, spans: list[tuple[datetime, datetime]]) -> tuple[Held, ...]:
    """Who held a role while the incident was open (a role left filled after resolving does not count)."""
    held = []
    for slot in state.roles.values():
        for tenure in slot.history:
            until = tenure.until or _LATEST
            for a, b in spans:
                begin, end = max(tenure.since, a), min(until, b)
                if end > begin:
                    held.append(Held(tenure.person, begin, end))
    return tuple(held)


def overlap(a: datetime, b: datetime, c: datetime, d: datetime) -> timedelta:
    """How much of [a, b) lies in [c, d)."""
    return max(NO_TIME, min(b, d) - max(a, c))
