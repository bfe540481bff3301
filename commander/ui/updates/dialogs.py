"""Recording a stakeholder update that went out, and snoozing the next one with a reason."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QSpinBox, QWidget

from commander.app.console import Console
from commander.app.updates import timers
from commander.ui.kit.dialogs import WHEN_HINT, CommandDialog, read_when
from commander.ui.kit.shell import Shell
from commander.ui.kit.widgets import SubmitTextEdit


class RecordUpdateDialog(CommandDialog):
    """An update posted by hand (or from another tool): the countdown starts again from it."""

    def __init__(self, console: Console, incident_id: str, parent: QWidget | None = None) -> None:
        state = console.state(incident_id)
        super().__init__(f"Update sent: {state.reference}", "Record it", parent)
        self.console, self.incident_id = console, incident_id
        level = console.policy.find_severity(state.severity)
        audiences = ", ".join(level.audiences) if level else ""
        self.set_intro(f"Record a stakeholder update that went out. {state.severity} audiences: {audiences}.")
        self.audience = QLineEdit(self)
        self.audience.setPlaceholderText("where it went — #incidents, status page, executives")
        self.audience.setAccessibleName("Audience")
        self.summary = SubmitTextEdit(self, lines=3)
        self.summary.setAccessibleName("What the update said")
        self.summary.submitted.connect(self.submit)
        self.at = QLineEdit(self)
        self.at.setPlaceholderText(WHEN_HINT)
        self.at.setAccessibleName("Sent at")
        self.form.addRow("Sent to", self.audience)
        self.form.addRow("It said", self.summary)
        self.form.addRow("Sent at", self.at)

    def perform(self) -> object:
        return timers.record_update(
            self.console,
            self.incident_id,
            self.audience.text(),
            self.summary.toPlainText(),
            read_when(self.at.text(), self.console),
        )


class SnoozeDialog(CommandDialog):
    def __init__(self, console: Console, incident_id: str, parent: QWidget | None = None) -> None:
        state = console.state(incident_id)
        super().__init__(f"Snooze the next update: {state.reference}", "Snooze", parent)
        self.console, self.incident_id = console, incident_id
        self.set_intro("The reason goes on the timeline. Sending an update ends the snooze.")
        self.minutes = QSpinBox(self)
        self.minutes.setRange(1, 240)
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Snooze for")
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("why — e.g. waiting for the vendor's answer")
        self.reason.setAccessibleName("Reason")
        self.form.addRow("Snooze for", self.minutes)
        self.form.addRow("Reason", self.reason)

    def perform(self) -> object:
        return timers.snooze_updates(self.console, self.incident_id, self.minutes.value(), self.reason.text())


def open_record_update(shell: Shell) -> RecordUpdateDialog | None:
    """Record an update sent about the incident on screen (none when no incident is shown)."""
    if shell.current is None:
        return None
    dialog = RecordUpdateDialog(shell.console, shell.current, shell.window())
    dialog.open()
    return dialog
