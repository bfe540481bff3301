"""Incident > Alerts… (Ctrl+Shift+A): what fires in every source, grouped, with triage actions.

Each source shows its state (up, or down with the reason, and when it was last read); sources are read
in the background every 30 s and on F5, and grouped there too, so the UI thread only resets the model.
The details pane is plain text: an alert's labels and annotations are another system's text and are
never rendered as markup; links open in the browser only when they are http or https.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QHideEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from commander.app import alerts as triage
from commander.app.alerts import AlertsResult, Outcome
from commander.app.console import Console
from commander.domain.alerts.alerts import Alert, AlertGroup, group_alerts, known_time
from commander.domain.core.when import format_duration
from commander.ui.alerts.model import AlertGroupsModel
from commander.ui.alerts.sources import manage_alert_sources
from commander.ui.kit.background import run_in_background
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import ErrorLabel, attempt
from commander.ui.kit.shell import Shell, open_once

REFRESH_MS = 30_000
EXPAND_UP_TO = 200  # alerts: a first list this small opens every group
NO_SOURCES = (
    "No alert sources yet. Add an Alertmanager with Sources…, or ingest pushed alerts with "
    "`commander alerts ingest FILE`."
)


class TriageView(QDialog):
    incident_declared = Signal(str)
    refreshed = Signal()  # the list on screen is the latest read

    def __init__(
        self,
        console: Console,
        current_incident: Callable[[], str | None],
        parent: QWidget | None = None,
        *,
        show_runbook: Callable[[str], object] | None = None,
    ) -> None:
        """`show_runbook(id)` shows a library runbook (the shell's library window); without it, Open
        runbook opens the alert's runbook_url."""
        super().__init__(parent)
        self.console = console
        self.current_incident = current_incident
        self.show_runbook = show_runbook
        self.results: list[AlertsResult] = []
        self._fetching = False
        self._again = False
        self._first = True
        self.setWindowTitle("Alerts")
        self.setWindowFlag(Qt.WindowType.WindowMaximizeButtonHint)

        self.model = AlertGroupsModel(console.policy, console.time_format, self)
        em = self.fontMetrics().horizontalAdvance("x")
        split = self._alerts_and_details(em)
        top = self._sources_row()
        actions = self._actions_row()
        self.error = ErrorLabel(self)
        self.report = plain_label("", self, name="Muted")
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        layout.addLayout(actions)
        layout.addWidget(self.error)
        layout.addWidget(self.report)

        refresh = QAction("Refresh", self)
        refresh.setShortcuts([QKeySequence(QKeySequence.StandardKey.Refresh), QKeySequence("Ctrl+R")])
        refresh.triggered.connect(self.refresh)
        self.addAction(refresh)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.tree.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.resize(em * 170, self.fontMetrics().height() * 38)
        self._show_sources()
        self._selection_changed()

    def _alerts_and_details(self, em: int) -> QSplitter:
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)  # row heights are not measured one by one: 5,000 rows stay cheap
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setAlternatingRowColors(True)
        self.tree.setAccessibleName("Firing alerts")
        for column, width in enumerate((40, 11, 14, 40)):
            self.tree.setColumnWidth(column, em * width)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setAccessibleName("Alert details")
        self.details.setPlaceholderText("Select an alert or a group to see its labels and annotations.")
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.tree)
        split.addWidget(self.details)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        return split

    def _sources_row(self) -> QHBoxLayout:
        self.sources_box = QVBoxLayout()
        self.sources_box.setSpacing(2)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Read every source again (F5); it happens every 30 s by itself")
        self.refresh_button.clicked.connect(self.refresh)
        self.sources_button = QPushButton("Sour&ces…", self)
        self.sources_button.setToolTip("Add or remove the Alertmanagers read here")
        self.sources_button.clicked.connect(self.edit_sources)
        top = QHBoxLayout()
        top.addLayout(self.sources_box, 1)
        top.addWidget(self.sources_button, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignTop)
        return top

    def _actions_row(self) -> QHBoxLayout:
        self.declare_button = QPushButton("&Declare incident…", self)
        self.attach_button = QPushButton("A&ttach to incident", self)
        self.runbook_button = QPushButton("Open &runbook", self)
        self.link_button = QPushButton("Open source &link", self)
        self.noise_button = QPushButton("Mark as &noise…", self)
        self.silence_button = QPushButton("&Silence…", self)
        self.declare_button.setObjectName("Primary")
        actions = QHBoxLayout()
        for button, slot in (
            (self.declare_button, self.declare),
            (self.attach_button, self.attach),
            (self.runbook_button, self.open_runbook),
            (self.link_button, self.open_link),
            (self.noise_button, self.mark_noise),
            (self.silence_button, self.silence),
        ):
            button.clicked.connect(slot)
            actions.addWidget(button)
        actions.addStretch(1)
        return actions

    # -- reading the sources -----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.timer.start()
        self.refresh()

    def follow_incident(self, _incident_id: object) -> None:
        """Another incident is on screen in the shell: Attach and Silence now name it."""
        self._selection_changed()

    def hideEvent(self, event: QHideEvent) -> None:
        self.timer.stop()  # nobody looks: nobody reads the sources
        super().hideEvent(event)

    def refresh(self) -> None:
        """Read every source in the background; a refresh asked for meanwhile runs when it is done."""
        if self._fetching:
            self._again = True
            return
        self._fetching = True
        self.refresh_button.setEnabled(False)
        self.refresh_button.setText("Refreshing…")
        console = self.console

        def work(_progress: object) -> tuple[list[AlertsResult], list[AlertGroup]]:  # no widgets here
            with triage.collector_paused():
                results = triage.fetch_all(console, console.secrets)
                groups = group_alerts(triage.firing(results), triage.mapping_for(console), console.policy)
            return results, groups

        task = run_in_background(
            work,
            parent=self,
            success=self._fetched,
            failure=lambda message: self.error.show_message(f"Could not read the alert sources: {message}"),
            name="commander-read-alerts",
        )
        task.finished.connect(self._fetch_ended)

    def edit_sources(self) -> QDialog:
        """The alert sources dialog; the sources are read again when it closes."""
        return manage_alert_sources(self, self.console, then=self.refresh)

    def _fetched(self, outcome: tuple[list[AlertsResult], list[AlertGroup]]) -> None:
        self._fetching = False  # before the sources are shown: "Reading…" gives way to what was read
        self.results, groups = outcome
        self._show_groups(groups)
        self._show_sources()

    def _fetch_ended(self) -> None:
        self._fetching = False
        self.refresh_button.setEnabled(True)
        self.refresh_button.setText("Refresh")
        self.refreshed.emit()
        if self._again:
            self._again = False
            self.refresh()

    def _show_groups(self, groups: list[AlertGroup]) -> None:
        """Swap the list, keeping which groups are open and what is selected (by key, not by row)."""
        model = self.model
        opened = {g.key for row, g in enumerate(model.groups) if self.tree.isExpanded(model.index(row, 0))}
        chosen = self.tree.selectionModel().selectedRows()
        chosen_alerts = {a.key for i in chosen if (a := model.alert_at(i)) is not None}
        chosen_groups = {g.key for i in chosen if model.alert_at(i) is None and (g := model.group_at(i)) is not None}
        model.set_groups(groups)
        if self._first:
            self._first = False
            if model.alert_count <= EXPAND_UP_TO:
                self.tree.expandAll()
        else:
            for row, group in enumerate(groups):
                if group.key in opened:
                    self.tree.setExpanded(model.index(row, 0), True)
        selection = self.tree.selectionModel()
        flags = selection.SelectionFlag.Select | selection.SelectionFlag.Rows
        for key in chosen_groups:
            found = model.group_row(key)
            if found is not None:
                selection.select(model.index(found, 0), flags)
        for key in chosen_alerts:
            index = model.alert_index(key)
            if index.isValid():
                selection.select(index, flags)
        self._selection_changed()

    def _show_sources(self) -> None:
        while self.sources_box.count():
            item = self.sources_box.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if not self.results:
            self.sources_box.addWidget(
                plain_label(
                    "Reading the alert sources…" if self._fetching or self._first else NO_SOURCES, self, name="Muted"
                )
            )
            return
        for result in self.results:
            read = result.at.astimezone(self.console.zone).strftime("%H:%M:%S")
            if result.up:
                text = f"{result.source} — up · {len(result.alerts):,} firing · read at {read}"
                label = plain_label(text, self)
            else:
                label = plain_label(f"{result.source} — down: {result.error} (tried at {read})", self, name="ErrorText")
            label.setAccessibleName(f"Source {result.source}")
            self.sources_box.addWidget(label)

    # -- the selection -----------------------------------------------------------------------------

    def selected(self) -> list[Alert]:
        return self.model.alerts_for(self.tree.selectionModel().selectedRows())

    def _selection_changed(self) -> None:
        chosen = self.selected()
        incident = self.current_incident()
        reference = self.console.state(incident).reference if incident else None
        self.attach_button.setText(f"A&ttach to {reference}" if reference else "A&ttach to incident")
        self.attach_button.setToolTip("" if reference else "Open an incident in the window first")
        self.silence_button.setToolTip(
            f"Silence them in Alertmanager for {reference}"
            if reference
            else "Open the incident they belong to in the window first"
        )
        for button in (self.declare_button, self.noise_button):
            button.setEnabled(bool(chosen))
        for button in (self.attach_button, self.silence_button):
            button.setEnabled(bool(chosen) and reference is not None)
        has_runbook = bool(self._one_link(chosen, "runbook")) or self.library_runbook(chosen) is not None
        self.runbook_button.setEnabled(has_runbook)
        self.link_button.setEnabled(bool(self._one_link(chosen, "source")))
        self.details.setPlainText(self._describe(chosen))

    @staticmethod
    def _one_link(chosen: list[Alert], which: str) -> str:
        """The one runbook (or source link) the chosen alerts share; "" when none or several."""
        links = {a.runbook_url if which == "runbook" else a.generator_url for a in chosen}
        return links.pop() if len(links) == 1 else ""

    def _describe(self, chosen: list[Alert]) -> str:
        if not chosen:
            return ""
        if len(chosen) > 1:
            names = sorted({a.name for a in chosen})
            return (
                f"{len(chosen):,} alerts selected: {', '.join(names[:8])}"
                + (" …" if len(names) > 8 else "")
                + "\n\nDeclare, attach, mark as noise or silence acts on all of them."
            )
        alert = chosen[0]
        now = self.console.now()
        started = (
            f"{self.console.time_format(alert.starts_at)} ({format_duration(now - alert.starts_at)} ago)"
            if known_time(alert.starts_at)
            else "unknown"
        )
        lines = [
            alert.name,
            "",
            f"Source: {alert.source}    Status: {alert.status}",
            f"Fingerprint: {alert.fingerprint}",
            f"Started: {started}",
        ]
        if alert.runbook_url:
            lines.append(f"Runbook: {alert.runbook_url}")
        if alert.generator_url:
            lines.append(f"Source link: {alert.generator_url}")
        lines += ["", "Labels"] + [f"  {k} = {v}" for k, v in sorted(alert.labels.items())]
        if alert.annotations:
            lines += ["", "Annotations"] + [f"  {k} = {v}" for k, v in sorted(alert.annotations.items())]
        return "\n".join(lines)

    # -- actions -----------------------------------------------------------------------------------

    def declare(self) -> QDialog | None:
        from commander.ui.alerts.dialogs import DeclareFromAlertsDialog

        chosen = self.selected()
        if not chosen:
            return None
        dialog = DeclareFromAlertsDialog(self.console, chosen, self)
        dialog.declared.connect(self._declared)
        dialog.open()
        return dialog

    def _declared(self, incident_id: str) -> None:
        state = self.console.state(incident_id)
        self.report.setText(f"Declared {state.reference} with {len(state.alerts)} alerts attached.")
        self.incident_declared.emit(incident_id)
        self._selection_changed()

    def attach(self) -> None:
        incident, chosen = self.current_incident(), self.selected()
        if incident is None or not chosen:
            return
        done, events = attempt(lambda: triage.attach_alerts(self.console, incident, chosen), inline=self.error)
        if done and events is not None:
            reference = self.console.state(incident).reference
            self.report.setText(f"Attached {len(events)} alert{'s' if len(events) != 1 else ''} to {reference}.")

    def library_runbook(self, chosen: list[Alert]) -> str | None:
        """The id of a library runbook written for the chosen alerts' one alert name, if there is one (and a
        library to show it in)."""
        from commander.app.runbooks import library as runbooks

        names = {alert.name for alert in chosen}
        if len(names) != 1 or self.show_runbook is None:
            return None
        done, hits = attempt(lambda: runbooks.search(self.console, "", alerts=names, limit=3), inline=self.error)
        fitting = [hit for hit in (hits or []) if names & set(hit.runbook.alerts)] if done else []
        return fitting[0].record.id if fitting else None

    def open_runbook(self) -> None:
        """The library's runbook for this alert when the team has one (it works offline and becomes a
        checklist with one click), else the alert's runbook_url in the browser."""
        chosen = self.selected()
        if not chosen:
            return
        found = self.library_runbook(chosen)
        if found is not None and self.show_runbook is not None:
            self.show_runbook(found)
            return
        link = self._one_link(chosen, "runbook")
        if not link:
            self.error.show_message(
                f"No runbook for {chosen[0].name} in the library, and the alert names none "
                f"(no runbook_url annotation). Import the team's runbooks with Incident > "
                f"Runbooks… > Import…."
            )
            return
        self._open(link, "runbook")

    def open_link(self) -> None:
        self._open(self._one_link(self.selected(), "source"), "source link")

    def _open(self, link: str, what: str) -> None:
        url = QUrl(link)
        if not link or url.scheme() not in ("http", "https"):
            self.error.show_message(
                f"The {what} “{link}” is not a web address: Commander opens only http and "
                f"https links. Copy it from the details if you trust it."
            )
            return
        self.error.clear_message()
        QDesktopServices.openUrl(url)

    def mark_noise(self) -> QDialog | None:
        from commander.ui.alerts.dialogs import NoiseDialog

        chosen = self.selected()
        if not chosen:
            return None
        incident = self.current_incident()
        dialog = NoiseDialog(self.console, chosen, self.console.state(incident) if incident else None, self)
        dialog.accepted.connect(
            lambda: self.report.setText(f"Marked {len(chosen)} alert{'s' if len(chosen) != 1 else ''} as noise.")
        )
        dialog.open()
        return dialog

    def silence(self) -> QDialog | None:
        from commander.ui.alerts.dialogs import SilenceDialog

        incident, chosen = self.current_incident(), self.selected()
        if incident is None or not chosen:
            return None
        dialog = SilenceDialog(self.console, incident, chosen, self)
        dialog.accepted.connect(self._silenced)
        dialog.open()
        return dialog

    def _silenced(self) -> None:
        self.report.setText("Silence created: its alerts leave this list.")
        self.refresh()


