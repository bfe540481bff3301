"""Gathering analytics: the incident list and the few kinds of events the figures need, read in one pass
over the log and handed to commander.domain.analytics.figures.

Action items and noise marks are written by other parts of Commander; their kinds are read only when
this version knows them (they are in PAYLOADS), so a store without any reads as "none yet".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from commander.app.console import Console, Reads, _collector_paused
from commander.domain.analytics.figures import (
    ACTION_KINDS,
    LIFECYCLE_KINDS,
    NOISE_KINDS,
    Gathered,
    MonthlyCounts,
    Report,
    ReportFilter,
    build_report,
    count_by_month,
)
from commander.domain.core.events import PAYLOADS
from commander.store.local import LocalReader
from commander.store.records import IncidentSummary


def kinds() -> list[str]:
    """Every kind the figures read that this version of Commander knows."""
    return [*LIFECYCLE_KINDS, *(kind for kind in (*ACTION_KINDS, *NOISE_KINDS) if kind in PAYLOADS)]


# Reading and working out the facts make tens of thousands of small objects, none in a cycle: the cyclic
# collector would only rescan the growing heap again and again, so it is paused (as Console.view does).


def collect(console: Console, *, reads: Reads | None = None, now: datetime | None = None) -> Gathered:
    """Read what every report needs, in one pass over the log (its facts are worked out when used)."""
    source = reads or console.reads
    with _collector_paused():
        return Gathered(now or console.now(), console.policy, source.summaries(), source.of_kinds(kinds()))


def summarise(console: Console, gathered: Gathered, filters: ReportFilter) -> Report:
    """The report over the incidents `filters` admits; the facts of those seen before are reused."""
    with _collector_paused():
        return build_report(gathered, filters, zone=console.zone)


def report(console: Console, filters: ReportFilter, *, now: datetime | None = None) -> Report:
    """One report: what `commander report` prints."""
    return summarise(console, collect(console, now=now), filters)


def monthly(console: Console, filters: ReportFilter, rows: list[IncidentSummary] | None = None) -> MonthlyCounts:
    """Incidents per month by severity from the incident list alone: quick enough for the first chart."""
    return count_by_month(
        console.incidents() if rows is None else rows,
        filters,
        policy=console.policy,
        zone=console.zone,
        now=console.now(),
    )


def services(console: Console) -> list[str]:
    """Every service named on an incident, for a filter's choices."""
    return sorted({service for summary in console.incidents() for service in summary.services}, key=str.casefold)


def default_since(today: date) -> date:
    """The start of a report's default range: the last 12 months, this one included."""
    year, month = (today.year, 1) if today.month == 12 else (today.year - 1, today.month + 1)
    return date(year, month, 1)


@contextmanager
def reads_for_worker(console: Console) -> Iterator[Reads]:
    """Reads a worker thread may use while the UI thread keeps using the console's: a local file gets a
    connection of its own (neither then waits on the other's queries); SQLAlchemy's pool is already
    shared safely between threads."""
    if isinstance(console.reads, LocalReader):
        own = LocalReader(console.reads.path)
        try:
            yield own
        finally:
            own.close()
    else:
        yield console.reads
