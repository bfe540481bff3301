"""Dialogs that change the incident itself: severity, status, milestone times, and its details."""

from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

from commander.app import incident
from commander.app.console import Console
from commander.domain.incident.state import MILESTONES, STATUS_MILESTONE, Status
from commander.ui.kit import timefmt
from commander.ui.kit.dialogs import WHEN_HINT, CommandDialog, plain_label, read_when
from commander.ui.kit.problems import attempt
from commander.ui.kit.shell import Shell
from commander.ui.kit.widgets import SubmitTextEdit

STATUS_VERBS = {
    "investigating": "Back to investigating",
    "identified": "Cause identified",
    "mitigated": "Mitigated",
    "resolved": "Resolved",
    "closed": "Closed",
    "reopen": "Reopen",
}


class SeverityDialog(CommandDialog):
    def __init__(self, console: Console, incident_id: str, severity: str, parent: QWidget | None = None) -> None:
        state = console.state(incident_id)
        level = console.policy.severity(severity)
        super().__init__(f"Change severity to {level.key}", f"Make it {level.key}", parent)
        self.console, self.incident_id, self.severity = console, incident_id, level.key
        self.set_intro(f"{state.reference}: {state.severity} → {level.key} ({level.name})")
        self.description = plain_label(level.description, self, name="Muted")
        self.form.addRow(self.description)
        if level.update_every_minutes:
            self.form.addRow(
                plain_label(
                    f"Updates every {level.update_every_minutes} min to: {', '.join(level.audiences)}.",
                    self,
                    name="Faint",
                )
            )
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("why — it goes on the timeline (optional)")
        self.reason.setAccessibleName("Reason")
        self.form.addRow("Reason", self.reason)

    def perform(self) -> object:
        return incident.change_severity(self.console, self.incident_id, self.severity, self.reason.text())


class StatusDialog(CommandDialog):
    """Change the status; `reopen` goes back to investigating. A time may be given for backdating."""

    def __init__(self, console: Console, incident_id: str, status: str, parent: QWidget | None = None) -> None:
        state = console.state(incident_id)
        target = Status.INVESTIGATING.value if status == "reopen" else status
        verb = STATUS_VERBS.get(status, status.capitalize())
        super().__init__(f"{verb}: {state.reference}", verb, parent)
        self.console, self.incident_id, self.status = console, incident_id, target
        self.set_intro(f"{state.reference} is {state.status.value}; it becomes {target}.")
        self.at = QLineEdit(self)
        self.at.setPlaceholderText(WHEN_HINT)
        self.at.setAccessibleName("When it happened")
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("what changed — it goes on the timeline (optional)")
        self.reason.setAccessibleName("Reason")
        self.form.addRow("Reason", self.reason)
        self.form.addRow("At", self.at)

    def perform(self) -> object:
        at = read_when(self.at.text(), self.console)
        return incident.change_status(self.console, self.incident_id, self.status, at=at, reason=self.reason.text())


