"""The window runs the team's workflows while it is open, on a console of its own: a rule fired by an
incident declared in the window writes its outcome, and the window's timeline shows it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from commander.app import automation, incident, workflows
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.ui.shell.main_window import MainWindow

RULE = """
- name: impact-check
  when: {event: incident.declared, severity_at_least: SEV2}
  do: [{action: start-timer, label: "Check customer impact", minutes: 15}]
"""


def test_a_rule_runs_for_an_incident_declared_in_the_window(qtbot: QtBot, window: MainWindow, console: Console) -> None:
    assert window.automation_runner.console is None, "no rule and no chat connection: nothing runs"
    workflows.import_yaml(console, RULE)
    window.automation_runner.start()
    assert window.automation_runner.console is not None

    state = incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    qtbot.waitUntil(lambda: bool(console.state(state.id).timers), timeout=15_000)
    [timer] = console.state(state.id).timers.values()
    assert timer.label == "Check customer impact"
    [run] = automation.runs(console, state.id)
    assert (run.rule, run.action, run.outcome) == ("impact-check", "start-timer", "done")

    window.close()
    assert window.automation_runner.console is None


def test_a_sev4_does_not_fire_it(qtbot: QtBot, window: MainWindow, console: Console) -> None:
    workflows.import_yaml(console, RULE)
    window.automation_runner.start()
    minor = incident.declare(console, Declaration(title="Typo on the status page", severity="SEV4"))
    major = incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    qtbot.waitUntil(lambda: bool(console.state(major.id).timers), timeout=15_000)
    assert not console.state(minor.id).timers
