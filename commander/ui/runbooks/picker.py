"""Attach a runbook: search the library, the runbooks for this incident's services first, Enter attaches.

The library (commander.app.runbooks.library) is local, so this works with the network down. Search is the
library's own index (instant for thousands of runbooks); with nothing typed, the runbooks that fit the
incident come first, then every other one by title.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app import checklists
from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.domain.core.events import Event
from commander.domain.runbooks.inline_markdown import plain
from commander.ui.kit import richtext
from commander.ui.kit.problems import ErrorLabel, attempt
from commander.ui.runbooks.library_list import file_tail

if TYPE_CHECKING:
    from commander.domain.runbooks.library import RunbookRecord
    from commander.domain.runbooks.search import Hit

SHOWN = 200  # rows listed with nothing typed; typing narrows the rest
_ID = Qt.ItemDataRole.UserRole + 1


class RunbookPicker(QDialog):
    attached = Signal(str)  # the new checklist's id

    def __init__(self, console: Console, incident_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console, self.incident_id = console, incident_id
        self.setWindowTitle("Attach a runbook")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search titles, steps and commands…")
        self.search.setAccessibleName("Search the runbook library")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.refresh)
        self.search.installEventFilter(self)
        self.note = QLabel(self)
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.results = QListWidget(self)
        self.results.setAccessibleName("Runbooks")
        self.results.setAlternatingRowColors(True)
        self.results.setWordWrap(True)
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setStyleSheet("QListView::item { padding: 5px 6px; }")  # two lines a runbook need air
        self.results.itemActivated.connect(lambda _item: self.attach())
        self.results.currentItemChanged.connect(lambda *_: self._update_button())
        self.error = ErrorLabel(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Attach")
        self.ok.setDefault(True)
        self.buttons.accepted.connect(self.attach)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.note)
        layout.addWidget(self.results, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        em = self.fontMetrics().horizontalAdvance("x")
        self.resize(em * 80, self.fontMetrics().height() * 28)
        self.refresh()

    def refresh(self) -> None:
        """List what fits what is typed, the incident's own runbooks first."""
        self.results.clear()
        text = self.search.text().strip()

        def read() -> tuple[tuple[str, ...], dict[str, RunbookRecord], list[Hit]]:
            services = tuple(self.console.state(self.incident_id).services)
            records = runbooks.library(self.console)
            return services, records, runbooks.search(self.console, text, services=services, limit=SHOWN)

        done, found = attempt(read, inline=self.error)
        if not done or found is None:
            self._update_button()
            return
        services, records, hits = found
        live = {key: record for key, record in records.items() if not record.retired}
        if not live:
            self.note.setText(
                "The library holds no runbooks yet. Import your team's Markdown runbooks with "
                "`commander runbook import PATH…`, then attach one here."
            )
            self._update_button()
            return
        fitting = [hit for hit in hits if hit.why]
        for hit in fitting:
            self._add(hit.record, "fits: " + ", ".join(hit.why))
        rest = (
            [hit.record for hit in hits if not hit.why]
            if text
            else sorted(
                (r for r in live.values() if r.id not in {h.record.id for h in fitting}),
                key=lambda r: r.current.title.lower(),
            )[:SHOWN]
        )
        for record in rest:
            self._add(record, "")
        named = ", ".join(services)
        if text and not hits:
            self.note.setText(f"No runbook mentions “{text}”. Try fewer or other words.")
        elif fitting and not text:
            self.note.setText(
                f"{len(fitting)} runbooks fit {named}; they come first."
                if len(fitting) > 1
                else f"1 runbook fits {named}; it comes first."
            )
        elif not text:
            self.note.setText(
                f"No runbook names {named or 'this incident’s services'}; every runbook is listed by title."
                if len(live) <= SHOWN
                else f"{len(live):,} runbooks; type to narrow them."
            )
        else:
            self.note.setText(f"{len(hits)} found.")
        self.results.setCurrentRow(0)
        self._update_button()

    def _add(self, record: RunbookRecord, why: str) -> None:
        current = record.current
        facts = [f"v{current.version}", f"{len(current.all_steps())} steps"]
        if runbooks.is_stale(self.console, record):
            facts.append("⚠ stale")
        if current.services:
            facts.append("services: " + ", ".join(current.services))
        if current.source:  # what tells two runbooks with one title apart
            facts.append(file_tail(current.source))
        if why:
            facts.insert(0, why)
        item = QListWidgetItem(f"{current.title}\n{'  ·  '.join(facts)}")
        item.setData(_ID, record.id)
        told = "\n\n".join(
            part
            for part in (
                f"File: {current.source}" if current.source else "",
                plain(current.summary or current.title, block=True),
            )
            if part
        )
        item.setToolTip(richtext.tooltip(told))  # a runbook file is outside text
        self.results.addItem(item)

    def _update_button(self) -> None:
        self.ok.setEnabled(self.results.currentItem() is not None)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Arrow keys in the search field move through the results, as in a launcher.
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up)
        ):
            row = self.results.currentRow() + (1 if event.key() == Qt.Key.Key_Down else -1)
            if 0 <= row < self.results.count():
                self.results.setCurrentRow(row)
            return True
        return super().eventFilter(watched, event)

    def attach(self) -> None:
        item = self.results.currentItem()
        if item is None:
            return
        record_id = item.data(_ID)
        incident = self.incident_id

        def attach() -> list[Event]:
            record = runbooks.library(self.console)[record_id]
            return checklists.attach_checklist(self.console, incident, record.current)

        done, events = attempt(attach, inline=self.error)
        if done and events:
            self.attached.emit(events[0].id)
            self.accept()
