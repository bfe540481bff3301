"""Small dialogs for rare actions. Each runs one console call; a refusal shows inline and keeps the text.

Dialogs are opened with `open()` (window-modal, not blocking the event loop), so live updates keep
arriving behind them and tests can drive them like any widget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from commander.app import roles
from commander.app.console import Console
from commander.domain.core.when import parse_when
from commander.ui.kit.problems import ErrorLabel, attempt
from commander.ui.kit.widgets import SubmitTextEdit

WHEN_HINT = "optional — 09:12, 15m ago, or 2026-11-28 09:12"


def read_when(text: str, console: Console) -> datetime | None:
    """A typed time, or None when the field was left empty. Raises DomainError with help."""
    if not text.strip():
        return None
    return parse_when(text, now=console.now(), zone=console.zone)


def plain_label(text: str, parent: QWidget | None = None, *, name: str | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


class FormGrid(QGridLayout):
    """Label and field rows, like QFormLayout, but a wrapped label gets all the lines it needs
    (QFormLayout gives it the height of one line and squeezes the rows around it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setColumnStretch(1, 1)
        self.setHorizontalSpacing(10)

    def addRow(self, first: str | QWidget | QLayout, field: QWidget | QLayout | None = None) -> None:
        row = self.rowCount()
        if field is None:
            self._add(first, row, 0, 2)
            return
        if isinstance(first, str):
            caption = QLabel(first)
            caption.setTextFormat(Qt.TextFormat.PlainText)
            first = caption
        self._add(first, row, 0, 1)
        self._add(field, row, 1, 1)

    def _add(self, item: str | QWidget | QLayout, row: int, column: int, span: int) -> None:
        if isinstance(item, QLayout):
            self.addLayout(item, row, column, 1, span)
        elif isinstance(item, QWidget):
            self.addWidget(item, row, column, 1, span)


class CommandDialog(QDialog):
    """A form, an inline error line, and OK/Cancel; OK (or Enter) runs `perform`."""

    def __init__(self, title: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.outer = QVBoxLayout(self)
        self.intro = plain_label("", self)
        self.intro.hide()
        self.outer.addWidget(self.intro)
        self.form = FormGrid()
        self.outer.addLayout(self.form)
        self.error = ErrorLabel(self)
        self.outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(action)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 60)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_height()

    def fit_height(self) -> None:
        """Grow to the height the rows need at the dialog's real width. Qt sizes a dialog from its
        size hint, which counts a wrapped line as one, and does not grow it when an error appears."""
        self.outer.activate()
        needed = max(self.heightForWidth(self.width()), self.minimumSizeHint().height())
        if needed > self.height():
            self.resize(self.width(), needed)

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.setVisible(bool(text))

    def perform(self) -> object:
        """The console call this dialog exists for; subclasses supply it."""
        return None

    def succeeded(self, result: object) -> None:
        """Called with what `perform` returned, just before the dialog closes."""

    def submit(self) -> None:
        done, result = attempt(self.perform, inline=self.error)
        if done:
            self.succeeded(result)
            self.accept()
        else:
            self.fit_height()


class EditNoteDialog(CommandDialog):
    def __init__(self, text: str, save: Callable[[str], object], parent: QWidget | None = None) -> None:
        super().__init__("Edit note", "Save", parent)
        self._save = save
        self.set_intro("The earlier wording stays in the note's history.")
        self.text = SubmitTextEdit(self, lines=5)
        self.text.setPlainText(text)
        self.text.setAccessibleName("Note text")
        self.text.submitted.connect(self.submit)
        self.form.addRow(self.text)

    def perform(self) -> object:
        return self._save(self.text.toPlainText())


class AssignDialog(CommandDialog):
    """Assign a role, or hand it off when someone holds it (recorded with who held it before)."""

    def __init__(self, console: Console, incident_id: str, role_key: str, parent: QWidget | None = None) -> None:
        state = console.state(incident_id)
        slot = state.roles[role_key]
        handoff = slot.holder is not None
        super().__init__(
            f"Hand off {slot.name}" if handoff else f"Assign {slot.name}", "Hand off" if handoff else "Assign", parent
        )
        self.console, self.incident_id, self.role_key = console, incident_id, role_key
        self.set_intro(
            f"{slot.holder} holds {slot.name} now. Who takes over?"
            if handoff
            else f"Who holds {slot.name}? {slot.duty}".strip()
        )
        self.person = QComboBox(self)
        self.person.setEditable(True)
        self.person.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.person.setAccessibleName("Person")
        people = [name for name in _unique([console.me.name, *state.people()]) if name != slot.holder]
        self.person.addItems(people)
        self.person.setCurrentText("" if handoff or not people else people[0])
        self.form.addRow("Person", self.person)

    def perform(self) -> object:
        return roles.assign(self.console, self.incident_id, self.role_key, self.person.currentText())


class AddRoleDialog(CommandDialog):
    def __init__(self, console: Console, incident_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Add a role", "Add role", parent)
        self.console, self.incident_id = console, incident_id
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("e.g. Customer Liaison")
        self.duty = QLineEdit(self)
        self.duty.setPlaceholderText("optional — one line: what this person does")
        self.form.addRow("Role", self.name)
        self.form.addRow("Duty", self.duty)

    def perform(self) -> object:
        return roles.add_role(self.console, self.incident_id, self.name.text(), self.duty.text())


class RenameDialog(CommandDialog):
    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__("Your name", "Save", parent)
        self.console = console
        self.set_intro("Your name is recorded on everything you do from this console.")
        self.name = QLineEdit(console.me.name, self)
        self.name.selectAll()
        self.form.addRow("Name", self.name)

    def perform(self) -> object:
        self.console.rename_me(self.name.text())
        return self.console.me.name


SHORTCUTS = (
    ("Ctrl+N", "Declare an incident"),
    ("Ctrl+1 / Ctrl+2 / Ctrl+3", "Go to the incident list / the timeline / the roles"),
    ("Ctrl+L", "Focus the note box"),
    ("Enter / Shift+Enter", "Add the note / new line in the note"),
    ("Ctrl+F", "Search the timeline"),
    ("Ctrl+Shift+S", "Change severity"),
    ("Ctrl+Shift+T", "Change status"),
    ("Ctrl+U", "Send a stakeholder update"),
    ("Ctrl+Shift+U", "Edit the update templates"),
    ("Ctrl+T", 'Set a timer ("check the rollback in 10 minutes")'),
    ("Ctrl+Shift+A", "Alerts: triage what is firing (F5 reads the sources again)"),
    ("Ctrl+Shift+B", "Runbooks: the library, the incident's first (in it: Ctrl+F search, Enter attach, Ctrl+C copy)"),
    ("Ctrl+Shift+I", "Action items across incidents (overdue first)"),
    ("Ctrl+Shift+P", "The postmortem: start it once resolved, or open it (in it: Ctrl+S, Ctrl+Enter tracks an item)"),
    ("Ctrl+Shift+O", "On call: who is on now and next, calendars, overrides"),
    ("Ctrl+Shift+G", "Page the on-call for a service, or a person; the incident's pages and their state"),
    ("Ctrl+Shift+R", "Trends: times to detect … resolve, counts, load (F5 reads again, Ctrl+S saves CSV)"),
    ("P", "Pin or unpin the selected entry"),
    ("E", "Edit the selected note"),
    ("Del", "Delete the selected note"),
    ("Shift+R", "Restore the selected deleted note"),
    ("A", "Turn the selected note into an action item"),
    ("Ctrl+Z", "Undo the last note deletion"),
    ("Ctrl+C", "Copy the selected entry"),
    ("Space", "Check or uncheck the selected checklist step"),
    ("S / A / F", "Skip the step (with a reason) / assign it / add a finding"),
    ("Ctrl+Shift+C / Ctrl+Enter", "Copy the step's command / open its link"),
    ("Ctrl+Shift+L", "Dark or light theme"),
    ("Ctrl+Q", "Quit"),
)


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, shortcuts: Sequence[tuple[str, str]] = SHORTCUTS) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        form = FormGrid()
        for keys, what in shortcuts:
            form.addRow(plain_label(keys, self, name="Muted"), plain_label(what, self))
        layout.addLayout(form)
        close = QPushButton("Close", self)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignRight)


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
