"""The timeline's own event kinds: notes, and pins on any entry. A note's id is its note.added event's id;
edits, deletions, restores and pins change an existing entry (and its history) instead of adding one."""

from __future__ import annotations

from commander.domain.core.events import Event
from commander.domain.core.kinds import Amends, EventKind, Shown, register
from commander.domain.core.schema import a_text, an_id, boolean, record
from commander.domain.incident.state import IncidentState, Note
from commander.domain.timeline.context import Context
from commander.domain.timeline.entries import TimelineEntry

# -- folds -------------------------------------------------------------------------------------------


def _note_added(state: IncidentState, event: Event) -> None:
    state.notes[event.id] = Note(event.id, event.payload["text"], event.actor, event.occurred_at)
    if event.payload["pinned"]:
        state.pinned[event.id] = True


def _note_edited(state: IncidentState, event: Event) -> None:
    note = state.notes.get(event.payload["note"])
    if note is not None:
        note.text, note.edited_by, note.edited_at = event.payload["text"], event.actor.name, event.recorded_at


def _note_deleted(state: IncidentState, event: Event) -> None:
    note = state.notes.get(event.payload["note"])
    if note is not None:
        note.deleted_by = event.actor.name


def _note_restored(state: IncidentState, event: Event) -> None:
    note = state.notes.get(event.payload["note"])
    if note is not None:
        note.deleted_by = None


def _pinned(state: IncidentState, event: Event) -> None:
    state.pinned[event.payload["target"]] = event.payload["pinned"]


# -- the timeline ------------------------------------------------------------------------------------


def _describe_note(event: Event, context: Context) -> str:
    return str(event.payload["text"])


def _amend_edited(entry: TimelineEntry, event: Event, stamp: str) -> None:
    entry.history.append(f"{stamp}: edited (was: {_clip(entry.text)})")
    entry.text, entry.edited_by = event.payload["text"], event.actor.name


def _amend_deleted(entry: TimelineEntry, event: Event, stamp: str) -> None:
    entry.deleted_by = event.actor.name
    entry.history.append(f"{stamp}: deleted")


def _amend_restored(entry: TimelineEntry, event: Event, stamp: str) -> None:
    entry.deleted_by = None
    entry.history.append(f"{stamp}: restored")


def _amend_pinned(entry: TimelineEntry, event: Event, stamp: str) -> None:
    pinned = event.payload["pinned"]
    entry.pinned = bool(pinned)
    entry.history.append(f"{stamp}: {'pinned' if pinned else 'unpinned'}")


def _clip(text: str, limit: int = 80) -> str:
    line = text.replace("\n", " ")
    return line if len(line) <= limit else line[: limit - 1] + "…"


# -- the kinds ---------------------------------------------------------------------------------------

KINDS = register(
    EventKind(
        "note.added", record({"text": a_text, "pinned": boolean}), _note_added, Shown("note", _describe_note, note=True)
    ),
    EventKind("note.edited", record({"note": an_id, "text": a_text}), _note_edited, Amends("note", _amend_edited)),
    EventKind("note.deleted", record({"note": an_id}), _note_deleted, Amends("note", _amend_deleted)),
    EventKind("note.restored", record({"note": an_id}), _note_restored, Amends("note", _amend_restored)),
    EventKind("entry.pinned", record({"target": an_id, "pinned": boolean}), _pinned, Amends("target", _amend_pinned)),
)
