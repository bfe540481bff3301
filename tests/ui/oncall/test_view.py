"""Incident > On-call… (Ctrl+Shift+O): schedules with who is on now and next, the week and month calendars,
overrides added and removed, an import, an .ics export, and changes from elsewhere shown at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from commander.app import oncall
from commander.app.console import Console
from commander.domain.oncall import events as oncall_events
from commander.ui.oncall.calendar import MONTH, WEEK
from commander.ui.oncall.view import OnCallView, OverrideDialog
from commander.ui.shell.main_window import MainWindow
from tests.cli.test_oncall import FILE
from tests.ui.conftest import OFFSCREEN_SIZE_HINTS

# The window is raised when opened; the headless platform says it cannot, which is all it can do there.
# (On each test: the closest qt_log_ignore wins, and the folder's conftest puts one on every test.)
RAISED = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS, r"This plugin does not support raise\(\)")
WEDNESDAY = datetime(2026, 6, 3, 10, tzinfo=UTC)  # 12:00 in Berlin: business hours, Dana's day


@pytest.fixture
def view(window: MainWindow, console: Console) -> OnCallView:
    console.wall = lambda: WEDNESDAY
    oncall.import_yaml(console, FILE)
    action = next(a for a in window.findChildren(type(window.menu_actions.undo)) if a.text() == "On-&call…")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+O")
    action.trigger()
    found = window.findChild(OnCallView)
    assert isinstance(found, OnCallView) and found.isVisible()
    return found


@RAISED
def test_the_schedules_show_who_is_on_now_and_next_and_the_calendar_paints_both_views(
    qtbot: QtBot, view: OnCallView
) -> None:
    assert view.schedules.topLevelItemCount() == 1 and not view.empty.isVisible()
    row = view.schedules.topLevelItem(0)
    assert row is not None and [row.text(c) for c in range(3)] == ["Payments primary", "Dana", "17:00"]
    assert view.summary.text().startswith("On call now: Dana until 17:00. Layers, top first: Business hours: Dana")
    assert view.period.text() == "01 Jun – 07 Jun 2026 · Europe/Berlin"
    assert "Dana" in view.legend.text() and "nobody on call" in view.legend.text()
    view.calendar.grab()  # paints: the test fails on any Qt warning
    assert any(hit.text.startswith("Dana: Wed 09:00 – Wed 17:00") for hit in view.calendar._hits)  # noqa: SLF001
    assert "Dana from Wed 03 Jun 09:00 to Wed 03 Jun 17:00" in view.calendar.accessibleDescription()
    view.calendar.set_mode(MONTH)
    assert view.period.text() == "June 2026 · Europe/Berlin" and len(view.calendar.days()) == 42
    view.calendar.grab()
    view.calendar.step(1)
    assert view.period.text().startswith("July 2026")
    view.calendar.go_today()
    view.calendar.set_mode(WEEK)
    view.calendar.setFocus()
    qtbot.keyClick(view.calendar, Qt.Key.Key_PageUp)
    assert view.period.text().startswith("25 May")
    qtbot.keyClick(view.calendar, Qt.Key.Key_Home)
    assert view.period.text().startswith("01 Jun")


@RAISED
def test_an_override_added_in_the_dialog_shows_and_is_removed_after_confirming(
    qtbot: QtBot, view: OnCallView, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = view.add_override()
    assert isinstance(dialog, OverrideDialog)
    dialog.person.setCurrentText("Lee")
    dialog.start.setText("2026-06-03 18:00")
    dialog.end.setText("2026-06-03 09:00")
    dialog.submit()
    assert dialog.isVisible() and "ends before it starts" in dialog.error.text()
    dialog.end.setText("2026-06-04 09:00")
    dialog.covers.setCurrentText("Alex")
    dialog.submit()
    assert not dialog.isVisible()
    assert view.overrides.topLevelItemCount() == 1
    row = view.overrides.topLevelItem(0)
    assert row is not None and [row.text(c) for c in (0, 3)] == ["Lee", "Alex"]
    view.overrides.setCurrentItem(row)
    view.reload()  # the minute's refresh keeps the choice
    assert view.remove_button.isEnabled() and view.overrides.currentItem() is not None
    monkeypatch.setattr(QMessageBox, "exec", lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    view.remove_override()
    assert view.overrides.topLevelItemCount() == 0 and oncall.settings(console).overrides() == []


@RAISED
def test_a_change_written_elsewhere_shows_at_once(view: OnCallView, console: Console) -> None:
    console.record(
        oncall_events.add_override(
            oncall.settings(console),
            "Payments primary",
            "Kim",
            WEDNESDAY,
            WEDNESDAY + timedelta(hours=2),
            now=WEDNESDAY,
        )
    )
    row = view.schedules.topLevelItem(0)
    assert row is not None and row.text(1) == "Kim"
    assert view.overrides.topLevelItemCount() == 1


@RAISED
def test_export_writes_an_ics_file_and_import_reads_yaml(
    view: OnCallView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "dana.ics"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    labels = [action.text() for action in view.export_menu.actions()]
    assert labels[0] == "Whole schedule (Payments primary)…" and "Dana's shifts…" in labels
    view.export_menu.actions()[labels.index("Dana's shifts…")].trigger()
    events = list(icalendar.Calendar.from_ical(target.read_bytes()).walk("VEVENT"))
    assert events and {str(e["SUMMARY"]) for e in events} == {"On call: Dana (Payments primary)"}
    assert view.report.text().startswith(f"Wrote {len(events)} shifts")
    source = tmp_path / "more.yaml"
    source.write_text(FILE.replace("Payments primary", "Search"), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(source), ""))
    view.import_file()
    assert view.report.text() == "Imported 1 schedule, 1 escalation policy, 0 service routes from more.yaml."
    assert view.schedules.topLevelItemCount() == 2
    source.write_text("schedules: [", encoding="utf-8")
    view.import_file()
    assert "more.yaml is not valid YAML" in view.error.text()


@RAISED
def test_with_no_schedules_the_window_says_how_to_add_them(window: MainWindow) -> None:
    empty = window.menu_actions.open_oncall()
    assert empty.empty.isVisible() and "commander schedule import" in empty.empty.text()
    assert not empty.add_button.isEnabled() and not empty.export_button.isEnabled()
    empty.calendar.grab()
