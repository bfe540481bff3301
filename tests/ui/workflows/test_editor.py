"""Incident > Workflows… (Ctrl+Shift+W): the issue's rules listed in words, a field edited and saved with the
version up, a bad template refused with its sentence beside the action, the YAML tab, a dry run against a
real incident, removal undone, files imported and exported, and unsaved changes never lost unasked."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QFileDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
)
from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app import workflows
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.domain.workflows import rules
from commander.domain.workflows.kinds import STREAM
from commander.ui.shell.main_window import MainWindow
from commander.ui.workflows import fields
from commander.ui.workflows.editor import DRY_RUN_TAB, RULE_TAB, YAML_TAB, WorkflowsWindow
from tests.domain.workflows.test_rules import EXAMPLE
from tests.ui.conftest import OFFSCREEN_SIZE_HINTS

# The window is raised when opened; the headless platform says it cannot, which is all it can do there.
RAISED = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS, r"This plugin does not support raise\(\)")
Answer = QMessageBox.StandardButton


class Questions:
    """Stands in for QMessageBox.question: keeps what was asked and gives `reply` as the answer."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.reply = Answer.Cancel

    def __call__(self, parent: object, title: str, text: str, *args: object) -> Answer:
        self.asked.append(text)
        return self.reply


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> Questions:
    answering = Questions()
    monkeypatch.setattr(QMessageBox, "question", answering)
    return answering


@pytest.fixture
def view(qtbot: QtBot, window: MainWindow, console: Console, incident: str) -> WorkflowsWindow:
    workflows.import_yaml(console, EXAMPLE)
    window.select_incident(incident)
    action = next(a for a in window.findChildren(type(window.menu_actions.undo)) if a.text() == "&Workflows…")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+W")
    action.trigger()
    found = window.findChild(WorkflowsWindow)
    assert isinstance(found, WorkflowsWindow) and found.isVisible()
    return found


def _items(tree: QTreeWidget) -> list[QTreeWidgetItem]:
    found = [tree.topLevelItem(row) for row in range(tree.topLevelItemCount())]
    return [item for item in found if item is not None]


def _child(item: QTreeWidgetItem, row: int) -> tuple[str, str]:
    child = item.child(row)
    assert child is not None
    return child.text(0), child.text(1)


def _choose(view: WorkflowsWindow, name: str) -> None:
    view.list.setCurrentItem(next(item for item in _items(view.list) if item.text(0) == name))


def _rows(view: WorkflowsWindow) -> list[list[str]]:
    return [[item.text(c) for c in range(3)] for item in _items(view.list)]


