"""The incident's Automation tab: each workflow action's latest outcome in words and the theme's colour, the
reason beneath it, Retry on a failed one (run off the UI thread), and a retry that fails said plainly."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QPushButton, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from commander.app import automation
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.workflows.matching import action_id
from commander.domain.workflows.runs import DONE, FAILED, SKIPPED, ActionRun, outcome
from commander.ui.shell.main_window import MainWindow
from commander.ui.workflows.runs_panel import RunsPanel

RULE = "sev1-war-room"


def _record(
    console: Console, incident: str, state: str, position: int, action: str, text: str, attempt: int = 1
) -> str:
    """An outcome as the engine records it: decided against the incident (Console.perform)."""
    made = action_id(RULE, 1, incident, position)
    console.perform(
        incident,
        lambda _state: [
            outcome(
                incident,
                state,
                rule=RULE,
                version=1,
                action_id=made,
                position=position,
                action=action,
                attempt=attempt,
                text=text,
            )
        ],
    )
    return made


def _top(panel: RunsPanel) -> list[QTreeWidgetItem]:
    found = [panel.tree.topLevelItem(row) for row in range(panel.tree.topLevelItemCount())]
    return [item for item in found if item is not None]


def _runs(panel: RunsPanel) -> list[QTreeWidgetItem]:
    """The run rows, without the rule's name above them."""
    return [item for item in _top(panel) if item.text(panel.OUTCOME)]


def _retry(panel: RunsPanel, row: QTreeWidgetItem) -> QPushButton:
    button = panel.tree.itemWidget(row, panel.RETRY)
    assert isinstance(button, QPushButton)
    return button


def _tab_shown(window: MainWindow) -> bool:
    tabs = window.right_tabs
    return tabs.isTabVisible(tabs.indexOf(window.automation))


@pytest.fixture
def panel(window: MainWindow, incident: str) -> RunsPanel:
    window.select_incident(incident)
    return window.automation


def test_the_tab_shows_once_the_incident_has_runs_each_in_words_and_colour(
    qtbot: QtBot, window: MainWindow, panel: RunsPanel, console: Console, incident: str
) -> None:
    assert not _tab_shown(window) and panel.tree.topLevelItemCount() == 0
    _record(console, incident, DONE, 1, "create-channel", "#inc-1-checkout-api-returning-502s")
    _record(console, incident, FAILED, 4, "post", "Slack said not_in_channel: invite the app to the channel.")
    _record(console, incident, SKIPPED, 3, "start-bridge", "console B holds it")
    assert _tab_shown(window)
    window.show_tab("automation")
    assert window.right_tabs.currentWidget() is panel
    assert _top(panel)[0].text(0) == f"{RULE} (version 1)" and _top(panel)[0].isFirstColumnSpanned()
    rows = _runs(panel)
    me = console.me.name
    assert [[row.text(c) for c in range(4)] for row in rows] == [
        ["1. create-channel", "done", rows[0].text(2), me],
        ["4. post", "failed", rows[1].text(2), me],
        ["3. start-bridge", "skipped", rows[2].text(2), me],
    ]
    said = rows[1].child(0)
    assert said is not None and said.text(0) == "Slack said not_in_channel: invite the app to the channel."
    tones = window.tones
    assert rows[0].foreground(1).color() == QColor(tones.cat_role)
    assert rows[1].foreground(1).color() == QColor(tones.danger)
    assert rows[2].foreground(1).color() == QColor(tones.muted)
    assert panel.tree.itemWidget(rows[0], panel.RETRY) is None and panel.tree.itemWidget(rows[2], panel.RETRY) is None
    assert _retry(panel, rows[1]).text() == "Retry"
    window.menu_actions.dark.trigger()  # View > Dark theme, unchecked: light
    assert window.tones.danger != tones.danger
    qtbot.waitUntil(lambda: _runs(panel)[1].foreground(1).color() == QColor(window.tones.danger))
    window.select_incident(None)
    assert panel.tree.topLevelItemCount() == 0


def test_retry_runs_in_the_background_and_its_outcome_replaces_the_failure(
    qtbot: QtBot, window: MainWindow, panel: RunsPanel, console: Console, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    failed_id = _record(console, incident, FAILED, 1, "create-channel", "Slack said name_taken.")
    called: list[tuple[str, str, str]] = []

    def retry(console_: Console, incident_id: str, action: str) -> ActionRun:
        assert console_ is not console, "a console belongs to one thread"
        called.append((incident_id, action, threading.current_thread().name))
        _record(console_, incident_id, DONE, 1, "create-channel", "#inc-1-checkout-2", attempt=2)
        [run] = [run for run in automation.runs(console_, incident_id) if run.action_id == action]
        return replace(run)

    monkeypatch.setattr(automation, "retry", retry)
    _retry(panel, _runs(panel)[0]).click()
    qtbot.waitUntil(lambda: not panel.said.isHidden())
    assert called == [(incident, failed_id, "commander-workflow-retry")]
    # The retry ran on a console of its own: its outcome reaches the window with the bridge's catch-up.
    qtbot.waitUntil(lambda: _runs(panel)[0].text(1) == "done (attempt 2)")
    assert panel.tree.itemWidget(_runs(panel)[0], panel.RETRY) is None
    assert panel.said.text() == f"Retried create-channel ({RULE}): done: #inc-1-checkout-2"


def test_a_retry_that_fails_says_why_and_can_be_tried_again(
    qtbot: QtBot, panel: RunsPanel, console: Console, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _record(console, incident, FAILED, 2, "invite", "Slack said user_not_found.")

    def retry(console_: Console, incident_id: str, action: str) -> ActionRun:
        raise DomainError("No chat connection named 'team-slack'. Add it under Connections and retry.")

    monkeypatch.setattr(automation, "retry", retry)
    _retry(panel, _runs(panel)[0]).click()
    qtbot.waitUntil(lambda: not panel.error.isHidden())
    assert panel.error.text() == (
        f"Could not retry invite of {RULE}. No chat connection named 'team-slack'. Add it under Connections and retry."
    )
    qtbot.waitUntil(lambda: not panel.retrying)
    button = _retry(panel, _runs(panel)[0])
    assert button.isEnabled() and button.text() == "Retry"
