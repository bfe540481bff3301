"""The banner over a postmortem section that two people edited at the same time: whose text shows, whose is
kept beside it, and the three ways to settle it (use theirs, add theirs below, keep this one)."""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from commander.domain.postmortem.record import Conflict
from commander.ui.kit.dialogs import plain_label


class ConflictBanner(QWidget):
    settled = Signal(str)  # "theirs", "both" or "mine"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("KeyRoleBanner")  # the warning banner's look
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        em = self.fontMetrics().horizontalAdvance("x")
        self.text = plain_label("", self)
        self.theirs = QPlainTextEdit(self)
        self.theirs.setReadOnly(True)
        self.theirs.setAccessibleName("Their version")
        self.theirs.setMaximumHeight(em * 14)
        self.theirs.hide()
        self.show_theirs = self._button("Show theirs", self.toggle_theirs)
        self.use_theirs = self._button("Use theirs", lambda: self.settled.emit("theirs"))
        self.add_theirs = self._button("Add theirs below", lambda: self.settled.emit("both"))
        self.keep_mine = self._button("Keep this version", lambda: self.settled.emit("mine"))
        row = QHBoxLayout()
        for button in (self.show_theirs, self.use_theirs, self.add_theirs, self.keep_mine):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.text)
        layout.addWidget(self.theirs)
        layout.addLayout(row)
        self.hide()

    def _button(self, text: str, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def show_conflict(self, conflict: Conflict | None, waiting: int, zone: tzinfo) -> None:
        """The first of `waiting` conflicts, or nothing (hidden)."""
        self.setVisible(conflict is not None)
        if conflict is None:
            self.theirs.hide()
            return
        more = f" ({waiting} versions to settle)" if waiting > 1 else ""
        self.text.setText(
            f"{conflict.by} and {conflict.replaced_by} edited this section at the same time{more}. "
            f"{conflict.replaced_by}'s text is shown; {conflict.by}'s, from "
            f"{conflict.at.astimezone(zone):%H:%M}, is kept here so nothing is lost."
        )
        self.theirs.setPlainText(conflict.text)
        self.show_theirs.setText("Hide theirs" if self.theirs.isVisible() else "Show theirs")

    def toggle_theirs(self) -> None:
        self.theirs.setVisible(not self.theirs.isVisible())
        self.show_theirs.setText("Hide theirs" if self.theirs.isVisible() else "Show theirs")
