"""Saving an incident's timeline as Markdown, JSON or CSV (the formats are commander.app.timeline's)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from commander.app import timeline
from commander.app.console import Console
from commander.ui.kit.problems import show_problem

# format name: (file extension, the name people see); the formats are the app's (commander.app.timeline)
FORMATS = {f.name: (f.extension, f.label) for f in timeline.EXPORT_FORMATS.values()}


def export_incident(parent: QWidget, console: Console, incident_id: str, fmt: str) -> Path | None:
    """Ask where to save, write the file, and return its path (None when the person cancelled)."""
    wanted = timeline.export_format(fmt)
    extension = wanted.extension
    name_filter = f"{wanted.label} (*.{extension})"
    reference = console.state(incident_id).reference
    suggested = Path.home() / f"{reference}.{extension}"
    chosen, _ = QFileDialog.getSaveFileName(parent, f"Export {reference}", str(suggested), name_filter)
    if not chosen:
        return None
    path = Path(chosen)
    if not path.suffix:
        path = path.with_suffix(f".{extension}")
    text = timeline.export(console, incident_id, wanted.name)
    try:
        path.write_text(text, encoding="utf-8", newline="" if wanted.name == "csv" else None)
    except OSError as error:
        show_problem(
            parent,
            "Could not save the export",
            f"{path} could not be written ({error.strerror or error}). "
            f"Choose a folder you can write to and export again.",
        )
        return None
    return path
