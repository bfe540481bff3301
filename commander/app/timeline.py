"""The timeline's own writes: notes (added, edited, deleted and restored) and pinning any entry."""

from __future__ import annotations

from datetime import datetime

from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.incident import decisions


def add_note(
    console: Console, incident_id: str, note: str, *, at: datetime | None = None, pinned: bool = False
) -> list[Event]:
    return console.perform(incident_id, lambda s: decisions.add_note(s, note, now=console.now(), at=at, pinned=pinned))


def edit_note(console: Console, incident_id: str, note_id: str, note: str) -> list[Event]:
    return console.perform(incident_id, lambda s: decisions.edit_note(s, note_id, note))


def delete_note(console: Console, incident_id: str, note_id: str) -> list[Event]:
    return console.perform(incident_id, lambda s: decisions.delete_note(s, note_id))


def restore_note(console: Console, incident_id: str, note_id: str) -> list[Event]:
    return console.perform(incident_id, lambda s: decisions.restore_note(s, note_id))


def pin(console: Console, incident_id: str, event_id: str, pinned: bool = True) -> list[Event]:
    return console.perform(incident_id, lambda s: decisions.pin(s, event_id, pinned))
