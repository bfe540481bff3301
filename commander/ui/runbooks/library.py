"""Incident > Runbooks… (Ctrl+Shift+B): the runbook library in a window of its own.

Left, the library: a search that narrows as you type (the library's own index: instant for thousands
of runbooks), filters (stale only, a service, a tag), and the runbooks, each with its services, owner,
freshness, open suggestions and version. While an incident is open, the runbooks that fit its services
and alert names come first under "Suggested for INC-…". Right, the runbook on show (runbooks.viewer)
with what can be done to it: attach it to the open incident, mark it reviewed, compare versions,
export, retire, accept or decline suggestions. Import… reads files or a folder tree off the UI thread
(runbooks.importing).

The window lives in a shell (commander.ui.kit.shell): it hears the console's events through the shell's
bridge and follows the incident the shell shows.

Keyboard: Ctrl+F search, Up/Down move through the list from the search box, Enter attaches, Ctrl+C
copies the selected step's command, Escape closes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QListView,
    QMenu,
    QMessageBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from commander.app import checklists
from commander.app.runbooks import library as runbooks
from commander.app.runbooks.library import ImportReport
from commander.domain.core.events import Event, stream_entity
from commander.domain.runbooks.library import EVENT_KINDS, RunbookRecord
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import ErrorLabel, attempt, show_problem
from commander.ui.kit.shell import Shell, open_once
from commander.ui.kit.theme import Tones
from commander.ui.runbooks.file_names import file_name
from commander.ui.runbooks.library_filters import LibraryFilters
from commander.ui.runbooks.library_list import ROW, LibraryDelegate, LibraryModel, Row
from commander.ui.runbooks.viewer import RunbookViewer, freshness

if TYPE_CHECKING:  # the import machinery loads with the first import
    from commander.ui.runbooks.importing import RunbookImport

WARM_UP_MS = 300


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

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shell = shell
        self.console = shell.console
        self.context: Context | None = None
        self.importing: RunbookImport | None = None  # the import under way
        self.report_dialog: QDialog | None = None  # the last import's report
        self._on_show: tuple[RunbookRecord | None, str] = (None, "")  # what the viewer shows, and for which incident
        self._now = self.console.now()
        self._by_title: list[RunbookRecord] = []
        self.setWindowTitle("Runbook library")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)
        self.filters = LibraryFilters(self)
        self.filters.changed.connect(self.refresh)
        self.filters.search.installEventFilter(self)
        self.model = LibraryModel(self)
        self.list = self._make_list()
        self.import_button = self._make_import_button()
        self.viewer = self._make_viewer()
        self.note = plain_label("", self, name="Muted")
        self.error = ErrorLabel(self)
        self._lay_out()
        find = QAction("Search the library", self)
        find.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
        find.triggered.connect(self.focus_search)
        self.addAction(find)

        self._pending: list[Event] = []  # heard, not yet looked at: a burst of writes is looked at once
        self._behind = False  # the library changed while the window was hidden
        self._changes = QTimer(self)
        self._changes.setSingleShot(True)
        self._changes.setInterval(0)
        self._changes.timeout.connect(self._apply_changes)
        self.warming = QTimer(self)  # builds the search index of a library just imported into
        self.warming.setSingleShot(True)
        self.warming.setInterval(WARM_UP_MS)
        self.warming.timeout.connect(self._warm_up)
        shell.bridge.events_appended.connect(self._events_appended)
        shell.bridge.incident_shown.connect(self._incident_shown)
        self.reload()

    def _make_list(self) -> QListView:
        shown = QListView(self)
        shown.setObjectName("RunbookList")
        shown.setAccessibleName("Runbooks")
        shown.setModel(self.model)
        shown.setItemDelegate(LibraryDelegate(shown, self._facts, self._tones))
        shown.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        shown.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        shown.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Laid out a screenful at a time: the top of 2,000 rows shows at once, the rest follows.
        shown.setLayoutMode(QListView.LayoutMode.Batched)
        shown.setBatchSize(100)
        shown.installEventFilter(self)
        shown.selectionModel().currentChanged.connect(lambda *_: self._show_selected())
        return shown

    def _make_import_button(self) -> QToolButton:
        button = QToolButton(self)
        button.setText("Import…")
        button.setToolTip("Markdown or YAML runbooks: files, or a folder tree (a git checkout)")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        menu.addAction("Files…", self.choose_files)
        menu.addAction("A folder…", self.choose_folder)
        button.setMenu(menu)
        return button

    def _make_viewer(self) -> RunbookViewer:
        viewer = RunbookViewer(self._tones, self)
        viewer.attach_requested.connect(self.attach)
        viewer.review_requested.connect(self.mark_reviewed)
        viewer.versions_requested.connect(self.show_versions)
        viewer.export_requested.connect(self.choose_export)
        viewer.retire_requested.connect(self.retire)
        viewer.accept_requested.connect(self.accept_suggestion)
        viewer.decline_requested.connect(self.decline_suggestion)
        viewer.said.connect(self.say)
        return viewer

    def _lay_out(self) -> None:
        left = QWidget(self)
        left.setObjectName("Panel")
        column = QVBoxLayout(left)
        column.setContentsMargins(10, 10, 10, 10)
        column.setSpacing(6)
        column.addWidget(self.filters)
        column.addWidget(self.list, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.import_button)
        bottom.addStretch(1)
        column.addLayout(bottom)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(self.viewer)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        em = self.fontMetrics().horizontalAdvance("x")
        left.setMinimumWidth(em * 44)
        split.setSizes([em * 58, em * 100])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 6)
        layout.setSpacing(4)
        layout.addWidget(split, 1)
        for line in (self.note, self.error):
            line.setContentsMargins(10, 0, 10, 0)
            line.hide()
            layout.addWidget(line)
        self.resize(em * 170, self.fontMetrics().height() * 44)

    # -- what is listed ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the library again (it is cached until the store changes) and list what fits."""
        done, records = attempt(lambda: runbooks.library(self.console), inline=self.error)
        live = [record for record in (records or {}).values() if not record.retired] if done else []
        self._by_title = sorted(live, key=lambda record: record.current.title.lower())
        self.filters.fill(live)
        self.context = self._incident_context(self.shell.current)
        self.refresh()

    def _incident_context(self, incident: str | None) -> Context | None:
        if incident is None:
            return None
        done, state = attempt(lambda: self.console.state(incident), inline=self.error)
        if not done or state is None or not state.is_open:
            return None
        return Context(
            incident,
            state.reference,
            tuple(state.services),
            tuple(dict.fromkeys(alert.name for alert in state.alerts.values())),
        )

    def refresh(self) -> None:
        """List what fits the search and filters; the open incident's runbooks first."""
        self.filters.debounce.stop()
        self._now = self.console.now()
        words, context = self.filters.words(), self.context
        fitting, rest = self._found(words, context)
        keep = self.filters.keep(self._now, runbooks.stale_days(self.console))
        fitting = [(record, why) for record, why in fitting if keep(record)]
        rest = [record for record in rest if keep(record)]
        rows: list[Row] = []
        if fitting and context is not None:
            rows.append(Row(heading=f"Suggested for {context.reference}"))
            rows += [Row(record=record, why=why) for record, why in fitting]
            if rest:
                rows.append(Row(heading="Other results" if words else "All runbooks"))
        rows += [Row(record=record) for record in rest]
        selected = self.selected_record()
        self.model.set_rows(rows)
        self.filters.say_count(
            words, len(fitting) + len(rest), self._by_title, self._now, runbooks.stale_days(self.console)
        )
        row = self.model.row_of(selected.id) if selected is not None else -1
        if row < 0:
            row = next((n for n, made in enumerate(rows) if made.record is not None), -1)
        if row >= 0:
            self.list.setCurrentIndex(self.model.index(row))
        else:
            self._show_selected()
        self.listed.emit()

    def _found(
        self, words: str, context: Context | None
    ) -> tuple[list[tuple[RunbookRecord, tuple[str, ...]]], list[RunbookRecord]]:
        """The runbooks that fit the incident (with why), and the rest: found by the words, or all of them."""
        services, alerts = (context.services, context.alerts) if context else ((), ())
        fitting: list[tuple[RunbookRecord, tuple[str, ...]]] = []
        rest: list[RunbookRecord] = []
        if self._by_title and (words or context):
            _done, hits = attempt(
                lambda: runbooks.search(
                    self.console, words, services=services, alerts=alerts, limit=len(self._by_title)
                ),
                inline=self.error,
            )
            fitting = [(hit.record, hit.why) for hit in hits or [] if hit.why]
            if words:
                rest = [hit.record for hit in hits or [] if not hit.why]
        if not words:
            shown = {record.id for record, _why in fitting}
            rest = [record for record in self._by_title if record.id not in shown]
        return fitting, rest

    def _tones(self) -> Tones:
        return self.shell.tones  # read at each paint: the shell's theme may have switched

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
            self.filters.clear()
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
        """The incident on screen changed services or alerts (or the shell shows another one)."""
        self._follow(self._incident_context(self.shell.current))

    def _incident_shown(self, incident_id: object) -> None:
        self._follow(self._incident_context(incident_id if isinstance(incident_id, str) else None))

    def _follow(self, context: Context | None) -> None:
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
        self.filters.search.setFocus()
        self.filters.search.selectAll()

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
        dialog = VersionsDialog(record, self.console.zone, self._tones(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def choose_export(self) -> Path | None:
        record = self.selected_record()
        if record is None:
            return None
        stem = Path(record.current.source).stem if record.current.source else file_name(record.current.title)
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

    def import_paths(self, paths: list[str]) -> RunbookImport | None:
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
        if runner is not None:
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
        self.warming.start()

    def _warm_up(self) -> None:
        attempt(lambda: runbooks.index(self.console), inline=self.error)

    # -- keys ----------------------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        search = self.filters.search
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and watched in (search, self.list):
            if (
                event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            ):
                self.attach()
                return True
            if watched is search and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
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


def open_runbook_library(shell: Shell) -> RunbookLibrary:
    """The shell's one library window, made on first use and shown again after. It follows the incident
    on screen: its runbooks come first, and Attach adds to it (then the shell shows its checklists)."""

    def make() -> RunbookLibrary:
        made = RunbookLibrary(shell, shell.window())
        made.attached.connect(lambda _incident, _checklist: shell.show_tab("checklists"))
        return made

    library, just_made = open_once(shell, RunbookLibrary, make)
    if not just_made:
        library.refresh_context()
    library.focus_search()
    return library
