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

from commander.domain.actions import items as actions
from commander.domain.alerts import triage
from commander.domain.checklists import checklists
from commander.domain.core.events import Event, well_formed
from commander.domain.core.policy import Policy
from commander.domain.core.trust import login_differs
from commander.domain.core.when import format_duration, from_iso, iso
from commander.domain.incident.state import IncidentFold, IncidentState
from commander.domain.paging import pages as paging

CATEGORIES = {
    "incident.declared": "incident",
    "incident.edited": "incident",
    "severity.changed": "severity",
    "status.changed": "status",
    "milestone.set": "milestone",
    "role.added": "role",
    "role.assigned": "role",
    "note.added": "note",
    "update.sent": "update",
    "update.snoozed": "update",
    "update.overdue": "update",
    "update.queued": "update",
    "update.delivered": "update",
    "update.failed": "update",
    "timer.set": "timer",
    "timer.cancelled": "timer",
    "timer.expired": "timer",
    **dict.fromkeys(checklists.KINDS, "checklist"),
    **dict.fromkeys(triage.TIMELINE_KINDS, "alert"),
    "action.created": "action",
    "action.updated": "action",
    "action.pushed": "action",
    "action.refreshed": "action",
    **dict.fromkeys(paging.KINDS, "paging"),
}
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
}
# Kinds that change an existing entry instead of adding one.
MODIFIERS = {"note.edited", "note.deleted", "note.restored", "entry.pinned"}

TimeFormat = Callable[[datetime], str]
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
        before = self._describe_before(event) if kind == "role.assigned" else None
        self._fold.apply(event, checked=True)
        if kind in MODIFIERS:
            return self._modify(event)
        category = CATEGORIES.get(kind)
        if category is None:
            return None
        occurred = event.occurred_at
        if kind == "milestone.set":  # sits at the moment it names: "09:12 detected", set later
            occurred = from_iso(event.payload["at"])
        entry = TimelineEntry(
            event_id,
            occurred,
            event.hlc,
            kind,
            category,
            event.actor.name,
            before if before is not None else self._describe(event),
            event.recorded_at - occurred > _BACKDATED,  # backdated
            self._fold.state.pinned.get(event_id, False),  # pinned
            event_id if kind == "note.added" else None,
        )  # note_id
        if event.login is not None and login_differs(event.actor, event.login):
            entry.written_by = event.login
        self._by_id[event_id] = entry
        return entry

    def _modify(self, event: Event) -> TimelineEntry | None:
        p = event.payload
        target = self._by_id.get(p.get("note") or p.get("target") or "")
        if target is None:
            return None
        stamp = f"{self.time_format(event.recorded_at)} {event.actor.name}"
        if event.kind == "entry.pinned":
            target.pinned = bool(p["pinned"])
            target.history.append(f"{stamp}: {'pinned' if p['pinned'] else 'unpinned'}")
        elif event.kind == "note.edited":
            target.history.append(f"{stamp}: edited (was: {_clip(target.text)})")
            target.text, target.edited_by = p["text"], event.actor.name
        elif event.kind == "note.deleted":
            target.deleted_by = event.actor.name
            target.history.append(f"{stamp}: deleted")
        elif event.kind == "note.restored":
            target.deleted_by = None
            target.history.append(f"{stamp}: restored")
        return target

    def _describe_before(self, event: Event) -> str | None:
        """Descriptions that need the state as it was just before the event (handoff durations)."""
        if event.kind != "role.assigned":
            return None
        p = event.payload
        slot = self.state.roles.get(p["role"])
        role_name = slot.name if slot else p["role"].replace("_", " ").title()
        person, previous = p["person"], slot.holder if slot else None
        held = ""
        if slot and slot.holder and slot.since:
            held = f" after {format_duration(event.occurred_at - slot.since)}"
        if person and previous:
            return f"{previous} handed {role_name} to {person}{held}"
        if person:
            return f"{person} is {role_name}"
        return (
            f"{previous} stepped down as {role_name}{held}; the role is unfilled"
            if previous
            else f"{role_name} cleared"
        )

    def _describe(self, event: Event) -> str:
        p = event.payload
        kind = event.kind
        if kind == "note.added":  # by far the most common
            return str(p["text"])
        if kind == "incident.declared":
            drill = " (drill)" if p["drill"] else ""
            return f"{p['severity']} declared{drill}: {p['title']}"
        if kind == "incident.edited":
            parts = []
            if "title" in p:
                parts.append(f"title is now “{p['title']}”")
            if "services" in p:
                parts.append("services: " + (", ".join(p["services"]) or "none"))
            if "summary" in p:
                parts.append("impact summary updated")
            return "Details changed: " + "; ".join(parts) if parts else "Details changed"
        if kind == "severity.changed":
            reason = f": {p['reason']}" if p["reason"] else ""
            verb = _severity_verb(self.policy, p["previous"], p["severity"])
            return f"Severity {verb} {p['previous']} → {p['severity']}{reason}"
        if kind == "status.changed":
            reason = f": {p['reason']}" if p["reason"] else ""
            return f"Status {p['previous']} → {p['status']}{reason}"
        if kind == "milestone.set":
            return f"{p['milestone'].capitalize()} time set to {self.time_format(from_iso(p['at']))}"
        if kind == "role.added":
            return f"Role added: {p['name']}" + (f" ({p['duty']})" if p["duty"] else "")
        if kind == "update.sent":
            return f"Update sent to {p['audience']}" + (f": {p['summary']}" if p["summary"] else "")
        if kind == "update.snoozed":
            return f"Next update snoozed to {self.time_format(from_iso(p['until']))}: {p['reason']}"
        if kind == "update.queued":
            return f"Update queued for {p['destination']} ({p['template']})"
        if kind == "update.delivered":
            cut = p.get("shortened")  # [characters sent, characters] when the service's limit cut it
            return f"Update delivered to {p['destination']}" + (
                f", shortened to {cut[0]:,} of {cut[1]:,} characters" if cut else ""
            )
        if kind == "update.failed":
            return f"Update to {p['destination']} failed: {p['reason']}"
        if kind == "update.overdue":
            return f"Stakeholder update overdue (was due {self.time_format(from_iso(p['due']))})"
        if kind == "timer.set":
            return f"Timer set: {p['label']} (due {self.time_format(from_iso(p['due']))})"
        if kind in checklists.KINDS:
            return checklists.describe(self.state.checklists, event)
        if kind in triage.TIMELINE_KINDS:
            return triage.describe(event, self.state, self.time_format)
        if kind.startswith("action."):
            return actions.describe(event, self.state.action_titles)
        if kind in paging.KINDS:
            return paging.describe(self.state.paging, event)
        if kind in ("timer.expired", "timer.cancelled"):
            # Described after the fold applied the event, so a cancellation knows whether it came after
            # the expiry (a dismissal). A timer this log never set is named by its id.
            timer = self.state.timers.get(p["timer"])
            label = timer.label if timer else f"timer {p['timer'][:8]}"
            if kind == "timer.expired":
                return f"Timer expired: {label}"
            return f"Timer dismissed: {label}" if timer and timer.dismissed else f"Timer cancelled: {label}"
        return kind


def _severity_verb(policy: Policy, previous: str, new: str) -> str:
    before, after = policy.find_severity(previous), policy.find_severity(new)
    if before is None or after is None:
        return "changed"
    return "raised" if after.rank < before.rank else "lowered"


def _clip(text: str, limit: int = 80) -> str:
    line = text.replace("\n", " ")
    return line if len(line) <= limit else line[: limit - 1] + "…"
