"""The main window: it assembles the panels, the menus and the status bar, and routes the one signal.

Panels read from the console and send commands to it; this window only decides which incident they
show, keeps each incident's reading place and note draft while another is shown, and hands every
`events_appended` to the panels that show what changed. It is the `Shell` the views know
(commander.ui.kit.shell): they ask it for the incident on screen, to show one, or to show a tab.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QSplitter, QWidget

from commander.app.console import Console
from commander.app.setup.resources import resources_dir
from commander.domain.checklists.checklists import KINDS as CHECKLIST_KINDS
from commander.domain.core.events import Event, incident_stream, stream_entity
from commander.ui.checklists.panel import ChecklistPanel
from commander.ui.incident.details import DetailsBox
from commander.ui.incident.header import HeaderPanel
from commander.ui.incident.incidents import LIST_KINDS, IncidentListPanel
from commander.ui.kit import theme
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.problems import attempt
from commander.ui.paging.panel import PagesPanel
from commander.ui.roles.board import RoleBoard
from commander.ui.shell import window_state
from commander.ui.shell.automation import Automation
from commander.ui.shell.layout import Panels, assemble
from commander.ui.shell.menus import DARK_THEME, SHOW_HISTORY, ShellAction, WindowActions
from commander.ui.shell.reminders import Reminders
from commander.ui.shell.settings import UiSettings
from commander.ui.shell.status_bar import StatusBar
from commander.ui.shell.sync_status import SyncBridge, SyncIndicator
from commander.ui.timeline.export import FORMATS
from commander.ui.timeline.model import TimelineFilter
from commander.ui.timeline.note_box import NoteBox, NoteDraft
from commander.ui.timeline.panel import ReadingPlace, TimelinePanel
from commander.ui.workflows.runs_panel import RunsPanel

if TYPE_CHECKING:  # dialogs are imported when first opened: start-up does not pay for them
    from commander.ui.shell.dialogs import RenameDialog, ShortcutsDialog

TICK_MS = 1000
# Kinds that change the timeline and nothing else on screen: the most frequent events by far, so
# the header, roles and details are not redrawn for them.
TIMELINE_ONLY = frozenset(
    {"note.added", "note.edited", "note.deleted", "note.restored", "entry.pinned"}
    | {
        "chat.posted",
        "chat.edited",
        "chat.deleted",
        "chat.pinned",
        "chat.unpinned",
    }  # a busy channel: the timeline only
)
# Ticking a step must fit in a frame too: checklist events change the timeline and the checklist panel only.
BESIDE_THE_HEADER = TIMELINE_ONLY | frozenset(CHECKLIST_KINDS)

SYNC_START_MS = 300
LONG_INCIDENT = 2_000  # events: an incident this long opens just after the window's first paint
RESUME_CHECK_MS = 1500  # after start-up and the first sync: updates interrupted when Commander closed

# The registered entries the window's own buttons open (the empty state's and the header's).
DECLARE = "commander.ui.incident.declare:open_declare"
MILESTONES = "commander.ui.incident.dialogs:open_milestones"
DETAILS = "commander.ui.incident.dialogs:open_details"
SEND_UPDATE = "commander.ui.updates.send:open_send_dialog"
RECORD_UPDATE = "commander.ui.updates.dialogs:open_record_update"
SET_TIMER = "commander.ui.updates.timer_dialog:open_timer_dialog"
DESTINATIONS = "commander.ui.updates.destinations:open_destinations"


class MainWindow(QMainWindow):
    split: QSplitter  # set by _place_panels (the layout's splitters the window remembers)
    work: QSplitter

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
        self.automation = RunsPanel(self, self)
        self.status = StatusBar(console, self)
        self.setStatusBar(self.status)
        self.reminders = Reminders(console, self, self.status, window_up=lambda: self.isVisible() and self._ticks > 0)
        self.sync = SyncBridge(console, self.bridge, self)
        self.sync_indicator = SyncIndicator(self.sync, self.status)
        self.status.add_sync_indicator(self.sync_indicator)
        self.sync_indicator.problem.connect(self.status.show_store_problem)
        self.sync_indicator.problem_gone.connect(self.status.clear_store_problem)
        self._place_panels()
        self.menu_actions = WindowActions(self, self, self._own_actions())
        self.menu_actions.add_undo(self.undo_delete)
        self._connect()

        self.tones = theme.apply(self, theme_name or settings.theme)
        self._push_tones()
        window_state.restore(settings, self, self.split, self.work, self.incidents.history_button)
        self.incidents.reload()
        self.status.show_open(self.incidents.open_count())
        self._open_first()
        self.automation_runner = Automation(self.console)
        self._clock = QTimer(self)
        self._clock.setInterval(TICK_MS)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        # Replication needs SQLAlchemy, the keyring and the network: start it once the window is on
        # screen (a zero delay would run before the first paint).
        QTimer.singleShot(SYNC_START_MS, self._start_sync)
        QTimer.singleShot(SYNC_START_MS, self._start_automation)
        QTimer.singleShot(RESUME_CHECK_MS, self._resume_interrupted)
        QTimer.singleShot(RESUME_CHECK_MS, self._remind_postmortems)

    def _open_first(self) -> None:
        """The most severe open incident; a long one once the window has been painted, saying so."""
        first = self.incidents.first_open()
        summary = self.incidents.summary(first) if first else None
        if summary is None or summary.event_count < LONG_INCIDENT:
            self.select_incident(first)
            return
        # A long incident takes a few hundred milliseconds to open even from its snapshot: show the
        # window first, saying what is opening, and open it once that has been painted.
        self._pending_open = summary.id
        self.incidents.select(summary.id)  # highlighted in the list, without asking to open it now
        self.opening.setText(f"Opening {summary.reference} ({summary.event_count:,} events)…")
        self.stack.setCurrentWidget(self.opening)
        self.opening.armed = True

    def _start_sync(self) -> None:
        if self._closed:
            return  # closed before the event loop came round to it
        attempt(self.sync.start, parent=self, title="Could not start syncing with the shared store")
        self.sync.set_incident(self.current)

    def _start_automation(self) -> None:
        if not self._closed:  # closed before the event loop came round to it: its console is closed too
            self.automation_runner.start()

    # -- layout and menus ----------------------------------------------------------------------

    def _place_panels(self) -> None:
        panels = Panels(
            self.incidents,
            self.header,
            self.timeline,
            self.note_box,
            self.roles,
            self.checklists,
            self.details,
            self.pages,
            self.automation,
        )
        layout = assemble(self, panels, declare=self.declare_incident, opened=self.finish_opening)
        self.split, self.work, self.stack = layout.split, layout.work, layout.stack
        self.right_tabs, self.right_column = layout.right_tabs, layout.right_column
        self.empty, self.pane, self.opening = layout.empty, layout.pane, layout.opening

    def _own_actions(self) -> list[ShellAction]:
        """The shell's own menu items; the feature packages' entries fall in between by their order."""
        export = tuple(
            ShellAction("File", f"{label} (.{extension})…", 0, partial(self.export, fmt), needs_incident=True)
            for fmt, (extension, label) in FORMATS.items()
        )
        help_keys = QKeySequence(QKeySequence.StandardKey.HelpContents)
        return [
            ShellAction("File", "&Export", 20, submenu=export),
            ShellAction("File", "&Quit", 90, self.close, "Ctrl+Q"),
            ShellAction(
                "Incident", "&Severity…", 10, self.header.open_severity_menu, "Ctrl+Shift+S", needs_incident=True
            ),
            ShellAction("Incident", "S&tatus…", 20, self.header.open_status_menu, "Ctrl+Shift+T", needs_incident=True),
            ShellAction("Incident", "&Add role…", 50, self.roles.add_role, needs_incident=True),
            ShellAction("View", DARK_THEME, 10, self.toggle_theme, "Ctrl+Shift+L", checkable=True),
            ShellAction("View", SHOW_HISTORY, 20, self.incidents.history_button.setChecked, checkable=True),
            ShellAction("View", "Go to the incident &list", 40, self.incidents.focus_list, "Ctrl+1"),
            ShellAction(
                "View", "Go to the &timeline", 50, self.timeline.entries.setFocus, "Ctrl+2", needs_incident=True
            ),
            ShellAction("View", "Go to the &roles", 60, self.roles.tree.setFocus, "Ctrl+3", needs_incident=True),
            ShellAction("View", "Focus the &note box", 70, self.focus_note_box, "Ctrl+L", needs_incident=True),
            ShellAction("View", "&Search the timeline", 80, self.timeline.focus_search, "Ctrl+F", needs_incident=True),
            ShellAction("Help", "&Keyboard shortcuts", 10, self.show_shortcuts, help_keys),
            ShellAction("Help", "&About Commander", 20, self.show_about),
        ]

    def _connect(self) -> None:
        self.bridge.events_appended.connect(self._events_appended)
        self.bridge.store_failed.connect(self.status.show_store_problem)
        self.bridge.store_recovered.connect(self.status.clear_store_problem)
        self.bridge.shared_store_changed.connect(self.restart_sync)
        self.incidents.incident_selected.connect(self.select_incident)
        self.incidents.history_button.toggled.connect(self.menu_actions.history.setChecked)
        self.header.severity_requested.connect(self.change_severity)
        self.header.status_requested.connect(self.change_status)
        self.header.milestones_requested.connect(self.edit_milestones)
        self.header.details_requested.connect(self.edit_details)
        self.header.update_sent_requested.connect(self.record_update)
        self.header.send_requested.connect(self.send_update)
        self.header.snooze_requested.connect(self.snooze_updates)
        self.header.update_overdue.connect(self.reminders.update_overdue)
        self.header.timer_requested.connect(self.set_timer)
        self.header.timers.timer_expired.connect(self.reminders.timer_expired)
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
        """Show this incident (None: the empty state); views that follow it hear `bridge.incident_shown`."""
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
        self.menu_actions.set_incident_shown(incident_id is not None)
        self.setWindowTitle(f"{state.reference} {state.title} — Commander" if state else "Commander")
        self.bridge.incident_shown.emit(incident_id)

    def show_tab(self, name: str) -> None:
        """Bring a tab of the incident pane to the front ("checklists", "details", "pages", "automation"); "notes" puts
        the cursor in the note box."""
        if name == "notes":
            self.focus_note_box()
            return
        tabs: dict[str, QWidget] = {
            "checklists": self.checklists,
            "details": self.details,
            "pages": self.pages,
            "automation": self.automation,
        }
        if name not in tabs:
            raise ValueError(f"No tab {name!r} in the incident pane (tabs: {', '.join(tabs)}, and notes).")
        self.right_tabs.setCurrentWidget(tabs[name])

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
        self.automation_runner.tick(self._ticks)
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

    # -- the shell's own commands, and the buttons that open what menu entries open -----------

    def declare_incident(self) -> Any:
        return self.menu_actions.open(DECLARE)

    def change_severity(self, severity: str) -> QDialog | None:
        from commander.ui.incident import dialogs as incident_dialogs

        return incident_dialogs.open_severity(self, severity)

    def change_status(self, status: str) -> QDialog | None:
        from commander.ui.incident import dialogs as incident_dialogs
        from commander.ui.shell.resolution import offer_after_resolving

        dialog = incident_dialogs.open_status(self, status)
        if dialog is not None:
            incident_id = dialog.incident_id
            dialog.accepted.connect(lambda: offer_after_resolving(self, self.status, incident_id))
        return dialog

    def edit_milestones(self) -> Any:
        return self.menu_actions.open(MILESTONES)

    def edit_details(self) -> Any:
        return self.menu_actions.open(DETAILS)

    def export(self, fmt: str) -> None:
        if self.current is None:
            return
        from commander.ui.timeline.export import export_incident

        path = export_incident(self, self.console, self.current, fmt)
        if path is not None:
            self.status.showMessage(f"Saved {path}", 8000)

    def record_update(self) -> Any:
        return self.menu_actions.open(RECORD_UPDATE)

    def send_update(self) -> Any:
        return self.menu_actions.open(SEND_UPDATE)

    def snooze_updates(self) -> QDialog | None:
        if self.current is None:
            return None
        from commander.ui.updates.dialogs import SnoozeDialog

        dialog = SnoozeDialog(self.console, self.current, self)
        dialog.open()
        return dialog

    def set_timer(self) -> Any:
        return self.menu_actions.open(SET_TIMER)

    def edit_destinations(self) -> Any:
        """Incident > Destinations…, for the updates and connections tests that still call it this way."""
        return self.menu_actions.open(DESTINATIONS)

    def restart_sync(self) -> None:
        """A new shared store (or none): stop the replicator and start again from the settings."""
        self.sync.stop()
        self.sync = SyncBridge(self.console, self.bridge, self)
        self.sync_indicator.attach(self.sync)
        self._start_sync()

    def _resume_interrupted(self) -> None:
        """Updates this console was sending when it was closed (see commander.ui.updates.resume)."""
        if not self._closed:
            from commander.ui.updates.resume import resume_interrupted

            self.resumer = resume_interrupted(self.console, self, self.status.showMessage)

    def _remind_postmortems(self) -> None:
        self.reminders.remind_postmortems()

    def rename_me(self) -> RenameDialog:
        from commander.ui.shell.dialogs import RenameDialog

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
        from commander.app.timeline import restore_note

        self.status.undo.withdraw()
        while self._deleted:
            incident_id, note_id = self._deleted.pop()
            note = self.console.state(incident_id).notes.get(note_id)
            if note is not None and note.deleted:  # someone may have restored it already
                attempt(
                    partial(restore_note, self.console, incident_id, note_id),
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
        from commander.ui.shell.dialogs import ShortcutsDialog

        dialog = ShortcutsDialog(self)
        dialog.open()
        return dialog

    def show_about(self) -> QMessageBox:
        from commander.ui.shell.dialogs import about_box

        return about_box(self.console, self)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        self.reminders.closed = True
        self.sync.stop()
        self.automation_runner.stop()
        self.bridge.close()
        self._clock.stop()
        if self.remember_state:
            window_state.save(self.settings, self, self.split, self.work, self.incidents.history_button)
        super().closeEvent(event)
