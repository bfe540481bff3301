"""The incident's Automation tab: each workflow action run for it (app.automation.runs), with its rule, its
latest outcome (done, failed or skipped, in the theme's colour and in words), what it made or why it
failed, when and by whom; a failed one has Retry, which runs it again off the UI thread.

The rows follow the store: an outcome recorded here, by the window's own engine, by another console or by
`commander watch` arrives through the bridge's `events_appended`. The tab shows only while the incident has
runs, as Pages does. Rule names and the services' reasons come from outside: item texts are plain, tooltips are escaped.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHeaderView,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.domain.core.events import Event, incident_stream
from commander.domain.workflows.runs import DONE, FAILED, ActionRun
from commander.ui.kit import richtext, timefmt
from commander.ui.kit.background import Task, run_in_background
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import ErrorLabel
from commander.ui.kit.shell import Shell
from commander.ui.kit.theme import DARK, Tones

RUN_KINDS = ("workflow.action_done", "workflow.action_failed", "workflow.action_skipped")
TEXT_MAX = 300  # characters of a reason on its row; the tooltip has it whole


class RunsPanel(QWidget):
    ACTION, OUTCOME, WHEN, BY, RETRY = range(5)

    def __init__(self, shell: Shell, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shell = shell
        self.console: Console = shell.console
        self.incident_id: str | None = None
        self.runs: list[ActionRun] = []
        self.retrying: dict[str, Task[ActionRun]] = {}  # action id: its retry, while it runs
        self.said = plain_label("", self, name="Muted")
        self.said.hide()
        self.error = ErrorLabel(self)
        self.empty = plain_label("No workflow action has run for this incident.", self, name="Muted")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("RunsTree")
        self.tree.setAccessibleName("Workflow actions run for this incident")
        self.tree.setHeaderLabels(["Action", "Outcome", "When", "By", ""])
        self.tree.setRootIsDecorated(False)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(self.ACTION, QHeaderView.ResizeMode.Stretch)
        for column in (self.OUTCOME, self.WHEN, self.BY):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.RETRY, QHeaderView.ResizeMode.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.error)
        layout.addWidget(self.said)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        bridge: ConsoleBridge = shell.bridge
        bridge.incident_shown.connect(self.show_incident)
        bridge.events_appended.connect(self._appended)
        self._show_tab(False)

    @property
    def tones(self) -> Tones:
        found = getattr(self.shell, "tones", None)  # the window sets its tones after placing its panels
        return found if isinstance(found, Tones) else DARK

    def show_incident(self, incident_id: str | None) -> None:
        if incident_id != self.incident_id:
            self.error.clear_message()
            self.said.hide()
        self.incident_id = incident_id
        self.refresh()

    def _appended(self, events: list[Event]) -> None:
        if self.incident_id is None:
            return
        stream = incident_stream(self.incident_id)
        if any(event.stream == stream and event.kind in RUN_KINDS for event in events):
            self.refresh()

    def refresh(self) -> None:
        self.runs = self._read_runs()
        self.tree.clear()
        rule: tuple[str, int] | None = None
        for run in self.runs:
            if (run.rule, run.version) != rule:  # the rule's name once, above its actions
                rule = (run.rule, run.version)
                self._add_rule_row(run)
            self._add_row(run)
        self.empty.setVisible(not self.runs)
        self.tree.setVisible(bool(self.runs))
        self._show_tab(bool(self.runs))

    def _read_runs(self) -> list[ActionRun]:
        """The engine (and its templates) is loaded, and a long incident's raw events read, only for an
        incident that has runs: its timeline says so."""
        if self.incident_id is None:
            return []
        view = self.console.view(self.incident_id)
        if not any(entry.kind in RUN_KINDS for entry in view.entries):
            return []
        from commander.app import automation

        return automation.runs(self.console, self.incident_id)

    def _add_rule_row(self, run: ActionRun) -> None:
        item = QTreeWidgetItem([f"{run.rule} (version {run.version})"])
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setForeground(0, QColor(self.tones.muted))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setToolTip(0, richtext.tooltip(f"Workflow rule {run.rule}, version {run.version}"))
        self.tree.addTopLevelItem(item)
        item.setFirstColumnSpanned(True)

    def _add_row(self, run: ActionRun) -> None:
        zone, now = self.console.zone, self.console.now()
        outcome = run.outcome + (f" (attempt {run.attempt})" if run.attempt > 1 else "")
        item = QTreeWidgetItem([f"{run.position}. {run.action}", outcome, "", run.by, ""])
        item.setText(self.WHEN, timefmt.smart(run.at, zone, now))
        item.setToolTip(self.WHEN, richtext.tooltip(timefmt.both(run.at, zone)))
        item.setToolTip(
            self.ACTION,
            richtext.tooltip(f"Rule {run.rule}, version {run.version}: action {run.position}, {run.action}"),
        )
        item.setForeground(self.OUTCOME, self._colour(run.outcome))
        item.setData(self.ACTION, Qt.ItemDataRole.UserRole, run.action_id)
        self.tree.addTopLevelItem(item)
        if run.text:
            said = QTreeWidgetItem([_one_line(run.text)])
            said.setToolTip(0, richtext.tooltip(run.text))
            said.setForeground(0, QColor(self.tones.danger if run.outcome == FAILED else self.tones.muted))
            said.setFlags(Qt.ItemFlag.ItemIsEnabled)
            item.addChild(said)
            said.setFirstColumnSpanned(True)
            item.setExpanded(True)
        if run.retryable:
            self._retry_button(item, run)

    def _retry_button(self, item: QTreeWidgetItem, run: ActionRun) -> None:
        button = QPushButton("Retrying…" if run.action_id in self.retrying else "Retry", self.tree)
        button.setEnabled(run.action_id not in self.retrying)
        button.setToolTip(richtext.tooltip(f"Run {run.action} of {run.rule} again now, as attempt {run.attempt + 1}"))
        button.setAccessibleName(f"Retry {run.action}")
        button.clicked.connect(lambda _checked=False, found=run: self.retry(found))
        self.tree.setItemWidget(item, self.RETRY, button)
        # The column sizes to its text, not to a widget in it: made wide enough for the button.
        self.tree.header().resizeSection(self.RETRY, button.sizeHint().width() + 8)

    def _colour(self, outcome: str) -> QColor:
        tones = self.tones
        if outcome == DONE:
            return QColor(tones.cat_role)  # the theme's green: done
        return QColor(tones.danger if outcome == FAILED else tones.muted)

    def retry(self, run: ActionRun) -> None:
        """Run the failed action again off the UI thread; its outcome arrives as an event like any other."""
        incident_id = self.incident_id
        if incident_id is None or run.action_id in self.retrying:
            return
        self.error.clear_message()

        def done(result: ActionRun) -> None:
            words = f"{result.outcome}" + (f": {result.text}" if result.text else "")
            self._say(f"Retried {run.action} ({run.rule}): {words}")

        def failed(message: str) -> None:
            self.error.show_message(f"Could not retry {run.action} of {run.rule}. {message}")

        source, action = self.console, run.action_id
        task = run_in_background(
            lambda _progress: _retry_on_own_console(source, incident_id, action),
            parent=self,
            success=done,
            failure=failed,
            name="commander-workflow-retry",
        )
        self.retrying[run.action_id] = task
        task.finished.connect(lambda: self._retried(run.action_id))
        self.refresh()

    def _retried(self, action_id: str) -> None:
        self.retrying.pop(action_id, None)
        self.refresh()

    def _say(self, text: str) -> None:
        self.said.setText(_one_line(text))
        self.said.show()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt's name
        """The theme changed (the window sets its palette, then its tones): repaint the outcomes' colours
        once both are in place."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and self.runs:
            QTimer.singleShot(0, self.refresh)

    def _show_tab(self, shown: bool) -> None:
        """In the window's tabs, Automation shows only while the incident has runs: no empty tab."""
        tabs = self.parentWidget()
        while tabs is not None and not isinstance(tabs, QTabWidget):
            tabs = tabs.parentWidget()
        if tabs is not None and tabs.indexOf(self) >= 0:
            tabs.setTabVisible(tabs.indexOf(self), shown)


def _retry_on_own_console(source: Console, incident_id: str, action_id: str) -> ActionRun:
    """On the worker thread. A console belongs to one thread (its incident views change in place), so the
    retry gets one of its own on the same store, as the window's engine does (commander.ui.shell.automation);
    what it writes reaches the window through the bridge's catch-up, within a second."""
    from commander.app import automation
    from commander.app.bootstrap import build_console

    own = build_console(source.database.url, user=source.me.name, policy=source.policy, services=source.services)
    try:
        return automation.retry(own, incident_id, action_id)
    finally:
        own.close()


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= TEXT_MAX else flat[: TEXT_MAX - 1] + "…"
