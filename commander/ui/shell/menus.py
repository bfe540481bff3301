"""The window's menus and shortcuts: File, Incident, View, Help, and Ctrl+Z for undoing a deletion."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from commander.ui.timeline.export import FORMATS

if TYPE_CHECKING:
    from commander.ui.actions.view import ActionItemsWindow
    from commander.ui.alerts.view import TriageView
    from commander.ui.analytics.view import TrendsWindow
    from commander.ui.connections.dialog import ConnectionsDialog
    from commander.ui.oncall.view import OnCallView
    from commander.ui.paging.page_dialog import PageDialog
    from commander.ui.runbooks.library import RunbookLibrary
    from commander.ui.shell.main_window import MainWindow
    from commander.ui.updates.template_editor import TemplateEditor


class WindowActions:
    """Builds the menu bar; keeps the actions the window turns on and off or reads back."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.need_incident: list[QAction] = []  # disabled while no incident is shown
        bar = window.menuBar()
        file_, incident, view, help_ = (bar.addMenu(name) for name in ("&File", "&Incident", "&View", "&Help"))
        w = window

        self.add(file_, "&Declare incident…", w.declare_incident, "Ctrl+N")
        export = file_.addMenu("&Export")
        for fmt, (extension, label) in FORMATS.items():
            self.add(export, f"{label} (.{extension})…", partial(w.export, fmt), needs_incident=True)
        file_.addSeparator()
        self.add(file_, "S&hared store…", w.edit_remote)
        file_.addSeparator()
        self.add(file_, "&Quit", w.close, "Ctrl+Q")

        self.add(incident, "&Severity…", w.header.open_severity_menu, "Ctrl+Shift+S", needs_incident=True)
        self.add(incident, "S&tatus…", w.header.open_status_menu, "Ctrl+Shift+T", needs_incident=True)
        self.add(incident, "&Milestones…", w.edit_milestones, needs_incident=True)
        self.add(incident, "&Edit details…", w.edit_details, needs_incident=True)
        self.add(incident, "&Add role…", w.roles.add_role, needs_incident=True)
        incident.addSeparator()
        self.add(incident, "Send &update…", w.send_update, "Ctrl+U", needs_incident=True)
        self.add(incident, "Update tem&plates…", self.edit_templates, "Ctrl+Shift+U")
        self.add(incident, "&Record an update sent…", w.record_update, needs_incident=True)
        self.add(incident, "Set a t&imer…", w.set_timer, "Ctrl+T", needs_incident=True)
        self.add(incident, "&Destinations…", w.edit_destinations)
        self.add(incident, "Trac&kers…", self.open_trackers)
        self.add(incident, "Pagers…", self.open_pagers)
        self.add(incident, "Alert sources…", self.open_alert_sources)
        self.add(incident, "A&lerts…", self.open_alerts, "Ctrl+Shift+A")
        self.add(incident, "Run&books…", self.open_runbooks, "Ctrl+Shift+B")
        self.add(incident, "Actio&n items (all incidents)…", self.open_action_items, "Ctrl+Shift+I")
        self.add(incident, "P&ostmortem…", self.open_postmortem, "Ctrl+Shift+P", needs_incident=True)
        self.add(incident, "On-&call…", self.open_oncall, "Ctrl+Shift+O")
        self.add(incident, "Pa&ge on-call for a service…", self.open_page_dialog, "Ctrl+Shift+G", needs_incident=True)

        self.dark = self.add(view, "&Dark theme", w.toggle_theme, "Ctrl+Shift+L", checkable=True)
        self.history = self.add(view, "Show &history", w.incidents.history_button.setChecked, checkable=True)
        view.addSeparator()
        self.add(view, "Go to the incident &list", w.incidents.focus_list, "Ctrl+1")
        self.add(view, "Go to the &timeline", w.timeline.entries.setFocus, "Ctrl+2", needs_incident=True)
        self.add(view, "Go to the &roles", w.roles.tree.setFocus, "Ctrl+3", needs_incident=True)
        self.add(view, "Focus the &note box", w.focus_note_box, "Ctrl+L", needs_incident=True)
        self.add(view, "&Search the timeline", w.timeline.focus_search, "Ctrl+F", needs_incident=True)
        view.addSeparator()
        self.add(view, "T&rends…", self.open_trends, "Ctrl+Shift+R")

        self.add(help_, "&Keyboard shortcuts", w.show_shortcuts, QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.add(help_, "&About Commander", w.show_about)

        # Not in a menu: Ctrl+Z means "undo the last note deletion" unless a text field has focus
        # (text fields take Ctrl+Z for their own undo first).
        self.undo = QAction("Undo note deletion", window)
        self.undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.undo.triggered.connect(w.undo_delete)
        window.addAction(self.undo)

    def open_action_items(self) -> ActionItemsWindow:
        """Action items across incidents: one window, shown again when reopened."""
        from commander.ui.actions.view import open_action_items

        return open_action_items(self.window)

    def open_trends(self) -> TrendsWindow:
        """Incident analytics: one window, shown again when reopened."""
        from commander.ui.analytics.view import open_trends

        return open_trends(self.window)

    def open_trackers(self) -> ConnectionsDialog:
        """Where action items are pushed: the list, Add and Remove (secrets stay in the keyring)."""
        from commander.ui.actions.trackers import open_trackers

        return open_trackers(self.window, self.window.console)

    def open_pagers(self) -> ConnectionsDialog:
        from commander.ui.paging.pagers import open_pagers

        return open_pagers(self.window, self.window.console)

    def open_alert_sources(self) -> ConnectionsDialog:
        from commander.ui.alerts.sources import open_alert_sources

        return open_alert_sources(self.window, self.window.console)

    def open_alerts(self) -> TriageView:
        """What fires in the alert sources, for triage: one window, shown again when reopened."""
        from commander.ui.alerts.view import open_triage

        return open_triage(self.window)

    def open_page_dialog(self, person: str = "") -> PageDialog | None:
        """Page the on-call for a service (or `person`) on the incident on screen: who, through what, confirmed."""
        from commander.ui.paging.page_dialog import open_page_dialog

        w = self.window
        # From the menu, QAction.triggered passes its `checked` flag here: only a name is a person.
        return open_page_dialog(w, w.console, w.current, person=person if isinstance(person, str) else "")

    def open_runbooks(self) -> RunbookLibrary:
        """The runbook library, the open incident's runbooks first: one window, shown again when reopened."""
        from commander.ui.runbooks.library import open_runbook_library

        return open_runbook_library(self.window)

    def open_oncall(self) -> OnCallView:
        """Who is on call, the schedules' calendars and overrides: one window, shown again when reopened."""
        from commander.ui.oncall.view import open_oncall

        return open_oncall(self.window)

    def edit_templates(self) -> TemplateEditor:
        """The template editor, previewing against the incident on screen (or a sample when none is)."""
        from commander.ui.updates.template_editor import TemplateEditor

        w = self.window
        dialog = TemplateEditor(w.console, w.current, w.bridge, w)
        dialog.open()
        return dialog

    def open_postmortem(self) -> QWidget | None:
        """The postmortem of the incident on screen: its editor, or the question that starts its draft."""
        from commander.ui.postmortem.opening import open_postmortem

        w = self.window
        return open_postmortem(w, w.console, w.current, w.bridge) if w.current else None

    def add(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        shortcut: str | QKeySequence | None = None,
        *,
        needs_incident: bool = False,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        if needs_incident:
            self.need_incident.append(action)
        return action
