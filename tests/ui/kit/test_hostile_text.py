"""Text from outside (a peer's rows, an alert, a runbook file) is never taken for markup anywhere in the
window. Qt treats a string as rich text when `Qt.mightBeRichText` says so (tooltips, What's This, labels
left on Qt.AutoText); `<img src="/dev/zero">` in such a string makes Qt read /dev/zero until the process
dies, on a mere hover. The store is seeded with hostile text in every field a person or a peer can set;
then every widget of the window and of the windows it opens is walked, and painted."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent, QTextDocumentFragment
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QToolTip,
    QWidget,
)
from pytestqt.qtbot import QtBot

from commander.ui.shell.main_window import MainWindow
from tests.ui.kit.hostile import (
    BIG,
    BOLD,
    EVIL,
    IMG,
    LINK,
    RAISES,
    Defuser,
    Seeded,
    assert_safe,
    auto_offences,
    open_entry,
    ready,
    rich_offences,
    select,
    select_first_rows,
)

# -- the tests ------------------------------------------------------------------------------------------


def test_the_walker_finds_an_unescaped_label_and_tooltip(qtbot: QtBot) -> None:
    host = QWidget()
    qtbot.addWidget(host)
    label = QLabel(f"Timer: {BOLD}", host)
    assert [o.where for o in rich_offences(host)] == ["QLabel().text"]
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setToolTip(f"{LINK} fired")
    assert [o.where for o in rich_offences(host)] == ["QLabel().toolTip"]
    from commander.ui.kit import richtext

    label.setToolTip(richtext.tooltip(f"{LINK} fired"))
    assert rich_offences(host) == []


@RAISES
def test_the_main_window_shows_hostile_text_as_text(
    qtbot: QtBot, hostile_window: MainWindow, seeded: Seeded, defuser: Defuser, tmp_path: Path
) -> None:
    window = hostile_window
    # Who else is here comes from the shared store's presence table: anyone can write a name there.
    window.sync_indicator.set_incident(seeded.open_id)
    window.sync_indicator.show_status(
        SimpleNamespace(
            state="online", waiting=0, last_success=None, retry_in=0, message=EVIL, others=((EVIL, seeded.open_id),)
        )
    )
    assert EVIL in window.sync_indicator.text()
    assert_safe(window, defuser)
    assert window.header.title.full_text() == EVIL  # shown as typed, not lost nor doubly escaped
    window.grab().save(str(tmp_path / "hostile.png"))
    select_first_rows(window)
    assert_safe(window, defuser)
    entries, read = window.timeline.entries, []
    for row in range(entries.model().rowCount()):  # each entry read in full below the timeline
        select(entries, entries.model().index(row, 0))
        assert rich_offences(window.timeline.detail) == []
        read.append(window.timeline.detail.toPlainText())
    assert any(EVIL in text for text in read) and any(BIG[:19_000] in text for text in read)
    window.select_incident(seeded.resolved_id)
    select_first_rows(window)
    assert_safe(window, defuser)


OPENED = {
    "alerts": "A&lerts…",
    "action items": "Actio&n items (all incidents)…",
    "on-call": "On-&call…",
    "runbooks": "Run&books…",
    "trends": "T&rends…",
    "page": "Pa&ge on-call for a service…",
}


@RAISES
def test_each_window_it_opens_shows_hostile_text_as_text(
    qtbot: QtBot, hostile_window: MainWindow, defuser: Defuser
) -> None:
    problems: list[str] = []
    for name, text in OPENED.items():
        view = open_entry(hostile_window, text)
        assert view is not None, name
        qtbot.waitExposed(view)
        qtbot.waitUntil(lambda v=view: ready(v), timeout=30_000)
        select_first_rows(view)
        if name == "runbooks":  # the first row is a heading: show the runbook itself, with its suggestion
            row = next(n for n, listed in enumerate(view.model.rows) if listed.record is not None)
            select(view.list, view.model.index(row, 0))
            assert view.viewer.title.text() == EVIL
        problems += [f"{name}: {offence}" for offence in defuser.found + rich_offences(view)]
        defuser.found.clear()
        view.grab()
    assert not problems, "\n".join(problems)


@RAISES
def test_the_postmortem_editor_shows_hostile_text_as_text(
    qtbot: QtBot, hostile_window: MainWindow, seeded: Seeded, defuser: Defuser
) -> None:
    hostile_window.select_incident(seeded.resolved_id)
    editor = open_entry(hostile_window, "P&ostmortem…")
    assert editor is not None
    qtbot.waitExposed(editor)
    select_first_rows(editor)
    assert_safe(editor, defuser)


@RAISES
def test_hovering_a_shift_on_the_calendar_shows_the_names_as_text(
    qtbot: QtBot, hostile_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = open_entry(hostile_window, "On-&call…")
    qtbot.waitExposed(view)
    calendar = view.calendar
    calendar.grab()  # places the shifts, and with them the places a hover asks about
    hit = next(h for h in calendar._hits if h.text.startswith(EVIL))  # noqa: SLF001
    # The tooltip is caught, not shown: shown unescaped, it would read /dev/zero until this process died.
    shown: list[str] = []
    monkeypatch.setattr(QToolTip, "showText", lambda _at, text, *_rest: shown.append(text))
    point = hit.area.center().toPoint()
    QApplication.sendEvent(calendar, QHelpEvent(QEvent.Type.ToolTip, point, calendar.mapToGlobal(point)))
    [text] = shown
    assert auto_offences("the shift's tooltip", text) == []
    assert IMG in QTextDocumentFragment.fromHtml(text).toPlainText()  # what the person reads: the name as written
