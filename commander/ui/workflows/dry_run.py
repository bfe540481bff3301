"""The workflow editor's Dry run tab: choose an incident (open ones first), and see what each of the rule's
actions would do for it, its templates filled in from the incident as it is now, with any template's
problem beside the action. Nothing is sent and nothing is written (app.workflows.dry_run).

It plans the saved version of the rule: the one every console would run. The values come from incidents,
alerts and templates other people wrote, so every one is shown as plain text (item texts are never read as
markup; tooltips go through richtext).
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app import workflows
from commander.app.console import Console
from commander.domain.workflows.matching import PlannedAction
from commander.ui.kit import richtext
from commander.ui.kit.background import Task, run_in_background
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import KNOWN, ErrorLabel
from commander.ui.workflows.fields import text_from_list

VALUE_MAX = 300  # characters of a value on its row; the tooltip has it whole


class DryRunPane(QWidget):
    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.rule: str | None = None
        self.task: Task[list[PlannedAction]] | None = None
        self.incident = QComboBox(self)
        self.incident.setAccessibleName("Incident to plan against")
        self.incident.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.incident.setMinimumContentsLength(40)
        self.plan_button = QPushButton("&Plan", self)
        self.plan_button.setAutoDefault(False)
        self.plan_button.clicked.connect(self.plan)
        self.note = plain_label("", self, name="Muted")
        self.error = ErrorLabel(self)
        self.tree = QTreeWidget(self)
        self.tree.setAccessibleName("What each action would do")
        self.tree.setHeaderLabels(["Action and field", "Would be"])
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        row = QHBoxLayout()
        row.addWidget(plain_label("Incident", self))
        row.addWidget(self.incident, 1)
        row.addWidget(self.plan_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.note)
        layout.addWidget(self.error)
        layout.addWidget(self.tree, 1)

    def fill_incidents(self, current: str | None, *, follow: bool = False) -> None:
        """Open incidents first (most recent first), then the rest. The one chosen stays chosen; the
        incident on screen is chosen at first, and (`follow`) when the window shows another."""
        chosen = (current if follow else None) or self.incident.currentData() or current
        summaries = self.console.incidents(include_closed=True)
        ordered = sorted(summaries, key=lambda s: (not s.is_open, -(s.started_at_ms or 0)))
        self.incident.blockSignals(True)
        self.incident.clear()
        for summary in ordered:
            state = "open" if summary.is_open else summary.status
            self.incident.addItem(f"{summary.reference} {summary.severity} · {summary.title} ({state})", summary.id)
        index = self.incident.findData(chosen)
        self.incident.setCurrentIndex(max(index, 0))
        self.incident.blockSignals(False)
        self._enable()

    def set_rule(self, name: str | None, *, dirty: bool) -> None:
        if name != self.rule:
            self.tree.clear()
            self.error.clear_message()
        self.rule = name
        if name is None:
            self.note.setText("Save the rule first: a dry run plans the saved version, the one every console runs.")
        else:
            self.note.setText(
                f"Plans the saved version of {name} against the incident as it is now. Nothing is sent or written."
                + (" Your unsaved changes are not in it: save them to plan them." if dirty else "")
            )
        self._enable()

    def _enable(self) -> None:
        self.plan_button.setEnabled(self.rule is not None and self.incident.count() > 0)
        if self.incident.count() == 0:
            self.error.show_message("There is no incident to plan against yet. Declare one (File > Declare).")

    def plan(self) -> None:
        rule, incident_id = self.rule, self.incident.currentData()
        if rule is None or incident_id is None:
            return
        self.tree.clear()
        try:  # the reads here, on the console's thread; the templates are filled in on a worker
            fill_in = workflows.dry_run_planner(self.console, rule, str(incident_id))
        except KNOWN as problem:
            self.error.show_message(str(problem))
            return
        self.plan_button.setEnabled(False)
        self.task = run_in_background(
            lambda _progress: fill_in(),
            parent=self,
            success=self.show_plan,
            inline=self.error,
            name="commander-workflow-dry-run",
        )
        self.task.finished.connect(self._enable)

    def show_plan(self, planned: list[PlannedAction]) -> None:
        self.tree.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        for action in planned:
            top = QTreeWidgetItem([f"{action.position}. {action.kind}", ""])
            top.setFont(0, bold)
            if action.problem:
                top.setText(1, f"Template problem: {action.problem}")
                top.setForeground(1, self.palette().color(QPalette.ColorRole.BrightText))  # the theme's danger
                top.setToolTip(1, richtext.tooltip(action.problem))
            for name, value in action.fields.items():
                shown = text_from_list(value)
                child = QTreeWidgetItem([name, _one_line(shown)])
                child.setToolTip(1, richtext.tooltip(shown))
                top.addChild(child)
            self.tree.addTopLevelItem(top)
            top.setExpanded(True)
        self.tree.setAccessibleDescription(f"{len(planned)} actions planned")


def _one_line(text: str) -> str:
    flat = " ⏎ ".join(text.splitlines())
    return flat if len(flat) <= VALUE_MAX else flat[: VALUE_MAX - 1] + "…"
