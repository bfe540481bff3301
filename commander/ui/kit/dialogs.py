"""The shared dialog kit: a form grid, a dialog that runs one console call, plain labels, typed times.

Dialogs are opened with `open()` (window-modal, not blocking the event loop), so live updates keep
arriving behind them and tests can drive them like any widget.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLayout,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.domain.core.when import parse_when
from commander.ui.kit.problems import ErrorLabel, attempt

WHEN_HINT = "optional — 09:12, 15m ago, or 2026-11-28 09:12"


def read_when(text: str, console: Console) -> datetime | None:
    """A typed time, or None when the field was left empty. Raises DomainError with help."""
    if not text.strip():
        return None
    return parse_when(text, now=console.now(), zone=console.zone)


def plain_label(text: str, parent: QWidget | None = None, *, name: str | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


class FormGrid(QGridLayout):
    """Label and field rows, like QFormLayout, but a wrapped label gets all the lines it needs
    (QFormLayout gives it the height of one line and squeezes the rows around it)."""

    def __init__(self) -> None:
        super().__init__()
        self.setColumnStretch(1, 1)
        self.setHorizontalSpacing(10)

    def addRow(self, first: str | QWidget | QLayout, field: QWidget | QLayout | None = None) -> None:
        row = self.rowCount()
        if field is None:
            self._add(first, row, 0, 2)
            return
        if isinstance(first, str):
            caption = QLabel(first)
            caption.setTextFormat(Qt.TextFormat.PlainText)
            first = caption
        self._add(first, row, 0, 1)
        self._add(field, row, 1, 1)

    def _add(self, item: str | QWidget | QLayout, row: int, column: int, span: int) -> None:
        if isinstance(item, QLayout):
            self.addLayout(item, row, column, 1, span)
        elif isinstance(item, QWidget):
            self.addWidget(item, row, column, 1, span)


class CommandDialog(QDialog):
    """A form, an inline error line, and OK/Cancel; OK (or Enter) runs `perform`."""

    def __init__(self, title: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.outer = QVBoxLayout(self)
        self.intro = plain_label("", self)
        self.intro.hide()
        self.outer.addWidget(self.intro)
        self.form = FormGrid()
        self.outer.addLayout(self.form)
        self.error = ErrorLabel(self)
        self.outer.addWidget(self.error)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText(action)
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        self.outer.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 60)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.fit_height()

    def fit_height(self) -> None:
        """Grow to the height the rows need at the dialog's real width. Qt sizes a dialog from its
        size hint, which counts a wrapped line as one, and does not grow it when an error appears."""
        self.outer.activate()
        needed = max(self.heightForWidth(self.width()), self.minimumSizeHint().height())
        if needed > self.height():
            self.resize(self.width(), needed)

    def set_intro(self, text: str) -> None:
        self.intro.setText(text)
        self.intro.setVisible(bool(text))

    def perform(self) -> object:
        """The console call this dialog exists for; subclasses supply it."""
        return None

    def succeeded(self, result: object) -> None:
        """Called with what `perform` returned, just before the dialog closes."""

    def submit(self) -> None:
        done, result = attempt(self.perform, inline=self.error)
        if done:
            self.succeeded(result)
            self.accept()
        else:
            self.fit_height()
