"""Every dialog of the window, and of the windows it opens, shows hostile text as text (see test_hostile_text.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import (
    QAbstractItemView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from commander.ui.shell.main_window import MainWindow
from tests.ui.kit.hostile import RAISES, Defuser, open_entry, ready, rich_offences, rows, select


def _first_child(window: MainWindow) -> None:
    """Select the first step of the first checklist."""
    state = window.console.state(window.current)
    panel = window.checklists
    checklist = next(iter(state.checklists.values()))
    select(panel.tree, panel.model.step_index(checklist.id, next(iter(checklist.steps))))


def _note_row(window: MainWindow) -> None:
    table = window.timeline.entries
    model = table.model()
    for row in range(model.rowCount()):
        table.setCurrentIndex(model.index(row, 0))
        entry = window.timeline.selected_entry()
        if entry is not None and entry.note_id is not None:
            return


MAIN_DIALOGS = {
    "declare": lambda w: w.declare_incident(),
    "milestones": lambda w: w.edit_milestones(),
    "details": lambda w: w.edit_details(),
    "record update": lambda w: w.record_update(),
    "timer": lambda w: w.set_timer(),
    "about": lambda w: w.show_about(),
    "add role": lambda w: w.roles.add_role(),
    "assign role": lambda w: (
        w.roles.tree.setCurrentIndex(w.roles.tree.model().index(0, 0)),
        w.roles.assign_selected(),
    )[1],
    "attach runbook": lambda w: w.checklists.attach_runbook(),
    "skip step": lambda w: (_first_child(w), w.checklists.skip_selected())[1],
    "assign step": lambda w: (_first_child(w), w.checklists.assign_selected())[1],
    "finding": lambda w: (_first_child(w), w.checklists.add_finding_selected())[1],
    "suggest": lambda w: (_first_child(w), w.checklists.suggest_change())[1],
    "step to action item": lambda w: (_first_child(w), w.checklists.turn_into_action_item())[1],
    "detach": lambda w: (_first_child(w), w.checklists.detach_selected())[1],
    "edit note": lambda w: (_note_row(w), w.timeline.edit_selected())[1],
    "note to action item": lambda w: (_note_row(w), w.timeline.turn_into_action_item())[1],
    "page confirmation": lambda w: open_entry(w, "Pa&ge on-call for a service…").confirmation(),
}


def _walk_each(qtbot: QtBot, window: MainWindow, defuser: Defuser, openers: dict[str, Any]) -> None:
    """Open each dialog in turn on the one window, walk it, paint it, close it; then say every problem found."""
    problems: list[str] = []
    for name, opener in openers.items():
        dialog = opener(window, qtbot)
        if dialog is None:
            problems.append(f"{name}: did not open")
            continue
        qtbot.waitExposed(dialog)
        problems += [f"{name}: {offence}" for offence in defuser.found + rich_offences(dialog)]
        defuser.found.clear()
        dialog.grab()
        dialog.close()
    assert not problems, "\n".join(problems)


@RAISES
def test_each_dialog_of_the_window_shows_hostile_text_as_text(
    qtbot: QtBot, hostile_window: MainWindow, defuser: Defuser
) -> None:
    _walk_each(
        qtbot,
        hostile_window,
        defuser,
        {name: (lambda w, _qtbot, o=opener: o(w)) for name, opener in MAIN_DIALOGS.items()},
    )


def _in_view(text: str, then: str) -> object:
    def run(window: MainWindow, qtbot: QtBot) -> QWidget | None:
        view = open_entry(window, text)
        qtbot.waitUntil(lambda: ready(view), timeout=30_000)
        for found in view.findChildren(QAbstractItemView):
            if found.isVisible() and found.model() is not None and rows(found.model(), QModelIndex()):
                select(found, found.model().index(0, 0))
        return getattr(view, then)()

    return run


VIEW_DIALOGS = {
    "declare from alerts": _in_view("A&lerts…", "declare"),
    "noise": _in_view("A&lerts…", "mark_noise"),
    "silence": _in_view("A&lerts…", "silence"),
    "edit action item": _in_view("Actio&n items (all incidents)…", "edit_selected"),
    "won't do": _in_view("Actio&n items (all incidents)…", "wont_do"),
    "override": _in_view("On-&call…", "add_override"),
    "reviewed": _in_view("Run&books…", "mark_reviewed"),
    "versions": _in_view("Run&books…", "show_versions"),
    "retire": _in_view("Run&books…", "retire"),
}


@RAISES
def test_each_dialog_of_the_other_windows_shows_hostile_text_as_text(
    qtbot: QtBot, hostile_window: MainWindow, defuser: Defuser
) -> None:
    _walk_each(qtbot, hostile_window, defuser, VIEW_DIALOGS)
