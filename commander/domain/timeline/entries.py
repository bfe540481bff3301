"""The timeline a person reads: a view of the same events, nothing written twice.

Entries are ordered by when things happened (a backdated note sits at its time), then by the log
order. Edits, deletions and pins change an existing entry instead of adding a row; the events that
made those changes stay in the log and show in the entry's history.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from commander.domain.core.events import Event, well_formed
from commander.domain.core.kinds import AMENDS, CATEGORIES, SHOWN, Amends
from commander.domain.core.policy import Policy
from commander.domain.core.trust import login_differs
from commander.domain.core.when import iso
from commander.domain.incident.state import IncidentFold, IncidentState
from commander.domain.timeline.context import TimeFormat

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "MODIFIERS",
    "IncidentView",
    "TimeFormat",
    "TimelineChange",
    "TimelineEntry",
]

# The timeline's filters, in the order they are offered; every shown kind names one (its `Shown.category`,
# commander/domain/core/kinds.py). CATEGORIES maps each shown kind to its filter.
CATEGORY_LABELS = {
    "note": "Notes",
    "severity": "Severity",
    "status": "Status",
    "role": "Roles",
    "milestone": "Milestones",
    "incident": "Incident",
    "update": "Updates",
    "timer": "Timers",
    "checklist": "Checklists",
    "alert": "Alerts",
    "action": "Action items",
    "paging": "Pages",
    "workflow": "Workflows",
    "chat": "Chat",
}
MODIFIERS = AMENDS  # the kinds that change an existing entry instead of adding one

_BACKDATED = timedelta(seconds=60)  # an entry recorded this long after it happened is marked backdated
_entry_order = operator.attrgetter("at", "hlc", "event_id")
_log_order = operator.attrgetter("hlc", "origin", "id")  # Event.order, without a call per comparison key


@dataclass(slots=True)
class TimelineEntry:
    event_id: str
    at: datetime
    hlc: int
    kind: str
    category: str
    actor: str
    text: str
    backdated: bool = False
    pinned: bool = False
    note_id: str | None = None
    edited_by: str | None = None
    deleted_by: str | None = None
    history: list[str] = field(default_factory=list)
    # The database login that wrote the event, where it is not plainly the author it names (a note
    # inserted "as Alex" by login mallory); None otherwise. See commander/domain/core/trust.py.
    written_by: str | None = None

    @property
    def author(self) -> str:
        """Who wrote it, as people read it: "Alex", or "Alex (login mallory)" where the login differs."""
        return self.actor if self.written_by is None else f"{self.actor} (login {self.written_by})"

    @property
    def sort_key(self) -> tuple[datetime, int, str]:
        return (self.at, self.hlc, self.event_id)


@dataclass(frozen=True)
class TimelineChange:
    inserted: tuple[TimelineEntry, ...] = ()  # new entries, in timeline order
    updated: tuple[str, ...] = ()  # event ids of entries whose content changed
    reset: bool = False  # the whole timeline was rebuilt


class IncidentView:
    """An incident's folded state and its ordered timeline, kept current one event at a time."""

    def __init__(self, incident_id: str, policy: Policy, time_format: TimeFormat = iso) -> None:
        self.incident_id = incident_id
        self.policy = policy
        self.time_format = time_format
        self._fold = IncidentFold(incident_id, policy)
        # None after a restore from a snapshot: the log is read from `_load_events` only if needed
        # (an export of raw events, or an event older than the snapshot that forces a refold).
        self._events: list[Event] | None = []
        self._load_events: Callable[[], list[Event]] | None = None
        self.entries: list[TimelineEntry] = []
        self._by_id: dict[str, TimelineEntry] = {}
        self._applied: set[str] = set()
        self.generation = 0  # bumped on every rebuild: a reader holding rows must reset

    @property
    def state(self) -> IncidentState:
        return self._fold.state

    def load(self, events: Iterable[Event]) -> None:
        self._events = sorted(events, key=_log_order)
        self._rebuild()

    def apply(self, events: Iterable[Event]) -> TimelineChange:
        # Keyed by id: a batch that holds one event twice (a replayed pull) must apply it once.
        fresh = list({e.id: e for e in events if e.id not in self._applied}.values())
        if not fresh:
            return TimelineChange()
        fresh.sort(key=_log_order)
        if self.state.event_count and fresh[0].order <= self.state.last_order:
            merged = {e.id: e for e in self.events}
            merged.update((e.id, e) for e in fresh)
            self._events = sorted(merged.values(), key=_log_order)
            self._rebuild()
            return TimelineChange(reset=True)
        inserted: list[TimelineEntry] = []
        updated: list[str] = []
        for event in fresh:
            if self._events is not None:
                self._events.append(event)
            target = self._step(event)
            if target is None:
                continue
            if target.event_id == event.id:
                inserted.append(target)
            else:
                updated.append(target.event_id)
        for entry in inserted:
            position = bisect.bisect_right(self.entries, entry.sort_key, key=lambda e: e.sort_key)
            self.entries.insert(position, entry)
        inserted.sort(key=lambda e: e.sort_key)
        return TimelineChange(inserted=tuple(inserted), updated=tuple(updated))

    def row_of(self, event_id: str) -> int | None:
        entry = self._by_id.get(event_id)
        if entry is None:
            return None
        position = bisect.bisect_left(self.entries, entry.sort_key, key=lambda e: e.sort_key)
        return position if position < len(self.entries) and self.entries[position] is entry else None

    def entry(self, event_id: str) -> TimelineEntry | None:
        return self._by_id.get(event_id)

    @property
    def events(self) -> list[Event]:
        """Every event of the incident in log order (read from the store on first use after a restore)."""
        if self._events is None:
            assert self._load_events is not None, "a restored view needs a way to read its events"
            self._events = sorted({e.id: e for e in self._load_events()}.values(), key=_log_order)
        return self._events

    def _rebuild(self) -> None:
        self.generation += 1
        self._fold = IncidentFold(self.incident_id, self.policy)
        self._by_id = {}
        self._applied = set()
        entries = []
        for event in self.events:
            target = self._step(event)
            if target is not None and target.event_id == event.id:
                entries.append(target)
        entries.sort(key=_entry_order)
        self.entries = entries

    def _step(self, event: Event) -> TimelineEntry | None:
        """Fold one event and return the entry it adds or changes. Runs once an event on every load,
        so the common path is kept short (positional arguments, no call for the rare cases)."""
        kind, event_id = event.kind, event.id
        self._applied.add(event_id)
        if not well_formed(event):  # counted by the fold, neither folded nor shown
            self._fold.apply(event, checked=False)
            return None
        shown = SHOWN.get(kind)
        if shown is None:
            self._fold.apply(event, checked=True)
            amends = AMENDS.get(kind)
            return None if amends is None else self._amend(amends, event)
        if shown.before_fold:  # its words need the state as it was (a handoff names how long the role was held)
            text = shown.describe(event, self)
            self._fold.apply(event, checked=True)
        else:
            self._fold.apply(event, checked=True)
            text = shown.describe(event, self)
        occurred = event.occurred_at if shown.at is None else shown.at(event)
        entry = TimelineEntry(
            event_id,
            occurred,
            event.hlc,
            kind,
            shown.category,
            event.actor.name if shown.actor is None else shown.actor(event),
            text,
            event.recorded_at - occurred > _BACKDATED,  # backdated
            self._fold.state.pinned.get(event_id, False),  # pinned
            event_id if shown.note else None,
        )  # note_id
        if event.login is not None and login_differs(event.actor, event.login):
            entry.written_by = event.login
        self._by_id[event_id] = entry
        return entry

    def _amend(self, amends: Amends, event: Event) -> TimelineEntry | None:
        """Change the entry the event names (an edit, a deletion, a pin) and add the change to its history."""
        target = self._by_id.get(event.payload[amends.target])
        if target is None:
            return None
        amends.amend(target, event, f"{self.time_format(event.recorded_at)} {event.actor.name}")
        return target
