"""Who holds a role: assigning it, handing it off, and adding a role the policy does not list."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from commander.app import roles
from commander.app.console import Console
from commander.ui.kit.dialogs import CommandDialog


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


def _unique(names: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
