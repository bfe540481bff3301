"""The incident list and the role board: correct models, the right order, key roles flagged."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app import roles
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.ui.incident.incidents import IncidentListModel, IncidentListPanel
from commander.ui.roles.board import RoleModel
from commander.ui.shell.main_window import MainWindow


def test_incident_list_models_pass_the_tester_and_put_the_most_severe_first(
    qtbot: QtBot, qtmodeltester: ModelTester, console: Console
) -> None:
    minor = app_incident.declare(console, Declaration(title="Search slow", severity="SEV3"))
    critical = app_incident.declare(console, Declaration(title="Checkout down", severity="SEV1"))
    done = app_incident.declare(console, Declaration(title="Emails late", severity="SEV2"))
    app_incident.change_status(console, done.id, "resolved")
    panel = IncidentListPanel(console)
    qtbot.addWidget(panel)
    panel.reload()
    qtmodeltester.check(panel.open_model)
    qtmodeltester.check(panel.history_model)
    assert panel.first_open() == critical.id
    assert [panel.open_model.summary(r).id for r in range(2)] == [critical.id, minor.id]  # type: ignore[union-attr]
    assert panel.history_model.summary(0).id == done.id  # type: ignore[union-attr]
    tooltip = panel.open_model.index(0).data(Qt.ItemDataRole.ToolTipRole)
    assert "SEV1 (Critical)" in tooltip and "Checkout down" in tooltip


def test_selecting_a_resolved_incident_opens_the_history(qtbot: QtBot, console: Console) -> None:
    done = app_incident.declare(console, Declaration(title="Emails late", severity="SEV2"))
    app_incident.change_status(console, done.id, "resolved")
    panel = IncidentListPanel(console)
    qtbot.addWidget(panel)
    panel.show()
    panel.reload()
    assert panel.open_count() == 0 and panel.empty.isVisibleTo(panel)
    assert panel.select(done.id)
    assert panel.history_button.isChecked() and panel.history_list.isVisibleTo(panel)


def test_role_model_passes_the_tester(qtmodeltester: ModelTester, console: Console, incident: str) -> None:
    model = RoleModel(console.policy, console.now)
    model.set_state(console.state(incident))
    qtmodeltester.check(model)
    first = model.index(0, 0)
    assert model.rowCount(first) == len(console.policy.roles[0].checklist)  # the duty checklist
    roles.add_role(console, incident, "Customer Liaison", "Talks to the largest customers")
    model.set_state(console.state(incident))
    qtmodeltester.check(model)


def test_an_unfilled_key_role_is_flagged_in_words_on_a_sev1(console: Console, window: MainWindow) -> None:
    state = app_incident.declare(console, Declaration(title="Everything is down", severity="SEV1"))
    window.select_incident(state.id)
    banner = window.roles.banner
    assert banner.isVisibleTo(window)
    assert "Communications Lead" in banner.text() and "unfilled" in banner.text()
    model = window.roles.model
    rows = {model.index(r, RoleModel.ROLE).data(RoleModel.RoleKeyRole): r for r in range(model.rowCount())}
    holder = model.index(rows["communications_lead"], RoleModel.HOLDER).data()
    assert holder == "Unfilled (key role)"
    assert model.index(rows["communications_lead"], RoleModel.ROLE).data().startswith("⚠")
    assert model.index(rows["scribe"], RoleModel.HOLDER).data() == "(unfilled)"  # not a key role
    roles.assign(console, state.id, "comms", "Priya")
    assert not banner.isVisibleTo(window)
    assert model.index(rows["communications_lead"], RoleModel.HOLDER).data() == "Priya"


def test_assign_then_hand_off_through_the_dialog(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    board = window.roles
    board.select("scribe")
    dialog = board.assign_selected()
    assert dialog is not None and dialog.windowTitle() == "Assign Scribe"
    dialog.person.setCurrentText("")
    qtbot.keyClicks(dialog.person.lineEdit(), "Jo")
    qtbot.keyClick(dialog.person.lineEdit(), Qt.Key.Key_Return)
    assert console.state(incident).roles["scribe"].holder == "Jo"
    assert board.assign_button.text() == "Hand off…"

    handoff = board.assign_selected()
    assert handoff is not None and handoff.windowTitle() == "Hand off Scribe"
    qtbot.keyClicks(handoff.person.lineEdit(), "Kim")
    qtbot.keyClick(handoff.person.lineEdit(), Qt.Key.Key_Return)
    last = console.view(incident).events[-1]
    assert last.kind == "role.assigned"
    assert (last.payload["previous"], last.payload["person"]) == ("Jo", "Kim")
    texts = [window.timeline.model.entry_at(r).text for r in range(window.timeline.model.rowCount())]  # type: ignore[union-attr]
    assert "Jo handed Scribe to Kim after 0s" in texts


def test_clearing_a_role_and_adding_a_custom_one(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    window.roles.select("technical_lead")
    window.roles.clear_selected()
    assert console.state(incident).roles["technical_lead"].holder is None
    dialog = window.roles.add_role()
    assert dialog is not None
    qtbot.keyClicks(dialog.name, "Customer Liaison")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    assert "customer_liaison" in console.state(incident).roles
    model = window.roles.model
    names = [model.index(r, RoleModel.ROLE).data() for r in range(model.rowCount())]
    assert "Customer Liaison" in names


def test_assigning_the_holder_again_is_refused_inline(
    qtbot: QtBot, console: Console, incident: str, window: MainWindow
) -> None:
    window.roles.select("technical_lead")
    dialog = window.roles.assign_selected()
    assert dialog is not None
    dialog.person.setCurrentText("Sam")
    dialog.submit()
    assert dialog.isVisible()
    assert dialog.error.text() == "Sam already holds Technical Lead."
    assert dialog.person.currentText() == "Sam"


def test_incident_list_model_is_independent_of_the_window(console: Console, incident: str) -> None:
    model = IncidentListModel(console.policy, console.now, console.zone)
    model.set_summaries(console.incidents())
    assert model.rowCount() == 1
    assert model.index(0).data(IncidentListModel.IdRole) == incident