class SilenceExpiry(QObject):
    """When an incident resolves: offer to expire its silences, so its alerts notify again if they come
    back. Nothing leaves without a Yes; the expiry runs in the background and lands on the timeline."""

    def __init__(self, console: Console, parent: QWidget) -> None:
        super().__init__(parent)
        self.console = console
        self.window = parent

    def offer(self, incident_id: str) -> QMessageBox | None:
        found = triage.open_silences(self.console, incident_id)
        if not found:
            return None
        state = self.console.state(incident_id)
        lines = [f"• {s.source}: {', '.join(s.matchers)} (until {self.console.time_format(s.ends_at)})" for s in found]
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Expire the incident's silences?",
            f"{state.reference} is resolved, and {len(found)} silence{'s' if len(found) != 1 else ''} "
            f"created for it still hold{'s' if len(found) == 1 else ''} its alerts back:\n\n"
            + "\n".join(lines)
            + f"\n\nExpire {'it' if len(found) == 1 else 'them'} now, so the "
            f"alerts notify again if the problem comes back?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self.window,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        pairs = [(s.source, s.silence_id) for s in found]
        yes = box.button(QMessageBox.StandardButton.Yes)
        box.buttonClicked.connect(lambda clicked: self.expire(pairs) if clicked is yes else None)
        box.open()
        return box

    def expire(self, pairs: list[tuple[str, str]]) -> None:
        found, known = attempt(
            lambda: triage.sources(self.console), parent=self.window, title="Could not expire the silences"
        )
        if not found or known is None:
            return
        console = self.console
        run_in_background(
            # on the worker thread: the network only, no widgets and no store
            lambda _progress: triage.expire_silences(known, pairs, console.secrets, services=console.services),
            parent=self.window,
            success=self._expired,
            title="Could not expire the silences",
            name="commander-expire-silences",
        )

    def _expired(self, outcome: list[Outcome]) -> None:
        attempt(
            lambda: triage.record_expired(self.console, outcome),
            parent=self.window,
            title="Could not expire every silence",
        )


def open_triage(shell: Shell) -> TriageView:
    """The shell's one Alerts window, made on first use and shown again after; an incident declared there
    is shown in the shell, and a library runbook opens in the shell's runbook library."""

    def make() -> TriageView:
        made = TriageView(
            shell.console, lambda: shell.current, shell.window(), show_runbook=partial(_show_library_runbook, shell)
        )
        made.incident_declared.connect(shell.select_incident)
        shell.bridge.incident_shown.connect(made.follow_incident)
        return made

    return open_once(shell, TriageView, make)[0]


def _show_library_runbook(shell: Shell, runbook_id: str) -> None:
    from commander.ui.runbooks.library import open_runbook_library

    open_runbook_library(shell).select(runbook_id)


def offer_silence_expiry(shell: Shell, incident_id: str) -> QMessageBox | None:
    """Called when an incident is resolved in the shell: offers to expire its silences, if it has any."""
    window = shell.window()
    expiry = window.findChild(SilenceExpiry) or SilenceExpiry(shell.console, window)
    return expiry.offer(incident_id)
