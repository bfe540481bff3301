"""The timeline: filters, the entries, and the selected entry in full (with clickable links).

Per-incident reading state (filter, place, selection) is captured and restored by the window, so
switching incidents and back finds the timeline as it was left.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QFontMetrics, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHeaderView,
    QMenu,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from commander.app import timeline
from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.timeline.entries import CATEGORY_LABELS, IncidentView, TimelineEntry
from commander.ui.kit import linkify, timefmt
from commander.ui.kit.problems import attempt
from commander.ui.kit.theme import Tones
from commander.ui.timeline.delegate import TimelineDelegate
from commander.ui.timeline.dialogs import EditNoteDialog
from commander.ui.timeline.filters import FilterBar
from commander.ui.timeline.model import TimelineFilter, TimelineModel


@dataclass
class ReadingPlace:
    """Where a reader was in one incident's timeline."""

    filter: TimelineFilter
    top_event: str | None = None  # None: following the newest entries
    selected_event: str | None = None


class TimelinePanel(QWidget):
    note_deleted = Signal(str, str)  # incident id, note id: the window offers an undo

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        self.console = console
        self.incident_id: str | None = None
        self._follow = True

        self.filters = FilterBar(self)
        self.filters.filter_changed.connect(self._filter_changed)
        self.model = TimelineModel(console.zone, parent=self)
        self.delegate = TimelineDelegate(self)
        self.entries = QTableView(self)
        self.entries.setObjectName("Timeline")
        self.entries.setAccessibleName("Timeline")
        self.entries.setModel(self.model)
        self.entries.setItemDelegate(self.delegate)
        self.entries.setShowGrid(False)
        self.entries.setWordWrap(False)
        self.entries.setCornerButtonEnabled(False)
        self.entries.setTabKeyNavigation(False)  # Tab leaves the timeline, as everywhere else
        self.entries.horizontalHeader().hide()
        self.entries.verticalHeader().hide()
        self.entries.horizontalHeader().setStretchLastSection(True)
        self.entries.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.entries.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.entries.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.entries.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.entries.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.entries.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.entries.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.entries.customContextMenuRequested.connect(self._context_menu)
        self.entries.selectionModel().currentRowChanged.connect(self._show_detail)
        self.entries.selectionModel().currentRowChanged.connect(self._reached_first_row)
        # Only a reader's own scrolling asks for older entries: a reset also puts the bar at the top.
        self.entries.verticalScrollBar().actionTriggered.connect(self._reader_scrolled)
        self.model.rowsAboutToBeInserted.connect(self._remember_follow)
        self.model.rowsInserted.connect(self._keep_following)
        self.model.modelReset.connect(self._count_changed)
        self.model.rowsInserted.connect(self._count_changed)
        self.model.rowsRemoved.connect(self._count_changed)
        self.model.dataChanged.connect(self._refresh_detail)

        self.detail = QTextBrowser(self)
        self.detail.setObjectName("EntryDetail")
        self.detail.setAccessibleName("Selected entry")
        self.detail.setOpenLinks(False)  # we open http(s) links ourselves, nothing else
        self.detail.anchorClicked.connect(self._open_link)
        self.detail.setPlaceholderText("Select an entry to read it in full; links open in your browser.")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.filters)
        layout.addWidget(self.entries, 1)
        layout.addWidget(self.detail)
        self._make_actions()
        self._size_columns()

    # -- actions -----------------------------------------------------------------------------

    def _make_actions(self) -> None:
        def action(text: str, shortcut: QKeySequence | str, slot: object) -> QAction:
            act = QAction(text, self.entries)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.entries.addAction(act)
            return act

        self.pin_action = action("Pin", "P", self.toggle_pin)
        self.edit_action = action("Edit note…", "E", self.edit_selected)
        self.delete_action = action("Delete note", QKeySequence(QKeySequence.StandardKey.Delete), self.delete_selected)
        self.restore_action = action("Restore note", "Shift+R", self.restore_selected)
        self.copy_action = action("Copy text", QKeySequence(QKeySequence.StandardKey.Copy), self.copy_selected)
        self.action_item_action = action("Turn this note into an action item…", "A", self.turn_into_action_item)
        self.retry_action = action("Send this update again", "Shift+S", self.retry_selected)
        self.entries.selectionModel().currentRowChanged.connect(self._update_actions)
        self.model.dataChanged.connect(self._update_actions)
        self._update_actions()

    def selected_entry(self) -> TimelineEntry | None:
        index = self.entries.currentIndex()
        return self.model.entry_at(index.row()) if index.isValid() else None

    def _update_actions(self) -> None:
        entry = self.selected_entry()
        is_note = entry is not None and entry.note_id is not None
        self.pin_action.setEnabled(entry is not None and not entry.deleted_by)
        self.pin_action.setText("Unpin" if entry is not None and entry.pinned else "Pin")
        self.edit_action.setEnabled(is_note and entry is not None and not entry.deleted_by)
        self.delete_action.setEnabled(is_note and entry is not None and not entry.deleted_by)
        self.restore_action.setEnabled(is_note and entry is not None and bool(entry.deleted_by))
        self.action_item_action.setEnabled(is_note and entry is not None and not entry.deleted_by)
        self.copy_action.setEnabled(entry is not None)
        self.retry_action.setEnabled(entry is not None and entry.kind == "update.failed")

    def _context_menu(self, position: QPoint) -> None:
        # For scroll areas the position is in the viewport's coordinates.
        if not self.entries.indexAt(position).isValid():
            return
        self._update_actions()
        menu = QMenu(self)
        for act in (
            self.pin_action,
            self.edit_action,
            self.delete_action,
            self.restore_action,
            self.action_item_action,
            self.retry_action,
        ):
            if act.isEnabled():
                menu.addAction(act)
        menu.addSeparator()
        menu.addAction(self.copy_action)
        menu.popup(self.entries.viewport().mapToGlobal(position))

    def toggle_pin(self) -> None:
        entry = self.selected_entry()
        if entry is None or self.incident_id is None:
            return
        incident = self.incident_id
        attempt(
            lambda: timeline.pin(self.console, incident, entry.event_id, not entry.pinned),
            parent=self,
            title="Could not pin",
        )

    def edit_selected(self) -> EditNoteDialog | None:
        entry = self.selected_entry()
        if entry is None or entry.note_id is None or entry.deleted_by or self.incident_id is None:
            return None
        incident, note = self.incident_id, entry.note_id
        dialog = EditNoteDialog(entry.text, lambda text: timeline.edit_note(self.console, incident, note, text), self)
        dialog.open()
        return dialog

    def delete_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.note_id is None or entry.deleted_by or self.incident_id is None:
            return
        incident, note = self.incident_id, entry.note_id
        done, _ = attempt(
            lambda: timeline.delete_note(self.console, incident, note), parent=self, title="Could not delete the note"
        )
        if done:
            self.note_deleted.emit(incident, note)

    def restore_selected(self) -> None:
        entry = self.selected_entry()
        if entry is None or entry.note_id is None or not entry.deleted_by or self.incident_id is None:
            return
        incident, note = self.incident_id, entry.note_id
        attempt(lambda: timeline.restore_note(self.console, incident, note), parent=self, title="Could not restore")

    def retry_selected(self) -> None:
        """A failed update's delivery sent again, as it was queued; the outcome lands on the timeline."""
        entry = self.selected_entry()
        if entry is None or entry.kind != "update.failed" or self.incident_id is None:
            return
        from commander.ui.updates.resume import retry_failed

        self.retrying = retry_failed(self.console, self.incident_id, entry.event_id, self)

    def turn_into_action_item(self) -> QDialog | None:
        """A new action item seeded from the selected note (its first line, the note as the finding)."""
        entry = self.selected_entry()
        if entry is None or entry.note_id is None or entry.deleted_by or self.incident_id is None:
            return None
        from commander.ui.actions.dialogs import ActionItemDialog

        dialog = ActionItemDialog.from_note(self.console, self.incident_id, entry, self)
        dialog.open()
        return dialog

    def copy_selected(self) -> None:
        entry = self.selected_entry()
        if entry is not None:
            stamp = timefmt.clock(entry.at, self.console.zone)
            QGuiApplication.clipboard().setText(f"{stamp} {entry.author}: {entry.text}")

    # -- showing an incident -----------------------------------------------------------------

    def show_incident(self, incident_id: str | None, view: IncidentView | None, place: ReadingPlace) -> None:
        self.incident_id = incident_id
        self._follow = True
        self.filters.set_people(_people(view))
        self.filters.set_filter(place.filter)
        self.model.set_view(view, place.filter)
        self._restore_place(place)

    def capture(self) -> ReadingPlace:
        selected = self.selected_entry()
        top: str | None = None
        if not self._at_bottom():
            entry = self.model.entry_at(self.entries.indexAt(self.entries.viewport().rect().topLeft()).row())
            top = entry.event_id if entry else None
        return ReadingPlace(self.model.filter, top, selected.event_id if selected else None)

    def _restore_place(self, place: ReadingPlace) -> None:
        self.entries.doItemsLayout()
        if place.selected_event:
            row = self.model.row_of(place.selected_event)
            if row is not None:
                self.entries.setCurrentIndex(self.model.index(row, 0))
        self._show_detail(self.entries.currentIndex())
        if place.top_event and self.model.ensure_loaded(place.top_event) is not None:
            self._follow = not self._scroll_to_top_row(place.top_event)
            return
        self.entries.scrollToBottom()

    def apply(self, view: IncidentView, events: list[Event]) -> None:
        """Events the console appended; `view` is the console's current view of this incident."""
        if view is not self.model.view:
            place = self.capture()
            self.model.set_view(view)  # the console rebuilt its cache: read the new view afresh
            self._restore_place(place)
            return
        self.model.apply(events)
        for event in events:
            entry = view.entry(event.id)
            if entry is not None:
                self.filters.add_person(entry.actor)

    def _filter_changed(self, wanted: TimelineFilter) -> None:
        selected = self.selected_entry()
        self.model.set_filter(wanted)
        row = self.model.row_of(selected.event_id) if selected else None
        if row is not None:
            self.entries.setCurrentIndex(self.model.index(row, 0))
            self.entries.scrollTo(self.model.index(row, 0))
        else:
            self.entries.scrollToBottom()
        self._show_detail(self.entries.currentIndex())  # the selected entry may be filtered out
        self._update_actions()

    def focus_search(self) -> None:
        self.filters.search.setFocus()
        self.filters.search.selectAll()

    # -- following the newest entries, loading older ones ------------------------------------

    def _at_bottom(self) -> bool:
        bar = self.entries.verticalScrollBar()
        return bool(bar.value() >= bar.maximum() - 2)

    def _remember_follow(self) -> None:
        self._follow = self._at_bottom()

    def _keep_following(self, _parent: QModelIndex, first: int, _last: int) -> None:
        if self._follow and first > 0:
            self.entries.scrollToBottom()

    def _reader_scrolled(self, _action: int) -> None:
        bar = self.entries.verticalScrollBar()
        if bar.sliderPosition() == bar.minimum() and self.model.hidden:
            # The action is reported before the bar takes its new value: load once it has.
            QTimer.singleShot(0, self._load_older)

    def _reached_first_row(self, current: QModelIndex) -> None:
        if current.isValid() and current.row() == 0 and self.model.hidden:  # keyboard: Home, Up, PageUp
            QTimer.singleShot(0, self._load_older)

    def _load_older(self) -> None:
        anchor = self.model.entry_at(0)
        if anchor is not None and self.model.request_older():
            self._scroll_to_top_row(anchor.event_id)

    def _scroll_to_top_row(self, event_id: str) -> bool:
        """Put the entry at the top of the view; False if it is not among the loaded rows."""
        row = self.model.row_of(event_id)
        if row is None:
            return False
        # Lay out now: the scroll range still has its old size, and would cut the position short.
        self.entries.doItemsLayout()
        self.entries.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
        return True

    def _count_changed(self) -> None:
        view = self.model.view
        self.filters.show_count(self.model.total, len(view.entries) if view else 0, self.model.filter.active)

    # -- the detail pane ---------------------------------------------------------------------

    def _show_detail(self, index: QModelIndex) -> None:
        entry = self.model.entry_at(index.row()) if index.isValid() else None
        if entry is None:
            self.detail.clear()
            return
        head = (
            f"{timefmt.full(entry.at, self.console.zone)} · {entry.author} · "
            f"{CATEGORY_LABELS.get(entry.category, entry.category)}"
        )
        flags = [
            w
            for w, on in (
                ("★ pinned", entry.pinned),
                ("backdated", entry.backdated),
                ("edited", bool(entry.edited_by)),
                (f"deleted by {entry.deleted_by}", bool(entry.deleted_by)),
            )
            if on
        ]
        parts = [
            f'<div style="color:{self.delegate.tones.muted}">{linkify.to_html(head)}'
            + (f" · {linkify.to_html(', '.join(flags))}" if flags else "")
            + "</div>",
            f"<div>{linkify.to_html(entry.text)}</div>",
        ]
        if entry.history:
            history = "<br>".join(linkify.to_html(line) for line in entry.history)
            parts.append(f'<div style="color:{self.delegate.tones.faint}">{history}</div>')
        self.detail.setHtml("".join(parts))

    def _refresh_detail(self, top_left: QModelIndex, bottom_right: QModelIndex) -> None:
        current = self.entries.currentIndex()
        if current.isValid() and top_left.row() <= current.row() <= bottom_right.row():
            self._show_detail(current)

    def _open_link(self, url: QUrl) -> None:
        if url.scheme() in ("http", "https"):
            QDesktopServices.openUrl(url)

    # -- looks -------------------------------------------------------------------------------

    def set_tones(self, tones: Tones) -> None:
        self.delegate.tones = tones
        self.entries.viewport().update()
        self._show_detail(self.entries.currentIndex())

    def _size_columns(self) -> None:
        metrics = QFontMetrics(self.font())
        self.delegate.set_widths(self.font())
        self.entries.setColumnWidth(TimelineModel.TIME, self.delegate.time_width)
        self.entries.setColumnWidth(TimelineModel.WHO, self.delegate.who_width)
        self.entries.verticalHeader().setDefaultSectionSize(int(metrics.height() * 1.75))
        self.detail.setFixedHeight(int(metrics.lineSpacing() * 5.5))


def _people(view: IncidentView | None) -> list[str]:
    if view is None:
        return []
    return sorted({entry.actor for entry in view.entries}, key=str.casefold)
