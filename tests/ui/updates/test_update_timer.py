"""The header's countdown to the next stakeholder update: recorded, snoozed, overdue once."""

from __future__ import annotations

from datetime import timedelta

from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app.console import Console
from commander.ui.shell.main_window import MainWindow


def test_the_countdown_shows_and_restarts_when_an_update_is_recorded(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    window.select_incident(incident)
    window._tick()  # noqa: SLF001 - one tick instead of waiting a second
    button = window.header.next_update
    assert button.isVisible() and button.text().startswith("next update in 00:0")  # 5 min after declaring
    dialog = window.record_update()
    assert dialog is not None
    qtbot.keyClicks(dialog.audience, "#incidents")
    qtbot.keyClicks(dialog.summary, "Investigating elevated 502s on checkout")
    dialog.submit()
    window._tick()  # noqa: SLF001
    assert button.text().startswith("next update in 00:29") or button.text().startswith("next update in 00:30")
    texts = [e.text for e in console.view(incident).entries]
    assert "Update sent to #incidents: Investigating elevated 502s on checkout" in texts


def test_overdue_turns_red_and_is_noted_on_the_timeline_once(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    window.select_incident(incident)
    real_wall = console.wall
    console.wall = lambda: real_wall() + timedelta(minutes=7)  # the first update was due at 5 minutes
    for _ in range(3):  # several ticks: noted once
        window._tick()  # noqa: SLF001
    button = window.header.next_update
    assert button.text().startswith("update overdue 00:0") and button.property("overdue") is True
    overdue = [e for e in console.view(incident).entries if e.kind == "update.overdue"]
    assert len(overdue) == 1
    dialog = window.snooze_updates()
    assert dialog is not None
    qtbot.keyClicks(dialog.reason, "waiting for the vendor")
    dialog.submit()
    window._tick()  # noqa: SLF001
    assert button.property("overdue") is False and button.text().endswith("(snoozed)")


def test_no_countdown_for_a_sev4(window: MainWindow, console: Console, incident: str) -> None:
    app_incident.change_severity(console, incident, "SEV4", "no customer impact after all")
    window.select_incident(incident)
    window._tick()  # noqa: SLF001
    assert not window.header.next_update.isVisible()
