"""Setting a custom timer: what to do, and in how many minutes (with the usual choices one click away)."""

from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLineEdit, QSpinBox, QToolButton, QWidget

from commander.app.console import Console
from commander.app.updates import timers
from commander.domain.updates.timers import TIMER_LABEL_MAX, TIMER_LONGEST
from commander.ui.kit.dialogs import CommandDialog
from commander.ui.kit.shell import Shell

QUICK_MINUTES = (5, 10, 15, 30)


class SetTimerDialog(CommandDialog):
    def __init__(self, console: Console, incident_id: str, parent: QWidget | None = None) -> None:
        state = console.state(incident_id)
        super().__init__(f"Set a timer: {state.reference}", "Set timer", parent)
        self.console, self.incident_id = console, incident_id
        self.set_intro(
            "Every console on this incident counts it down. When it expires the timeline records "
            "it and you are alerted."
        )
        self.label = QLineEdit(self)
        self.label.setPlaceholderText("e.g. check the rollback")
        self.label.setMaxLength(TIMER_LABEL_MAX)
        self.label.setAccessibleName("What to do when it expires")
        self.minutes = QSpinBox(self)
        self.minutes.setRange(1, int(TIMER_LONGEST.total_seconds() // 60))
        self.minutes.setValue(10)
        self.minutes.setSuffix(" min")
        self.minutes.setAccessibleName("Minutes from now")
        # Tool buttons, not push buttons: a push button in a dialog can take Enter, which must set the timer.
        self.quick = QButtonGroup(self)
        row = QHBoxLayout()
        row.setSpacing(4)
        row.addWidget(self.minutes)
        for minutes in QUICK_MINUTES:
            choice = QToolButton(self)
            choice.setObjectName("Chip")
            choice.setText(f"{minutes} min")
            choice.setAccessibleName(f"In {minutes} minutes")
            choice.setCheckable(True)
            choice.clicked.connect(partial(self.minutes.setValue, minutes))
            self.quick.addButton(choice, minutes)
            row.addWidget(choice)
        row.addStretch(1)
        self.minutes.valueChanged.connect(self._mark_choice)
        self._mark_choice(self.minutes.value())
        self.form.addRow("Check", self.label)
        self.form.addRow("In", row)
        self.label.setFocus()

    def _mark_choice(self, minutes: int) -> None:
        """The quick choice that matches the minutes, if any, shows as chosen."""
        chosen = self.quick.button(minutes)
        self.quick.setExclusive(chosen is not None)  # an exclusive group cannot have none checked
        for button in self.quick.buttons():
            button.setChecked(button is chosen)

    def perform(self) -> object:
        return timers.set_timer(self.console, self.incident_id, self.label.text(), self.minutes.value())


def open_timer_dialog(shell: Shell) -> SetTimerDialog | None:
    """Set a timer on the incident on screen (none when no incident is shown)."""
    if shell.current is None:
        return None
    dialog = SetTimerDialog(shell.console, shell.current, shell.window())
    dialog.open()
    return dialog
