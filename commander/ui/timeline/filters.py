"""The row of filters above the timeline: kinds of entry, a person, pinned only, and a search."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QSizePolicy, QToolButton, QWidget

from commander.domain.timeline.entries import CATEGORY_LABELS
from commander.ui.kit.theme import scaled_font
from commander.ui.kit.widgets import FlowLayout
from commander.ui.timeline.model import ALL_CATEGORIES, TimelineFilter

EVERYONE = "Everyone"


class FilterBar(QWidget):
    filter_changed = Signal(object)  # TimelineFilter

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search…")
        self.search.setToolTip("Search the timeline's text and names (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search the timeline")
        self.search.textChanged.connect(self._changed)
        self.search.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 15)
        layout.addWidget(self.search, 1)

        # The chips wrap onto a second line in a narrow window rather than forcing the window wider.
        chips = QWidget(self)
        flow = FlowLayout(chips)
        flow.setContentsMargins(0, 0, 0, 0)
        size = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        size.setHeightForWidth(True)
        size.setHorizontalStretch(4)
        chips.setSizePolicy(size)
        self.chips: dict[str, QToolButton] = {}
        for key, label in CATEGORY_LABELS.items():
            # No chip on means every kind shows; turning some on narrows to those (as in most trackers).
            chip = self._chip(label, f"Show only {label.lower()} entries (with any other kinds chosen)")
            self.chips[key] = chip
            flow.addWidget(chip)
        self.pinned = self._chip("★ Pinned", "Show only pinned entries")
        flow.addWidget(self.pinned)
        layout.addWidget(chips, 4)

        self.person = QComboBox(self)
        self.person.setAccessibleName("Show entries by")
        self.person.setToolTip("Show only what one person did")
        self.person.addItem(EVERYONE)
        # As wide as a usual name, not the longest one: a peer's 80-character name must not squeeze the chips
        # into one column (the popup still shows every name in full).
        self.person.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.person.setMinimumContentsLength(16)
        self.person.currentIndexChanged.connect(self._changed)
        layout.addWidget(self.person)

        self.count = QLabel(self)
        self.count.setObjectName("Faint")
        self.count.hide()
        layout.addWidget(self.count)
        for chip in (*self.chips.values(), self.pinned):
            chip.toggled.connect(self._changed)

    def _chip(self, text: str, tip: str) -> QToolButton:
        chip = QToolButton(self)
        chip.setObjectName("Chip")
        chip.setFont(scaled_font(0.92, base=self.font()))
        chip.setText(text)
        chip.setToolTip(tip)
        chip.setAccessibleName(tip)
        chip.setCheckable(True)
        return chip

    def current(self) -> TimelineFilter:
        categories = frozenset(key for key, chip in self.chips.items() if chip.isChecked()) or ALL_CATEGORIES
        person = self.person.currentText() if self.person.currentIndex() > 0 else None
        return TimelineFilter(
            categories=categories, person=person, pinned_only=self.pinned.isChecked(), search=self.search.text().strip()
        )

    def set_filter(self, wanted: TimelineFilter) -> None:
        """Show a saved filter without announcing each widget's change."""
        blockers = [QSignalBlocker(w) for w in (self.search, self.pinned, self.person, *self.chips.values())]
        self.search.setText(wanted.search)
        self.pinned.setChecked(wanted.pinned_only)
        narrowed = wanted.categories != ALL_CATEGORIES
        for key, chip in self.chips.items():
            chip.setChecked(narrowed and key in wanted.categories)
        if wanted.person is not None and self.person.findText(wanted.person) < 0:
            self.person.addItem(wanted.person)
        self.person.setCurrentIndex(self.person.findText(wanted.person) if wanted.person else 0)
        del blockers

    def set_people(self, names: list[str]) -> None:
        chosen = self.person.currentText()
        blocker = QSignalBlocker(self.person)
        self.person.clear()
        self.person.addItem(EVERYONE)
        self.person.addItems(names)
        self.person.setCurrentIndex(max(0, self.person.findText(chosen)))
        del blocker

    def add_person(self, name: str) -> None:
        if self.person.findText(name) < 0:
            blocker = QSignalBlocker(self.person)
            self.person.addItem(name)
            del blocker

    def show_count(self, shown: int, total_entries: int, active: bool) -> None:
        # Shown only while a filter narrows the list: room in this row is scarce.
        self.search.setToolTip(f"Search the {total_entries:,} entries' text and names (Ctrl+F)")
        self.count.setText(f"{shown:,} of {total_entries:,}")
        self.count.setVisible(active)

    def _changed(self) -> None:
        self.filter_changed.emit(self.current())


__all__ = ["ALL_CATEGORIES", "EVERYONE", "FilterBar"]
