"""The note box under the timeline: Enter adds, Shift+Enter breaks the line, the text survives errors."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from commander.app import timeline
from commander.app.console import Console
from commander.ui.kit.dialogs import read_when
from commander.ui.kit.problems import ErrorLabel, attempt
from commander.ui.kit.widgets import SubmitTextEdit


@dataclass
class NoteDraft:
    """What was typed for one incident and not yet added; kept while switching incidents."""

    text: str = ""
    at: str = ""
    pinned: bool = False


class NoteBox(QWidget):
    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NoteBox")
        self.console = console
        self.incident_id: str | None = None

        self.text = SubmitTextEdit(self)
        self.text.setObjectName("NoteText")
        self.text.setAccessibleName("New note")
        self.text.setPlaceholderText("Type a note — Enter to add, Shift+Enter for a new line  (Ctrl+L)")
        self.text.submitted.connect(self.submit)
        self.pinned = QCheckBox("Pin", self)
        self.pinned.setToolTip("Pin the note: pinned entries are the spine of the postmortem")
        self.at = QLineEdit(self)
        self.at.setObjectName("NoteAt")
        self.at.setAccessibleName("When it happened")
        self.at.setPlaceholderText("at (optional): 09:12 or 15m ago")
        self.at.setToolTip("Backdate the note: 09:12, 15m ago, 2026-11-28 09:12, or an ISO time")
        self.at.setMaximumWidth(self.fontMetrics().horizontalAdvance("x") * 34)
        self.at.returnPressed.connect(self.submit)
        self.add = QPushButton("Add note", self)
        self.add.setObjectName("Primary")
        self.add.clicked.connect(self.submit)
        self.error = ErrorLabel(self)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.pinned)
        row.addWidget(self.at, 1)
        row.addStretch(0)
        row.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.text)
        layout.addLayout(row)
        layout.addWidget(self.error)

    def set_incident(self, incident_id: str | None, draft: NoteDraft) -> None:
        self.incident_id = incident_id
        self.set_draft(draft)
        self.setEnabled(incident_id is not None)

    def draft(self) -> NoteDraft:
        return NoteDraft(self.text.toPlainText(), self.at.text(), self.pinned.isChecked())

    def set_draft(self, draft: NoteDraft) -> None:
        self.text.setPlainText(draft.text)
        self.at.setText(draft.at)
        self.pinned.setChecked(draft.pinned)
        self.error.clear_message()
        cursor = self.text.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.text.setTextCursor(cursor)

    def focus(self) -> None:
        self.text.setFocus()

    def submit(self) -> None:
        incident = self.incident_id
        text = self.text.toPlainText()
        if incident is None or not text.strip():
            return  # Enter in an empty box does nothing, as in any chat tool

        def add() -> object:
            at = read_when(self.at.text(), self.console)
            return timeline.add_note(self.console, incident, text, at=at, pinned=self.pinned.isChecked())

        done, _ = attempt(add, inline=self.error)
        if done:
            self.set_draft(NoteDraft())
