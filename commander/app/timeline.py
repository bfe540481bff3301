"""The timeline's own writes (notes added, edited, deleted and restored; pinning any entry) and writing an
incident out as Markdown, JSON or CSV."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.incident import decisions
from commander.domain.timeline.entries import IncidentView


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


# -- exporting ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFormat:
    """One way to write an incident and its timeline out: the window's menus and `commander export` both
    offer these, under the same names."""

    name: str  # what `--format` takes: md, json, csv
    extension: str  # the file's, without the dot
    label: str  # what a person sees in a menu
    write: Callable[[IncidentView, tzinfo], str]


def _markdown(view: IncidentView, zone: tzinfo) -> str:
    from commander.domain.timeline import export  # only needed when someone exports: not on the start-up path

    return export.to_markdown(view, zone)


def _json(view: IncidentView, zone: tzinfo) -> str:
    from commander.domain.timeline import export

    return export.to_json(view)


def _csv(view: IncidentView, zone: tzinfo) -> str:
    from commander.domain.timeline import export

    return export.to_csv(view, zone)


EXPORT_FORMATS = {
    "md": ExportFormat("md", "md", "Markdown", _markdown),
    "json": ExportFormat("json", "json", "JSON", _json),
    "csv": ExportFormat("csv", "csv", "CSV", _csv),
}
SPELLINGS = {"markdown": "md"}  # other names people type for a format


def export_format(name: str) -> ExportFormat:
    """The format called `name` (md, json, csv; "markdown" also means md)."""
    key = name.strip().lower()
    found = EXPORT_FORMATS.get(SPELLINGS.get(key, key))
    if found is None:
        raise DomainError(f"Unknown export format '{name}'. Use {', '.join(EXPORT_FORMATS)}.")
    return found


def export_format_of(path: str | Path | None) -> ExportFormat:
    """The format a file's extension asks for (file.json is JSON); Markdown when it names none we write."""
    suffix = Path(path).suffix.lower().lstrip(".") if path else ""
    return EXPORT_FORMATS.get(SPELLINGS.get(suffix, suffix), EXPORT_FORMATS["md"])


def export(console: Console, incident_id: str, fmt: str) -> str:
    """The incident and its timeline written in the format called `fmt`, in the console's time zone."""
    return export_format(fmt).write(console.view(incident_id), console.zone)
