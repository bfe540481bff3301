"""A thin item model over an IncidentView's timeline entries, kept current one event at a time.

The model holds the entries that pass the current filter, in timeline order, and exposes the newest
`chunk` of them; older ones come in chunks as the reader scrolls up. New events insert one row at its
sorted place, edits and pins change one row, and only a rebuild of the view (its `generation` moved)
resets the model: an incident with 50,000 events must not be re-listed when someone adds a note.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from commander.domain.core.events import Event, incident_stream
from commander.domain.timeline.entries import CATEGORY_LABELS, MODIFIERS, IncidentView, TimelineEntry
from commander.ui.kit import linkify, timefmt

Index = QModelIndex | QPersistentModelIndex
CHUNK = 2000
ALL_CATEGORIES = frozenset(CATEGORY_LABELS)
# Computed once: views ask for every row's flags on each layout, and Qt's flag enums are slow to
# combine in Python. "Never has children" spares the view a hasChildren() call per row as well.
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
_NO_FLAGS = Qt.ItemFlag.NoItemFlags


@dataclass(frozen=True)
class TimelineFilter:
    categories: frozenset[str] = ALL_CATEGORIES
    person: str | None = None
    pinned_only: bool = False
    search: str = ""

    @property
    def active(self) -> bool:
        return self != TimelineFilter()

    def accepts(self, entry: TimelineEntry) -> bool:
        if entry.category not in self.categories:
            return False
        if self.person is not None and entry.actor != self.person:
            return False
        if self.pinned_only and not entry.pinned:
            return False
        if self.search:
            needle = self.search.casefold()
            return needle in entry.text.casefold() or needle in entry.actor.casefold()
        return True


@dataclass
class _Rows:
    """Filtered entries in timeline order; the last `exposed` of them are the model's rows."""

    entries: list[TimelineEntry] = field(default_factory=list)
    exposed: int = 0

    @property
    def offset(self) -> int:
        return len(self.entries) - self.exposed

    def position(self, entry: TimelineEntry) -> tuple[int, bool]:
        """Where the entry is, or would go; and whether it is there."""
        at = bisect.bisect_left(self.entries, entry.sort_key, key=_sort_key)
        return at, at < len(self.entries) and self.entries[at] is entry


def _sort_key(entry: TimelineEntry) -> tuple[datetime, int, str]:
    return entry.sort_key


