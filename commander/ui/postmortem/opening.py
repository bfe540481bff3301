"""Opening a postmortem from the shell: its editor when there is one (raised if it is already open); for a
resolved incident without one, a question first and the draft once the person agrees; for an open incident,
a message saying to resolve it first."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from commander.app import postmortem
from commander.ui.kit.problems import attempt, show_problem
from commander.ui.kit.shell import Shell
from commander.ui.postmortem.editor import PostmortemEditor


def open_postmortem(shell: Shell) -> QWidget | None:
    """Incident > Postmortem…: that of the incident on screen (None when there is none)."""
    incident_id = shell.current
    return None if incident_id is None else show_postmortem(shell, incident_id)


def show_postmortem(shell: Shell, incident_id: str) -> QWidget | None:
    """The editor of the incident's postmortem (raised when it is already open). With no postmortem yet,
    a resolved incident gets a question first, and the editor opens once the draft is written; an open
    incident gets a message saying to resolve it. Returns what it showed."""
    parent, console = shell.window(), shell.console
    for editor in parent.findChildren(PostmortemEditor):
        if editor.incident_id == incident_id and editor.isVisible():
            editor.raise_()
            editor.activateWindow()
            return editor
    done, found = attempt(
        lambda: (console.state(incident_id), postmortem.current(console, incident_id).drafted),
        parent=parent,
        title="Could not open the postmortem",
    )
    if not done or found is None:
        return None
    state, drafted = found
    if drafted:
        return _show_editor(shell, incident_id)
    if state.is_open:
        return show_problem(
            parent,
            "Not resolved yet",
            f"{state.reference} is still {state.status.value}. Resolve "
            f"it first: the postmortem is written once the impact is over.",
        )
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Start the postmortem",
        f"Start the postmortem of {state.reference}? Commander writes a first draft from the timeline: "
        f"figures, responders, key moments and follow-ups. Everyone sharing the store can edit it; "
        f"you are its owner until you name someone else.",
        QMessageBox.StandardButton.Cancel,
        parent,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    start = box.addButton("Start postmortem", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(start)
    start.clicked.connect(lambda: _start(shell, incident_id))
    box.open()
    return box


def _start(shell: Shell, incident_id: str) -> None:
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # a long incident takes a moment to draft
    try:
        done, _ = attempt(
            lambda: postmortem.start(shell.console, incident_id),
            parent=shell.window(),
            title="Could not start the postmortem",
        )
    finally:
        QApplication.restoreOverrideCursor()
    if done:
        _show_editor(shell, incident_id)


def _show_editor(shell: Shell, incident_id: str) -> PostmortemEditor:
    editor = PostmortemEditor(shell.console, incident_id, shell.bridge, shell.window(), tones=shell.tones)
    editor.show()
    return editor
