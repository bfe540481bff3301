"""Custom timers in the window: chips that count down and turn red, expiry recorded once, the dialog."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from PySide6.QtGui import QKeySequence
from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.app.updates import timers
from commander.ui.shell.main_window import MainWindow
from commander.ui.updates.timer_dialog import SetTimerDialog
from commander.ui.updates.timers_strip import countdown


def _later(console: Console, minutes: float) -> None:
    """Move the console's clock on (on top of any earlier move)."""
    real_wall = console.wall
    console.wall = lambda: real_wall() + timedelta(minutes=minutes)


def _kinds(console: Console, incident: str, kind: str) -> list[str]:
    return [e.text for e in console.view(incident).entries if e.kind == kind]


def test_a_chip_counts_down_turns_red_and_the_expiry_is_recorded_once(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    window.select_incident(incident)
    strip = window.header.timers
    assert not strip.isVisible()  # no timers, no line for them
    [event] = timers.set_timer(console, incident, "check the rollback", 2)
    chip = strip.chips[event.id]
    assert strip.isVisible() and chip.text() in ("check the rollback  2:00", "check the rollback  1:59")
    _later(console, 1)
    window._tick()  # noqa: SLF001 - one tick instead of waiting a second
    assert chip.text() in ("check the rollback  1:00", "check the rollback  0:59")
    assert chip.property("expired") is False
    heard: list[tuple[str, str]] = []
    strip.timer_expired.connect(lambda *args: heard.append(args))
    _later(console, 2)
    for _ in range(3):  # several ticks: announced and recorded once
        window._tick()  # noqa: SLF001
    qtbot.waitUntil(lambda: len(_kinds(console, incident, "timer.expired")) == 1)
    chip = strip.chips[event.id]
    assert chip.text() == "check the rollback  expired" and chip.property("expired") is True
    assert heard == [(incident, event.id)]
    assert _kinds(console, incident, "timer.expired") == ["Timer expired: check the rollback"]
    assert "the timer “check the rollback” expired" in window.status.currentMessage()
    window._tick()  # noqa: SLF001
    assert len(_kinds(console, incident, "timer.expired")) == 1


def test_two_consoles_on_one_store_record_the_expiry_once(console: Console, incident: str, tmp_path: Path) -> None:
    other = build_console(f"sqlite:///{tmp_path}/c.db")  # a second console on the same store
    try:
        timers.set_timer(console, incident, "ask the vendor for an ETA", 1)
        _later(console, 2)
        _later(other, 2)
        mine, theirs = timers.note_expired_timers(console, incident), timers.note_expired_timers(other, incident)
        assert len(mine) == 1 and theirs == []  # the store already held the same event
        assert len([e for e in other.view(incident).entries if e.kind == "timer.expired"]) == 1
    finally:
        other.close()


def test_the_dialog_sets_a_timer_with_a_quick_choice(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    window.select_incident(incident)
    [ctrl_t] = [a for a in window.menu_actions.need_incident if a.shortcut() == QKeySequence("Ctrl+T")]
    ctrl_t.trigger()
    dialog = window.findChild(SetTimerDialog)
    assert isinstance(dialog, SetTimerDialog) and dialog.minutes.value() == 10
    dialog.submit()
    assert "label is empty" in dialog.error.text()  # refused inline; the dialog stays open
    qtbot.keyClicks(dialog.label, "check the rollback")
    dialog.quick.button(5).click()
    assert dialog.minutes.value() == 5
    dialog.submit()
    [timer] = console.state(incident).shown_timers()
    assert timer.label == "check the rollback"
    assert timedelta(minutes=4, seconds=58) <= timer.due - console.now() <= timedelta(minutes=5)
    assert window.header.timers.chips[timer.id].isVisible()
    assert _kinds(console, incident, "timer.set")[0].startswith("Timer set: check the rollback (due ")


def test_a_chips_menu_snoozes_and_cancels(window: MainWindow, console: Console, incident: str) -> None:
    window.select_incident(incident)
    [first] = timers.set_timer(console, incident, "check the rollback", 10)
    strip = window.header.timers
    strip.chips[first.id].snooze_action.trigger()
    [timer] = console.state(incident).shown_timers()
    assert timer.id != first.id and list(strip.chips) == [timer.id]
    assert timedelta(minutes=14, seconds=58) <= timer.due - console.now() <= timedelta(minutes=15)
    strip.chips[timer.id].cancel_action.trigger()
    assert strip.chips == {} and not strip.isVisible()
    assert _kinds(console, incident, "timer.cancelled") == ["Timer cancelled: check the rollback"] * 2


def test_a_closed_incident_offers_no_timer(window: MainWindow, console: Console, incident: str) -> None:
    app_incident.change_status(console, incident, "resolved")
    app_incident.change_status(console, incident, "closed")
    window.select_incident(incident)
    assert not window.header.timer_button.isEnabled()


def test_countdown_reads_minutes_and_seconds_then_hours() -> None:
    assert countdown(timedelta(minutes=4, seconds=11, milliseconds=200)) == "4:12"
    assert countdown(timedelta(hours=1, minutes=2, seconds=3)) == "1:02:03"
    assert countdown(timedelta(seconds=-5)) == "0:00"