class TimelineModel(QAbstractTableModel):
    TIME, WHO, WHAT = range(3)
    HEADERS = ("Time", "Who", "What")
    EntryRole = Qt.ItemDataRole.UserRole + 1
    EventIdRole = Qt.ItemDataRole.UserRole + 2
    RawTextRole = Qt.ItemDataRole.UserRole + 3
    CategoryRole = Qt.ItemDataRole.UserRole + 4

    def __init__(self, zone: tzinfo, *, chunk: int = CHUNK, parent: Any = None) -> None:
        super().__init__(parent)
        self.zone = zone
        self.chunk = chunk
        self._view: IncidentView | None = None
        self._generation = -1
        self._filter = TimelineFilter()
        self._rows = _Rows()
        # Qt's views fetch more when the *last* row is on screen: right for lists that grow at the
        # bottom, wrong here, where older entries load above and the newest row is nearly always in
        # view. So fetching is armed by the panel when the reader reaches the top (`request_older`).
        self._older_requested = False

    # -- what it shows -----------------------------------------------------------------------

    @property
    def view(self) -> IncidentView | None:
        return self._view

    @property
    def filter(self) -> TimelineFilter:
        return self._filter

    def set_view(self, view: IncidentView | None, wanted: TimelineFilter | None = None) -> None:
        """Show another view (and, optionally, another filter) with a single reset."""
        self._view = view
        if wanted is not None:
            self._filter = wanted
        self.reset()

    def set_filter(self, new: TimelineFilter) -> None:
        if new != self._filter:
            self._filter = new
            self.reset()

    def reset(self) -> None:
        self.beginResetModel()
        view = self._view
        self._generation = view.generation if view else -1
        entries = [e for e in view.entries if self._filter.accepts(e)] if view else []
        self._rows = _Rows(entries, min(len(entries), self.chunk))
        self._older_requested = False
        self.endResetModel()

    @property
    def total(self) -> int:
        """Entries that pass the filter, loaded or not."""
        return len(self._rows.entries)

    @property
    def hidden(self) -> int:
        return self._rows.offset

    # -- keeping current ---------------------------------------------------------------------

    def apply(self, events: list[Event]) -> None:
        """Take in events the console appended (already folded into the view)."""
        view = self._view
        if view is None:
            return
        if view.generation != self._generation:
            self.reset()
            return
        stream = incident_stream(view.incident_id)
        for event in events:
            if event.stream != stream:
                continue
            entry = view.entry(event.id)
            if entry is not None:
                self._entry_changed(entry)
            elif event.kind in MODIFIERS:
                target = view.entry(str(event.payload.get("note") or event.payload.get("target") or ""))
                if target is not None:
                    self._entry_changed(target)

    def _entry_changed(self, entry: TimelineEntry) -> None:
        """Insert, update or remove one entry's row, whichever the filter now calls for."""
        rows = self._rows
        at, present = rows.position(entry)
        wanted = self._filter.accepts(entry)
        offset = rows.offset
        if present and wanted:
            if at >= offset:
                row = at - offset
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
        elif present:
            if at >= offset:
                row = at - offset
                self.beginRemoveRows(QModelIndex(), row, row)
                del rows.entries[at]
                rows.exposed -= 1
                self.endRemoveRows()
            else:
                del rows.entries[at]
        elif wanted:
            if at < offset:  # older than every loaded row: it waits with the other unloaded ones
                rows.entries.insert(at, entry)
                return
            row = at - offset
            self.beginInsertRows(QModelIndex(), row, row)
            rows.entries.insert(at, entry)
            rows.exposed += 1
            self.endInsertRows()

    # -- loading older entries in chunks -----------------------------------------------------

    def request_older(self) -> bool:
        """Load the next chunk of older entries above the loaded ones; False when there are none."""
        self._older_requested = True
        if not self.canFetchMore(QModelIndex()):
            self._older_requested = False
            return False
        self.fetchMore(QModelIndex())
        return True

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self._older_requested and self._rows.offset > 0

    def fetchMore(self, parent: Index) -> None:
        if not self.canFetchMore(parent):
            return
        self._older_requested = False
        count = min(self.chunk, self._rows.offset)
        self.beginInsertRows(QModelIndex(), 0, count - 1)
        self._rows.exposed += count
        self.endInsertRows()

    # -- finding rows ------------------------------------------------------------------------

    def entry_at(self, row: int) -> TimelineEntry | None:
        if 0 <= row < self._rows.exposed:
            return self._rows.entries[self._rows.offset + row]
        return None

    def row_of(self, event_id: str) -> int | None:
        """The row showing this entry, or None when it is filtered out or not loaded."""
        entry = self._view.entry(event_id) if self._view else None
        if entry is None:
            return None
        at, present = self._rows.position(entry)
        return at - self._rows.offset if present and at >= self._rows.offset else None

    def ensure_loaded(self, event_id: str) -> int | None:
        """Load chunks until the entry's row exists (to restore a reader's place); its row or None."""
        entry = self._view.entry(event_id) if self._view else None
        if entry is None:
            return None
        at, present = self._rows.position(entry)
        if not present:
            return None
        while at < self._rows.offset:
            self.request_older()
        return at - self._rows.offset

    # -- the Qt model interface --------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        # Views make an index for every loaded row on each layout; Qt's default checks the bounds
        # through two more calls into Python (rowCount, columnCount). One call is enough.
        if parent.isValid() or not (0 <= row < self._rows.exposed and 0 <= column < len(self.HEADERS)):
            return QModelIndex()
        return self.createIndex(row, column)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._rows.exposed

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        entry = self.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return linkify.tooltip(self._tooltip(entry, column))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(entry)
        if role == self.EntryRole:
            return entry
        if role == self.EventIdRole:
            return entry.event_id
        if role == self.RawTextRole:
            return entry.text
        if role == self.CategoryRole:
            return entry.category
        return None

    def time_text(self, entry: TimelineEntry) -> str:
        """The clock time on the incident's first day; the date too on any later day."""
        return timefmt.smart(entry.at, self.zone, self._view.state.started_at() if self._view else None)

    def _display(self, entry: TimelineEntry, column: int) -> str:
        if column == self.TIME:
            return self.time_text(entry)
        if column == self.WHO:
            return entry.author
        # One line per row (uniform heights keep long timelines fast); the detail pane shows all.
        return entry.text if "\n" not in entry.text else entry.text.replace("\n", " ⏎ ")

    def _tooltip(self, entry: TimelineEntry, column: int) -> str:
        if column == self.TIME:
            tip = timefmt.both(entry.at, self.zone)
            return tip + ("\nBackdated: written later than it happened." if entry.backdated else "")
        if column == self.WHO:
            return entry.author + (
                f"\nThe shared store says login {entry.written_by} wrote this, not {entry.actor}."
                if entry.written_by
                else ""
            )
        lines = [entry.text]
        if entry.deleted_by:
            lines.append(f"\nDeleted by {entry.deleted_by}. Select it and press Ctrl+Z or use Restore.")
        elif entry.edited_by:
            lines.append(f"\nEdited by {entry.edited_by}.")
        if entry.history:
            lines.append("\nHistory:\n" + "\n".join(entry.history))
        return "\n".join(lines)

    def _spoken(self, entry: TimelineEntry) -> str:
        flags = [
            word
            for word, on in (
                ("pinned", entry.pinned),
                ("backdated", entry.backdated),
                ("edited", bool(entry.edited_by)),
                (f"deleted by {entry.deleted_by}", bool(entry.deleted_by)),
            )
            if on
        ]
        tail = f" ({', '.join(flags)})" if flags else ""
        return f"{timefmt.clock(entry.at, self.zone)}, {entry.author}: {entry.text}{tail}"
