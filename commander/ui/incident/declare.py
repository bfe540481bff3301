"""Declaring an incident: keyboard only, in under ten seconds.

Title is focused; Tab walks severity, services, impact, detected at, drill, Incident Commander; Enter
declares from any field. A refusal shows under the form and everything typed stays.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from commander.app import incident
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.domain.incident.state import IncidentState
from commander.ui.kit.dialogs import WHEN_HINT, CommandDialog, plain_label, read_when
from commander.ui.kit.shell import Shell


def open_declare(shell: Shell) -> DeclareDialog:
    """File > Declare incident: once declared the shell shows it, and the cursor waits in the note box
    (the next thing an IC types after declaring is the first note)."""
    dialog = DeclareDialog(shell.console, shell.window())
    dialog.declared.connect(shell.select_incident)
    dialog.accepted.connect(lambda: _back_to_notes(shell))
    dialog.open()
    return dialog


def _back_to_notes(shell: Shell) -> None:
    shell.window().activateWindow()
    shell.show_tab("notes")


class DeclareDialog(CommandDialog):
    declared = Signal(str)  # the new incident's id

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__("Declare an incident", "Declare", parent)
        self.console = console
        self.title = QLineEdit(self)
        self.title.setPlaceholderText("What is wrong, as users see it — e.g. Checkout returns 502s")
        self.title.setAccessibleName("Title")
        self.severity = QComboBox(self)
        self.severity.setAccessibleName("Severity")
        for level in console.policy.severities:
            self.severity.addItem(f"{level.key} — {level.name}", level.key)
            self.severity.setItemData(self.severity.count() - 1, level.description, Qt.ItemDataRole.ToolTipRole)
        self.severity.setCurrentIndex(max(0, self.severity.findData(console.policy.default_severity)))
        self.description = plain_label("", self, name="Muted")
        self.severity.currentIndexChanged.connect(self._describe)
        self.services = QLineEdit(self)
        self.services.setPlaceholderText("comma separated — checkout, payments")
        self.services.setAccessibleName("Services")
        self.summary = QLineEdit(self)
        self.summary.setPlaceholderText("who is affected and how (optional)")
        self.summary.setAccessibleName("Impact summary")
        self.detected = QLineEdit(self)
        self.detected.setPlaceholderText(WHEN_HINT + "; empty: now")
        self.detected.setAccessibleName("Detected at")
        self.drill = QCheckBox("This is a drill", self)
        self.commander = QLineEdit(console.me.name, self)
        self.commander.setAccessibleName("Incident Commander")

        self.form.addRow("Title", self.title)
        self.form.addRow("Severity", self.severity)
        self.form.addRow("", self.description)
        self.form.addRow("Services", self.services)
        self.form.addRow("Impact", self.summary)
        self.form.addRow("Detected at", self.detected)
        self.form.addRow("", self.drill)
        self.form.addRow("Incident Commander", self.commander)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 72)
        self._describe()
        self.title.setFocus()

    def _describe(self) -> None:
        level = self.console.policy.find_severity(str(self.severity.currentData()))
        self.description.setText(level.description if level else "")

    def perform(self) -> object:
        form = Declaration(
            title=self.title.text(),
            severity=str(self.severity.currentData()),
            services=(self.services.text(),),
            summary=self.summary.text(),
            detected_at=read_when(self.detected.text(), self.console),
            drill=self.drill.isChecked(),
            commander=self.commander.text().strip() or None,
        )
        return incident.declare(self.console, form)

    def succeeded(self, result: object) -> None:
        if isinstance(result, IncidentState):
            self.declared.emit(result.id)