@RAISED
def test_the_rules_are_listed_in_words_and_a_field_edited_is_saved_with_the_version_up(
    qtbot: QtBot, view: WorkflowsWindow, console: Console
) -> None:
    assert _rows(view) == [
        ["page-from-critical-alerts", "an alert fires with severity=critical", "2"],
        ["sev1-war-room", "an incident is declared, SEV2 or worse", "5"],
    ]
    _choose(view, "sev1-war-room")
    assert view.name.text() == "sev1-war-room" and view.version.text().startswith("Version 1")
    assert view.missing.isVisible()  # nothing it names is set up on this store
    assert "Actions 1, 2, 4: no chat connection 'team-slack' yet" in view.missing_lines.text()
    assert view.trigger.severity.currentData() == "SEV2" and not view.trigger.to.isVisible()
    assert view.steps.list.count() == 5
    assert view.steps.list.item(0).text().startswith("1. create-channel · team-slack · inc-{{")
    view.steps.list.setCurrentRow(4)
    minutes = view.steps.form.widgets["minutes"]
    assert isinstance(minutes, QSpinBox) and minutes.value() == 15
    minutes.setValue(20)
    assert view.isWindowModified() and "(unsaved changes)" in view.heading.text()
    qtbot.keyClick(view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # type: ignore[no-untyped-call]
    saved = workflows.rule(console, "sev1-war-room")
    assert saved.version == 2 and saved.rule.actions[4].fields["minutes"] == 20
    assert not view.isWindowModified() and view.version.text().startswith("Version 2")
    assert view.said.text() == "Saved sev1-war-room (version 2)."


@RAISED
def test_a_bad_template_is_refused_with_its_sentence_beside_the_action(view: WorkflowsWindow, console: Console) -> None:
    _choose(view, "sev1-war-room")
    view.steps.list.setCurrentRow(3)
    text = view.steps.form.widgets["text"]
    assert isinstance(text, QPlainTextEdit)
    text.setPlainText("Bridge: {{ bridge.url ")
    view.steps.list.setCurrentRow(0)  # the problem brings its action back
    assert view.save() is False
    said = view.save_error.text()
    assert said.startswith("Rule 'sev1-war-room', action 4 (post): 'text' is not a usable template:")
    assert view.steps.list.currentRow() == 3 and view.steps.form.problem.text() == said
    assert view.steps.form.widgets["text"].property("invalid") is True
    assert workflows.rule(console, "sev1-war-room").version == 1  # nothing written


@RAISED
def test_the_trigger_shows_the_fields_its_event_takes_and_a_missing_one_is_named(
    view: WorkflowsWindow, questions: Questions
) -> None:
    _choose(view, "sev1-war-room")
    trigger = view.trigger
    trigger.event_box.setCurrentIndex(trigger.event_box.findData("role.unfilled"))
    assert trigger.role.isVisible() and trigger.minutes.isVisible() and not trigger.to.isVisible()
    assert view.save() is False
    assert "when (role.unfilled): 'minutes' is missing." in view.save_error.text()
    trigger.minutes.setValue(10)
    trigger.services.setText("checkout, payments")
    trigger.drill.setCurrentIndex(trigger.drill.findData(False))
    assert view.save() is True
    when = workflows.rule(view.console, "sev1-war-room").rule.when
    assert (when.event, when.role, when.minutes, when.services, when.drill) == (
        "role.unfilled",
        "incident_commander",
        10,
        ("checkout", "payments"),
        False,
    )
    assert (
        _rows(view)[1][1]
        == "Incident Commander is unfilled for 10 min, SEV2 or worse, on checkout, payments, not drills"
    )


@RAISED
def test_the_yaml_tab_shows_the_rule_and_saves_what_is_typed_there(view: WorkflowsWindow, console: Console) -> None:
    _choose(view, "sev1-war-room")
    view.tabs.setCurrentIndex(YAML_TAB)
    text = view.yaml.toPlainText()
    assert text.startswith("name: sev1-war-room\nwhen: {event: incident.declared, severity_at_least: SEV2}\n")
    assert "- {action: start-timer, label: Check customer impact, minutes: 15}" in text
    view.yaml.setPlainText(text.replace("minutes: 15", "minutes: 25"))
    assert view.isWindowModified()
    assert view.save() is True
    assert workflows.rule(console, "sev1-war-room").rule.actions[4].fields["minutes"] == 25
    view.yaml.setPlainText("name: [unclosed")
    view.tabs.setCurrentIndex(RULE_TAB)
    assert view.tabs.currentIndex() == YAML_TAB  # YAML that cannot be read keeps its tab
    assert view.save_error.text().startswith("The YAML is not valid YAML")
    view.yaml.setPlainText(text.replace("minutes: 15", "minutes: 30"))
    view.tabs.setCurrentIndex(RULE_TAB)
    view.steps.list.setCurrentRow(4)
    assert view.steps.form.widgets["minutes"].value() == 30  # type: ignore[attr-defined]


@RAISED
def test_a_dry_run_lists_the_actions_with_their_names_filled_in_and_writes_nothing(
    qtbot: QtBot, view: WorkflowsWindow, console: Console, incident: str
) -> None:
    _choose(view, "sev1-war-room")
    view.tabs.setCurrentIndex(DRY_RUN_TAB)
    pane = view.dry_run
    assert pane.incident.currentData() == incident and pane.plan_button.isEnabled()
    written = len(console.reads.stream(f"incident:{incident}"))
    pane.plan_button.click()
    qtbot.waitUntil(lambda: pane.tree.topLevelItemCount() == 5)
    tops = _items(pane.tree)
    assert [t.text(0) for t in tops] == [
        "1. create-channel",
        "2. invite",
        "3. start-bridge",
        "4. post",
        "5. start-timer",
    ]
    reference = console.state(incident).reference.lower()
    assert _child(tops[0], 1) == ("name", f"inc-{reference}-checkout-api-returning-502s")
    assert _child(tops[3], 1)[1].startswith("Bridge: (the bridge link, once started). IC: ")
    assert _child(tops[1], 1) == ("who", "oncall:payments-primary, role:incident_commander")
    assert not any(t.text(1) for t in tops)  # no template problem
    assert len(console.reads.stream(f"incident:{incident}")) == written


@RAISED
def test_a_dry_run_shows_a_template_problem_beside_its_action(
    qtbot: QtBot, view: WorkflowsWindow, console: Console
) -> None:
    workflows.save(console, _with_text(console, "Owner: {{ incident.owner }}"), replacing="sev1-war-room")
    _choose(view, "sev1-war-room")
    view.tabs.setCurrentIndex(DRY_RUN_TAB)
    view.dry_run.plan_button.click()
    qtbot.waitUntil(lambda: view.dry_run.tree.topLevelItemCount() == 5)
    problem = _items(view.dry_run.tree)[3].text(1)
    assert problem.startswith("Template problem: 'text': ") and "owner" in problem


def _with_text(console: Console, text: str) -> dict[str, object]:
    data = rules.rule_to_dict(workflows.rule(console, "sev1-war-room").rule)
    data["do"][3]["text"] = text
    return data


@RAISED
def test_a_removed_rule_comes_back_with_undo(view: WorkflowsWindow, questions: Questions, console: Console) -> None:
    _choose(view, "sev1-war-room")
    questions.reply = Answer.Cancel
    view.remove_button.click()
    assert len(workflows.rules(console)) == 2 and "Remove sev1-war-room?" in questions.asked[-1]
    questions.reply = Answer.Yes
    view.remove_button.click()
    assert [s.rule.name for s in workflows.rules(console)] == ["page-from-critical-alerts"]
    assert _rows(view)[0][0] == "page-from-critical-alerts" and len(_rows(view)) == 1
    assert view.said.text() == "Removed sev1-war-room." and view.undo_button.isVisible()
    view.undo_button.click()
    back = workflows.rule(console, "sev1-war-room")
    assert back.version == 2 and len(back.rule.actions) == 5  # counts on: its removed actions' ids stay unused
    assert view.name.text() == "sev1-war-room" and not view.undo_button.isVisible()


@RAISED
def test_new_and_duplicate_make_unsaved_rules_and_a_taken_name_is_refused(
    view: WorkflowsWindow, questions: Questions, console: Console
) -> None:
    _choose(view, "sev1-war-room")
    view.duplicate_button.click()
    assert view.name.text() == "sev1-war-room-copy" and view.heading.text() == "New rule  (unsaved changes)"
    view.name.setText("page-from-critical-alerts")
    assert view.save() is False
    assert view.save_error.text().startswith("A workflow rule named 'page-from-critical-alerts' exists already.")
    view.name.setText("sev1-copy")
    assert view.save() is True and workflows.rule(console, "sev1-copy").version == 1
    view.new_button.click()
    view.name.setText("bridge-on-sev1")
    view.steps.add("start-bridge")
    via = view.steps.form.widgets["via"]
    assert isinstance(via, QLineEdit)
    via.setText("jitsi")
    via.textEdited.emit("jitsi")
    questions.reply = Answer.Cancel
    _choose(view, "sev1-war-room")  # unsaved: asked, and Cancel stays
    assert "Save your changes to bridge-on-sev1 first?" in questions.asked[-1] and view.name.text() == "bridge-on-sev1"
    questions.reply = Answer.Save
    _choose(view, "sev1-war-room")
    assert workflows.rule(console, "bridge-on-sev1").rule.actions[0].fields == {"via": "jitsi"}
    assert view.name.text() == "sev1-war-room"


@RAISED
def test_a_rename_replaces_the_rule_and_every_action_kind_has_a_form(view: WorkflowsWindow, console: Console) -> None:
    _choose(view, "page-from-critical-alerts")
    view.name.setText("critical-alerts")
    assert view.save() is True
    assert [s.rule.name for s in workflows.rules(console)] == ["critical-alerts", "sev1-war-room"]
    for kind in rules.ACTIONS:
        view.steps.list.setCurrentRow(view.steps.list.count() - 1)
        view.steps.add(kind)
        required, optional = rules.ACTIONS[kind]
        assert set(view.steps.form.widgets) == set(required) | set(optional)
        assert view.steps.form.heading.text().endswith(fields.ACTION_WORDS[kind])


@RAISED
def test_import_and_export_go_through_files(
    view: WorkflowsWindow, console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "rules"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(out), ""))
    view.export_button.click()
    assert view.said.text() == f"Exported 2 rules to {out}.yaml."
    workflows.remove(console, "sev1-war-room")
    assert len(_rows(view)) == 1  # another console's removal is listed at once
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(out) + ".yaml", ""))
    view.import_button.click()
    assert view.said.text() == "Imported from rules.yaml: sev1-war-room."
    assert len(_rows(view)) == 2 and workflows.rule(console, "sev1-war-room").version == 2
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "- name: x\n  when: {event: nope}\n  do: [{action: start-bridge, via: jitsi}]\n", encoding="utf-8"
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *args: (str(broken), ""))
    view.import_button.click()
    assert view.save_error.text().startswith("Rule 'x', when: 'event' should be one of incident.declared")
    assert len([e for e in console.reads.stream(STREAM) if e.kind == "workflow.saved"]) == 3


