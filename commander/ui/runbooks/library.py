"""Incident > Runbooks… (Ctrl+Shift+B): the runbook library in a window of its own.

Left, the library: a search that narrows as you type (the library's own index: instant for thousands
of runbooks), filters (stale only, a service, a tag), and the runbooks, each with its services, owner,
freshness, open suggestions and version. While an incident is open, the runbooks that fit its services
and alert names come first under "Suggested for INC-…". Right, the runbook on show (runbook_viewer)
with what can be done to it: attach it to the open incident, mark it reviewed, compare versions,
export, retire, accept or decline suggestions. Import… reads files or a folder tree off the UI thread
(runbook_import).

Keyboard: Ctrl+F search, Up/Down move through the list from the search box, Enter attaches, Ctrl+C
copies the selected step's command, Escape closes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from commander.app import checklists
from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.app.runbooks.library import ImportReport
from commander.domain.core.events import Event, stream_entity
from commander.domain.runbooks.library import EVENT_KINDS, RunbookRecord, same_name
from commander.ui.checklists.panel import _file_name
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import ErrorLabel, attempt, show_problem
from commander.ui.runbooks.library_list import ROW, LibraryDelegate, LibraryModel, Row
from commander.ui.runbooks.viewer import RunbookViewer, freshness

if TYPE_CHECKING:
    from commander.ui.shell.main_window import MainWindow

DEBOUNCE_MS = 80  # one search per pause in typing, not one per key
WARM_UP_MS = 300
_WORD = re.compile(r"[^\W_]{2,}")  # the search index needs two letters of a word before it looks


@dataclass(frozen=True)
class Context:
    """The open incident the library suggests runbooks for."""

    incident_id: str
    reference: str
    services: tuple[str, ...]
    alerts: tuple[str, ...]


class RunbookLibrary(QDialog):
    attached = Signal(str, str)  # incident id, checklist id
    listed = Signal()  # the list on screen matches the search box and filters
    _heard = Signal(list)  # the console's listener, brought to this thread

    def __init__(
        self, console: Console, current_incident: Callable[[], str | None], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.console = console
        self.current_incident = current_incident
        self.context: Context | None = None
        self.importing: object | None = None  # the RunbookImport under way
        self.report_dialog: QDialog | None = None  # the last import's report
        self._on_show: tuple[RunbookRecord | None, str] = (None, "")  # what the viewer shows, and for which incident
        self._now = console.now()
        self._by_title: list[RunbookRecord] = []
        self.setWindowTitle("Runbook library")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search titles, steps and commands…  (Ctrl+F)")
        self.search.setAccessibleName("Search the runbook library")
        self.search.setClearButtonEnabled(True)
        self.search.installEventFilter(self)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(DEBOUNCE_MS)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _text: self._debounce.start())
        self.stale_only = QCheckBox("Stale only", self)
        self.stale_only.setToolTip("Runbooks never reviewed, or not within the policy's review period")
        self.service = QComboBox(self)
        self.service.setAccessibleName("Service")
        self.tag = QComboBox(self)
        self.tag.setAccessibleName("Tag")
        for combo in (self.service, self.tag):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
            combo.currentIndexChanged.connect(lambda _n: self.refresh())
        self.stale_only.toggled.connect(lambda _on: self.refresh())
        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.stale_only)
        filters.addWidget(self.service, 1)
        filters.addWidget(self.tag, 1)
        self.count = plain_label("", self, name="Muted")

        self.model = LibraryModel(self)
        self.list = QListView(self)
        self.list.setObjectName("RunbookList")
        self.list.setAccessibleName("Runbooks")
        self.list.setModel(self.model)
        self.list.setItemDelegate(LibraryDelegate(self.list, self._facts))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Laid out a screenful at a time: the top of 2,000 rows shows at once, the rest follows.
        self.list.setLayoutMode(QListView.LayoutMode.Batched)
        self.list.setBatchSize(100)
        self.list.installEventFilter(self)
        self.list.selectionModel().currentChanged.connect(lambda *_: self._show_selected())

        self.import_button = QToolButton(self)
        self.import_button.setText("Import…")
        self.import_button.setToolTip("Markdown or YAML runbooks: files, or a folder tree (a git checkout)")
        self.import_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.import_button)
        menu.addAction("Files…", self.choose_files)
        menu.addAction("A folder…", self.choose_folder)
        self.import_button.setMenu(menu)
        left = QWidget(self)
        left.setObjectName("Panel")
        column = QVBoxLayout(left)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(6)
        column.addWidget(self.search)
        column.addLayout(filters)
        column.addWidget(self.count)
        column.addWidget(self.list, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.import_button)
        bottom.addStretch(1)
        column.addLayout(bottom)

        self.viewer = RunbookViewer(self)
        self.viewer.attach_requested.connect(self.attach)
        self.viewer.review_requested.connect(self.mark_reviewed)
        self.viewer.versions_requested.connect(self.show_versions)
        self.viewer.export_requested.connect(self.choose_export)
        self.viewer.retire_requested.connect(self.retire)
        self.viewer.accept_requested.connect(self.accept_suggestion)
        self.viewer.decline_requested.connect(self.decline_suggestion)
        self.viewer.said.connect(self.say)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.viewer)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        em = self.fontMetrics().horizontalAdvance("x")
        left.setMinimumWidth(em * 44)
        split.setSizes([em * 58, em * 100])

        self.note = plain_label("", self, name="Muted")
        self.error = ErrorLabel(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.setSpacing(4)
        layout.addWidget(split, 1)
        for line in (self.note, self.error):
            line.setContentsMargins(10, 0, 10, 0)
            line.hide()
            layout.addWidget(line)
        find = QAction("Search the library", self)
        find.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(self.focus_search)
        self.addAction(find)
        self.resize(em * 170, self.fontMetrics().height() * 44)

        self._pending: list[Event] = []  # heard, not yet looked at: a burst of writes is looked at once
        self._behind = False  # the library changed while the window was hidden
        self._changes = QTimer(self)
        self._changes.setSingleShot(True)
        self._changes.setInterval(0)
        self._changes.timeout.connect(self._apply_changes)
        self._heard.connect(self._events_appended)
        heard = self._heard
        unsubscribe = console.subscribe(heard.emit)
        self.destroyed.connect(lambda *_: unsubscribe())
        self.reload()

    # -- what is listed ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the library again (it is cached until the store changes) and list what fits."""
        done, records = attempt(lambda: runbooks.library(self.console), inline=self.error)
        live = [record for record in (records or {}).values() if not record.retired] if done else []
        self._by_title = sorted(live, key=lambda record: record.current.title.lower())
        self._fill(self.service, "Any service", (s for r in live for s in r.current.services))
        self._fill(self.tag, "Any tag", (t for r in live for t in r.current.tags))
        self.context = self._incident_context()
        self.refresh()

    def _fill(self, combo: QComboBox, anything: str, names: Iterable[str]) -> None:
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

    def _incident_context(self) -> Context | None:
        incident = self.current_incident()
        if incident is None:
            return None
        state = self.console.state(incident)
        if not state.is_open:
            return None
        return Context(
            incident,
            state.reference,
            tuple(state.services),
            tuple(dict.fromkeys(alert.name for alert in state.alerts.values())),
        )

    def refresh(self) -> None:
        """List what fits the search and filters; the open incident's runbooks first."""
        self._debounce.stop()
        self._now = self.console.now()
        text = self.search.text().strip()
        context = self.context
        services, alerts = (context.services, context.alerts) if context else ((), ())
        searching = bool(_WORD.search(text))
        fitting: list[tuple[RunbookRecord, tuple[str, ...]]] = []
        rest: list[RunbookRecord] = []
        if self._by_title and (searching or context):
            done, hits = attempt(
                lambda: runbooks.search(
                    self.console, text if searching else "", services=services, alerts=alerts, limit=len(self._by_title)
                ),
                inline=self.error,
            )
            fitting = [(hit.record, hit.why) for hit in hits or [] if hit.why]
            if searching:
                rest = [hit.record for hit in hits or [] if not hit.why]
        if not searching:
            shown = {record.id for record, _why in fitting}
            rest = [record for record in self._by_title if record.id not in shown]
        keep = self._filter()
        fitting = [(record, why) for record, why in fitting if keep(record)]
        rest = [record for record in rest if keep(record)]
        rows: list[Row] = []
        if fitting and context is not None:
            rows.append(Row(heading=f"Suggested for {context.reference}"))
            rows += [Row(record=record, why=why) for record, why in fitting]
            if rest:
                rows.append(Row(heading="Other results" if searching else "All runbooks"))
        rows += [Row(record=record) for record in rest]
        selected = self.selected_record()
        self.model.set_rows(rows)
        self._say_count(text if searching else "", len(fitting) + len(rest))
        row = self.model.row_of(selected.id) if selected is not None else -1
        if row < 0:
            row = next((n for n, made in enumerate(rows) if made.record is not None), -1)
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row))
        else:
            self._show_selected()
        self.listed.emit()

    def _filter(self) -> Callable[[RunbookRecord], bool]:
        stale_only, service, tag = self.stale_only.isChecked(), self.service.currentData(), self.tag.currentData()
        days = runbooks.stale_days(self.console)

        def keep(record: RunbookRecord) -> bool:
            runbook = record.current
            return (
                (not stale_only or runbook.stale(self._now, days))
                and (not service or any(same_name(s) == service for s in runbook.services))
                and (not tag or any(same_name(t) == tag for t in runbook.tags))
            )

        return keep

    def _say_count(self, text: str, shown: int) -> None:
        filtered = self.stale_only.isChecked() or bool(self.service.currentData()) or bool(self.tag.currentData())
        if not self._by_title:
            said = (
                "The library holds no runbooks yet. Import your team's Markdown runbooks with Import… below: "
                "a file, or a whole folder such as a git checkout."
            )
        elif text:
            said = (
                f"{shown:,} found for “{text}”"
                if shown
                else f"No runbook mentions “{text}”"
                + (" among those filtered." if filtered else ". Try fewer or other words.")
            )
        else:
            days = runbooks.stale_days(self.console)
            stale = sum(1 for record in self._by_title if record.current.stale(self._now, days))
            said = f"{len(self._by_title):,} runbooks · {stale:,} stale"
            if filtered:
                said = f"{shown:,} of {said}"
        self.count.setText(said)

    def _facts(self, record: RunbookRecord) -> tuple[str, bool]:
        return freshness(record, self._now, runbooks.stale_days(self.console))

    # -- the runbook on show -------------------------------------------------------------------------

    def selected_record(self) -> RunbookRecord | None:
        row = self.list.currentIndex().data(ROW)
        return row.record if isinstance(row, Row) else None

    def select(self, wanted: str) -> RunbookRecord | None:
        """Select a runbook by id or title (as `commander runbook show` finds it); for tests and links."""
        done, record = attempt(lambda: runbooks.find(self.console, wanted), inline=self.error)
        if not done or record is None:
            return None
        row = self.model.row_of(record.id)
        if row < 0:
            self.search.clear()
            self.stale_only.setChecked(False)
            self.service.setCurrentIndex(0)
            self.tag.setCurrentIndex(0)
            self.refresh()
            row = self.model.row_of(record.id)
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row))
        return self.selected_record()

    def _show_selected(self, *, again: bool = False) -> None:
        record = self.selected_record()
        reference = self.context.reference if self.context else ""
        if record is not None and record is self._on_show[0] and reference == self._on_show[1] and not again:
            return  # typing narrowed the list around the same runbook: the viewer stays as it is
        self._on_show = (record, reference)
        if record is None:
            self.viewer.show_record(
                None,
                empty="No runbook fits the search and filters."
                if self._by_title
                else "Import runbooks to read them here: Import…, at the bottom left.",
            )
            return
        self.viewer.show_record(
            record,
            now=self._now,
            stale_days=runbooks.stale_days(self.console),
            attach_to=self.context.reference if self.context else "",
        )

    def _events_appended(self, events: list[Event]) -> None:
        """Heard from the console, inside whoever wrote: looked at once the writer is done (accepting a
        suggestion writes twice; the window reads the library once)."""
        self._pending += events
        self._changes.start()

    def _apply_changes(self) -> None:
        events, self._pending = self._pending, []
        if any(event.kind in EVENT_KINDS for event in events):
            if not self.isVisible():
                self._behind = True  # read again when shown: a closed window does no work
                return
            self.reload()  # a new version, a review, a suggestion: the rows and the viewer change
            self._show_selected(again=True)
        elif any(stream_entity(event.stream)[0] == "incident" for event in events):
            self.refresh_context()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._behind:
            self._behind = False
            self.reload()
            self._show_selected(again=True)

    def refresh_context(self) -> None:
        """The main window shows another incident, or the open one changed services or alerts."""
        context = self._incident_context()
        if context != self.context:
            self.context = context
            self.refresh()
            self._show_selected()

    # -- actions -------------------------------------------------------------------------------------

    def say(self, text: str) -> None:
        self.error.clear_message()
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def attach(self) -> bool:
        """Attach the selected runbook to the open incident: its steps become a checklist there."""
        record, context = self.selected_record(), self.context
        if record is None:
            return False
        if context is None:
            self.error.show_message(
                "No open incident to attach it to. Select an open incident in the main window "
                "(or declare one with Ctrl+N), then attach."
            )
            return False
        done, events = attempt(
            lambda: checklists.attach_checklist(self.console, context.incident_id, record.current), inline=self.error
        )
        if not done or not events:
            return False
        words, stale = self._facts(record)
        self.say(
            f"Attached “{record.current.title}” (version {record.current.version}) to {context.reference}: "
            f"its steps are a checklist there."
            + (f" It is stale ({words.split(': ')[-1]}): check each step against what you see." if stale else "")
        )
        self.attached.emit(context.incident_id, events[0].id)
        return True

    def mark_reviewed(self) -> QDialog | None:
        from commander.ui.runbooks.edits import ReviewDialog

        record = self.selected_record()
        if record is None:
            return None
        dialog = ReviewDialog(self.console, record, self)
        dialog.accepted.connect(lambda: self.say(f"“{record.current.title}” is marked reviewed."))
        dialog.open()
        return dialog

    def show_versions(self) -> QDialog | None:
        from commander.ui.runbooks.diff import VersionsDialog

        record = self.selected_record()
        if record is None:
            return None
        dialog = VersionsDialog(record, self.console.zone, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def choose_export(self) -> Path | None:
        record = self.selected_record()
        if record is None:
            return None
        stem = Path(record.current.source).stem if record.current.source else _file_name(record.current.title)
        chosen, kind = QFileDialog.getSaveFileName(
            self,
            f"Export “{record.current.title}”",
            str(Path.home() / f"{stem}.md"),
            "Markdown (*.md);;Commander YAML (*.yaml)",
        )
        if not chosen:
            return None
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".yaml" if "YAML" in kind else ".md")
        return self.export_to(path)

    def export_to(self, path: Path) -> Path | None:
        """Write the runbook on show: YAML for a .yaml/.yml name, Markdown otherwise."""
        record = self.selected_record()
        if record is None:
            return None
        yaml_form = path.suffix.lower() in (".yaml", ".yml")
        text = runbooks.export_yaml(record) if yaml_form else runbooks.export_markdown(record)
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as error:
            show_problem(
                self,
                "Could not export the runbook",
                f"{path} could not be written ({error.strerror or error}). Choose a folder you can write "
                f"to and export again.",
            )
            return None
        self.say(f"Exported version {record.current.version} as {'YAML' if yaml_form else 'Markdown'} to {path}")
        return path

    def retire(self) -> QMessageBox | None:
        record = self.selected_record()
        if record is None:
            return None
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Retire a runbook",
            f"Retire “{record.current.title}”? It leaves lists and searches on every console; "
            f"checklists made from it stay on their incidents, marked retired. Importing a changed "
            f"file brings it back.",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        retire = box.addButton("Retire", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowModality(Qt.WindowModality.WindowModal)

        def answered(button: object) -> None:
            if button is retire:
                done, _ = attempt(lambda: runbooks.retire(self.console, record.id), inline=self.error)
                if done:
                    self.say(f"Retired “{record.current.title}”.")

        box.buttonClicked.connect(answered)
        box.open()
        return box

    def accept_suggestion(self, suggestion_id: str) -> QDialog | None:
        from commander.ui.runbooks.edits import AcceptDialog

        return self._suggestion_dialog(
            suggestion_id, AcceptDialog, "Accepted the suggestion: the runbook has a new version."
        )

    def decline_suggestion(self, suggestion_id: str) -> QDialog | None:
        from commander.ui.runbooks.edits import DeclineDialog

        return self._suggestion_dialog(suggestion_id, DeclineDialog, "Declined the suggestion.")

    def _suggestion_dialog(self, suggestion_id: str, make: Callable[..., QDialog], done: str) -> QDialog | None:
        record = self.selected_record()
        suggestion = next((s for s in record.suggestions if s.id == suggestion_id), None) if record else None
        if record is None or suggestion is None:
            return None
        dialog = make(self.console, record, suggestion, self)
        dialog.accepted.connect(lambda: self.say(done))
        dialog.open()
        return dialog

    # -- importing -----------------------------------------------------------------------------------

    def choose_files(self) -> None:
        chosen, _ = QFileDialog.getOpenFileNames(
            self, "Import runbooks", str(Path.home()), "Runbooks (*.md *.markdown *.yaml *.yml);;All files (*)"
        )
        if chosen:
            self.import_paths(chosen)

    def choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Import every runbook in a folder", str(Path.home()))
        if chosen:
            self.import_paths([chosen])

    def import_paths(self, paths: list[str]) -> QObject | None:
        """Read the files on a worker thread with a progress dialog, then record them and show the report."""
        from commander.ui.runbooks.importing import RunbookImport

        if self.importing is not None:
            self.error.show_message("An import is already running; wait for its report.")
            return None
        runner = RunbookImport(self.console, paths, self)
        runner.finished.connect(self._imported)
        self.importing = runner
        self.import_button.setEnabled(False)
        if not runner.start():
            self._imported(None)
        return runner

    def _imported(self, report: object) -> None:
        from commander.ui.runbooks.importing import ImportReportDialog, summary

        runner, self.importing = self.importing, None
        if isinstance(runner, QObject):
            runner.deleteLater()
        self.import_button.setEnabled(True)
        if not isinstance(report, ImportReport):
            return  # cancelled or failed: the person has been told
        self.say(summary(report))  # the list follows by itself: the window hears the new versions
        dialog = ImportReportDialog(report, self)
        dialog.open()
        self.report_dialog = dialog
        # The search index of the new library is built at the first search (0.5 s for 1,000 new runbooks):
        # build it now, while the report is read, not at the first key typed.
        QTimer.singleShot(WARM_UP_MS, self._warm_up)

    def _warm_up(self) -> None:
        attempt(lambda: runbooks.index(self.console), inline=self.error)

    # -- keys ----------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and watched in (self.search, self.list)
        ):
            if (
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            ):
                self.attach()
                return True
            if watched is self.search and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._step_selection(1 if event.key() == Qt.Key.Key_Down else -1)
                return True
        return super().eventFilter(watched, event)

    def _step_selection(self, by: int) -> None:
        """Up and Down from the search box: the next runbook row, over headings."""
        row = self.list.currentIndex().row() + by
        while 0 <= row < self.model.rowCount() and self.model.rows[row].record is None:
            row += by
        if 0 <= row < self.model.rowCount():
            self.list.setCurrentIndex(self.model.index(row))


def open_runbook_library(window: MainWindow) -> RunbookLibrary:
    """The main window's one library window, made on first use and shown again after. It follows the
    incident on show there: its runbooks come first, and Attach adds to it."""
    found = window.findChild(RunbookLibrary)
    if found is None:
        made = found = RunbookLibrary(window.console, lambda: window.current, window)
        window.incidents.incident_selected.connect(lambda _id: made.refresh_context())
        made.attached.connect(lambda _incident, _checklist: window.right_tabs.setCurrentWidget(window.checklists))
    else:
        found.refresh_context()
    found.show()
    found.raise_()
    found.activateWindow()
    found.focus_search()
    return found
