"""Deciding a change: check the rules against the current state, and say which events record it.

Each function takes the state it decides on and `now`, and returns drafts; nothing is written here.
A refusal is a DomainError whose message says what is wrong and what to do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.core.text import (
    NOTE_MAX,
    SUMMARY_MAX,
    clean_line,
    clean_multiline,
    clean_name,
    clean_services,
    clean_title,
)
from commander.domain.core.when import iso
from commander.domain.incident.state import MILESTONES, STATUS_MILESTONE, IncidentState, Note, Status

# Milestone order: each pair must hold when both are set. Declared and acknowledged are not ordered
# against each other (a page is often acknowledged before anyone declares).
CHAIN = [("detected", name) for name in MILESTONES if name != "detected"] + [
    ("acknowledged", "mitigated"),
    ("mitigated", "resolved"),
    ("resolved", "closed"),
    ("declared", "closed"),
]
_FUTURE_SLACK = timedelta(seconds=5)


@dataclass(frozen=True)
class Declaration:
    title: str
    severity: str
    services: tuple[str, ...] = ()
    summary: str = ""
    detected_at: datetime | None = None
    drill: bool = False
    commander: str | None = None  # who becomes Incident Commander; None: the declaring person


def declare(incident_id: str, form: Declaration, *, me: str, policy: Policy, now: datetime) -> list[EventDraft]:
    stream = incident_stream(incident_id)
    severity = policy.severity(form.severity)
    payload = {
        "title": clean_title(form.title),
        "severity": severity.key,
        "services": clean_services(list(form.services)),
        "summary": clean_multiline(form.summary, field="impact summary", limit=SUMMARY_MAX, required=False),
        "drill": form.drill,
    }
    drafts = [EventDraft(stream, "incident.declared", payload, now)]
    if form.detected_at is not None:
        not_future(form.detected_at, now, "detected")
        check_chain({"detected": form.detected_at, "declared": now})
        drafts.append(EventDraft(stream, "milestone.set", {"milestone": "detected", "at": iso(form.detected_at)}, now))
    commander = clean_name(form.commander or me, field="Incident Commander's name")
    drafts.append(
        EventDraft(stream, "role.assigned", {"role": "incident_commander", "person": commander, "previous": None}, now)
    )
    return drafts


def edit_details(
    state: IncidentState, *, title: str | None = None, summary: str | None = None, services: list[str] | None = None
) -> list[EventDraft]:
    _require_declared(state)
    payload: dict[str, object] = {}
    if title is not None and clean_title(title) != state.title:
        payload["title"] = clean_title(title)
    if summary is not None:
        cleaned = clean_multiline(summary, field="impact summary", limit=SUMMARY_MAX, required=False)
        if cleaned != state.summary:
            payload["summary"] = cleaned
    if services is not None and clean_services(services) != state.services:
        payload["services"] = clean_services(services)
    if not payload:
        return []
    return [EventDraft(incident_stream(state.id), "incident.edited", payload)]


def change_severity(state: IncidentState, severity: str, *, reason: str, policy: Policy) -> list[EventDraft]:
    _require_declared(state)
    new = policy.severity(severity)
    if new.key == state.severity:
        raise DomainError(f"{state.reference} is already {new.key}.")
    reason = clean_multiline(reason, field="reason", limit=SUMMARY_MAX, required=False)
    return [
        EventDraft(
            incident_stream(state.id),
            "severity.changed",
            {"severity": new.key, "previous": state.severity, "reason": reason},
        )
    ]


def change_status(
    state: IncidentState, status: str, *, now: datetime, at: datetime | None = None, reason: str = ""
) -> list[EventDraft]:
    _require_declared(state)
    try:
        new = Status(status.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in Status)
        raise DomainError(f"Unknown status '{status}'. Use one of: {known}.") from None
    if new == state.status:
        raise DomainError(f"{state.reference} is already {new.value}.")
    when = at or now
    not_future(when, now, new.value)
    milestones = {
        name: moment
        for name, moment in state.milestones.items()
        if not any(s.rank > new.rank and m == name for s, m in STATUS_MILESTONE.items())
    }
    if new in STATUS_MILESTONE:
        milestones[STATUS_MILESTONE[new]] = when
    check_chain(milestones)
    reason = clean_multiline(reason, field="reason", limit=SUMMARY_MAX, required=False)
    return [
        EventDraft(
            incident_stream(state.id),
            "status.changed",
            {"status": new.value, "previous": state.status.value, "reason": reason},
            when,
        )
    ]


def set_milestone(state: IncidentState, milestone: str, at: datetime, *, now: datetime) -> list[EventDraft]:
    _require_declared(state)
    name = milestone.strip().lower()
    if name not in MILESTONES:
        raise DomainError(f"Unknown milestone '{milestone}'. Use one of: {', '.join(MILESTONES)}.")
    if name in STATUS_MILESTONE.values() and name not in state.milestones:
        raise DomainError(
            f"{state.reference} is not {name} yet. Change its status to {name} (a time may be given) instead."
        )
    not_future(at, now, name)
    check_chain({**state.milestones, name: at})
    return [EventDraft(incident_stream(state.id), "milestone.set", {"milestone": name, "at": iso(at)})]


def check_chain(milestones: dict[str, datetime]) -> None:
    for earlier, later in CHAIN:
        if earlier in milestones and later in milestones and milestones[later] < milestones[earlier]:
            raise DomainError(
                f"{later.capitalize()} ({show_time(milestones[later])}) cannot be before {earlier} "
                f"({show_time(milestones[earlier])}). Check both times."
            )


def add_note(
    state: IncidentState, text: str, *, now: datetime, at: datetime | None = None, pinned: bool = False
) -> list[EventDraft]:
    _require_declared(state)
    cleaned = clean_multiline(text, field="note", limit=NOTE_MAX)
    if at is not None:
        not_future(at, now, "note")
    return [EventDraft(incident_stream(state.id), "note.added", {"text": cleaned, "pinned": pinned}, at)]


def edit_note(state: IncidentState, note_id: str, text: str) -> list[EventDraft]:
    note = _note(state, note_id)
    cleaned = clean_multiline(text, field="note", limit=NOTE_MAX)
    if cleaned == note.text:
        return []
    return [EventDraft(incident_stream(state.id), "note.edited", {"note": note_id, "text": cleaned})]


def delete_note(state: IncidentState, note_id: str) -> list[EventDraft]:
    note = _note(state, note_id)
    if note.deleted:
        raise DomainError("That note is already deleted.")
    return [EventDraft(incident_stream(state.id), "note.deleted", {"note": note_id})]


def restore_note(state: IncidentState, note_id: str) -> list[EventDraft]:
    note = _note(state, note_id)
    if not note.deleted:
        raise DomainError("That note is not deleted.")
    return [EventDraft(incident_stream(state.id), "note.restored", {"note": note_id})]


def pin(state: IncidentState, event_id: str, pinned: bool) -> list[EventDraft]:
    _require_declared(state)
    if state.is_pinned(event_id) == pinned:
        return []
    return [EventDraft(incident_stream(state.id), "entry.pinned", {"target": event_id, "pinned": pinned})]


def assign_role(state: IncidentState, role: str, person: str | None, *, policy: Policy) -> list[EventDraft]:
    _require_declared(state)
    key = policy.role_key_for(role)
    if key not in state.roles:
        known = ", ".join(slot.name for slot in state.roles.values())
        raise DomainError(f"{state.reference} has no role '{role}'. Roles: {known}. Add a custom role first.")
    name = clean_name(person, field="person's name") if person else None
    slot = state.roles[key]
    if name == slot.holder:
        raise DomainError(f"{name} already holds {slot.name}." if name else f"{slot.name} is already unfilled.")
    return [
        EventDraft(incident_stream(state.id), "role.assigned", {"role": key, "person": name, "previous": slot.holder})
    ]


def add_role(state: IncidentState, name: str, duty: str = "") -> list[EventDraft]:
    _require_declared(state)
    cleaned = clean_line(name, field="role name", limit=60)
    key = re.sub(r"[^a-z0-9]+", "_", cleaned.lower()).strip("_") or "role"
    if key in state.roles or any(slot.name.lower() == cleaned.lower() for slot in state.roles.values()):
        raise DomainError(f"{state.reference} already has a role called {cleaned}.")
    duty = clean_line(duty, field="duty", limit=200, required=False)
    return [EventDraft(incident_stream(state.id), "role.added", {"role": key, "name": cleaned, "duty": duty})]


def _require_declared(state: IncidentState) -> None:
    if not state.declared:
        raise DomainError(f"No incident {state.reference} has been declared.")


def _note(state: IncidentState, note_id: str) -> Note:
    note = state.notes.get(note_id)
    if note is None:
        raise DomainError("That note is not on this incident.")
    return note


def not_future(at: datetime, now: datetime, what: str) -> None:
    if at > now + _FUTURE_SLACK:
        raise DomainError(
            f"The {what} time {show_time(at)} is in the future (now is {show_time(now)}). Give a time that has passed."
        )


def show_time(moment: datetime) -> str:
    return iso(moment).replace("T", " ").replace("Z", " UTC")
