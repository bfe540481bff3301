"""Showing the problems a person can act on: refusals (DomainError), store trouble (StoreError) and, for
work done in the background, a network that cannot be reached.

Where a field is involved the message goes inline, under it, and the typed text stays. Otherwise a
window-modal message box says what happened and what to do. Any other exception is a bug: it is not
caught here and travels to the log with its traceback (commander.ui.kit.background logs it and tells the
person, since a worker thread has no event loop to raise into).
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
NETWORK = "The network did not answer ({detail}). Check the connection (or the VPN) and try again."


def problem_message(error: BaseException) -> str | None:
    """What to tell a person about `error`, or None when it is a bug (to be logged with its traceback)."""
    if isinstance(error, KNOWN):
        return str(error)
    # Refused, unreachable, timed out, a name that does not resolve (socket.gaierror, told by its module so
    # start-up does not import socket): the network, not Commander.
    network = isinstance(error, ConnectionError | TimeoutError) or type(error).__module__ == "socket"
    if isinstance(error, OSError) and network:
        return NETWORK.format(detail=error.strerror or type(error).__name__)
    if isinstance(error, OSError) and error.filename:
        return f"Could not use {error.filename}: {error.strerror or error}. Check the file and try again."
    if type(error).__module__.startswith("httpx"):  # httpx's transport errors, without importing httpx here
        return NETWORK.format(detail=str(error) or type(error).__name__)
    return None


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
