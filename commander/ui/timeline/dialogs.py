"""Editing a note: its new wording, kept beside the earlier one in the note's history."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from commander.ui.kit.dialogs import CommandDialog
from commander.ui.kit.widgets import SubmitTextEdit


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
