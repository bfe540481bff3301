"""An incident's state: a deterministic fold of its events in (hlc, origin, id) order.

Scalar fields are last-writer-wins by that order; notes are a set keyed by the id of the event that
added them, each with its own last-writer-wins fields; deletion is a tombstone that a restore undoes.
Custom timers are a set keyed the same way; the first of expiry or cancellation ends one.
The fold never refuses an event: rules are checked when a change is decided (see decisions.py), and
events from other consoles are taken as they are, so every replica folds the same log the same way.
How each kind folds is declared with the kind, in its feature's kinds module (commander/domain/core/kinds.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from commander.domain.checklists.state import Checklist
from commander.domain.core.events import Actor, Event, well_formed
from commander.domain.core.ids import reference_for
from commander.domain.core.kinds import FOLDS
from commander.domain.core.policy import Policy
from commander.domain.paging.state import Paging


class Status(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def rank(self) -> int:
        return list(Status).index(self)

    @property
    def is_open(self) -> bool:
        return self in (Status.INVESTIGATING, Status.IDENTIFIED, Status.MITIGATED)


MILESTONES = ("detected", "declared", "acknowledged", "mitigated", "resolved", "closed")
# The milestone a status change stamps.
STATUS_MILESTONE = {Status.MITIGATED: "mitigated", Status.RESOLVED: "resolved", Status.CLOSED: "closed"}


@dataclass(slots=True)
class Tenure:
    person: str
    since: datetime
    until: datetime | None = None


@dataclass
class RoleSlot:
    key: str
    name: str
    duty: str
    custom: bool
    holder: str | None = None
    since: datetime | None = None
    history: list[Tenure] = field(default_factory=list)


@dataclass(slots=True)
class Note:
    id: str
    text: str
    author: Actor
    at: datetime
    edited_by: str | None = None
    edited_at: datetime | None = None
    deleted_by: str | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_by is not None


@dataclass(slots=True)
class CustomTimer:
    """A custom timer ("check the rollback in 10 minutes"): running until it expires or someone cancels
    it. An expired timer stays on screen, red, until someone dismisses it (a cancellation after expiry)."""

    id: str
    label: str
    due: datetime
    set_by: Actor
    set_at: datetime
    expired_at: datetime | None = None
    cancelled_by: str | None = None
    cancelled_at: datetime | None = None

    @property
    def running(self) -> bool:
        return self.expired_at is None and self.cancelled_by is None

    @property
    def shown(self) -> bool:
        """Running, or expired and not dismissed yet."""
        return self.cancelled_by is None

    @property
    def dismissed(self) -> bool:
        """Cancelled after it had expired."""
        return self.cancelled_by is not None and self.expired_at is not None


@dataclass(slots=True)
class AttachedAlert:
    """An alert attached to the incident; its labels are what a silence for the incident matches."""

    source: str
    fingerprint: str
    name: str
    labels: dict[str, str]
    starts_at: datetime


@dataclass(slots=True)
class SilenceRecord:
    """A silence created in an alert source for this incident, until it ends or someone expires it."""

    source: str
    silence_id: str
    matchers: list[str]
    ends_at: datetime
    comment: str
    expired: bool = False


@dataclass(slots=True)
class ChatChannel:
    """The incident's channel in a chat connection (`via`), and the last message heard there, which a
    listener coming back asks the service's history after."""

    via: str  # the chat connection's name
    service: str  # "slack", "mattermost", "matrix"
    channel: str  # the service's id of the channel
    name: str
    url: str
    archived: bool = False
    last_heard: str = ""  # the service's id of the latest message heard (by when it was posted)
    last_heard_at: datetime | None = None


@dataclass(slots=True)
class BridgeLink:
    """A meeting bridge started for the incident."""

    via: str  # the bridge connection's name
    service: str  # "jitsi", "zoom", "meet", "fixed"
    url: str
    meeting: str  # the service's id of the meeting ("" when it has none)
    details: str  # dial-in numbers, a passcode: what the service said beside the link
    started_at: datetime


