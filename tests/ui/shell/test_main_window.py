"""The main window end to end: changes show everywhere, undo works, state survives switching."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QAbstractSlider, QFileDialog, QMenu
from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.store.database import StoreError
from commander.ui.incident.dialogs import MilestonesDialog, open_details, open_milestones
from commander.ui.kit.shell import Shell, entries
from commander.ui.shell.app import run
from commander.ui.shell.main_window import MainWindow
from commander.ui.shell.settings import UiSettings
from commander.ui.timeline.dialogs import EditNoteDialog
from commander.ui.timeline.model import TimelineFilter


def timeline_texts(window: MainWindow) -> list[str]:
    model = window.timeline.model
    return [model.entry_at(row).text for row in range(model.rowCount())]  # type: ignore[union-attr]


def select_entry(window: MainWindow, text: str) -> None:
    row = timeline_texts(window).index(text)
    window.timeline.entries.setCurrentIndex(window.timeline.model.index(row, 0))
    window.timeline.entries.setFocus()


def test_the_window_opens_on_the_most_severe_open_incident(
    qtbot: QtBot, console: Console, settings: UiSettings
) -> None:
    app_incident.declare(console, Declaration(title="Search slow", severity="SEV3"))
    critical = app_incident.declare(console, Declaration(title="Checkout down", severity="SEV1"))
    window = MainWindow(console, settings)
    qtbot.addWidget(window)
    assert window.current == critical.id
    assert window.header.badge.severity() == "SEV1"
    assert window.status.open_count.text() == "2 open"
    assert window.windowTitle().startswith(critical.reference)


def test_severity_and_status_changes_show_in_header_and_timeline(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    dialog = window.change_severity("SEV1")
    assert dialog is not None and "Critical customer-facing outage" in dialog.description.text()
    assert dialog.intro.text().endswith("SEV2 → SEV1 (Critical)")
    qtbot.keyClicks(dialog.reason, "EU checkout fully down")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert window.header.badge.severity() == "SEV1"
    assert timeline_texts(window)[-1] == "Severity raised SEV2 → SEV1: EU checkout fully down"
    assert "SEV1 for" in window.header.meta.full_text()

    status = window.change_status("mitigated")
    assert status is not None
    qtbot.keyClicks(status.reason, "traffic shifted to us-east")
    qtbot.keyClick(status.reason, Qt.Key.Key_Return)
    assert not status.error.text()
    assert window.header.status.text() == "mitigated"
    assert "Status investigating → mitigated" in timeline_texts(window)[-1]
    assert window.details.times["mitigated"].text() != "—"
    header_menu = [a.text() for a in window.header.status_button.menu().actions()]
    assert "Resolved" in header_menu and "Mitigated" not in header_menu


def test_a_status_time_that_breaks_the_order_is_refused_inline(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    dialog = window.change_status("resolved")
    assert dialog is not None
    qtbot.keyClicks(dialog.at, "2 hours ago")
    qtbot.keyClicks(dialog.reason, "fixed")
    dialog.submit()
    assert dialog.isVisible()
    assert "cannot be before detected" in dialog.error.text()
    assert dialog.reason.text() == "fixed"
    assert console.state(incident).status.value == "investigating"


def test_milestones_dialog_backdates_and_shows_refusals(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    dialog = open_milestones(window)
    assert dialog is not None
    assert not dialog.fields["resolved"].isEnabled()  # set by a status change, not here
    qtbot.keyClicks(dialog.fields["detected"], "30m ago")
    qtbot.keyClick(dialog.fields["detected"], Qt.Key.Key_Return)
    state = console.state(incident)
    assert 29 * 60 <= (console.now() - state.milestones["detected"]).total_seconds() <= 31 * 60
    assert dialog.fields["detected"].text() == ""
    later = (console.now() + timedelta(minutes=1)).astimezone(console.zone).strftime("%Y-%m-%d %H:%M:%S")
    qtbot.keyClicks(dialog.fields["detected"], later)
    qtbot.keyClick(dialog.fields["detected"], Qt.Key.Key_Return)
    assert "in the future" in dialog.error.text()
    assert dialog.fields["detected"].text() == later


def test_delete_then_undo_restores_the_note(qtbot: QtBot, console: Console, incident: str, window: MainWindow) -> None:
    select_entry(window, "PagerDuty alert fired")
    qtbot.keyClick(window.timeline.entries, Qt.Key.Key_Delete)
    note = next(n for n in console.state(incident).notes.values() if n.text == "PagerDuty alert fired")
    assert note.deleted_by == "Alex"
    assert window.status.undo.isVisibleTo(window) and window.status.undo.button.text() == "Undo"
    assert window.timeline.selected_entry().deleted_by == "Alex"  # type: ignore[union-attr]  # still listed
    qtbot.keyClick(window.timeline.entries, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert not console.state(incident).notes[note.id].deleted
    assert not window.status.undo.isVisibleTo(window)

    qtbot.keyClick(window.timeline.entries, Qt.Key.Key_Delete)
    window.status.undo.button.click()  # the status bar's Undo does the same
    assert not console.state(incident).notes[note.id].deleted


def test_pin_with_p_and_filter_to_pinned(qtbot: QtBot, console: Console, incident: str, window: MainWindow) -> None:
    timeline.add_note(console, incident, "Rolled back v2.31")
    select_entry(window, "Rolled back v2.31")
    qtbot.keyClick(window.timeline.entries, Qt.Key.Key_P)
    note = next(n for n in console.state(incident).notes.values() if n.text == "Rolled back v2.31")
    assert console.state(incident).is_pinned(note.id)
    window.timeline.filters.pinned.click()
    assert timeline_texts(window) == ["Rolled back v2.31"]
    assert window.timeline.filters.count.text() == f"1 of {len(console.view(incident).entries)}"
    assert window.timeline.filters.count.isVisibleTo(window)
    qtbot.keyClick(window.timeline.entries, Qt.Key.Key_P)  # unpin: it leaves the pinned-only list
    assert timeline_texts(window) == []


def test_category_chips_narrow_the_timeline(qtbot: QtBot, console: Console, incident: str, window: MainWindow) -> None:
    window.timeline.filters.chips["note"].click()
    assert timeline_texts(window) == ["PagerDuty alert fired"]
    window.timeline.filters.chips["role"].click()
    assert "Sam is Technical Lead" in timeline_texts(window) and len(timeline_texts(window)) == 3
    window.timeline.filters.chips["note"].click()
    window.timeline.filters.chips["role"].click()
    assert len(timeline_texts(window)) == len(console.view(incident).entries)


def test_edit_a_note_with_e(qtbot: QtBot, console: Console, incident: str, window: MainWindow) -> None:
    select_entry(window, "PagerDuty alert fired")
    qtbot.keyClick(window.timeline.entries, Qt.Key.Key_E)
    edit = window.timeline.findChild(EditNoteDialog)
    assert isinstance(edit, EditNoteDialog) and edit.isVisible()
    assert edit.text.toPlainText() == "PagerDuty alert fired"
    edit.text.selectAll()
    qtbot.keyClicks(edit.text, "PagerDuty alert fired at 09:12")
    qtbot.keyClick(edit.text, Qt.Key.Key_Return)
    assert "PagerDuty alert fired at 09:12" in timeline_texts(window)
    assert "Edited by Alex" in window.timeline.model.index(
        timeline_texts(window).index("PagerDuty alert fired at 09:12"), 2
    ).data(Qt.ItemDataRole.ToolTipRole)


def test_switching_incidents_keeps_each_draft_and_filter(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    other = app_incident.declare(console, Declaration(title="Search slow", severity="SEV3")).id
    qtbot.keyClicks(window.note_box.text, "half-typed thought")
    window.note_box.at.setText("09:1")
    window.timeline.filters.search.setText("alert")
    assert timeline_texts(window) == ["PagerDuty alert fired"]

    window.select_incident(other)
    assert window.note_box.text.toPlainText() == ""
    assert window.timeline.filters.search.text() == ""
    assert window.timeline.model.filter == TimelineFilter()
    qtbot.keyClicks(window.note_box.text, "other draft")

    window.incidents.select(incident)
    window.select_incident(incident)
    assert window.note_box.text.toPlainText() == "half-typed thought"
    assert window.note_box.at.text() == "09:1"
    assert window.timeline.filters.search.text() == "alert"
    assert timeline_texts(window) == ["PagerDuty alert fired"]
    window.select_incident(other)
    assert window.note_box.text.toPlainText() == "other draft"


def test_clicking_an_incident_in_the_list_switches_to_it(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    other = app_incident.declare(console, Declaration(title="Everything down", severity="SEV1")).id
    row = window.incidents.open_model.row_of(other)
    assert row == 0  # most severe first
    view = window.incidents.open_list
    rect = view.visualRect(window.incidents.open_model.index(row))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current == other
    assert window.header.title.full_text() == "Everything down"


def test_a_note_from_another_process_appears_after_catch_up(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow, tmp_path: Path
) -> None:
    terminal = build_console(f"sqlite:///{tmp_path}/c.db", user="Kim")
    timeline.add_note(terminal, incident, "Written from a terminal")
    qtbot.waitUntil(lambda: "Written from a terminal" in timeline_texts(window), timeout=5000)
    app_incident.declare(terminal, Declaration(title="Another one, declared elsewhere", severity="SEV3"))
    qtbot.waitUntil(lambda: window.status.open_count.text() == "2 open", timeout=5000)
    terminal.close()


def test_links_open_from_the_detail_pane_and_markup_stays_text(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    timeline.add_note(console, incident, "<b>see</b> https://grafana.example.com/d/abc?x=1&y=2.")
    select_entry(window, "<b>see</b> https://grafana.example.com/d/abc?x=1&y=2.")
    shown = window.timeline.detail.toPlainText()
    assert "<b>see</b> https://grafana.example.com/d/abc?x=1&y=2." in shown
    html = window.timeline.detail.toHtml()
    assert "<b>see</b>" not in html  # escaped, never interpreted
    window.timeline.detail.anchorClicked.emit(QUrl("https://grafana.example.com/d/abc?x=1&y=2"))
    window.timeline.detail.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert [url.toString() for url in opened] == ["https://grafana.example.com/d/abc?x=1&y=2"]


def test_edit_details_and_rename(qtbot: QtBot, console: Console, incident: str, window: MainWindow) -> None:
    dialog = open_details(window)
    assert dialog is not None
    dialog.services.setText("checkout, payments, edge")
    dialog.submit()
    assert console.state(incident).services == ["checkout", "payments", "edge"]
    assert window.details.services.text() == "checkout, payments, edge"

    rename = window.rename_me()
    rename.name.setText("Alex Kim")
    rename.submit()
    assert console.me.name == "Alex Kim"
    assert window.status.person.text() == "You: Alex Kim"


def test_theme_toggle_is_remembered(qtbot: QtBot, console: Console, settings: UiSettings, window: MainWindow) -> None:
    assert window.tones.name == "dark"
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window, Qt.Key.Key_L, ctrl_shift)
    assert window.tones.name == "light"
    assert UiSettings(settings.path).theme == "light"


def test_the_screenshot_is_a_real_png(
    qtbot: QtBot, console: Console, incident: str, tmp_path: Path, settings: UiSettings
) -> None:
    target = tmp_path / "shots" / "console.png"
    assert run(console, screenshot=str(target), theme="light", size=(1000, 700), settings=settings) == 0
    image = QImage(str(target))
    assert not image.isNull()
    assert image.width() >= 1000 and image.height() >= 700
    assert len({image.pixel(x, 40) for x in range(0, image.width(), 7)}) > 3  # something was drawn
    assert settings.state_bytes("geometry") is None  # a screenshot does not overwrite the layout


def test_export_writes_the_chosen_format(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "out" / "incident"
    target.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    window.export("markdown")
    written = target.with_suffix(".md")
    assert "Checkout API returning 502s" in written.read_text(encoding="utf-8")
    assert window.status.currentMessage() == f"Saved {written}"
    window.export("json")
    assert json.loads(target.with_suffix(".json").read_text(encoding="utf-8"))
    window.export("csv")
    assert "PagerDuty alert fired" in target.with_suffix(".csv").read_text(encoding="utf-8")


def test_each_incident_keeps_its_reading_place(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    for number in range(60):
        timeline.add_note(console, incident, f"finding {number}")
    table = window.timeline.entries
    last = window.timeline.model.index(window.timeline.model.rowCount() - 1, 0)
    qtbot.waitUntil(lambda: table.viewport().rect().intersects(table.visualRect(last)))  # follows the newest
    table.scrollTo(window.timeline.model.index(10, 0), table.ScrollHint.PositionAtTop)

    def top() -> object:
        return window.timeline.model.entry_at(table.indexAt(table.viewport().rect().topLeft()).row())

    top_before = top()
    other = app_incident.declare(console, Declaration(title="Search slow", severity="SEV3")).id
    window.select_incident(other)
    window.select_incident(incident)
    qtbot.waitUntil(lambda: top() is top_before)
    timeline.add_note(console, incident, "while reading older entries")  # a reader scrolled up is not yanked down
    assert top() is top_before


def test_a_store_problem_while_polling_shows_in_the_status_bar(  # type: ignore[no-untyped-def]
    qtbot: QtBot, console: Console, window: MainWindow, monkeypatch
) -> None:
    def broken() -> list[object]:
        raise StoreError("/tmp/c.db is busy (another program holds a lock). Try again in a moment.")

    monkeypatch.setattr(console, "catch_up", broken)
    qtbot.waitUntil(lambda: window.status.problem.isVisibleTo(window), timeout=3000)
    assert "is busy" in window.status.problem.text()
    monkeypatch.setattr(console, "catch_up", lambda: [])
    qtbot.waitUntil(lambda: not window.status.problem.isVisibleTo(window), timeout=3000)


def test_tooltips_show_markup_as_text(console: Console, incident: str, window: MainWindow) -> None:
    timeline.add_note(console, incident, "<img src=x> <b>bold?</b>")
    model = window.timeline.model
    tooltip = model.index(model.rowCount() - 1, 2).data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=x&gt; &lt;b&gt;bold?&lt;/b&gt;" in tooltip and "<img" not in tooltip
    app_incident.edit_details(console, incident, title="<i>Checkout</i> down")
    assert "&lt;i&gt;Checkout&lt;/i&gt;" in window.header.title.toolTip()
    assert window.header.title.full_text() == "<i>Checkout</i> down"
    assert window.header.title.textFormat() == Qt.TextFormat.PlainText


def test_scrolling_to_the_top_loads_older_entries_in_place(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    for number in range(100):
        timeline.add_note(console, incident, f"finding {number}")
    model = window.timeline.model
    model.chunk = 40  # more rows than the window shows, so there is a place to keep
    model.reset()
    window.timeline.entries.scrollToBottom()
    assert model.rowCount() == 40 and model.hidden > 0
    first = model.entry_at(0)
    table = window.timeline.entries
    table.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)  # the reader
    qtbot.waitUntil(lambda: model.rowCount() == 80)
    qtbot.waitUntil(lambda: model.entry_at(table.indexAt(table.viewport().rect().topLeft()).row()) is first)
    table.setCurrentIndex(model.index(0, 0))  # the keyboard reaching the first row loads more too
    qtbot.waitUntil(lambda: model.rowCount() == model.total)


def test_a_long_incident_opens_just_after_the_first_paint(qtbot: QtBot, console: Console, settings: UiSettings) -> None:
    from commander.domain.core.events import EventDraft, incident_stream
    from commander.ui.shell.main_window import LONG_INCIDENT

    state = app_incident.declare(console, Declaration(title="Payments degraded (long-running)", severity="SEV1"))
    notes = [
        EventDraft(incident_stream(state.id), "note.added", {"text": f"check {n}", "pinned": False})
        for n in range(LONG_INCIDENT)
    ]
    console.perform(state.id, lambda _state: notes)  # one write, as a long history already in the store
    window = MainWindow(console, settings)
    qtbot.addWidget(window)
    assert window.current is None and window.stack.currentWidget() is window.opening
    events = len(console.reads.stream(incident_stream(state.id)))
    assert window.opening.text() == f"Opening {state.reference} ({events:,} events)…"
    assert window.incidents.open_list.currentIndex().row() == 0  # highlighted in the list already
    window.show()
    qtbot.waitUntil(lambda: window.current == state.id, timeout=5000)
    assert window.stack.currentWidget() is window.pane


def test_choosing_another_incident_before_the_long_one_opens_wins(
    qtbot: QtBot, console: Console, settings: UiSettings
) -> None:
    from commander.domain.core.events import EventDraft, incident_stream
    from commander.ui.shell.main_window import LONG_INCIDENT

    long = app_incident.declare(console, Declaration(title="Payments degraded", severity="SEV1"))
    notes = [
        EventDraft(incident_stream(long.id), "note.added", {"text": f"n{n}", "pinned": False})
        for n in range(LONG_INCIDENT)
    ]
    console.perform(long.id, lambda _state: notes)
    short = app_incident.declare(console, Declaration(title="Search slow", severity="SEV3"))
    window = MainWindow(console, settings)
    qtbot.addWidget(window)
    window.select_incident(short.id)
    window.show()
    qtbot.waitExposed(window)
    window.finish_opening()  # what the opening notice runs once painted: the choice already made stands
    assert window.current == short.id


def test_the_main_window_is_the_shell_the_views_know(qtbot: QtBot, incident: str, window: MainWindow) -> None:
    shell: Shell = window  # mypy checks that MainWindow has everything the Shell protocol asks
    shown: list[str | None] = []
    shell.bridge.incident_shown.connect(shown.append)
    shell.select_incident(None)
    shell.select_incident(incident)
    shell.select_incident(incident)  # already on screen: nothing to announce
    assert shown == [None, incident] and shell.current == incident
    shell.show_tab("details")
    assert window.right_tabs.currentWidget() is window.details
    shell.show_tab("checklists")
    assert window.right_tabs.currentWidget() is window.checklists
    shell.show_tab("notes")
    qtbot.waitUntil(lambda: window.note_box.text.hasFocus())
    with pytest.raises(ValueError, match="No tab 'timeline'"):
        shell.show_tab("timeline")


def test_the_menus_hold_every_registered_entry_in_its_place(qtbot: QtBot, window: MainWindow) -> None:
    menus = {menu.title(): menu for menu in window.menuBar().findChildren(QMenu)}
    for made in entries():
        action = window.menu_actions.by_text[made.text]
        assert action in menus[f"&{made.menu}"].actions(), made.text
        assert action.shortcut().toString() == made.shortcut, made.text
        assert action.isEnabled() is not made.needs_incident, made.text  # no incident on screen yet
    incident_menu = [a.text() or "----" for a in menus["&Incident"].actions()]
    assert incident_menu[:7] == [
        "&Severity…",
        "S&tatus…",
        "&Milestones…",
        "&Edit details…",
        "&Add role…",
        "----",
        "Send &update…",
    ]
    file_menu = [a.text() or "----" for a in menus["&File"].actions()]
    assert file_menu == ["&Declare incident…", "&Export", "----", "S&hared store…", "----", "&Quit"]


def test_a_menu_entry_opens_its_window_on_the_incident_on_screen(
    qtbot: QtBot, incident: str, window: MainWindow
) -> None:
    window.menu_actions.trigger("&Milestones…")
    dialog = window.findChild(MilestonesDialog)
    assert dialog is not None and dialog.isVisible() and dialog.incident_id == incident
