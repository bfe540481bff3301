"""Declaring by keyboard alone, and the note box: Enter adds, text survives every refusal."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.ui.incident.declare import DeclareDialog, open_declare
from commander.ui.shell.main_window import MainWindow


def test_declare_with_the_keyboard_only(qtbot: QtBot, console: Console, window: MainWindow) -> None:
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: isinstance(QApplication.activeModalWidget(), DeclareDialog))
    dialog = QApplication.activeModalWidget()
    assert isinstance(dialog, DeclareDialog)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.title)
    qtbot.keyClicks(dialog.title, "Checkout API returning 502s")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.severity
    assert dialog.severity.currentData() == "SEV3"  # the policy's default
    qtbot.keyClick(dialog.severity, Qt.Key.Key_Up)
    qtbot.keyClick(dialog.severity, Qt.Key.Key_Up)
    assert dialog.severity.currentData() == "SEV1"
    assert "Critical customer-facing outage" in dialog.description.text()
    qtbot.keyClick(dialog.severity, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is dialog.services
    qtbot.keyClicks(dialog.services, "checkout, payments")
    qtbot.keyClick(dialog.services, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.summary, "EU customers cannot pay")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.detected, "10m ago")
    qtbot.keyClick(dialog.detected, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: not dialog.isVisible())
    [summary] = console.incidents()
    state = console.state(summary.id)
    assert (state.title, state.severity, state.services) == (
        "Checkout API returning 502s",
        "SEV1",
        ["checkout", "payments"],
    )
    assert state.roles["incident_commander"].holder == "Alex"
    assert 9 * 60 <= (state.milestones["declared"] - state.milestones["detected"]).total_seconds() <= 11 * 60
    assert window.current == summary.id
    assert window.header.title.full_text() == "Checkout API returning 502s"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.note_box.text)


def test_a_refused_declaration_keeps_what_was_typed(qtbot: QtBot, console: Console, window: MainWindow) -> None:
    dialog = open_declare(window)
    qtbot.keyClicks(dialog.title, "Payments down")
    qtbot.keyClicks(dialog.detected, "yesterday-ish")
    qtbot.keyClick(dialog.detected, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert dialog.error.isVisibleTo(dialog)
    assert "'yesterday-ish' is not a time Commander can read" in dialog.error.text()
    assert dialog.title.text() == "Payments down" and dialog.detected.text() == "yesterday-ish"
    assert console.incidents() == []
    dialog.detected.clear()
    dialog.title.clear()
    dialog.submit()
    assert dialog.error.text() == "The title is empty. Type a few words."


def test_enter_adds_a_note_and_shift_enter_breaks_the_line(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    box = window.note_box.text
    window.focus_note_box()
    qtbot.keyClicks(box, "Rolled back")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "on eu-west-1")
    assert box.toPlainText() == "Rolled back\non eu-west-1"
    qtbot.keyClick(box, Qt.Key.Key_Return)
    notes = [note.text for note in console.state(incident).notes.values()]
    assert notes[-1] == "Rolled back\non eu-west-1"
    assert box.toPlainText() == ""
    model = window.timeline.model
    assert model.entry_at(model.rowCount() - 1).text == "Rolled back\non eu-west-1"  # type: ignore[union-attr]
    qtbot.keyClick(box, Qt.Key.Key_Return)  # an empty box adds nothing
    assert len(console.state(incident).notes) == len(notes)


def test_a_bad_time_shows_the_reason_and_keeps_the_note(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    note_box = window.note_box
    qtbot.keyClicks(note_box.at, "25:99")
    qtbot.keyClicks(note_box.text, "DB failover finished")
    qtbot.keyClick(note_box.text, Qt.Key.Key_Return)
    assert note_box.error.isVisibleTo(window)
    assert note_box.error.text().startswith("'25:99' is not a time of day.")
    assert note_box.text.toPlainText() == "DB failover finished"
    assert note_box.at.text() == "25:99"
    assert len(console.state(incident).notes) == 1  # only the fixture's note
    note_box.at.setText("5m ago")
    qtbot.keyClick(note_box.text, Qt.Key.Key_Return)
    assert not note_box.error.isVisibleTo(window)
    note = list(console.state(incident).notes.values())[-1]
    assert note.text == "DB failover finished"
    assert 4 * 60 <= (console.now() - note.at).total_seconds() <= 6 * 60
    assert note_box.at.text() == ""


def test_a_future_time_is_refused_inline(qtbot: QtBot, console: Console, incident: str, window: MainWindow) -> None:
    later = console.now().astimezone(console.zone).replace(year=console.now().year + 1)
    window.note_box.at.setText(later.strftime("%Y-%m-%d %H:%M"))
    qtbot.keyClicks(window.note_box.text, "from the future")
    window.note_box.submit()
    assert "is in the future" in window.note_box.error.text()
    assert window.note_box.text.toPlainText() == "from the future"


def test_pinned_checkbox_pins_the_new_note(qtbot: QtBot, console: Console, incident: str, window: MainWindow) -> None:
    window.note_box.pinned.setChecked(True)
    qtbot.keyClicks(window.note_box.text, "Root cause: expired certificate")
    qtbot.keyClick(window.note_box.text, Qt.Key.Key_Return)
    note = list(console.state(incident).notes.values())[-1]
    assert console.state(incident).is_pinned(note.id)
    assert not window.note_box.pinned.isChecked()