@dataclass
class IncidentState:
    """Built by the fold; treat as read-only outside it."""

    id: str
    reference: str
    title: str = ""
    severity: str = ""
    status: Status = Status.INVESTIGATING
    services: list[str] = field(default_factory=list)
    summary: str = ""
    drill: bool = False
    declared_by: Actor | None = None
    milestones: dict[str, datetime] = field(default_factory=dict)
    roles: dict[str, RoleSlot] = field(default_factory=dict)
    notes: dict[str, Note] = field(default_factory=dict)
    pinned: dict[str, bool] = field(default_factory=dict)
    severity_history: list[tuple[str, datetime]] = field(default_factory=list)
    reopened: int = 0
    updates_sent: list[datetime] = field(default_factory=list)  # when stakeholder updates went out
    snoozed_until: datetime | None = None  # the update cadence, snoozed to here
    timers: dict[str, CustomTimer] = field(default_factory=dict)  # every timer set, running or done
    alerts: dict[str, AttachedAlert] = field(default_factory=dict)  # by "source/fingerprint"
    silences: dict[str, SilenceRecord] = field(default_factory=dict)  # by silence id
    checklists: dict[str, Checklist] = field(default_factory=dict)  # attached and detached ones
    action_titles: dict[str, str] = field(default_factory=dict)  # action items by id, for the timeline
    paging: Paging = field(default_factory=Paging)  # pages sent and escalation runs
    channels: dict[str, ChatChannel] = field(default_factory=dict)  # by chat connection name
    bridges: list[BridgeLink] = field(default_factory=list)  # in the order they were started
    event_count: int = 0
    last_order: tuple[int, str, str] = (0, "", "")
    last_change: datetime | None = None

    @property
    def declared(self) -> bool:
        return self.declared_by is not None

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def started_at(self) -> datetime | None:
        return self.milestones.get("detected") or self.milestones.get("declared")

    def is_pinned(self, event_id: str) -> bool:
        return self.pinned.get(event_id, False)

    def shown_timers(self) -> list[CustomTimer]:
        """The timers a console shows: running ones and undismissed expired ones, soonest due first."""
        return sorted((t for t in self.timers.values() if t.shown), key=lambda t: (t.due, t.id))

    def unfilled_key_roles(self, policy: Policy) -> list[RoleSlot]:
        """Key roles nobody holds while the incident is open; once it is resolved nobody needs to fill one."""
        if not self.is_open:
            return []
        return [
            slot for slot in self.roles.values() if slot.holder is None and policy.is_key_role(slot.key, self.severity)
        ]

    def people(self) -> list[str]:
        """Everyone who held a role or wrote here, for pickers and filters."""
        names: dict[str, None] = {}
        for slot in self.roles.values():
            for tenure in slot.history:
                names[tenure.person] = None
        for note in self.notes.values():
            names[note.author.name] = None
        if self.declared_by:
            names[self.declared_by.name] = None
        return sorted(names, key=str.casefold)


class IncidentFold:
    """Applies events one at a time, in log order. `fold()` sorts first; a live view that receives an
    event older than the last one applied must refold (its order is at most `state.last_order`)."""

    def __init__(self, incident_id: str, policy: Policy) -> None:
        self.state = IncidentState(id=incident_id, reference=reference_for(incident_id))
        for role in policy.roles:
            self.state.roles[role.key] = RoleSlot(role.key, role.name, role.duty, custom=False)

    def apply(self, event: Event, *, checked: bool = False) -> None:
        """Fold one event. One whose payload does not fit its kind's schema (written before rows were
        checked, or by a console with a bug) is counted but changes nothing: the fold never raises on it.
        `checked`: the caller has found it well formed already."""
        state = self.state
        handler = FOLDS.get(event.kind)
        if handler is not None and (checked or well_formed(event)):
            handler(state, event)
        state.event_count += 1
        state.last_order = event.order
        if state.last_change is None or event.recorded_at > state.last_change:
            state.last_change = event.recorded_at


def fold(incident_id: str, events: Iterable[Event], policy: Policy) -> IncidentState:
    folder = IncidentFold(incident_id, policy)
    for event in sorted(events, key=lambda e: e.order):
        folder.apply(event)
    return folder.state
