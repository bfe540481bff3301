"""The action items window: the model, filters, add/edit/close, push and refresh against a local Jira,
and "turn this note into an action item" from the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtGui import QAction
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from commander.app import actions
from commander.app import incident as app_incident
from commander.app.console import Console
from commander.domain.actions.items import ActionFilter, NewAction
from commander.domain.incident.decisions import Declaration
from commander.integrations.secrets import SecretStore
from commander.ui.actions.dialogs import ActionItemDialog, PushDialog
from commander.ui.actions.view import ActionItemsModel, ActionItemsWindow
from commander.ui.shell.main_window import MainWindow
from tests.helpers.fakes import serve
from tests.helpers.tracker_fakes import TOKEN, FakeJira, options
from tests.ui.conftest import OFFSCREEN_SIZE_HINTS

# The window is raised when opened (open_once); the headless platform cannot raise windows and says so.
RAISED = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS, r"This plugin does not support raise\(\)")


def _seed(console: Console, incident: str) -> dict[str, str]:
    today = actions.today(console)
    other = app_incident.declare(console, Declaration(title="Search latency over 2 s", severity="SEV3")).id
    made = {
        "late": actions.create(
            console, incident, NewAction("Write the rollback runbook", owner="Kim", due=today - timedelta(days=2))
        ).id,
        "soon": actions.create(
            console, other, NewAction("Add a search canary", owner="Sam", type="detect", team="Search")
        ).id,
        "done": actions.create(console, incident, NewAction("Rate-limit retries", owner="Sam")).id,
    }
    actions.done(console, made["done"])
    return made


def _open(window: MainWindow, qtbot: QtBot) -> ActionItemsWindow:
    view = window.menu_actions.open_action_items()
    qtbot.waitExposed(view)
    return view


def _titles(view: ActionItemsWindow) -> list[str]:
    return [item.title for item in view.model.rows]


def test_the_model_passes_the_model_tester(qtmodeltester: ModelTester, console: Console, incident: str) -> None:
    _seed(console, incident)
    model = ActionItemsModel()
    day = actions.today(console)
    model.set_rows(actions.listing(console, ActionFilter(status=None)), {}, day)
    qtmodeltester.check(model)
    assert model.index(0, ActionItemsModel.DUE).data().endswith("2 days late")
    assert model.index(0, ActionItemsModel.DUE).data(model.ItemRole).title == "Write the rollback runbook"


@RAISED
def test_opened_from_the_menu_overdue_first_and_filtered(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    _seed(console, incident)
    action = next(a for a in window.findChildren(QAction) if a.text().startswith("Actio&n items"))
    assert action.shortcut().toString() == "Ctrl+Shift+I"
    action.trigger()
    view = window.findChild(ActionItemsWindow)
    assert view is not None and view.isVisible()
    assert _titles(view) == ["Write the rollback runbook", "Add a search canary"]
    assert view.count.text() == "2 shown · 2 open · 1 overdue"
    view.owner.setCurrentIndex(view.owner.findData("Sam"))
    assert _titles(view) == ["Add a search canary"]
    view.status.setCurrentIndex(view.status.findData("__any__"))
    assert _titles(view) == ["Add a search canary", "Rate-limit retries"]
    view.owner.setCurrentIndex(0)
    view.team.setCurrentIndex(view.team.findData("Search"))
    assert _titles(view) == ["Add a search canary"]
    view.team.setCurrentIndex(0)
    view.incident.setCurrentIndex(view.incident.findData(incident))
    view.status.setCurrentIndex(view.status.findData("overdue"))
    assert _titles(view) == ["Write the rollback runbook"]
    assert window.menu_actions.open_action_items() is view  # one window, shown again


@RAISED
def test_add_edit_done_and_wont_do(qtbot: QtBot, window: MainWindow, console: Console, incident: str) -> None:
    view = _open(window, qtbot)
    dialog = view.add_item()
    assert dialog.incident.currentData() == incident  # the incident on screen
    assert dialog._day() == actions.today(console) + timedelta(days=7)
    dialog.title.setText("Alert on consumer lag")
    dialog.owner.setCurrentText("Sam")
    dialog.priority.setCurrentText("P1")
    dialog.submit()
    assert _titles(view) == ["Alert on consumer lag"]  # reloaded from "events appended"
    [item] = view.model.rows
    assert (item.owner, item.priority, item.due) == ("Sam", "P1", actions.today(console) + timedelta(days=7))
    edit = view.edit_selected()
    assert edit is not None and not edit.incident.isEnabled()
    edit.due.setDate(edit.due.date().addDays(-30))
    edit.submit()
    assert view.model.rows[0].overdue(actions.today(console))
    wont = view.wont_do()
    assert wont is not None
    wont.submit()
    assert "Say why" in wont.error.text() and wont.isVisible()
    wont.reason.setText("replaced by the SLO alert")
    wont.submit()
    assert view.model.rows == []  # closed: the Open filter hides it
    view.status.setCurrentIndex(view.status.findData("wont_do"))
    assert view.reopen_button.isEnabled() and not view.done_button.isEnabled()
    view.reopen()
    assert view.model.rows == []
    view.status.setCurrentIndex(view.status.findData("open"))
    view.mark_done()
    assert actions.find(console, item.id).status == "done"


@RAISED
def test_push_confirms_then_creates_the_issue_off_the_ui_thread_and_refresh_reads_it_back(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    made = _seed(console, incident)
    fake = FakeJira()
    with serve(fake) as jira:
        actions.add(console, "jira", "ops-jira", options("jira", jira.base), TOKEN, SecretStore())
        view = _open(window, qtbot)
        view.table.selectRow(0)
        dialog = view.push_selected()
        assert isinstance(dialog, PushDialog)
        assert "creates an issue in ops-jira titled:\n“Write the rollback runbook”" in dialog.summary.text()
        assert jira.requests == []  # nothing left before Push
        dialog.submit()
        qtbot.waitUntil(lambda: "is now OPS-12" in view.note.text(), timeout=5000)
        assert actions.find(console, made["late"]).links["ops-jira"].key == "OPS-12"
        assert view.model.index(0, ActionItemsModel.TRACKER).data() == "OPS-12"
        fake.done.add("OPS-12")
        view.refresh_trackers()
        qtbot.waitUntil(lambda: view.note.text().startswith("Checked"), timeout=5000)
    assert view.note.text() == "Checked 1 of 1; 1 done there."
    pushed = next(item for item in view.model.rows if item.id == made["late"])
    assert pushed.status_label == "open, done in ops-jira" and not pushed.overdue(actions.today(console))
    assert view.count.text().endswith("0 overdue")  # done there: no longer overdue


@RAISED
def test_a_refused_push_is_explained_and_nothing_is_recorded(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    made = _seed(console, incident)
    with serve(FakeJira()) as jira:
        actions.add(
            console, "jira", "ops-jira", {**options("jira", jira.base), "project": "NOPE"}, TOKEN, SecretStore()
        )
        view = _open(window, qtbot)
        view.table.selectRow(0)
        dialog = view.push_selected()
        assert dialog is not None
        dialog.submit()
        qtbot.waitUntil(lambda: view.error.isVisible(), timeout=5000)
    assert "valid project is required" in view.error.text()
    assert actions.find(console, made["late"]).links == {}
    assert view.push_button.isEnabled()


@RAISED
def test_without_a_tracker_push_says_how_to_add_one(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    _seed(console, incident)
    view = _open(window, qtbot)
    dialog = view.push_selected()
    assert dialog is not None and not dialog.ok.isEnabled() and "commander tracker add" in dialog.intro.text()


@RAISED
def test_turn_a_note_into_an_action_item(qtbot: QtBot, window: MainWindow, console: Console, incident: str) -> None:
    timeline = window.timeline
    row = next(r for r in range(timeline.model.rowCount()) if (e := timeline.model.entry_at(r)) and e.note_id)
    timeline.entries.selectRow(row)
    note = timeline.selected_entry()
    assert note is not None and timeline.action_item_action.isEnabled()
    assert timeline.action_item_action.shortcut().toString() == "A"
    dialog = timeline.turn_into_action_item()
    assert isinstance(dialog, ActionItemDialog)
    assert (dialog.title.text(), dialog.finding.toPlainText()) == ("PagerDuty alert fired", "PagerDuty alert fired")
    dialog.title.setText("Tune the PagerDuty alert threshold")
    dialog.submit()
    [item] = actions.items(console).values()
    assert item.source == f"note:{note.note_id}" and item.incident_id == incident
    assert item.due == actions.today(console) + timedelta(days=7)
    assert window.timeline.model.entry_at(window.timeline.model.rowCount() - 1).text.startswith(
        "Action item: Tune the PagerDuty alert threshold"
    )
