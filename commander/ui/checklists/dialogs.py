"""The small dialogs a checklist step needs: skip (with a reason), assign, a finding, a suggested runbook
change, and detaching a checklist. Each runs one console call; a refusal shows inline and keeps the text."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from commander.app import checklists
from commander.app.console import Console
from commander.domain.checklists.state import ChecklistStep, plain_words
from commander.ui.kit.dialogs import CommandDialog
from commander.ui.kit.widgets import SubmitTextEdit


class StepDialog(CommandDialog):
    """A dialog about one step of one checklist on one incident."""

    def __init__(
        self,
        console: Console,
        incident_id: str,
        checklist_id: str,
        step: ChecklistStep,
        title: str,
        action: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(title, action, parent)
        self.console, self.incident_id, self.checklist_id, self.step = console, incident_id, checklist_id, step


class SkipStepDialog(StepDialog):
    def __init__(
        self, console: Console, incident_id: str, checklist_id: str, step: ChecklistStep, parent: QWidget | None = None
    ) -> None:
        super().__init__(console, incident_id, checklist_id, step, "Skip a step", "Skip", parent)
        self.set_intro(f"Skip “{plain_words(step.text, 70)}”? The reason goes on the timeline and into the postmortem.")
        self.reason = QLineEdit(step.reason, self)
        self.reason.setPlaceholderText("e.g. the node was already replaced by the autoscaler")
        self.reason.setAccessibleName("Reason for skipping")
        self.form.addRow("Because", self.reason)

    def perform(self) -> object:
        return checklists.skip_step(self.console, self.incident_id, self.checklist_id, self.step.id, self.reason.text())


class AssignStepDialog(StepDialog):
    def __init__(
        self, console: Console, incident_id: str, checklist_id: str, step: ChecklistStep, parent: QWidget | None = None
    ) -> None:
        super().__init__(console, incident_id, checklist_id, step, "Assign a step", "Assign", parent)
        self.set_intro(
            f"Who does “{plain_words(step.text, 70)}”? A role (TL) or a person. Leave it empty to take the step "
            f"back from {step.assigned}."
            if step.assigned
            else f"Who does “{plain_words(step.text, 70)}”? A role (TL) or a person."
        )
        state = console.state(incident_id)
        self.to = QComboBox(self)
        self.to.setEditable(True)
        self.to.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.to.setAccessibleName("Assign to")
        choices = [slot.name for slot in state.roles.values()] + state.people()
        self.to.addItems(list(dict.fromkeys(choices)))
        self.to.setCurrentText(step.assigned)
        self.form.addRow("To", self.to)

    def perform(self) -> object:
        return checklists.assign_step(
            self.console, self.incident_id, self.checklist_id, self.step.id, self.to.currentText()
        )


class FindingDialog(StepDialog):
    def __init__(
        self, console: Console, incident_id: str, checklist_id: str, step: ChecklistStep, parent: QWidget | None = None
    ) -> None:
        super().__init__(console, incident_id, checklist_id, step, "Add a finding", "Add finding", parent)
        self.set_intro(f"What did “{plain_words(step.text, 70)}” show? It goes under the step and on the timeline.")
        self.text = SubmitTextEdit(self, lines=4)
        self.text.setAccessibleName("Finding")
        self.text.submitted.connect(self.submit)
        self.form.addRow(self.text)

    def perform(self) -> object:
        return checklists.add_finding(
            self.console, self.incident_id, self.checklist_id, self.step.id, self.text.toPlainText()
        )


class SuggestChangeDialog(CommandDialog):
    """A proposed edit to the runbook, for its owner: it shows in the library and in the postmortem."""

    def __init__(
        self,
        console: Console,
        incident_id: str,
        checklist_id: str,
        step: ChecklistStep | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__("Suggest a change to the runbook", "Suggest", parent)
        self.console, self.incident_id, self.checklist_id, self.step = console, incident_id, checklist_id, step
        checklist = console.state(incident_id).checklists[checklist_id]
        about = f"the step “{plain_words(step.text, 70)}”" if step else "the runbook as a whole"
        self.set_intro(
            f"What should change in “{checklist.title}” (version {checklist.version}), about {about}? "
            f"The runbook's owner sees it in the library and the postmortem lists it."
        )
        self.text = SubmitTextEdit(self, lines=4)
        self.text.setAccessibleName("Suggested change")
        self.text.setPlaceholderText("e.g. cordon the node before draining it, or the pods come straight back")
        self.text.submitted.connect(self.submit)
        self.form.addRow(self.text)

    def perform(self) -> object:
        return checklists.suggest_runbook_change(
            self.console,
            self.incident_id,
            self.checklist_id,
            self.step.id if self.step else "",
            self.text.toPlainText(),
        )


class DetachDialog(CommandDialog):
    def __init__(self, console: Console, incident_id: str, checklist_id: str, parent: QWidget | None = None) -> None:
        super().__init__("Detach a checklist", "Detach", parent)
        self.console, self.incident_id, self.checklist_id = console, incident_id, checklist_id
        checklist = console.state(incident_id).checklists[checklist_id]
        done, total = checklist.progress
        self.set_intro(
            f"Take “{checklist.title}” off the incident ({done} of {total} steps done)? What was "
            f"ticked stays on the timeline."
        )
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("optional — e.g. wrong runbook, the alert was about the database")
        self.reason.setAccessibleName("Reason for detaching")
        self.form.addRow("Because", self.reason)

    def perform(self) -> object:
        return checklists.detach_checklist(self.console, self.incident_id, self.checklist_id, self.reason.text())