class MilestonesDialog(CommandDialog):
    """Every lifecycle time, each editable; a time that breaks the order is refused with the reason."""

    def __init__(self, console: Console, incident_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Milestones", "Close", parent)
        self.console, self.incident_id = console, incident_id
        self.buttons.button(self.buttons.StandardButton.Cancel).hide()
        self.set_intro(
            "Type a time and press Enter to set it. Times must keep their order: "
            "detected, then declared and acknowledged, then mitigated, resolved, closed."
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        self.current: dict[str, QLabel] = {}
        self.fields: dict[str, QLineEdit] = {}
        for row, name in enumerate(MILESTONES):
            grid.addWidget(plain_label(name.capitalize(), self), row, 0)
            self.current[name] = plain_label("", self, name="Muted")
            grid.addWidget(self.current[name], row, 1)
            edit = QLineEdit(self)
            edit.setAccessibleName(f"New {name} time")
            edit.returnPressed.connect(lambda n=name: self.set_milestone(n))
            self.fields[name] = edit
            grid.addWidget(edit, row, 2)
            button = QPushButton("Set", self)
            button.setAutoDefault(False)
            button.setAccessibleName(f"Set {name} time")
            button.clicked.connect(lambda _=False, n=name: self.set_milestone(n))
            grid.addWidget(button, row, 3)
        grid.setColumnStretch(2, 1)
        self.form.addRow(grid)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 76)
        self.refresh()

    def refresh(self) -> None:
        state = self.console.state(self.incident_id)
        for name in MILESTONES:
            moment = state.milestones.get(name)
            self.current[name].setText(timefmt.medium(moment, self.console.zone) if moment else "not yet")
            self.current[name].setToolTip(timefmt.both(moment, self.console.zone) if moment else "")
            waiting = moment is None and name in STATUS_MILESTONE.values()
            self.fields[name].setEnabled(not waiting)
            self.fields[name].setPlaceholderText(
                f"change the status to {name} to set it" if waiting else "09:12, 15m ago, 2026-11-28 09:12"
            )

    def set_milestone(self, name: str) -> None:
        field = self.fields[name]

        def run() -> object:
            at = read_when(field.text(), self.console)
            if at is None:
                field.setFocus()
                return None
            return incident.set_milestone(self.console, self.incident_id, name, at)

        done, result = attempt(run, inline=self.error)
        if done and result is not None:
            field.clear()
            self.refresh()
        self.fit_height()

    def submit(self) -> None:
        # Enter inside a time field sets that milestone (returnPressed); the button only closes.
        self.accept()


class EditDetailsDialog(CommandDialog):
    def __init__(self, console: Console, incident_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Incident details", "Save", parent)
        self.console, self.incident_id = console, incident_id
        state = console.state(incident_id)
        self.title = QLineEdit(state.title, self)
        self.title.setAccessibleName("Title")
        self.services = QLineEdit(", ".join(state.services), self)
        self.services.setPlaceholderText("comma separated, e.g. checkout, payments")
        self.services.setAccessibleName("Services")
        self.summary = SubmitTextEdit(self, lines=4)
        self.summary.setPlainText(state.summary)
        self.summary.setPlaceholderText("Who is affected and how — Shift+Enter for a new line")
        self.summary.setAccessibleName("Impact summary")
        self.summary.submitted.connect(self.submit)
        self.form.addRow("Title", self.title)
        self.form.addRow("Services", self.services)
        self.form.addRow("Impact", self.summary)

    def perform(self) -> object:
        return incident.edit_details(
            self.console,
            self.incident_id,
            title=self.title.text(),
            summary=self.summary.toPlainText(),
            services=[self.services.text()],
        )


def open_severity(shell: Shell, severity: str) -> SeverityDialog | None:
    """Change the severity of the incident on screen to `severity`, with a reason."""
    if shell.current is None:
        return None
    dialog = SeverityDialog(shell.console, shell.current, severity, shell.window())
    dialog.open()
    return dialog


def open_status(shell: Shell, status: str) -> StatusDialog | None:
    """Move the incident on screen to `status` (a Status value, or "reopen")."""
    if shell.current is None:
        return None
    dialog = StatusDialog(shell.console, shell.current, status, shell.window())
    dialog.open()
    return dialog


def open_milestones(shell: Shell) -> MilestonesDialog | None:
    """Incident > Milestones: the times of the incident on screen."""
    if shell.current is None:
        return None
    dialog = MilestonesDialog(shell.console, shell.current, shell.window())
    dialog.open()
    return dialog


def open_details(shell: Shell) -> EditDetailsDialog | None:
    """Incident > Edit details: title, services, impact of the incident on screen."""
    if shell.current is None:
        return None
    dialog = EditDetailsDialog(shell.console, shell.current, shell.window())
    dialog.open()
    return dialog
