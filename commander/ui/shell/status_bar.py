"""The status bar: where the store is, who is using this console, how many incidents are open, and
the brief offer to undo a note deletion."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStatusBar, QWidget

from commander.app.console import Console
from commander.ui.kit import linkify, richtext

UNDO_SECONDS = 10


def short_location(where: str) -> str:
    """'…/Commander/commander.db' for a file; a server URL as given (its password already hidden)."""
    path = Path(where)
    if path.is_absolute() and len(path.parts) > 2:
        return str(Path("…", path.parent.name, path.name))
    return where


class UndoNotice(QWidget):
    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = richtext.plain(QLabel(self))
        self.button = QPushButton("Undo", self)
        self.button.setObjectName("UndoButton")
        self.button.setToolTip("Restore it (Ctrl+Z)")
        self.button.clicked.connect(self.undo_requested.emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def offer(self, message: str) -> None:
        self.label.setText(message)
        self.show()
        self._timer.start(UNDO_SECONDS * 1000)

    def withdraw(self) -> None:
        self._timer.stop()
        self.hide()


class StatusBar(QStatusBar):
    rename_requested = Signal()

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizeGripEnabled(False)
        self.undo = UndoNotice(self)
        self.addWidget(self.undo)
        self.problem = QLabel(self)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setObjectName("StoreProblem")
        self.problem.setWordWrap(False)
        self.problem.hide()
        self.addWidget(self.problem, 1)
        self.store = QLabel(short_location(console.where), self)
        self.store.setTextFormat(Qt.TextFormat.PlainText)
        self.store.setToolTip(linkify.tooltip(f"Store: {console.where}"))
        self.store.setAccessibleName("Store location")
        self.person = QPushButton(self)
        self.person.setToolTip("The name recorded on what you do here. Click to change it.")
        self.person.setAccessibleName("Your name")
        self.person.clicked.connect(self.rename_requested.emit)
        self.open_count = QLabel(self)
        self.open_count.setAccessibleName("Open incidents")
        self.addPermanentWidget(self.store)
        self.addPermanentWidget(self.person)
        self.addPermanentWidget(self.open_count)
        self.show_person(console.me.name)

    def add_sync_indicator(self, indicator: QWidget) -> None:
        """Before the store's location: what the shared store is doing matters more than where it is."""
        self.insertPermanentWidget(self.layout_index(self.store), indicator)

    def layout_index(self, widget: QWidget) -> int:
        # QStatusBar counts its normal widgets (undo, problem) before the permanent ones.
        return 2 + [self.store, self.person, self.open_count].index(widget)

    def show_person(self, name: str) -> None:
        self.person.setText(richtext.mnemonic(f"You: {name}"))

    def show_open(self, count: int) -> None:
        self.open_count.setText(f"{count} open" if count != 1 else "1 open")

    def show_store_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setToolTip(linkify.tooltip(message))
        self.problem.show()

    def clear_store_problem(self) -> None:
        self.problem.hide()
        self.problem.clear()
