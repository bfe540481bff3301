"""Saving an incident's timeline as Markdown, JSON or CSV (the writing is commander.domain.timeline.export)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QWidget

from commander.app.console import Console
from commander.ui.kit.problems import show_problem

# format: (file extension, the name people see)
FORMATS = {"markdown": ("md", "Markdown"), "json": ("json", "JSON"), "csv": ("csv", "CSV")}


def render(console: Console, incident_id: str, fmt: str) -> str:
    # Imported here: the export module belongs to the domain and is only needed when someone exports.
    from commander.domain.timeline import export

    view = console.view(incident_id)
    if fmt == "markdown":
        return str(export.to_markdown(view, console.zone))
    if fmt == "json":
        return str(export.to_json(view))
    if fmt == "csv":
        return str(export.to_csv(view, console.zone))
    raise ValueError(f"unknown export format {fmt!r}")


def export_incident(parent: QWidget, console: Console, incident_id: str, fmt: str) -> Path | None:
    """Ask where to save, write the file, and return its path (None when the person cancelled)."""
    extension, label = FORMATS[fmt]
    name_filter = f"{label} (*.{extension})"
    reference = console.state(incident_id).reference
    suggested = Path.home() / f"{reference}.{extension}"
    chosen, _ = QFileDialog.getSaveFileName(parent, f"Export {reference}", str(suggested), name_filter)
    if not chosen:
        return None
    path = Path(chosen)
    if not path.suffix:
        path = path.with_suffix(f".{extension}")
    text = render(console, incident_id, fmt)
    try:
        path.write_text(text, encoding="utf-8", newline="" if fmt == "csv" else None)
    except OSError as error:
        show_problem(
            parent,
            "Could not save the export",
            f"{path} could not be written ({error.strerror or error}). "
            f"Choose a folder you can write to and export again.",
        )
        return None
    return path