@RAISED
def test_closing_with_unsaved_changes_asks(view: WorkflowsWindow, questions: Questions) -> None:
    _choose(view, "sev1-war-room")
    view.name.setText("renamed")
    view.name.textEdited.emit("renamed")
    questions.reply = Answer.Cancel
    view.close_button.click()
    assert view.isVisible() and questions.asked
    questions.reply = Answer.Discard
    view.close_button.click()
    assert not view.isVisible()


@RAISED
def test_delete_on_the_list_removes_after_asking_and_not_while_typing(
    qtbot: QtBot, view: WorkflowsWindow, questions: Questions, console: Console
) -> None:
    _choose(view, "sev1-war-room")
    view.name.setFocus()
    qtbot.keyClick(view.name, Qt.Key.Key_Delete)  # type: ignore[no-untyped-call]
    assert not questions.asked
    view.list.setFocus()
    questions.reply = Answer.Yes
    qtbot.keyClick(view.list, Qt.Key.Key_Delete)  # type: ignore[no-untyped-call]
    assert questions.asked and [s.rule.name for s in workflows.rules(console)] == ["page-from-critical-alerts"]


@RAISED
def test_the_dry_run_offers_the_incident_on_screen_and_keeps_a_choice_made_here(
    view: WorkflowsWindow, window: MainWindow, console: Console, incident: str
) -> None:
    other = app_incident.declare(console, Declaration(title="Search is slow", severity="SEV3")).id
    _choose(view, "sev1-war-room")
    view.tabs.setCurrentIndex(DRY_RUN_TAB)
    pane = view.dry_run
    assert pane.incident.currentData() == incident and pane.incident.count() == 2
    pane.incident.setCurrentIndex(pane.incident.findData(other))
    view.tabs.setCurrentIndex(RULE_TAB)
    view.tabs.setCurrentIndex(DRY_RUN_TAB)
    assert pane.incident.currentData() == other  # chosen here: kept
    window.select_incident(other)
    pane.incident.setCurrentIndex(pane.incident.findData(incident))
    window.select_incident(incident)
    window.select_incident(other)
    assert pane.incident.currentData() == other  # the window moved on: the dry run follows it


@RAISED
def test_every_alt_letter_in_the_window_is_used_once(view: WorkflowsWindow) -> None:
    texts = [button.text() for button in view.findChildren(QAbstractButton)]
    texts += [view.tabs.tabText(index) for index in range(view.tabs.count())]
    letters = [text[text.index("&") + 1].lower() for text in texts if "&" in text]
    assert len(letters) >= 12 and len(letters) == len(set(letters)), sorted(letters)
