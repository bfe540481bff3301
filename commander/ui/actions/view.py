"""Incident > Action items: every incident's follow-up work in one table, overdue first.

Filters (owner, team, incident, type, status) narrow the table; Add, Edit, Done and Won't do write
events through the console; "Push to tracker…" names the tracker and shows the title before anything
leaves, then creates the issue in the background; "Refresh" asks the trackers for their status the
same way. The window reloads from the console's "events appended", whoever wrote them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QColor, QFont, QKeySequence, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from commander.app import actions
from commander.app.console import Console
from commander.domain.actions.items import KINDS as ACTION_KINDS
from commander.domain.actions.items import TYPES, ActionFilter, ActionItem, ordered
from commander.domain.core.events import Event
from commander.integrations.trackers.base import Created
from commander.ui.actions.dialogs import ActionItemDialog, PushDialog, WontDoDialog
from commander.ui.kit import richtext
from commander.ui.kit.background import BUG, Progress, run_in_background
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import ErrorLabel, attempt
from commander.ui.kit.shell import Shell, open_once

Index = QModelIndex | QPersistentModelIndex
ANY = "__any__"
RELOAD_KINDS = frozenset({*ACTION_KINDS, "incident.declared", "incident.edited"})
STATUS_CHOICES = (("Open", "open"), ("Overdue", "overdue"), ("Done", "done"), ("Won't do", "wont_do"), ("All", ANY))


class ActionItemsModel(QAbstractTableModel):
    """The filtered items, in the order the domain gives (overdue first); a thin adapter."""

    DUE, ITEM, TITLE, OWNER, PRIORITY, TYPE, INCIDENT, STATUS, TRACKER = range(9)
    HEADERS = ("Due", "Item", "Title", "Owner", "Priority", "Type", "Incident", "Status", "Tracker")
    ItemRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[ActionItem] = []
        self.references: dict[str, str] = {}
        self.today = date.today()
        self.danger = QColor("#c0362c")
        self.faint = QColor("#8a909b")

    def set_rows(self, rows: list[ActionItem], references: dict[str, str], today: date) -> None:
        self.beginResetModel()
        self.rows, self.references, self.today = rows, references, today
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

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

    def item_at(self, row: int) -> ActionItem | None:
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def row_of(self, action_id: str) -> int | None:
        return next((row for row, item in enumerate(self.rows) if item.id == action_id), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self.item_at(index.row()) if index.isValid() else None
        if item is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == self.ItemRole:
            return item
        late = item.overdue(self.today)
        if role == Qt.ItemDataRole.ForegroundRole and late and column == self.DUE:
            return self.danger
        if role == Qt.ItemDataRole.ForegroundRole and not item.is_open:
            return self.faint  # closed here: still listed (with All), quieter
        if role == Qt.ItemDataRole.FontRole and late and column in (self.DUE, self.TITLE):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            return richtext.tooltip(self._tooltip(item))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self._text(item, self.DUE)}, {item.title}, {item.status_label}"
        return None

    def _text(self, item: ActionItem, column: int) -> str:
        if column == self.DUE:
            days = (self.today - item.due).days
            if item.overdue(self.today):
                return f"{item.due.isoformat()} · {days} day{'s' if days != 1 else ''} late"
            return f"{item.due.isoformat()} · today" if days == 0 and item.is_open else item.due.isoformat()
        if column == self.TRACKER:
            return ", ".join(
                f"{link.key}" + (f" · {link.external_status}" if link.external_status else "")
                for link in item.links.values()
            )
        return {
            self.ITEM: item.reference,
            self.TITLE: item.title,
            self.OWNER: item.owner or "—",
            self.PRIORITY: item.priority,
            self.TYPE: item.type,
            self.INCIDENT: self.references.get(item.incident_id, item.incident_id[:8]),
            self.STATUS: item.status_label,
        }.get(column, "")

    def _tooltip(self, item: ActionItem) -> str:
        lines = [item.title]
        if item.finding:
            lines.append(f"Finding: {item.finding}")
        if item.reason:
            lines.append(f"Why not: {item.reason}")
        lines += [f"{link.tracker}: {link.key} {link.url}" for link in item.links.values()]
        lines.append(f"From {item.source}, added by {item.created_by}" + (f"; team {item.team}" if item.team else ""))
        return "\n".join(lines)


class ActionItemsWindow(QWidget):
    """A window of its own (it outlives a switch of incident); one per main window, shown again on reopen."""

    def __init__(
        self,
        console: Console,
        bridge_signal: Any,
        current_incident: Callable[[], str | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.console = console
        self.current_incident = current_incident
        self.setWindowTitle("Action items — Commander")
        self.setObjectName("ActionItems")
        self._stale = True
        self._busy = False
        self._all: list[ActionItem] = []
        self.references: dict[str, str] = {}

        self.model = ActionItemsModel(self)
        self._build_table()
        filters = self._filters_row()
        buttons = self._buttons_row()
        self.error = ErrorLabel(self)
        self.note = plain_label("", self, name="Muted")
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.error)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        close = QAction("Close", self)
        close.setShortcuts([QKeySequence(QKeySequence.StandardKey.Close), QKeySequence("Esc")])
        close.triggered.connect(self.close)
        self.addAction(close)

        bridge_signal.connect(self._events_appended)
        em = self.fontMetrics().horizontalAdvance("x")
        self.resize(em * 170, self.fontMetrics().height() * 32)
        self.reload()

    def _build_table(self) -> None:
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName("Action items")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ActionItemsModel.TITLE, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._enable())

    def _filters_row(self) -> QHBoxLayout:
        self.owner, self.team, self.incident, self.type, self.status = (QComboBox(self) for _ in range(5))
        for combo, name in (
            (self.owner, "Owner"),
            (self.team, "Team"),
            (self.incident, "Incident"),
            (self.type, "Type"),
            (self.status, "Status"),
        ):
            combo.setAccessibleName(f"Filter by {name.lower()}")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        for label, value in STATUS_CHOICES:
            self.status.addItem(label, value)
        self.type.addItem("Any type", ANY)
        for kind in TYPES:
            self.type.addItem(kind, kind)
        filters = QHBoxLayout()
        for name, combo in (
            ("Owner", self.owner),
            ("Team", self.team),
            ("Incident", self.incident),
            ("Type", self.type),
            ("Status", self.status),
        ):
            caption = QLabel(name, self)
            caption.setObjectName("Muted")
            caption.setBuddy(combo)
            filters.addWidget(caption)
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._show)
        filters.addStretch(1)
        self.count = QLabel("", self)
        self.count.setObjectName("Muted")
        filters.addWidget(self.count)
        return filters

    def _buttons_row(self) -> QHBoxLayout:
        self.add_button = self._button("Add…", "Ctrl+N", self.add_item)
        self.edit_button = self._button("Edit…", "F2", self.edit_selected)
        self.done_button = self._button("Done", "Ctrl+D", self.mark_done)
        self.wont_button = self._button("Won't do…", "Ctrl+Shift+D", self.wont_do)
        self.reopen_button = self._button("Reopen", "Ctrl+R", self.reopen)
        self.push_button = self._button("Push to tracker…", "Ctrl+P", self.push_selected)
        self.refresh_button = self._button("Refresh", "F5", self.refresh_trackers)
        self.refresh_button.setToolTip("Read each pushed item's status back from its tracker (F5)")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.done_button, self.wont_button, self.reopen_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.push_button)
        buttons.addWidget(self.refresh_button)
        self.push_button.setObjectName("Primary")
        return buttons

    def _button(self, text: str, shortcut: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(f"{text.rstrip('…')} ({shortcut})")
        button.clicked.connect(lambda: slot())
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda: slot() if button.isEnabled() else None)
        self.addAction(action)
        return button

    # -- reading -------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self.reload()

    def _events_appended(self, events: list[Event]) -> None:
        if any(event.kind in RELOAD_KINDS for event in events):
            if self.isVisible():
                self.reload()
            else:
                self._stale = True  # read again when shown: nobody waits for a hidden window

    def reload(self) -> None:
        self._stale = False
        done, found = attempt(lambda: list(actions.items(self.console).values()), inline=self.error)
        if not done or found is None:
            return
        self._all = found
        self.references = {s.id: s.reference for s in self.console.incidents()}
        self._refill(
            self.owner, "Anyone", sorted({i.owner for i in found if i.owner}, key=str.casefold), extra=(("Nobody", ""),)
        )
        self._refill(self.team, "Any team", sorted({i.team for i in found if i.team}, key=str.casefold))
        self.team.setEnabled(self.team.count() > 1)
        used = sorted((self.references.get(i.incident_id, i.incident_id[:8]), i.incident_id) for i in found)
        self._refill(self.incident, "All incidents", list(dict.fromkeys(used)))
        self._show()

    def _refill(
        self, combo: QComboBox, everyone: str, values: list[Any], extra: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """New choices, keeping the one chosen when it is still there."""
        kept = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everyone, ANY)
        for value in [*values, *extra]:
            label, data = value if isinstance(value, tuple) else (value, value)
            combo.addItem(label, data)
        combo.setCurrentIndex(max(0, combo.findData(kept)) if kept is not None else 0)
        combo.blockSignals(False)

    def wanted(self) -> ActionFilter:
        def chosen(combo: QComboBox) -> str | None:
            value = combo.currentData()
            return None if value in (ANY, None) else str(value)

        status = chosen(self.status)
        return ActionFilter(
            owner=chosen(self.owner),
            team=chosen(self.team),
            incident_id=chosen(self.incident),
            type=chosen(self.type),
            status=None if status == "overdue" else status,
            overdue_only=status == "overdue",
        )

    def _show(self) -> None:
        selected = self.selected()
        today = actions.today(self.console)
        wanted = self.wanted()
        rows = ordered((item for item in self._all if wanted.matches(item, today)), today)
        palette = self.palette()
        self.model.danger = palette.color(QPalette.ColorRole.BrightText)  # the theme's danger tone
        self.model.faint = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        self.model.set_rows(rows, self.references, today)
        late = sum(item.overdue(today) for item in self._all)
        still_open = sum(item.is_open for item in self._all)
        self.count.setText(f"{len(rows)} shown · {still_open} open · {late} overdue")
        if selected is not None and (row := self.model.row_of(selected.id)) is not None:
            self.table.selectRow(row)
        elif rows:
            self.table.selectRow(0)
        self._enable()

    def selected(self) -> ActionItem | None:
        index = self.table.currentIndex()
        return self.model.item_at(index.row()) if index.isValid() else None

    def _enable(self) -> None:
        item = self.selected()
        self.edit_button.setEnabled(item is not None)
        for button in (self.done_button, self.wont_button):
            button.setEnabled(item is not None and item.is_open)
        self.reopen_button.setEnabled(item is not None and not item.is_open)
        self.push_button.setEnabled(item is not None and item.is_open and not self._busy)
        self.refresh_button.setEnabled(not self._busy)

    # -- changing ------------------------------------------------------------------------------

    def add_item(self) -> ActionItemDialog:
        dialog = ActionItemDialog(self.console, self, incident_id=self.current_incident())
        dialog.open()
        return dialog

    def edit_selected(self) -> ActionItemDialog | None:
        item = self.selected()
        if item is None:
            return None
        dialog = ActionItemDialog(self.console, self, item=item)
        dialog.open()
        return dialog

    def mark_done(self) -> None:
        self._change(lambda item: actions.done(self.console, item.id))

    def reopen(self) -> None:
        self._change(lambda item: actions.reopen(self.console, item.id))

    def _change(self, change: Callable[[ActionItem], object]) -> None:
        item = self.selected()
        if item is not None:
            attempt(lambda: change(item), inline=self.error)

    def wont_do(self) -> WontDoDialog | None:
        item = self.selected()
        if item is None or not item.is_open:
            return None
        dialog = WontDoDialog(self.console, item, self)
        dialog.open()
        return dialog

    # -- trackers (network work in the background) ---------------------------------------------

    def push_selected(self) -> PushDialog | None:
        item = self.selected()
        if item is None or not item.is_open or self._busy:
            return None
        dialog = PushDialog(self.console, item, self.console.secrets, self.start_push, self)
        dialog.open()
        return dialog

    def start_push(self, push: actions.Push) -> None:
        self._working(f"Creating an issue for {push.item.reference} in {push.tracker.name}…")

        def work(progress: Progress) -> Created:  # no widgets, no store
            # A tracker asking to wait ("retrying in 5 s: … answered 429") is said under the table.
            return actions.send_push(push, on_wait=lambda detail: progress.report(0, 0, detail))

        task = run_in_background(
            work,
            parent=self,
            success=lambda created: self._pushed(push, created),
            failure=lambda message: self._not_pushed(push, message),
            name="commander-push",
        )
        task.progressed.connect(lambda _done, _total, detail: self.note.setText(detail))

    def _pushed(self, push: actions.Push, result: Created) -> None:
        self._idle()
        attempt(lambda: actions.finish_push(self.console, push, result), inline=self.error)
        self.note.setText(f"{push.item.reference} is now {result.key} in {push.tracker.name}: {result.url}")

    def _not_pushed(self, push: actions.Push, message: str) -> None:
        self._idle()
        if message == BUG:  # it may have gone wrong after the tracker made the issue
            message = f"{message} Look in {push.tracker.name} before pushing again."
        self.error.show_message(f"{push.item.reference} was not pushed: {message}")

    def refresh_trackers(self) -> None:
        if self._busy:
            return
        done, checks = attempt(lambda: actions.prepare_refresh(self.console, self.console.secrets), inline=self.error)
        if not done or checks is None:
            return
        if not checks:
            self.note.setText("No open item has been pushed to a tracker yet: nothing to refresh.")
            return
        self._working(f"Asking the trackers about {len(checks)} issue{'s' if len(checks) != 1 else ''}…")
        run_in_background(
            lambda _progress: actions.check_trackers(checks),  # no widgets, no store
            parent=self,
            success=self._refreshed,
            failure=self._not_refreshed,
            name="commander-refresh",
        )

    def _refreshed(self, results: list[actions.Checked]) -> None:
        self._idle()
        attempt(lambda: actions.finish_refresh(self.console, results), inline=self.error)
        problems = [f"{r.check.link.key}: {r.problem}" for r in results if r.status is None]
        finished = sum(1 for r in results if r.status is not None and r.status.done)
        self.note.setText(f"Checked {len(results) - len(problems)} of {len(results)}; {finished} done there.")
        if problems:
            self.error.show_message("Not checked: " + " ".join(problems))

    def _not_refreshed(self, message: str) -> None:
        self._idle()
        self.note.setText("")
        self.error.show_message(f"Could not ask the trackers: {message}")

    def _working(self, text: str) -> None:
        self._busy = True
        self.error.clear_message()
        self.note.setText(text)
        self._enable()

    def _idle(self) -> None:
        self._busy = False
        self._enable()


def open_action_items(shell: Shell) -> ActionItemsWindow:
    """The shell's one action items window, made on first use and shown again after."""
    return open_once(
        shell,
        ActionItemsWindow,
        lambda: ActionItemsWindow(shell.console, shell.bridge.events_appended, lambda: shell.current, shell.window()),
    )[0]
