"""Showing the problems a person can act on: refusals (DomainError) and store trouble (StoreError).

Where a field is involved the message goes inline, under it, and the typed text stays. Otherwise a
window-modal message box says what happened and what to do. Any other exception is a bug: it is not
caught here and travels to the log with its traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from commander.domain.core.errors import DomainError
from commander.store.errors import StoreError

KNOWN = (DomainError, StoreError)
T = TypeVar("T")


class ErrorLabel(QLabel):
    """A red, wrapped, plain-text line that is hidden while there is nothing to say."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ErrorText")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName("Problem")
        self.hide()

    def show_message(self, message: str) -> None:
        self.setText(message)
        self.setVisible(bool(message))

    def clear_message(self) -> None:
        self.show_message("")


def show_problem(parent: QWidget | None, title: str, message: str) -> QMessageBox:
    """A message box that does not block the event loop (live updates keep arriving behind it)."""
    box = QMessageBox(QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setWindowModality(Qt.WindowModality.WindowModal)
    box.open()
    return box


def attempt(
    action: Callable[[], T],
    *,
    inline: ErrorLabel | None = None,
    parent: QWidget | None = None,
    title: str = "That did not work",
) -> tuple[bool, T | None]:
    """Run a console call; on a known problem show its message and return (False, None)."""
    try:
        result = action()
    except KNOWN as error:
        if inline is not None:
            inline.show_message(str(error))
        else:
            show_problem(parent, title, str(error))
        return False, None
    if inline is not None:
        inline.clear_message()
    return True, result
