"""The shell's own dialogs: the person's name on this console, the keyboard shortcuts, and About."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QMessageBox, QPushButton, QVBoxLayout, QWidget

import commander
from commander.app.console import Console
from commander.app.setup import identity
from commander.ui.kit.dialogs import CommandDialog, FormGrid, plain_label


class RenameDialog(CommandDialog):
    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__("Your name", "Save", parent)
        self.console = console
        self.set_intro("Your name is recorded on everything you do from this console.")
        self.name = QLineEdit(console.me.name, self)
        self.name.selectAll()
        self.form.addRow("Name", self.name)

    def perform(self) -> object:
        identity.rename_me(self.console, self.name.text())
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
    ("Ctrl+Shift+W", "Workflows: the team's rules, edited as a form or YAML, with a dry run"),
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


def about_box(console: Console, parent: QWidget) -> QMessageBox:
    """Help > About Commander: the version, what it is for, and where its store is."""
    box = QMessageBox(
        QMessageBox.Icon.NoIcon,
        "About Commander",
        f"Commander {commander.__version__}\n\nOne pane for the Incident Commander: "
        f"state and clocks, a live timeline, and the role board. Works offline; every "
        f"change is an event in the store at {console.where}.",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
