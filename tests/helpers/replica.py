"""A console without a database, for domain tests: decides with `decisions`, stamps like Console.stamp.

Each replica has its own hybrid clock over its own (possibly skewed) wall time and its own origin id,
so tests can play several consoles apart and then merge what they wrote.
"""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from commander.domain.core.clock import HybridClock, from_ms, to_ms
from commander.domain.core.events import Actor, Event, EventDraft, validate_payload
from commander.domain.core.policy import Policy, policy_from_mapping
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState, fold
from commander.domain.timeline.entries import TimelineEntry

POLICY_FILE = Path(__file__).resolve().parents[2] / "commander" / "resources" / "policy.toml"
NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
INCIDENT_ID = "0196f0c2-7a10-7c3e-9b1d-5f2a8e4c6d01"


def default_policy() -> Policy:
    return policy_from_mapping(tomllib.loads(POLICY_FILE.read_text(encoding="utf-8")))


class Replica:
    """One simulated console: wall time it believes, clock, origin, and the events it holds."""

    def __init__(
        self, number: int, policy: Policy, *, name: str = "Alex", skew: timedelta = timedelta(0), start: datetime = NOW
    ) -> None:
        self.number = number
        self.policy = policy
        self.origin = f"console-{number}"
        self.actor = Actor(f"person-{number}", name)
        self.wall_ms = to_ms(start + skew)
        # Replicas model the merge rule, not the trust checks: their clocks take in any stamp, however
        # far ahead (consoles apply the drift bound before an event reaches a fold; see domain/trust.py).
        self.clock = HybridClock(physical=lambda: self.wall_ms, max_ahead_ms=365 * 24 * 3_600_000)
        self.known: dict[str, Event] = {}
        self._serial = 0

    def __repr__(self) -> str:  # readable in Hypothesis' report of a failing example
        return f"Replica({self.origin}, {len(self.known)} events, wall {self.now():%H:%M:%S.%f})"

    def now(self) -> datetime:
        return from_ms(self.wall_ms)

    def tick(self, delta: timedelta) -> None:
        self.wall_ms += int(delta.total_seconds() * 1000)

    def stamp(self, draft: EventDraft) -> Event:
        """What Console.stamp does, with ids made from a counter so a failing example replays exactly."""
        validate_payload(draft.kind, draft.payload)
        self._serial += 1
        now = self.now()
        event_id = draft.id or str(uuid.UUID(int=(self.wall_ms << 80) | (self.number << 40) | self._serial))
        event = Event(
            id=event_id,
            stream=draft.stream,
            kind=draft.kind,
            payload=dict(draft.payload),
            actor=self.actor,
            hlc=self.clock.now(),
            occurred_at=draft.occurred_at or now,
            recorded_at=now,
            origin=self.origin,
        )
        self.known[event.id] = event
        return event

    def state(self, incident_id: str = INCIDENT_ID) -> IncidentState:
        return fold(incident_id, self.known.values(), self.policy)

    def act(self, decide: Callable[[IncidentState], list[EventDraft]], incident_id: str = INCIDENT_ID) -> list[Event]:
        """Decide against what this replica holds now, then stamp and keep the result."""
        return [self.stamp(draft) for draft in decide(self.state(incident_id))]

    def declare(
        self,
        title: str = "Checkout API returning 502s",
        severity: str = "SEV2",
        incident_id: str = INCIDENT_ID,
        **form: object,
    ) -> list[Event]:
        declaration = decisions.Declaration(title=title, severity=severity, **form)  # type: ignore[arg-type]
        drafts = decisions.declare(incident_id, declaration, me=self.actor.name, policy=self.policy, now=self.now())
        return [self.stamp(draft) for draft in drafts]

    def receive(self, events: Iterable[Event]) -> None:
        """Take in events written elsewhere, as Console._write does: keep them and observe their stamps."""
        for event in events:
            self.known.setdefault(event.id, event)
            self.clock.observe(event.hlc)


def canonical(state: IncidentState) -> dict[str, object]:
    """Everything a person can see of an incident's state, in a form that compares with ==."""
    return {
        "title": state.title,
        "severity": state.severity,
        "status": state.status.value,
        "services": list(state.services),
        "summary": state.summary,
        "drill": state.drill,
        "milestones": dict(sorted(state.milestones.items())),
        "roles": {
            key: (slot.name, slot.custom, slot.holder, slot.since, [(t.person, t.since, t.until) for t in slot.history])
            for key, slot in sorted(state.roles.items())
        },
        "notes": {
            note_id: (note.text, note.deleted, note.deleted_by, note.edited_by, note.at)
            for note_id, note in sorted(state.notes.items())
        },
        "pins": sorted(key for key, pinned in state.pinned.items() if pinned),
        "severity_history": list(state.severity_history),
        "reopened": state.reopened,
        "updates_sent": sorted(state.updates_sent),
        "snoozed_until": state.snoozed_until,
        "event_count": state.event_count,
        "last_order": state.last_order,
        "last_change": state.last_change,
    }


def timeline_dump(entries: Iterable[TimelineEntry]) -> list[tuple[object, ...]]:
    return [
        (e.event_id, e.at, e.kind, e.actor, e.text, e.backdated, e.pinned, e.edited_by, e.deleted_by, tuple(e.history))
        for e in entries
    ]
