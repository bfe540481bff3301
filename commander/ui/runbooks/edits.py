"""The library's changes to one runbook: mark it reviewed, decline a suggestion, accept one by editing the
runbook (its YAML form, prefilled) into a new version. Each is one call into commander.app.runbooks.library; a
refusal shows inline and keeps what was typed.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QPlainTextEdit, QWidget

from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.domain.checklists.state import one_line, plain_words
from commander.domain.core.errors import DomainError
from commander.domain.runbooks.export import parse_yaml
from commander.domain.runbooks.library import Runbook, RunbookRecord, Suggestion, digest_of
from commander.ui.kit.dialogs import CommandDialog
from commander.ui.kit.theme import mono_font
from commander.ui.kit.widgets import SubmitTextEdit


class ReviewDialog(CommandDialog):
    def __init__(self, console: Console, record: RunbookRecord, parent: QWidget | None = None) -> None:
        super().__init__("Mark reviewed", "Mark reviewed", parent)
        self.console, self.record = console, record
        days = runbooks.stale_days(console)
        self.set_intro(
            f"You checked that every step of “{record.current.title}” still holds? It counts as fresh "
            f"for {days} days from now. The note is kept with the review."
        )
        self.note = SubmitTextEdit(self, lines=3)
        self.note.setPlaceholderText("optional — e.g. updated the dashboard link, steps tried on staging")
        self.note.setAccessibleName("Review note")
        self.note.submitted.connect(self.submit)
        self.form.addRow("Note", self.note)

    def perform(self) -> object:
        return runbooks.mark_reviewed(self.console, self.record.id, self.note.toPlainText())


class DeclineDialog(CommandDialog):
    def __init__(
        self, console: Console, record: RunbookRecord, suggestion: Suggestion, parent: QWidget | None = None
    ) -> None:
        super().__init__("Decline a suggestion", "Decline", parent)
        self.console, self.record, self.suggestion = console, record, suggestion
        self.set_intro(
            f"Decline {suggestion.by}’s suggestion for “{record.current.title}”: "
            f"“{one_line(suggestion.text, 70)}”? A note tells them (and the postmortem) why."
        )
        self.note = SubmitTextEdit(self, lines=3)
        self.note.setPlaceholderText("e.g. the step is right; the dashboard was down that night")
        self.note.setAccessibleName("Why it is declined")
        self.note.submitted.connect(self.submit)
        self.form.addRow("Because", self.note)

    def perform(self) -> object:
        return runbooks.close_suggestion(
            self.console, self.record.id, self.suggestion.id, accepted=False, note=self.note.toPlainText()
        )


class AcceptDialog(CommandDialog):
    """The owner applies a suggestion: the runbook's YAML, prefilled, edited here; saving makes a new
    version and closes the suggestion as accepted."""

    def __init__(
        self, console: Console, record: RunbookRecord, suggestion: Suggestion, parent: QWidget | None = None
    ) -> None:
        super().__init__("Accept a suggestion", f"Save as version {len(record.versions) + 1}", parent)
        self.console, self.record, self.suggestion = console, record, suggestion
        step = record.current.step(suggestion.step) if suggestion.step else None
        about = (
            f", about “{plain_words(step.text, 60)}”"
            if step
            else f", about step {suggestion.step}"
            if suggestion.step
            else ""
        )
        self.set_intro(
            f"{suggestion.by} suggested on {suggestion.reference}{about}:\n“{suggestion.text}”\n\n"
            f"Edit the runbook below to apply it. Saving makes version {len(record.versions) + 1} and "
            f"closes the suggestion as accepted; checklists already attached keep their version."
        )
        self.prefilled = runbooks.export_yaml(record)
        self.editor = QPlainTextEdit(self)
        self.editor.setFont(mono_font(0.95))
        self.editor.setPlainText(self.prefilled)
        self.editor.setAccessibleName("The runbook, in YAML")
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.form.addRow(self.editor)
        em = self.fontMetrics().horizontalAdvance("x")
        self.resize(em * 130, self.fontMetrics().height() * 44)

    def edited(self) -> Runbook:
        """The runbook as edited; raises DomainError naming the field or line that is wrong."""
        text = self.editor.toPlainText()
        try:
            parsed = parse_yaml(text, name="the runbook")
        except DomainError as error:
            raise DomainError(f"The runbook's YAML is not right: {error}. Fix it and save again.") from None
        before = parse_yaml(self.prefilled, name="the runbook").runbook
        if digest_of(parsed.runbook) == digest_of(before):
            raise DomainError(
                "Nothing is changed yet: edit the runbook to apply the suggestion, or close this and Decline it."
            )
        current = self.record.current
        return replace(parsed.runbook, id=current.id, source=current.source)

    def perform(self) -> object:
        saved = runbooks.save(self.console, self.edited())
        note = f"Accepted into version {saved.current.version}."
        return runbooks.close_suggestion(self.console, self.record.id, self.suggestion.id, accepted=True, note=note)
