"""Incident > On-call… (Ctrl+Shift+O): who is on call now and next on each schedule, a week or month calendar
of the chosen schedule, its overrides (add, remove), and the schedule as a YAML import or an .ics export.

Everything here is a local read of the `settings:oncall` stream and a quick fold; nothing leaves the machine.
The window follows the store: an override added from a terminal or another console appears at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QHideEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app import oncall
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.oncall.events import STREAM, OnCallSettings
from commander.domain.oncall.schedules import Schedule, people
from commander.ui.kit import richtext
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.dialogs import WHEN_HINT, CommandDialog, plain_label, read_when
from commander.ui.kit.problems import KNOWN, ErrorLabel, attempt
from commander.ui.kit.shell import Shell, open_once
from commander.ui.oncall.calendar import MONTH, WEEK, ShiftCalendar, person_colours

REFRESH_MS = 60_000  # "on call now" moves in minutes at most
_EMPTY = (
    "No on-call schedules yet. Import a YAML file (Import…, or `commander schedule import FILE.yaml`); "
    "docs/oncall.md shows the format."
)


class OnCallView(QDialog):
    def __init__(self, console: Console, bridge: ConsoleBridge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.settings = OnCallSettings()
        self.calendar = ShiftCalendar(self)
        self.setWindowTitle("On call")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        outer = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self._left_column())
        self.right = self._right_column()
        split.addWidget(self.right)
        split.setStretchFactor(1, 1)
        em = self.fontMetrics().horizontalAdvance("x")
        split.setSizes([em * 62, em * 128])
        outer.addWidget(split, 1)
        self.error = ErrorLabel(self)
        outer.addWidget(self.error)
        bottom = QHBoxLayout()
        self.report = plain_label("", self, name="Muted")
        bottom.addWidget(self.report, 1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        bottom.addWidget(close)
        outer.addLayout(bottom)
        # Paging keys move the calendar while it (or a button beside it) has focus; the lists keep theirs.
        for keys, slot in (
            (QKeySequence(QKeySequence.StandardKey.MoveToPreviousPage), lambda: self.calendar.step(-1)),
            (QKeySequence(QKeySequence.StandardKey.MoveToNextPage), lambda: self.calendar.step(1)),
            (QKeySequence("Home"), self.calendar.go_today),
        ):
            shortcut = QShortcut(keys, self.right, slot)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        if bridge is not None:
            bridge.events_appended.connect(self._appended)
        self._clock = QTimer(self)
        self._clock.setInterval(REFRESH_MS)
        self._clock.timeout.connect(self.reload)  # runs while the window is shown
        self._stale = False
        self.resize(em * 190, self.fontMetrics().height() * 40)
        self.reload()

    def _left_column(self) -> QWidget:
        column = QWidget(self)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(0, 0, 6, 0)
        self.empty = plain_label(_EMPTY, column, name="Muted")
        layout.addWidget(self.empty)
        self.schedules = QTreeWidget(column)
        zone = self.console.now().astimezone(self.console.zone).tzname() or "local"
        self.schedules.setHeaderLabels(["Schedule", "On call now", f"Until ({zone})", f"Next ({zone})"])
        self.schedules.setRootIsDecorated(False)
        self.schedules.setAccessibleName("Schedules")
        _fit_columns(self.schedules)
        self.schedules.currentItemChanged.connect(lambda *_: self._chosen())
        layout.addWidget(self.schedules, 2)
        layout.addWidget(plain_label("Overrides", column, name="PanelTitle"))
        self.overrides = QTreeWidget(column)
        self.overrides.setHeaderLabels(["Person", f"From ({zone})", f"To ({zone})", "Covers"])
        self.overrides.setRootIsDecorated(False)
        self.overrides.setAccessibleName("Overrides of the chosen schedule")
        _fit_columns(self.overrides)
        self.overrides.currentItemChanged.connect(lambda *_: self._enable())
        layout.addWidget(self.overrides, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Add override…", column)
        self.add_button.clicked.connect(self.add_override)
        self.remove_button = QPushButton("&Remove override…", column)
        self.remove_button.clicked.connect(self.remove_override)
        row.addWidget(self.add_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        layout.addLayout(row)
        row = QHBoxLayout()
        self.import_button = QPushButton("&Import YAML…", column)
        self.import_button.clicked.connect(self.import_file)
        self.export_button = QToolButton(column)
        self.export_button.setText("&Export .ics")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export_menu = QMenu(self.export_button)
        self.export_button.setMenu(self.export_menu)
        row.addWidget(self.import_button)
        row.addWidget(self.export_button)
        row.addStretch(1)
        layout.addLayout(row)
        return column

    def _right_column(self) -> QWidget:
        column = QWidget(self)
        layout = QVBoxLayout(column)
        layout.setContentsMargins(6, 0, 0, 0)
        bar = QHBoxLayout()
        self.modes = QButtonGroup(column)
        for text, mode in (("&Week", WEEK), ("&Month", MONTH)):
            button = QToolButton(column)
            button.setText(text)
            button.setCheckable(True)
            button.setChecked(mode == WEEK)
            button.clicked.connect(lambda _=False, mode=mode: self.calendar.set_mode(mode))
            self.modes.addButton(button)
            bar.addWidget(button)
        bar.addSpacing(12)
        for text, tip, slot in (
            ("◀", "Previous (Page Up)", lambda: self.calendar.step(-1)),
            ("&Today", "Back to today (Home)", lambda: self.calendar.go_today()),
            ("▶", "Next (Page Down)", lambda: self.calendar.step(1)),
        ):
            button = QToolButton(column)
            button.setText(text)
            button.setToolTip(tip)
            button.setAccessibleName(tip)
            button.clicked.connect(slot)
            bar.addWidget(button)
        self.period = QLabel(column)
        self.period.setObjectName("PanelTitle")
        bar.addSpacing(12)
        bar.addWidget(self.period, 1)
        layout.addLayout(bar)
        self.summary = plain_label("", column)
        layout.addWidget(self.summary)
        self.calendar.setParent(column)
        self.calendar.period_changed.connect(self.period.setText)
        layout.addWidget(self.calendar, 1)
        self.legend = QLabel(column)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        layout.addWidget(self.legend)
        return column

    # -- reading -------------------------------------------------------------------------------------

    def _appended(self, events: list[Event]) -> None:
        if any(event.stream == STREAM for event in events):
            self.reload()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._stale:
            self.reload()
        self._clock.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        # A closed window is not kept up to date every minute (nor after the console it reads has closed).
        super().hideEvent(event)
        self._clock.stop()
        self._stale = True

    def reload(self) -> None:
        chosen = self.current_name()
        self.settings = oncall.settings(self.console)
        now = self.console.now()
        self.schedules.blockSignals(True)  # one _chosen() once the list is whole, not one per row
        self.schedules.clear()
        for item in oncall.now(self.console, at=now):
            current, upcoming = item.current, item.upcoming
            row = QTreeWidgetItem(
                [
                    item.schedule.name,
                    current.person if current else "nobody",
                    self._when(current.end) if current else "",
                    f"{upcoming.person}, {self._when(upcoming.start)}" if upcoming else "",
                ]
            )
            row.setData(0, Qt.ItemDataRole.UserRole, item.schedule.name)
            row.setToolTip(1, richtext.tooltip(current.source if current else "outside every layer's hours"))
            self.schedules.addTopLevelItem(row)
            if chosen is None or item.schedule.name.casefold() == chosen.casefold():
                self.schedules.setCurrentItem(row)
                chosen = item.schedule.name
        self.schedules.blockSignals(False)
        empty = not self.settings.schedules
        self.empty.setVisible(empty)
        if self.settings.problems:
            self.error.show_message(" ".join(self.settings.problems))
        self._chosen()

    def current_name(self) -> str | None:
        item = self.schedules.currentItem()
        return str(item.data(0, Qt.ItemDataRole.UserRole)) if item is not None else None

    def current_schedule(self) -> Schedule | None:
        name = self.current_name()
        return self.settings.schedules.get(name.casefold()) if name else None

    def _chosen(self) -> None:
        schedule = self.current_schedule()
        now = self.console.now()
        self.calendar.show_schedule(schedule, now)
        kept = self.overrides.currentItem()  # the minute's refresh keeps the override chosen for removal
        selected = kept.data(0, Qt.ItemDataRole.UserRole) if kept is not None else None
        self.overrides.clear()
        self.export_menu.clear()
        if schedule is None:
            self.summary.setText("")
            self.legend.setText("")
            self._enable()
            return
        for override in schedule.overrides:
            if override.end <= now:
                continue
            row = QTreeWidgetItem(
                [
                    override.person,
                    self._when(override.start),
                    self._when(override.end),
                    override.covers or "whoever is on",
                ]
            )
            row.setData(0, Qt.ItemDataRole.UserRole, override.id)
            row.setToolTip(0, richtext.tooltip(f"Added by {override.added_by}"))
            self.overrides.addTopLevelItem(row)
            if override.id == selected:
                self.overrides.setCurrentItem(row)
        [state] = oncall.now(self.console, schedule.name, now)
        layers = ", ".join(f"{layer}: {person}" for layer, person in state.layers) or "no layer has anyone now"
        who = state.current.person if state.current else "Nobody"
        self.summary.setText(
            f"On call now: {who}"
            + (f" until {self._when(state.current.end)}" if state.current else "")
            + f". Layers, top first: {layers}."
        )
        colours = person_colours(schedule)
        self.legend.setText(
            "  ".join(
                f'<span style="color:{colours[name.casefold()].name()}">■</span> {richtext.escape(name)}'
                for name in people(schedule)
            )
            + '  <span style="color:#D55E00">▨</span> nobody on call'
        )
        self._add_export(schedule.name, None, f"Whole schedule ({schedule.name})…")
        for name in people(schedule):
            self._add_export(schedule.name, name, f"{name}'s shifts…")
        self._enable()

    def _add_export(self, schedule: str, person: str | None, text: str) -> None:
        action = QAction(richtext.mnemonic(text), self.export_menu)
        action.setToolTip(richtext.tooltip(text.rstrip("…")))
        action.triggered.connect(lambda: self.export(schedule, person))
        self.export_menu.addAction(action)

    def _enable(self) -> None:
        has = self.current_schedule() is not None
        self.add_button.setEnabled(has)
        self.export_button.setEnabled(has)
        self.remove_button.setEnabled(self.overrides.currentItem() is not None)

    def _when(self, moment: datetime) -> str:
        local = moment.astimezone(self.console.zone)
        days = (local.date() - self.console.now().astimezone(self.console.zone).date()).days
        return local.strftime("%H:%M" if days == 0 else "%a %H:%M" if 0 < days < 7 else "%d %b %H:%M")

    # -- actions -------------------------------------------------------------------------------------

    def add_override(self) -> OverrideDialog | None:
        schedule = self.current_schedule()
        if schedule is None:
            return None
        dialog = OverrideDialog(self.console, self.settings, schedule.name, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def remove_override(self) -> None:
        item = self.overrides.currentItem()
        if item is None:
            return
        if richtext.ask(
            self,
            "Remove override?",
            f"Remove {item.text(0)}'s override from {item.text(1)} to {item.text(2)} for the whole team?",
        ):
            attempt(
                lambda: oncall.remove_override(self.console, str(item.data(0, Qt.ItemDataRole.UserRole))),
                inline=self.error,
            )
            self.reload()

    def import_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import on-call schedules", "", "YAML (*.yaml *.yml)")
        if not path:
            return
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.error.show_message(
                f"Cannot read {path}: {getattr(error, 'strerror', None) or error}. Choose another file."
            )
            return
        done, imported = attempt(
            lambda: oncall.import_yaml(self.console, text, source=Path(path).name), inline=self.error
        )
        if done:
            changed = imported is not None and imported.schedules + imported.policies + imported.services > 0
            self.report.setText(
                f"Imported {imported} from {Path(path).name}."
                if changed
                else "Nothing changed: the file matches what is saved."
            )
            self.reload()

    def export(self, schedule: str, person: str | None) -> None:
        suggested = f"{schedule}{' ' + person if person else ''}.ics".replace("/", "-")
        path, _ = QFileDialog.getSaveFileName(self, "Export on-call calendar", suggested, "iCalendar (*.ics)")
        if not path:
            return
        try:
            text, count = oncall.calendar(self.console, schedule, person=person)
            Path(path).write_bytes(text.encode("utf-8"))  # bytes: the CRLF line ends reach the file unchanged
        except KNOWN as problem:
            self.error.show_message(str(problem))
            return
        except OSError as error:
            self.error.show_message(f"Cannot write {path}: {error.strerror or error}. Choose another folder.")
            return
        self.error.clear_message()
        self.report.setText(f"Wrote {count} shifts ({oncall.CALENDAR_WEEKS} weeks from today) to {path}.")


class OverrideDialog(CommandDialog):
    """Someone takes the schedule for a while: everyone's, or only while the person they cover would be on."""

    def __init__(
        self, console: Console, settings: OnCallSettings, schedule: str, parent: QWidget | None = None
    ) -> None:
        super().__init__("Add override", "Add override", parent)
        self.console = console
        self.set_intro(
            "Times are yours ("
            + (console.now().astimezone(console.zone).tzname() or "local")
            + "). Leave Covers empty to take the schedule from whoever is on call."
        )
        self.schedule = QComboBox(self)
        self.schedule.addItems([s.name for s in settings.schedules.values()])
        self.schedule.setCurrentText(schedule)
        self.schedule.setAccessibleName("Schedule")
        self.person = self._people_box("Person taking over", settings, schedule)
        self.covers = self._people_box("Person covered", settings, schedule)
        covers_field = self.covers.lineEdit()
        if covers_field is not None:
            covers_field.setPlaceholderText("whoever is on call")
        start = (console.now().astimezone(console.zone) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
        self.start = QLineEdit(start.strftime("%Y-%m-%d %H:%M"), self)
        self.end = QLineEdit((start + timedelta(days=1)).strftime("%Y-%m-%d %H:%M"), self)
        for field, name in ((self.start, "From"), (self.end, "To")):
            field.setPlaceholderText(WHEN_HINT.removeprefix("optional — "))
            field.setAccessibleName(name)
        self.form.addRow("Schedule", self.schedule)
        self.form.addRow("Person", self.person)
        self.form.addRow("From", self.start)
        self.form.addRow("To", self.end)
        self.form.addRow("Covers", self.covers)
        self.person.setFocus()

    def _people_box(self, name: str, settings: OnCallSettings, schedule: str) -> QComboBox:
        box = QComboBox(self)
        box.setEditable(True)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        box.addItems(people(settings.schedule(schedule)))
        box.setCurrentText("")
        box.setAccessibleName(name)
        return box

    def perform(self) -> object:
        start, end = read_when(self.start.text(), self.console), read_when(self.end.text(), self.console)
        if start is None or end is None:
            raise DomainError("Give both when the override starts and when it ends, e.g. 2026-11-27 18:00.")
        return oncall.add_override(
            self.console, self.schedule.currentText(), self.person.currentText(), start, end, self.covers.currentText()
        )


def _fit_columns(tree: QTreeWidget) -> None:
    """Every column as wide as its header and cells need; the last takes what is left."""
    header = tree.header()
    for column in range(tree.columnCount() - 1):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)


def open_oncall(shell: Shell) -> OnCallView:
    """The shell's one On-call window, made on first use and shown again after."""
    return open_once(shell, OnCallView, lambda: OnCallView(shell.console, shell.bridge, shell.window()))[0]
