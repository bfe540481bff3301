"""Incident analytics across incidents: mean and median times by severity, service and month; incidents per
month by severity; time in each severity; update punctuality; responder load; action items; noise.

Pure functions over the incident list's rows and the few kinds of events the figures need. `Gathered` holds
what was read and works out each incident's facts once, the first time a report includes it (commander.
domain.analytics_facts: the expensive part); `build_report` filters and sums, so another filter over the
same incidents is cheap. `count_by_month` needs the rows alone: the first chart is drawn before any event
is read.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from commander.domain.analytics.facts import (
    LIFECYCLE_KINDS,
    NO_TIME,
    STAGES,
    IncidentFacts,
    Listed,
    Punctuality,
    incident_facts,
    overlap,
)
from commander.domain.core.clock import from_ms
from commander.domain.core.events import Event, well_formed
from commander.domain.core.policy import Policy

__all__ = [
    "ACTION_KINDS",
    "LIFECYCLE_KINDS",
    "NOISE_KINDS",
    "STAGES",
    "IncidentFacts",
    "Listed",
    "Punctuality",
    "Gathered",
    "Report",
    "ReportFilter",
    "build_report",
    "count_by_month",
]

ACTION_KINDS = ("action.created", "action.updated", "action.refreshed")
NOISE_KINDS = ("alert.noise",)
WORKING_HOURS = (time(9), time(18))  # Monday to Friday, in the console's zone


@dataclass(frozen=True)
class ReportFilter:
    """Which incidents a report covers: started in [since, until), any of the severities and services
    (empty: all; services match whatever their case), drills only when asked for."""

    since: datetime | None = None
    until: datetime | None = None
    severities: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    include_drills: bool = False

    def admits(self, row: Listed) -> bool:
        started = row.started_at_ms
        if started is None or (row.drill and not self.include_drills):
            return False
        if self.since is not None and started < self.since.timestamp() * 1000:
            return False
        if self.until is not None and started >= self.until.timestamp() * 1000:
            return False
        if self.severities and row.severity not in self.severities:
            return False
        wanted = {s.casefold() for s in self.services}
        return not wanted or any(s.casefold() in wanted for s in row.services)

    @property
    def narrowed(self) -> bool:
        """Narrowed by something an alert outside any incident cannot match (a severity or a service)."""
        return bool(self.severities or self.services)


@dataclass(frozen=True)
class Spread:
    count: int  # incidents that reached the stage
    mean: timedelta | None
    median: timedelta | None


@dataclass(frozen=True)
class GroupTimes:
    """The four times over one group of incidents: all of them, a severity, a service or a month."""

    dimension: str  # "all", "severity", "service", "month"
    group: str
    incidents: int
    open: int
    stages: Mapping[str, Spread]


@dataclass(frozen=True)
class Responder:
    name: str
    working: timedelta  # 09:00-18:00 Monday to Friday in the console's zone
    off: timedelta
    incidents: int

    @property
    def total(self) -> timedelta:
        return self.working + self.off


@dataclass(frozen=True)
class ActionTally:
    total: int
    open: int
    done: int
    wont_do: int
    overdue: int

    @property
    def completion(self) -> float | None:
        """Done among the items someone meant to do (won't-do ones left out)."""
        meant = self.open + self.done
        return self.done / meant if meant else None


@dataclass(frozen=True)
class NoiseTally:
    total: int
    by_name: tuple[tuple[str, int], ...]  # most frequent first


@dataclass(frozen=True)
class MonthlyCounts:
    severities: tuple[str, ...]  # the policy's order, then any others seen
    months: tuple[str, ...]  # "2026-01": every month of the range, gaps included
    counts: Mapping[str, Mapping[str, int]]  # month -> severity -> incidents started

    @property
    def total(self) -> int:
        return sum(sum(per.values()) for per in self.counts.values())


class Gathered:
    """Everything read for reports, as of `at`. Each incident's facts are worked out the first time a report
    includes it and kept, so another filter over the same incidents only sums again."""

    def __init__(self, at: datetime, policy: Policy, rows: Iterable[Listed], events: Iterable[Event]) -> None:
        self.at, self.policy = at, policy
        self.rows = {row.id: row for row in rows}
        self.lifecycle: dict[str, list[Event]] = {}
        self.actions: list[Event] = []
        self.noise: list[Event] = []
        for event in events:
            kind = event.kind
            if kind in NOISE_KINDS:
                self.noise.append(event)
            elif kind in ACTION_KINDS:
                self.actions.append(event)
            elif event.stream.startswith("incident:"):
                self.lifecycle.setdefault(event.stream[9:], []).append(event)
        self._facts: dict[str, IncidentFacts | None] = {}

    def facts(self, rows: Iterable[Listed]) -> list[IncidentFacts]:
        """The facts of these incidents (those with a declaration among the events read)."""
        found = []
        for row in rows:
            if row.id not in self._facts:
                self._facts[row.id] = incident_facts(row, self.lifecycle.get(row.id, ()), self.policy, self.at)
            facts = self._facts[row.id]
            if facts is not None:
                found.append(facts)
        return found


@dataclass(frozen=True)
class Report:
    filters: ReportFilter
    now: datetime
    zone: tzinfo
    facts: tuple[IncidentFacts, ...]  # oldest first
    times: tuple[GroupTimes, ...]  # all, then by severity, service, month
    monthly: MonthlyCounts
    in_severity: Mapping[str, timedelta]  # severity -> time incidents spent open in it
    punctuality: Punctuality
    load: tuple[Responder, ...]  # most hours first
    actions: ActionTally | None  # None: no action items yet
    noise: NoiseTally | None  # None: no alert marked noise yet

    @property
    def severities(self) -> tuple[str, ...]:
        return self.monthly.severities

    @property
    def open(self) -> int:
        return sum(1 for f in self.facts if f.open)

    @property
    def reopened(self) -> int:
        return sum(1 for f in self.facts if f.reopened)

    def entered(self, severity: str) -> int:
        """Incidents that spent any time open in the severity."""
        return sum(1 for f in self.facts if f.in_severity.get(severity, NO_TIME) > NO_TIME)

    def group(self, dimension: str) -> list[GroupTimes]:
        return [g for g in self.times if g.dimension == dimension]


def build_report(gathered: Gathered, filters: ReportFilter, *, zone: tzinfo) -> Report:
    now, policy = gathered.at, gathered.policy
    admitted = [row for row in gathered.rows.values() if filters.admits(row)]
    facts = sorted(gathered.facts(admitted), key=lambda f: (f.start, f.id))
    monthly = count_by_month(admitted, filters, policy=policy, zone=zone, now=now)
    in_severity: dict[str, timedelta] = {}
    for f in facts:
        for severity, spent in f.in_severity.items():
            in_severity[severity] = in_severity.get(severity, NO_TIME) + spent
    order = [*monthly.severities, *sorted(set(in_severity) - set(monthly.severities))]
    chosen = {f.id for f in facts}
    return Report(
        filters=filters,
        now=now,
        zone=zone,
        facts=tuple(facts),
        times=tuple(_times(facts, order, zone)),
        monthly=monthly,
        in_severity={s: in_severity[s] for s in order if s in in_severity},
        punctuality=sum((f.updates for f in facts), Punctuality()),
        load=tuple(responder_load(facts, zone)),
        actions=tally_actions(gathered.actions, chosen, now.astimezone(zone).date()),
        noise=tally_noise(gathered.noise, chosen, filters),
    )


def count_by_month(
    rows: Iterable[Listed], filters: ReportFilter, *, policy: Policy, zone: tzinfo, now: datetime
) -> MonthlyCounts:
    """Incidents started each month, by severity (as the incident list shows it), from the rows alone."""
    counts: dict[str, dict[str, int]] = {}
    starts = []
    for row in rows:
        if not filters.admits(row):
            continue
        started = from_ms(row.started_at_ms or 0)
        starts.append(started)
        per = counts.setdefault(month_of(started, zone), {})
        per[row.severity] = per.get(row.severity, 0) + 1
    known = [s.key for s in policy.severities]
    seen = {severity for per in counts.values() for severity in per}
    months = _months(starts, filters, now, zone)
    return MonthlyCounts(
        tuple(known + sorted(seen - set(known))), tuple(months), {month: counts.get(month, {}) for month in months}
    )


def month_of(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


def _months(starts: Sequence[datetime], filters: ReportFilter, now: datetime, zone: tzinfo) -> list[str]:
    """Every month from the range's start (or the first incident's) to its end (or now), gaps included,
    so a chart's time axis has no holes."""
    first = min([filters.since, *starts]) if filters.since else min(starts, default=None)
    last = max([min(filters.until - timedelta(milliseconds=1), now) if filters.until else now, *starts])
    if first is None or last < first:
        return []
    months = []
    year, month = first.astimezone(zone).year, first.astimezone(zone).month
    end = last.astimezone(zone)
    while (year, month) <= (end.year, end.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _times(facts: Sequence[IncidentFacts], severities: Sequence[str], zone: tzinfo) -> list[GroupTimes]:
    by_severity: dict[str, list[IncidentFacts]] = {severity: [] for severity in severities}
    by_service: dict[str, list[IncidentFacts]] = {}
    by_month: dict[str, list[IncidentFacts]] = {}
    for f in facts:  # oldest first, so months come out in order
        by_severity.setdefault(f.severity, []).append(f)
        for service in f.services:
            by_service.setdefault(service, []).append(f)
        by_month.setdefault(month_of(f.start, zone), []).append(f)
    groups = [("all", "all", list(facts))]
    groups += [("severity", severity, members) for severity, members in by_severity.items() if members]
    groups += [("service", service, by_service[service]) for service in sorted(by_service, key=str.casefold)]
    groups += [("month", month, members) for month, members in by_month.items()]
    return [
        GroupTimes(
            dimension,
            group,
            len(members),
            sum(1 for f in members if f.open),
            {stage: spread(f.times[stage] for f in members) for stage in STAGES},
        )
        for dimension, group, members in groups
    ]


def spread(durations: Iterable[timedelta | None]) -> Spread:
    """Mean and median of the durations that are known (None: not reached yet)."""
    seconds = [d.total_seconds() for d in durations if d is not None]
    if not seconds:
        return Spread(0, None, None)
    return Spread(
        len(seconds), timedelta(seconds=statistics.fmean(seconds)), timedelta(seconds=statistics.median(seconds))
    )


def responder_load(facts: Iterable[IncidentFacts], zone: tzinfo) -> list[Responder]:
    """Hours each person held a role in an open incident, split into working hours and off hours. Two
    roles, or two incidents, at the same time count once: it is the person's time."""
    spans: dict[str, list[tuple[datetime, datetime]]] = {}
    incidents: dict[str, set[str]] = {}
    for f in facts:
        for held in f.held:
            spans.setdefault(held.person, []).append((held.start, held.end))
            incidents.setdefault(held.person, set()).add(f.id)
    load = []
    for person, taken in spans.items():
        working = off = NO_TIME
        for begin, end in merge_spans(taken):
            inside = working_time(begin, end, zone)
            working += inside
            off += (end - begin) - inside
        load.append(Responder(person, working, off, len(incidents[person])))
    load.sort(key=lambda r: (-r.total, r.name.casefold()))
    return load


def merge_spans(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for begin, end in sorted(spans):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    return merged


def working_time(begin: datetime, end: datetime, zone: tzinfo) -> timedelta:
    """The part of [begin, end) in working hours (09:00-18:00, Monday to Friday, in `zone`, clock changes
    included). Compared in UTC: times sharing a tzinfo compare by wall time, wrong around clock changes."""
    begin, end = begin.astimezone(UTC), end.astimezone(UTC)
    day = begin.astimezone(zone).date()
    last = end.astimezone(zone).date()
    total = NO_TIME
    while day <= last:
        if day.weekday() < 5:
            opens = datetime.combine(day, WORKING_HOURS[0], zone).astimezone(UTC)
            closes = datetime.combine(day, WORKING_HOURS[1], zone).astimezone(UTC)
            total += overlap(begin, end, opens, closes)
        day += timedelta(days=1)
    return total


def tally_actions(events: Iterable[Event], incidents: set[str], today: date) -> ActionTally | None:
    """Action items of the chosen incidents, folded from their events in log order: status and due date
    last-writer-wins, done also when the tracker says so. Overdue: open and due before today. Tolerant,
    since another part of Commander writes them: a field missing or of another shape is skipped."""
    items: dict[str, dict[str, Any]] = {}
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        p = event.payload
        if event.kind == "action.created":
            if event.stream.startswith("incident:") and event.stream[9:] in incidents:
                items[event.id] = {"status": "open", "due": p.get("due"), "tracker_done": False}
            continue
        item = items.get(str(p.get("action", "")))
        if item is None:
            continue
        if event.kind == "action.updated" and isinstance(p.get("changes"), Mapping):
            item.update({k: v for k, v in p["changes"].items() if k in ("status", "due")})
        elif event.kind == "action.refreshed" and isinstance(p.get("done"), bool):
            item["tracker_done"] = p["done"]
    if not items:
        return None
    done = wont = overdue = 0
    for item in items.values():
        if item["status"] == "wont_do":
            wont += 1
        elif item["status"] == "done" or item["tracker_done"]:
            done += 1
        elif (due := _date(item["due"])) is not None and due < today:
            overdue += 1
    return ActionTally(len(items), len(items) - done - wont, done, wont, overdue)


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def tally_noise(events: Iterable[Event], incidents: set[str], filters: ReportFilter) -> NoiseTally | None:
    """Alerts marked noise on the chosen incidents; and those marked outside any incident in the date
    range, unless the report is narrowed to a severity or a service (which they cannot match)."""
    names: Counter[str] = Counter()
    since, until = filters.since, filters.until
    for event in filter(well_formed, events):
        if event.stream.startswith("incident:"):
            if event.stream[9:] not in incidents:
                continue
        elif filters.narrowed or (since and event.occurred_at < since) or (until and event.occurred_at >= until):
            continue
        name = event.payload.get("name")
        names[name if isinstance(name, str) and name else "(unnamed alert)"] += 1
    if not names:
        return None
    return NoiseTally(sum(names.values()), tuple(sorted(names.items(), key=lambda item: (-item[1], item[0]))))
