"""The main window: it assembles the panels, the menus and the status bar, and routes the one signal.

Panels read from the console and send commands to it; this window only decides which incident they
show, keeps each incident's reading place and note draft while another is shown, and hands every
`events_appended` to the panels that show what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

import commander
from commander.app import timeline
from commander.app.console import Console
from commander.app.resources import resources_dir
from commander.app.updates import timers
from commander.domain.checklists.checklists import KINDS as CHECKLIST_KINDS
from commander.domain.core.events import Event, incident_stream, stream_entity
from commander.ui.checklists.panel import ChecklistPanel
from commander.ui.incident.details import DetailsBox
from commander.ui.incident.header import HeaderPanel
from commander.ui.incident.incidents import LIST_KINDS, IncidentListPanel
from commander.ui.kit import richtext, theme
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.problems import attempt
from commander.ui.kit.widgets import OpeningNotice
from commander.ui.paging.panel import PagesPanel
from commander.ui.roles.board import RoleBoard
from commander.ui.shell.menus import WindowActions
from commander.ui.shell.settings import UiSettings
from commander.ui.shell.status_bar import StatusBar
from commander.ui.shell.sync_status import SyncBridge, SyncIndicator
from commander.ui.timeline.model import TimelineFilter
from commander.ui.timeline.note_box import NoteBox, NoteDraft
from commander.ui.timeline.panel import ReadingPlace, TimelinePanel

if TYPE_CHECKING:  # dialogs are imported when first opened: start-up does not pay for them
    from commander.ui.incident.declare import DeclareDialog
    from commander.ui.incident.dialogs import SeverityDialog, StatusDialog
    from commander.ui.kit.dialogs import RenameDialog, ShortcutsDialog

TICK_MS = 1000
# Kinds that change the timeline and nothing else on screen: the most frequent events by far, so
# the header, roles and details are not redrawn for them.
TIMELINE_ONLY = frozenset({"note.added", "note.edited", "note.deleted", "note.restored", "entry.pinned"})
# Ticking a step must fit in a frame too: checklist events change the timeline and the checklist panel only.
BESIDE_THE_HEADER = TIMELINE_ONLY | frozenset(CHECKLIST_KINDS)


SYNC_START_MS = 300
LONG_INCIDENT = 2_000  # events: an incident this long opens just after the window's first paint
RESUME_CHECK_MS = 1500  # after start-up and the first sync: updates interrupted when Commander closed


class MainWindow(QMainWindow):
    def __init__(self, console: Console, settings: UiSettings, *, theme_name: str | None = None) -> None:
        super().__init__()
        self.console = console
        self.settings = settings
        self.current: str | None = None
        self._places: dict[str, ReadingPlace] = {}
        self._drafts: dict[str, NoteDraft] = {}
        self._deleted: list[tuple[str, str]] = []  # (incident, note), newest last: what Ctrl+Z restores
        self._ticks = 0
        self._pending_open: str | None = None  # a long incident to open once the window is painted
        self._closed = False
        self._tray: QSystemTrayIcon | None = None
        self.remember_state = True  # a screenshot run must not overwrite the person's window layout
        self.setWindowTitle("Commander")
        icon = resources_dir() / "commander.svg"
        if icon.is_file():
            self.setWindowIcon(QIcon(str(icon)))

        self.bridge = ConsoleBridge(console, self)
        self.incidents = IncidentListPanel(console, self)
        self.header = HeaderPanel(console, self)
        self.timeline = TimelinePanel(console, self)
        self.note_box = NoteBox(console, self)
        self.roles = RoleBoard(console, self)
        self.details = DetailsBox(console, self)
        self.checklists = ChecklistPanel(console, self)
        self.pages = PagesPanel(console, self)
        self.status = StatusBar(console, self)
        self.setStatusBar(self.status)
        self.sync = SyncBridge(console, self.bridge, self)
        self.sync_indicator = SyncIndicator(self.sync, self.status)
        self.status.add_sync_indicator(self.sync_indicator)
        self.sync_indicator.problem.connect(self.status.show_store_problem)
        self.sync_indicator.problem_gone.connect(self.status.clear_store_problem)
        self._assemble()
        self.menu_actions = WindowActions(self)
        self._connect()

        self.tones = theme.apply(self, theme_name or settings.theme)
        self._push_tones()
        self._restore_ui_state()
        self.incidents.reload()
        self.status.show_open(self.incidents.open_count())
        first = self.incidents.first_open()
        summary = self.incidents.summary(first) if first else None
        if summary is not None and summary.event_count >= LONG_INCIDENT:
            # A long incident takes a few hundred milliseconds to open even from its snapshot: show the
            # window first, saying what is opening, and open it once that has been painted.
            self._pending_open = summary.id
            self.incidents.select(summary.id)  # highlighted in the list, without asking to open it now
            self.opening.setText(f"Opening {summary.reference} ({summary.event_count:,} events)…")
            self.stack.setCurrentWidget(self.opening)
            self.opening.armed = True
        else:
            self.select_incident(first)
        self._clock = QTimer(self)
        self._clock.setInterval(TICK_MS)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        # Replication needs SQLAlchemy, the keyring and the network: start it once the window is on
        # screen (a zero delay would run before the first paint).
        QTimer.singleShot(SYNC_START_MS, self._start_sync)
        QTimer.singleShot(RESUME_CHECK_MS, self._resume_interrupted)
        QTimer.singleShot(RESUME_CHECK_MS, self._remind_postmortems)

    def _start_sync(self) -> None:
        if self._closed:
            return  # closed before the event loop came round to it
        attempt(self.sync.start, parent=self, title="Could not start syncing with the shared store")
        self.sync.set_incident(self.current)

    # -- layout ------------------------------------------------------------------------------

    def _assemble(self) -> None:
        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        centre_layout.setSpacing(0)
        centre_layout.addWidget(self.timeline, 1)
        centre_layout.addWidget(self.note_box)

        right = QWidget(self)
        right.setObjectName("RightColumn")
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.roles)
        # Below the roles, the tabs of what an incident collects: checklists first, the details beside.
        self.right_tabs = QTabWidget(right)
        self.right_tabs.setObjectName("RightTabs")
        self.right_tabs.setDocumentMode(True)
        self.right_tabs.addTab(self.checklists, "Checklists")
        self.right_tabs.addTab(self.details, "Details")
        self.right_tabs.addTab(self.pages, "Pages")  # shown while the incident has pages
        right_layout.addWidget(self.right_tabs, 1)
        # Later panels (checklists, updates, alerts) join this column as tabs; none is shown empty.
        self.right_column = right

        self.work = QSplitter(Qt.Orientation.Horizontal, self)
        self.work.addWidget(centre)
        self.work.addWidget(right)
        self.work.setStretchFactor(0, 1)
        self.work.setStretchFactor(1, 0)
        right.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 48)
        self.work.setChildrenCollapsible(False)

        pane = QWidget(self)
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(0, 0, 0, 0)
        pane_layout.setSpacing(0)
        pane_layout.addWidget(self.header)
        pane_layout.addWidget(self.work, 1)

        self.empty = QWidget(self)
        hint = QLabel(
            "No incident is selected. The list on the left shows open incidents and, under History, resolved ones.",
            self.empty,
        )
        hint.setObjectName("EmptyState")
        hint.setWordWrap(True)
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        declare = QPushButton("Declare an incident…  (Ctrl+N)", self.empty)
        declare.setObjectName("Primary")
        declare.clicked.connect(self.declare_incident)
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(hint)
        empty_layout.addWidget(declare, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(1)
        self.opening = OpeningNotice(self, self.finish_opening)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(pane)
        self.stack.addWidget(self.opening)
        self.pane = pane

        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.addWidget(self.incidents)
        self.split.addWidget(self.stack)
        self.split.setStretchFactor(0, 0)
        self.split.setStretchFactor(1, 1)
        self.split.setChildrenCollapsible(False)
        self.setCentralWidget(self.split)
        em = self.fontMetrics().horizontalAdvance("x")
        self.split.setSizes([em * 44, em * 200])
        self.work.setSizes([em * 140, em * 54])

    def _connect(self) -> None:
        self.bridge.events_appended.connect(self._events_appended)
        self.bridge.store_failed.connect(self.status.show_store_problem)
        self.bridge.store_recovered.connect(self.status.clear_store_problem)
        self.incidents.incident_selected.connect(self.select_incident)
        self.incidents.history_button.toggled.connect(self.menu_actions.history.setChecked)
        self.header.severity_requested.connect(self.change_severity)
        self.header.status_requested.connect(self.change_status)
        self.header.milestones_requested.connect(self.edit_milestones)
        self.header.details_requested.connect(self.edit_details)
        self.header.update_sent_requested.connect(self.record_update)
        self.header.send_requested.connect(self.send_update)
        self.header.snooze_requested.connect(self.snooze_updates)
        self.header.update_overdue.connect(self._update_overdue)
        self.header.timer_requested.connect(self.set_timer)
        self.header.timers.timer_expired.connect(self._timer_expired)
        self.header.export_requested.connect(self.export)
        self.timeline.note_deleted.connect(self._note_deleted)
        self.checklists.said.connect(lambda text: self.status.showMessage(text, 4000))
        self.roles.duty_checklist_requested.connect(self.checklists.open_role_checklist)
        self.roles.page_requested.connect(self.menu_actions.open_page_dialog)
        self.pages.page_requested.connect(self.menu_actions.open_page_dialog)
        self.status.undo.undo_requested.connect(self.undo_delete)
        self.status.rename_requested.connect(self.rename_me)

    # -- which incident is shown -------------------------------------------------------------

    def finish_opening(self) -> None:
        """Open the incident the window started on, if it is still waiting (nothing else was chosen)."""
        wanted, self._pending_open = self._pending_open, None
        if wanted is not None and not self._closed:
            self.select_incident(wanted)

    def select_incident(self, incident_id: str | None) -> None:
        self._pending_open = None  # a choice made before the first incident opened wins
        if incident_id == self.current and incident_id is not None:
            return
        if self.current is not None:
            self._places[self.current] = self.timeline.capture()
            self._drafts[self.current] = self.note_box.draft()
        self.current = incident_id
        self.sync.set_incident(incident_id)
        self.sync_indicator.set_incident(incident_id)
        view = self.console.view(incident_id) if incident_id else None
        state = view.state if view else None
        self.header.show_state(state)
        self.timeline.show_incident(
            incident_id, view, self._places.get(incident_id or "", ReadingPlace(TimelineFilter()))
        )
        self.note_box.set_incident(incident_id, self._drafts.get(incident_id or "", NoteDraft()))
        self.roles.show_state(incident_id, state)
        self.details.show_state(state)
        self.checklists.show_incident(incident_id, view)
        self.pages.show_incident(incident_id, state)
        if incident_id:
            self.incidents.select(incident_id)
        self.stack.setCurrentWidget(self.pane if incident_id else self.empty)
        for action in self.menu_actions.need_incident:
            action.setEnabled(incident_id is not None)
        self.setWindowTitle(f"{state.reference} {state.title} — Commander" if state else "Commander")

    def _events_appended(self, events: list[Event]) -> None:
        if any(e.stream.startswith("runbook:") for e in events):
            self.checklists.refresh_badges()  # reviewed, retired or a new version: the badges change
        touched = {stream_entity(e.stream)[1] for e in events if stream_entity(e.stream)[0] == "incident"}
        if not touched:
            return
        if any(e.kind in LIST_KINDS for e in events):
            self.incidents.reload()
            self.status.show_open(self.incidents.open_count())
        if self.current is None:
            self.select_incident(self.incidents.first_open())
            return
        if self.current in touched:
            view = self.console.view(self.current)
            stream = incident_stream(self.current)
            mine = [e for e in events if e.stream == stream]
            self.timeline.apply(view, mine)
            self.checklists.apply(view, mine)
            if any(e.kind not in BESIDE_THE_HEADER for e in mine):
                self.header.show_state(view.state)
                self.roles.show_state(self.current, view.state)
                self.details.show_state(view.state)
                self.pages.show_incident(self.current, view.state)

    def _tick(self) -> None:
        self._ticks += 1
        self.header.tick(self.console.now())
        if self._ticks % 30 == 0:  # ages and times held move in minutes: no need to repaint every second
            self.incidents.tick()
            self.roles.model.tick()
        if self.current is not None:
            self.pages.tick(self.console.now())
        # Escalation cannot wait for someone to look at the incident: the one on screen every second,
        # the other open ones every five.
        watched = [self.current] if self.current is not None else []
        if self._ticks % 5 == 0:
            watched += [s.id for s in self.console.incidents(include_closed=False) if s.id != self.current]
        for incident_id in watched:
            if self.console.state(incident_id).paging.pages:  # escalation, and pages interrupted by a restart
                from commander.ui.paging.runner import runner_for

                runner_for(self, self.console).tick(incident_id)  # events here, requests on a worker

    # -- commands ----------------------------------------------------------------------------

    def declare_incident(self) -> DeclareDialog:
        from commander.ui.incident.declare import DeclareDialog

        dialog = DeclareDialog(self.console, self)
        dialog.declared.connect(self._declared)
        dialog.accepted.connect(self._back_to_notes)
        dialog.open()
        return dialog

    def _declared(self, incident_id: str) -> None:
        self.incidents.reload()
        self.select_incident(incident_id)

    def _back_to_notes(self) -> None:
        # Once the dialog has gone: the next thing an IC types after declaring is the first note.
        self.activateWindow()
        self.focus_note_box()

    def change_severity(self, severity: str) -> SeverityDialog | None:
        if self.current is None:
            return None
        from commander.ui.incident.dialogs import SeverityDialog

        dialog = SeverityDialog(self.console, self.current, severity, self)
        dialog.open()
        return dialog

    def change_status(self, status: str) -> StatusDialog | None:
        if self.current is None:
            return None
        from commander.ui.incident.dialogs import StatusDialog

        dialog = StatusDialog(self.console, self.current, status, self)
        incident_id = self.current
        dialog.accepted.connect(lambda: self._status_changed(incident_id))
        dialog.open()
        return dialog

    def _status_changed(self, incident_id: str) -> QDialog | None:
        """Resolved here, but a status page still shows it open: offer the resolution update, with only
        those pages ticked. Nothing leaves without the person pressing Send and confirming."""
        if self.console.state(incident_id).status.value != "resolved":
            return None
        from commander.ui.paging.page_dialog import offer_page_resolution

        if offer_page_resolution(self, self.console, incident_id, then=partial(self._status_changed, incident_id)):
            return None  # open pages first; the rest is offered once that is answered, not all at once
        self.status.showMessage(
            "Resolved. When the team is ready: Incident > Postmortem… (Ctrl+Shift+P) writes the "
            "first draft from the timeline.",
            20_000,
        )
        from commander.app.updates import publishing
        from commander.ui.alerts.view import offer_silence_expiry
        from commander.ui.updates.send import SendUpdateDialog

        offer_silence_expiry(self, incident_id)  # its Alertmanager silences, if it has any
        done, pages = attempt(
            lambda: publishing.open_on_status_pages(self.console, incident_id),
            parent=self,
            title="Could not check the status pages",
        )
        if not done or not pages:
            return None
        dialog = SendUpdateDialog(
            self.console,
            incident_id,
            self,
            template_key="resolution",
            only=pages,
            intro=f"{', '.join(pages)} still show{'s' if len(pages) == 1 else ''} this "
            f"incident as open. Send the resolution to close it there too.",
        )
        dialog.open()
        return dialog

    def _incident_dialog(self, make: Callable[[Console, str, QWidget], QDialog]) -> QDialog | None:
        """Open a dialog about the incident on screen (none when no incident is shown)."""
        if self.current is None:
            return None
        dialog = make(self.console, self.current, self)
        dialog.open()
        return dialog

    def edit_milestones(self) -> QDialog | None:
        from commander.ui.incident.dialogs import MilestonesDialog

        return self._incident_dialog(MilestonesDialog)

    def edit_details(self) -> QDialog | None:
        from commander.ui.incident.dialogs import EditDetailsDialog

        return self._incident_dialog(EditDetailsDialog)

    def export(self, fmt: str) -> None:
        if self.current is None:
            return
        from commander.ui.timeline.export import export_incident

        path = export_incident(self, self.console, self.current, fmt)
        if path is not None:
            self.status.showMessage(f"Saved {path}", 8000)

    def record_update(self) -> QDialog | None:
        from commander.ui.updates.dialogs import RecordUpdateDialog

        return self._incident_dialog(RecordUpdateDialog)

    def send_update(self) -> QDialog | None:
        from commander.ui.updates.send import SendUpdateDialog

        return self._incident_dialog(SendUpdateDialog)

    def snooze_updates(self) -> QDialog | None:
        from commander.ui.updates.dialogs import SnoozeDialog

        return self._incident_dialog(SnoozeDialog)

    def set_timer(self) -> QDialog | None:
        from commander.ui.updates.timer_dialog import SetTimerDialog

        return self._incident_dialog(SetTimerDialog)

    def _update_overdue(self, incident_id: str) -> None:
        """Once per due time: on the timeline (every console writes the same event, the store keeps
        one) and as a desktop notification where the desktop has a tray, else in the status bar."""
        self._record_soon(
            lambda: attempt(
                lambda: timers.note_overdue(self.console, incident_id),
                parent=self,
                title="Could not note the overdue update",
            )
        )
        state = self.console.state(incident_id)
        self._alert("Update overdue", f"{state.reference} {state.severity}: the stakeholder update is overdue.")

    def _record_soon(self, record: Callable[[], object]) -> None:
        """Write once the window is up: found overdue while the window is built, the write would make
        the first paint wait for the store's writing side (SQLAlchemy's import alone is 0.4 s)."""
        if self.isVisible() and self._ticks > 0:
            record()
        else:
            QTimer.singleShot(SYNC_START_MS, lambda: None if self._closed else record())

    def _timer_expired(self, incident_id: str, timer_id: str) -> None:
        """Once per timer: on the timeline (every console writes the same event) and as an alert."""
        attempt(
            lambda: timers.note_expired_timers(self.console, incident_id),
            parent=self,
            title="Could not note the expired timer",
        )
        state = self.console.state(incident_id)
        timer = state.timers.get(timer_id)
        if timer is not None and timer.shown:  # not cancelled while the alert was on its way
            self._alert("Timer expired", f"{state.reference}: the timer “{timer.label}” expired.")

    def _alert(self, title: str, message: str) -> None:
        """A desktop notification where the desktop has a tray, else the status bar."""
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(self.windowIcon(), self)
                self._tray.show()
            self._tray.showMessage(title, richtext.notification(message), QSystemTrayIcon.MessageIcon.Warning, 10_000)
        else:
            self.status.showMessage(message, 30_000)

    def _remind_postmortems(self) -> None:
        """Once a start: unpublished postmortems whose review meeting is near or past."""
        if self._closed:
            return
        from commander.app.postmortem import reminders

        done, found = attempt(lambda: reminders(self.console), parent=self, title="Could not check the postmortems")
        if done and found:
            self._alert("Postmortem review", " ".join(reminder.text for reminder in found[:3]))

    def _resume_interrupted(self) -> None:
        """Updates this console was sending when it was closed (see commander.ui.updates.resume)."""
        if not self._closed:
            from commander.ui.updates.resume import resume_interrupted

            self.resumer = resume_interrupted(self.console, self, self.status.showMessage)

    def edit_destinations(self) -> QDialog:
        from commander.ui.updates.destinations import DestinationsDialog

        dialog = DestinationsDialog(self.console, self)
        dialog.open()
        return dialog

    def edit_remote(self) -> QDialog:
        from commander.ui.connections.remote import RemoteDialog

        dialog = RemoteDialog(self.console, self)
        dialog.accepted.connect(self.restart_sync)
        dialog.open()
        return dialog

    def restart_sync(self) -> None:
        """A new shared store (or none): stop the replicator and start again from the settings."""
        self.sync.stop()
        self.sync = SyncBridge(self.console, self.bridge, self)
        self.sync_indicator.attach(self.sync)
        self._start_sync()

    def rename_me(self) -> RenameDialog:
        from commander.ui.kit.dialogs import RenameDialog

        dialog = RenameDialog(self.console, self)
        dialog.accepted.connect(lambda: self.status.show_person(self.console.me.name))
        dialog.open()
        return dialog

    def focus_note_box(self) -> None:
        if self.current is not None:
            self.note_box.focus()

    def _note_deleted(self, incident_id: str, note_id: str) -> None:
        self._deleted.append((incident_id, note_id))
        self.status.undo.offer("Note deleted.")

    def undo_delete(self) -> None:
        self.status.undo.withdraw()
        while self._deleted:
            incident_id, note_id = self._deleted.pop()
            note = self.console.state(incident_id).notes.get(note_id)
            if note is not None and note.deleted:  # someone may have restored it already
                attempt(
                    partial(timeline.restore_note, self.console, incident_id, note_id),
                    parent=self,
                    title="Could not restore the note",
                )
                self.status.showMessage("Note restored.", 4000)
                return

    # -- looks and help ----------------------------------------------------------------------

    def toggle_theme(self) -> None:
        name = "dark" if self.menu_actions.dark.isChecked() else "light"
        self.settings.theme = name
        self.tones = theme.apply(self, name)
        self._push_tones()

    def _push_tones(self) -> None:
        self.menu_actions.dark.setChecked(self.tones.name == "dark")
        self.timeline.set_tones(self.tones)
        self.incidents.set_tones(self.tones)
        self.roles.set_tones(self.tones)
        self.checklists.set_tones(self.tones)

    def show_shortcuts(self) -> ShortcutsDialog:
        from commander.ui.kit.dialogs import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.open()
        return dialog

    def show_about(self) -> QMessageBox:
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "About Commander",
            f"Commander {commander.__version__}\n\nOne pane for the Incident Commander: "
            f"state and clocks, a live timeline, and the role board. Works offline; every "
            f"change is an event in the store at {self.console.where}.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    # -- remembering the window between runs -------------------------------------------------

    def _restore_ui_state(self) -> None:
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("split", self.split.restoreState),
            ("work", self.work.restoreState),
        ):
            saved = self.settings.state_bytes(key)
            if saved is not None:
                restore(saved)
        self.incidents.history_button.setChecked(self.settings.state_flag("show_history"))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.sync.stop()
        self.bridge.close()
        self._clock.stop()
        if self.remember_state:
            self._save_ui_state()
        super().closeEvent(event)

    def _save_ui_state(self) -> None:
        for key, value in (
            ("geometry", self.saveGeometry()),
            ("split", self.split.saveState()),
            ("work", self.work.saveState()),
        ):
            if isinstance(value, QByteArray):
                self.settings.set_state_bytes(key, value)
        self.settings.set_state_flag("show_history", self.incidents.history_button.isChecked())
        self.settings.sync()
