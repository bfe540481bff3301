"""What the library window lists: the search box (one search per pause in typing), the filters (stale
only, a service, a tag) and the line under them that counts what is shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from commander.domain.runbooks.library import RunbookRecord, same_name
from commander.ui.kit.dialogs import plain_label

DEBOUNCE_MS = 80  # one search per pause in typing, not one per key
_WORD = re.compile(r"[^\W_]{2,}")  # the search index needs two letters of a word before it looks


class LibraryFilters(QWidget):
    changed = Signal()  # the search (after a pause in typing) or a filter changed: list again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search titles, steps and commands…  (Ctrl+F)")
        self.search.setAccessibleName("Search the runbook library")
        self.search.setClearButtonEnabled(True)
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.changed.emit)
        self.search.textChanged.connect(lambda _text: self.debounce.start())
        self.stale_only = QCheckBox("Stale only", self)
        self.stale_only.setToolTip("Runbooks never reviewed, or not within the policy's review period")
        self.stale_only.toggled.connect(lambda _on: self.changed.emit())
        self.service = QComboBox(self)
        self.service.setAccessibleName("Service")
        self.tag = QComboBox(self)
        self.tag.setAccessibleName("Tag")
        for combo in (self.service, self.tag):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.currentIndexChanged.connect(lambda _n: self.changed.emit())
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.stale_only)
        row.addWidget(self.service, 1)
        row.addWidget(self.tag, 1)
        self.count = plain_label("", self, name="Muted")
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        column.addWidget(self.search)
        column.addLayout(row)
        column.addWidget(self.count)

    def words(self) -> str:
        """What is typed, when it is enough to search by ("" for a single letter)."""
        text = self.search.text().strip()
        return text if _WORD.search(text) else ""

    def filtering(self) -> bool:
        return self.stale_only.isChecked() or bool(self.service.currentData()) or bool(self.tag.currentData())

    def fill(self, live: Sequence[RunbookRecord]) -> None:
        """Offer the services and tags the library uses, keeping what is chosen."""
        _fill(self.service, "Any service", (s for r in live for s in r.current.services))
        _fill(self.tag, "Any tag", (t for r in live for t in r.current.tags))

    def clear(self) -> None:
        """Search nothing, filter nothing (without listing again: the caller does)."""
        for widget in (self.search, self.stale_only, self.service, self.tag):
            widget.blockSignals(True)
        self.search.clear()
        self.stale_only.setChecked(False)
        self.service.setCurrentIndex(0)
        self.tag.setCurrentIndex(0)
        for widget in (self.search, self.stale_only, self.service, self.tag):
            widget.blockSignals(False)

    def keep(self, now: datetime, days: int) -> Callable[[RunbookRecord], bool]:
        """Whether a runbook passes the filters (the search is the index's business)."""
        stale_only, service, tag = self.stale_only.isChecked(), self.service.currentData(), self.tag.currentData()

        def kept(record: RunbookRecord) -> bool:
            runbook = record.current
            return (
                (not stale_only or runbook.stale(now, days))
                and (not service or any(same_name(s) == service for s in runbook.services))
                and (not tag or any(same_name(t) == tag for t in runbook.tags))
            )

        return kept

    def say_count(self, words: str, shown: int, live: Sequence[RunbookRecord], now: datetime, days: int) -> None:
        if not live:
            said = (
                "The library holds no runbooks yet. Import your team's Markdown runbooks with Import… below: "
                "a file, or a whole folder such as a git checkout."
            )
        elif words:
            said = (
                f"{shown:,} found for “{words}”"
                if shown
                else f"No runbook mentions “{words}”"
                + (" among those filtered." if self.filtering() else ". Try fewer or other words.")
            )
        else:
            stale = sum(1 for record in live if record.current.stale(now, days))
            said = f"{len(live):,} runbooks · {stale:,} stale"
            if self.filtering():
                said = f"{shown:,} of {said}"
        self.count.setText(said)


def _fill(combo: QComboBox, anything: str, names: Iterable[str]) -> None:
    """The names the library uses, each once (kube_pods and Kube-Pods are one), keeping the choice."""
    chosen = combo.currentData()
    unique: dict[str, str] = {}
    for name in names:
        unique.setdefault(same_name(name), name)
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(anything, "")
    for key, name in sorted(unique.items(), key=lambda item: item[1].lower()):
        combo.addItem(name, key)
    combo.setCurrentIndex(max(0, combo.findData(chosen)) if chosen else 0)
    combo.blockSignals(False)
