"""The checklists panel: ticking by key and by click, skip/assign/finding dialogs, copy and links, the
runbook picker, duty checklists from the role board, Markdown export, and two consoles' ticks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QStyleOptionViewItem
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from commander.app import checklists
from commander.app import incident as app_incident
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.ui.checklists.delegate import Parts
from commander.ui.checklists.dialogs import AssignStepDialog, FindingDialog, SkipStepDialog, SuggestChangeDialog
from commander.ui.checklists.model import ChecklistModel, Node
from commander.ui.checklists.panel import ChecklistPanel
from commander.ui.shell.main_window import MainWindow
from tests.helpers.checklist_samples import NODE_NOT_READY, long_runbook

D = TypeVar("D")
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"


def _outside_git(tmp_path: Path) -> Path:
    """The sample runbooks where git gives them no date (in this checkout, their last commit would count as
    a review), so they are never reviewed."""
    return Path(shutil.copytree(FIXTURES, tmp_path / "runbooks"))


def _attach(console: Console, incident: str) -> str:
    [event] = checklists.attach_checklist(console, incident, NODE_NOT_READY)
    return event.id


def _state(console: Console, incident: str, checklist: str, step: str) -> str:
    return console.state(incident).checklists[checklist].steps[step].state


def _panel(window: MainWindow, incident: str) -> ChecklistPanel:
    window.select_incident(incident)
    return window.checklists


def test_the_panel_sits_in_a_tab_below_the_roles_and_says_what_to_do_when_empty(
    window: MainWindow, console: Console, incident: str
) -> None:
    panel = _panel(window, incident)
    assert window.right_tabs.tabText(window.right_tabs.indexOf(panel)) == "Checklists"
    assert window.right_tabs.currentWidget() is panel
    assert panel.empty.isVisible() and not panel.tree.isVisible()
    assert "Attach a runbook" in panel.empty.text()
    checklist = _attach(console, incident)
    assert panel.tree.isVisible() and not panel.empty.isVisible()
    top = panel.model.index(0, 0)
    assert top.data() == "K8s node not ready, runbook v3: 0 of 5 done or skipped"
    assert [panel.model.index(row, 0, top).data() for row in range(panel.model.rowCount(top))] == [
        "Diagnosis",
        "Check the node's conditions, not checked",
        "Look at the kubelet logs, not checked",
        "Mitigation",
        "Drain the node, not checked",
        "Escalation",
        "Page the platform team, not checked",
    ]
    drain = panel.model.step_index(checklist, "s2.1")
    assert panel.tree.isExpanded(drain)  # the nesting shows: the sub-step is a child
    assert panel.model.index(0, 0, drain).data() == "Wait for the pods to reschedule, not checked"
    assert panel.count.text() == "1 checklist · 0 of 5 steps done or skipped"


def test_the_model_passes_the_model_tester(qtmodeltester: ModelTester, console: Console, incident: str) -> None:
    _attach(console, incident)
    checklists.attach_role_checklist(console, incident, "IC")
    model = ChecklistModel()
    model.set_state(console.state(incident))
    qtmodeltester.check(model)


def test_space_ticks_and_unticks_the_selected_step_and_a_tick_repaints_rows_not_the_tree(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    checklist = _attach(console, incident)
    panel = _panel(window, incident)
    panel.select_step(checklist, "s1.1")
    panel.tree.setFocus()
    resets: list[bool] = []
    changed: list[str] = []
    panel.model.modelReset.connect(lambda: resets.append(True))
    panel.model.dataChanged.connect(lambda first, _last: changed.append(str(first.data())))
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    assert _state(console, incident, checklist, "s1.1") == "done"
    assert resets == []  # a tick changes two rows; it never rebuilds a 200-step tree
    assert changed == ["Check the node's conditions, checked", "K8s node not ready, runbook v3: 1 of 5 done or skipped"]
    assert panel.count.text() == "1 checklist · 1 of 5 steps done or skipped"
    last = console.view(incident).entries[-1]
    assert last.text == "Checked: Check the node's conditions (Diagnosis) — K8s node not ready"
    assert window.timeline.model.entry_at(window.timeline.model.rowCount() - 1) is last
    qtbot.keyClick(panel.tree, Qt.Key.Key_Space)
    assert _state(console, incident, checklist, "s1.1") == "open"
    assert panel.selected_step() is not None and panel.selected_step().id == "s1.1"  # type: ignore[union-attr]


def test_a_click_on_the_tick_box_ticks_and_a_click_on_copy_copies(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    checklist = _attach(console, incident)
    panel = _panel(window, incident)
    index = panel.model.step_index(checklist, "s1.1")
    parts = _parts(panel, index)
    assert parts.box is not None and parts.copy is not None
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=parts.box.center())
    assert _state(console, incident, checklist, "s1.1") == "done"
    QGuiApplication.clipboard().clear()
    copy = _parts(panel, index).copy
    assert copy is not None
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=copy.center())
    assert QGuiApplication.clipboard().text() == "kubectl describe node $NODE"
    assert _state(console, incident, checklist, "s1.1") == "done"  # copying is not ticking
    assert window.status.currentMessage() == "Copied the command."
    panel.select_step(checklist, "s2.1")
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert QGuiApplication.clipboard().text() == "kubectl drain $NODE --ignore-daemonsets"


def _parts(panel: ChecklistPanel, index: QModelIndex) -> Parts:
    panel.tree.scrollTo(index)
    option = QStyleOptionViewItem()
    option.font = panel.tree.font()
    option.rect = panel.tree.visualRect(index)
    node = index.data(ChecklistModel.NodeRole)
    assert isinstance(node, Node)
    return panel.delegate.parts(node, panel.delegate.fonts(option.font), option.rect)


def test_links_open_in_the_browser_only_when_they_are_web_addresses(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[str] = []

    def open_url(url: QUrl) -> bool:
        opened.append(QUrl(url).toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    checklist = _attach(console, incident)
    panel = _panel(window, incident)
    index = panel.model.step_index(checklist, "s1.2")
    link = _parts(panel, index).link
    assert link is not None
    qtbot.mouseClick(panel.tree.viewport(), Qt.MouseButton.LeftButton, pos=link.topLeft() + QPoint(6, 4))
    assert opened == ["https://grafana.example.com/d/kubelet"]
    step = console.state(incident).checklists[checklist].steps["s1.2"]
    step.link = "file:///etc/passwd"  # as a runbook from an untrusted folder might have it
    panel.select_step(checklist, "s1.2")
    panel.open_link_selected()
    assert opened == ["https://grafana.example.com/d/kubelet"]
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert "is not a web address" in box.text()
    box.close()


def test_skip_assign_and_finding_go_through_dialogs_that_keep_what_was_typed_on_a_refusal(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    checklist = _attach(console, incident)
    panel = _panel(window, incident)
    panel.select_step(checklist, "s1.2")
    panel.tree.setFocus()
    qtbot.keyClick(panel.tree, Qt.Key.Key_S)
    skip = _open_dialog(SkipStepDialog)
    skip.submit()
    assert skip.error.isVisible() and "reason for skipping is empty" in skip.error.text()
    skip.reason.setText("logs already in the ticket")
    skip.submit()
    step = console.state(incident).checklists[checklist].steps["s1.2"]
    assert (step.state, step.reason) == ("skipped", "logs already in the ticket")

    qtbot.keyClick(panel.tree, Qt.Key.Key_A)
    assign = _open_dialog(AssignStepDialog)
    assert assign.to.findText("Technical Lead") >= 0 and assign.to.findText("Sam") >= 0
    assign.to.setCurrentText("TL")
    assign.submit()
    assert console.state(incident).checklists[checklist].steps["s1.2"].assigned == "TL"

    qtbot.keyClick(panel.tree, Qt.Key.Key_F)
    finding = _open_dialog(FindingDialog)
    finding.text.setPlainText("kubelet: PLEG is not healthy")
    qtbot.keyClick(finding.text, Qt.Key.Key_Return)
    found = console.state(incident).checklists[checklist].steps["s1.2"].findings
    assert [f.text for f in found] == ["kubelet: PLEG is not healthy"]
    assert panel.selected_step() is not None and panel.selected_step().id == "s1.2"  # type: ignore[union-attr]


def _open_dialog(kind: type[D]) -> D:
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    assert len(found) == 1, found
    return found[0]


def test_suggesting_a_change_writes_to_the_runbooks_stream(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    checklist = _attach(console, incident)
    panel = _panel(window, incident)
    panel.select_step(checklist, "s2.1")
    dialog = panel.suggest_change()
    assert isinstance(dialog, SuggestChangeDialog)
    dialog.text.setPlainText("Cordon the node before draining it")
    dialog.submit()
    [event] = console.reads.of_kinds(["runbook.suggested"])
    assert event.stream == "runbook:rb-node"
    assert (event.payload["step"], event.payload["text"]) == ("s2.1", "Cordon the node before draining it")
    assert window.status.currentMessage() == "Suggestion recorded for “K8s node not ready”."


def test_the_role_board_opens_a_roles_duty_checklist_once(window: MainWindow, console: Console, incident: str) -> None:
    panel = _panel(window, incident)
    window.roles.duty_checklist_requested.emit("incident_commander")
    [checklist] = console.state(incident).checklists.values()
    assert checklist.title == "Incident Commander duties"
    assert panel.selected_checklist() is not None and panel.selected_checklist().id == checklist.id  # type: ignore[union-attr]
    window.roles.duty_checklist_requested.emit("incident_commander")  # already there: shown, not added
    assert len(console.state(incident).checklists) == 1
    window.roles.select("scribe")
    menu = window.roles.context_menu()
    assert menu is not None
    [duties] = [a for a in menu.actions() if a.text() == "Open duty checklist"]
    duties.trigger()
    assert [c.title for c in console.state(incident).checklists.values()] == [
        "Incident Commander duties",
        "Scribe duties",
    ]
    menu.close()


def test_the_picker_lists_the_incidents_runbooks_first_and_enter_attaches(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, tmp_path: Path
) -> None:
    from commander.app.runbooks import library as runbooks
    from commander.ui.runbooks.picker import RunbookPicker

    runbooks.import_paths(console, [_outside_git(tmp_path)])
    app_incident.edit_details(console, incident, services=["checkout"])
    panel = _panel(window, incident)
    picker = panel.attach_runbook()
    assert isinstance(picker, RunbookPicker)
    listed = [picker.results.item(row).text() for row in range(picker.results.count())]
    assert listed[0].startswith("Checkout API returning 5xx\nfits: service checkout  ·  v1"), listed
    assert not any("fits:" in text for text in listed[1:])  # then every other runbook, by title
    assert picker.note.text() == "1 runbook fits checkout; it comes first."
    qtbot.keyClicks(picker.search, "node not re")
    assert picker.results.count() >= 1
    assert picker.results.currentItem().text().startswith("Kube Node Not Ready")
    qtbot.keyClick(picker.search, Qt.Key.Key_Return)
    [checklist] = console.state(incident).checklists.values()
    assert checklist.title == "Kube Node Not Ready" and checklist.runbook
    assert panel.selected_checklist() is not None and panel.selected_checklist().id == checklist.id  # type: ignore[union-attr]
    assert [w for w in panel.model.badges.get(checklist.id, [])][0][0] == "stale"  # never reviewed


def test_the_picker_says_what_to_do_with_an_empty_library(window: MainWindow, incident: str) -> None:
    picker = _panel(window, incident).attach_runbook()
    assert picker is not None
    assert "`commander runbook import PATH…`" in picker.note.text()  # type: ignore[attr-defined]
    assert not picker.ok.isEnabled()  # type: ignore[attr-defined]
    picker.close()


def test_export_copies_and_saves_markdown(window: MainWindow, console: Console, incident: str, tmp_path: Path) -> None:
    checklist = _attach(console, incident)
    checklists.check_step(console, incident, checklist, "s1.1")
    panel = _panel(window, incident)
    panel.copy_markdown()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("## Checklist: K8s node not ready")
    assert "- [x] Check the node's conditions — done by Alex at" in copied
    saved = panel.save_markdown(tmp_path / "checklist", console.state(incident).checklists[checklist])
    assert saved == tmp_path / "checklist.md" and saved.read_text(encoding="utf-8") == copied
    assert panel.save_markdown(tmp_path / "missing" / "x.md", console.state(incident).checklists[checklist]) is None
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert "could not be written" in box.text() and "Choose a folder you can write to" in box.text()
    box.close()


def test_detaching_takes_the_checklist_off_and_keeps_the_rest(
    window: MainWindow, console: Console, incident: str
) -> None:
    checklist = _attach(console, incident)
    duties = checklists.attach_role_checklist(console, incident, "TL")[0].id
    panel = _panel(window, incident)
    panel.tree.setCurrentIndex(panel.model.checklist_index(checklist))
    dialog = panel.detach_selected()
    assert dialog is not None
    dialog.reason.setText("wrong runbook")  # type: ignore[attr-defined]
    dialog.submit()
    assert [c.id for c in panel.model.checklists()] == [duties]
    assert console.view(incident).entries[-1].text == "Detached “K8s node not ready”: wrong runbook"


def test_another_consoles_ticks_show_up_after_catch_up(
    window: MainWindow, console: Console, incident: str, tmp_path: Path
) -> None:
    checklist = _attach(console, incident)
    panel = _panel(window, incident)
    other = build_console(f"sqlite:///{tmp_path}/c.db", user="Sam")
    try:
        checklists.check_step(other, incident, checklist, "s2.1")
        checklists.assign_step(other, incident, checklist, "s3.1", "Kim")
        window.bridge.catch_up()
        assert panel.model.step_index(checklist, "s2.1").data() == "Drain the node, checked"
        assert (
            panel.model.step_index(checklist, "s3.1").data() == "Page the platform team, not checked, assigned to Kim"
        )
        step = console.state(incident).checklists[checklist].steps["s2.1"]
        assert step.by == "Sam"
    finally:
        other.close()


def test_a_long_checklist_lays_out_and_paints_in_both_themes(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    [event] = checklists.attach_checklist(console, incident, long_runbook(200))
    panel = _panel(window, incident)
    assert sum(1 for _ in _walk(panel.model)) >= 200
    for name in ("light", "dark"):
        window.menu_actions.dark.setChecked(name == "dark")
        window.toggle_theme()
        assert not panel.grab().isNull()
    panel.select_step(event.id, list(console.state(incident).checklists[event.id].steps)[-1])
    assert panel.tree.visualRect(panel.tree.currentIndex()).intersects(panel.tree.viewport().rect())


def _walk(model: ChecklistModel, parent: QModelIndex = QModelIndex()) -> Iterator[QModelIndex]:  # noqa: B008
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        yield index
        yield from _walk(model, index)


def test_a_review_in_the_library_takes_the_stale_badge_off(
    window: MainWindow, console: Console, incident: str, tmp_path: Path
) -> None:
    from commander.app.runbooks import library as runbooks

    runbooks.import_paths(console, [_outside_git(tmp_path)])
    record = runbooks.find(console, "KubeNodeNotReady")
    [event] = checklists.attach_checklist(console, incident, record.current)
    panel = _panel(window, incident)
    assert [word for word, _ in panel.model.badges[event.id]] == ["stale"]
    tip = panel.model.checklist_index(event.id).data(Qt.ItemDataRole.ToolTipRole)
    assert "never reviewed; reviews are due every 90 days" in tip
    runbooks.mark_reviewed(console, record.id, "walked through it in the game day")
    assert panel.model.badges[event.id] == []
    runbooks.save(console, replace(record.current, summary="Now with a cordon step"))
    assert [word for word, _ in panel.model.badges[event.id]] == ["v2 out"]


def test_a_step_becomes_an_action_item_with_its_findings(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    from commander.app import actions
    from commander.ui.actions.dialogs import ActionItemDialog

    checklist = _attach(console, incident)
    checklists.add_finding(console, incident, checklist, "s2.1", "no alert fired for the full disk")
    panel = _panel(window, incident)
    panel.select_step(checklist, "s2.1")
    dialog = panel.turn_into_action_item()
    assert isinstance(dialog, ActionItemDialog)
    dialog.submit()
    [item] = [i for i in actions.items(console).values() if i.incident_id == incident]
    assert item.source == f"checklist:{checklist}/s2.1" and item.finding == "no alert fired for the full disk"
