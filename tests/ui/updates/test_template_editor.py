"""The template editor: the preview follows typing, a problem names and highlights its line, saving writes
the event, and unsaved changes are never lost without asking."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.app.updates import templates as updates
from commander.domain.core.events import EventDraft
from commander.domain.updates.team_templates import STREAM
from commander.ui.shell.main_window import MainWindow
from commander.ui.updates.send import SendUpdateDialog
from commander.ui.updates.template_editor import TemplateEditor, open_template_editor
from commander.ui.updates.template_list import KeyRole, OriginRole, ProblemRole

Answer = QMessageBox.StandardButton


@pytest.fixture
def editor(qtbot: QtBot, window: MainWindow, incident: str) -> TemplateEditor:
    window.select_incident(incident)
    dialog = open_template_editor(window)
    qtbot.waitExposed(dialog)
    return dialog


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


def _select(editor: TemplateEditor, key: str) -> None:
    row = next(i for i in range(editor.list.count()) if editor.list.item(i).data(KeyRole) == key)
    editor.list.setCurrentRow(row)


def _type_line(qtbot: QtBot, editor: TemplateEditor, text: str) -> None:
    """Type a new last line into the template, as a person would (QTest types no "\n": Return does)."""
    editor.body.moveCursor(editor.body.textCursor().MoveOperation.End)
    qtbot.keyClick(editor.body, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.body, text)


def test_the_menu_opens_it_on_the_first_template_filled_from_the_incident(
    editor: TemplateEditor, console: Console, incident: str
) -> None:
    assert editor.key == "initial" and editor.list.currentRow() == 0
    reference = console.state(incident).reference
    assert reference in editor.preview_caption.text()
    assert editor.preview.toPlainText().startswith("[SEV2] Investigating: Checkout API returning 502s")
    assert editor.list.item(0).data(OriginRole) == "shipped"
    assert not editor.remove_button.isEnabled()  # a shipped template cannot be removed
    root = editor.variables.invisibleRootItem()
    variables = [item.text(0) for item in map(root.child, range(root.childCount())) if item is not None]
    assert "incident.title" in variables and "next_update" in variables
    editor.reject()


def test_the_preview_follows_typing(qtbot: QtBot, editor: TemplateEditor) -> None:
    _type_line(qtbot, editor, "Owner: {{ author }}")
    qtbot.waitUntil(lambda: editor.preview.toPlainText().rstrip().endswith("Owner: Alex"))
    assert editor.is_dirty() and "unsaved changes" in editor.heading.text()
    assert editor.revert_button.isEnabled()
    editor.revert()
    assert not editor.is_dirty() and "Owner" not in editor.preview.toPlainText()
    editor.reject()


def test_a_problem_names_its_line_highlights_it_and_keeps_the_last_good_preview(
    qtbot: QtBot, editor: TemplateEditor
) -> None:
    good = editor.preview.toPlainText()
    _type_line(qtbot, editor, "{{ incident.titel }}")
    line = editor.body.blockCount()
    qtbot.waitUntil(editor.problem.isVisible)
    assert f"Line {line}: there is no variable 'titel'" in editor.problem.text()
    [highlight] = editor.body.extraSelections()
    assert highlight.cursor.blockNumber() == line - 1
    assert editor.preview.toPlainText() == good and editor.stale.isVisible()
    assert editor.go_to_line.text() == f"Go to line {line}"
    editor.go_to_line.click()
    assert editor.body.textCursor().blockNumber() == line - 1
    editor.body.setPlainText(editor.body.toPlainText().replace("titel", "title"))
    qtbot.waitUntil(lambda: not editor.problem.isVisible())
    assert editor.body.extraSelections() == [] and not editor.stale.isVisible()
    assert editor.preview.toPlainText().rstrip().endswith("Checkout API returning 502s")
    editor.revert()
    editor.reject()


def test_a_new_template_is_saved_as_an_event_and_listed(qtbot: QtBot, editor: TemplateEditor, console: Console) -> None:
    editor.new_button.click()
    assert editor.key is None and editor.list.currentRow() == -1
    qtbot.keyClicks(editor.name, "Database outage (internal)")
    qtbot.keyClicks(editor.audience, "responders")
    editor.body.setPlainText("DB trouble: {{ incident.title }}")
    assert editor.save()
    [event] = console.reads.stream(STREAM)
    assert event.kind == "template.saved"
    assert dict(event.payload) == {
        "key": "database_outage_internal",
        "name": "Database outage (internal)",
        "stage": "",
        "audience": "responders",
        "body": "DB trouble: {{ incident.title }}",
    }
    assert editor.key == "database_outage_internal" and not editor.is_dirty()
    current = editor.list.currentItem()
    assert current is not None and current.data(KeyRole) == editor.key and current.data(OriginRole) == "team"
    assert editor.remove_button.isEnabled() and editor.remove_button.text() == "Re&move…"
    editor.reject()


def test_a_save_the_rules_refuse_says_why_and_keeps_the_text(editor: TemplateEditor, console: Console) -> None:
    editor.new_button.click()
    editor.body.setPlainText("{% if %}")
    assert not editor.save()
    assert "name is empty" in editor.save_error.text()
    assert editor.body.toPlainText() == "{% if %}" and console.reads.stream(STREAM) == []
    editor.body.clear()
    editor.reject()


def test_editing_a_shipped_template_then_restoring_it(
    editor: TemplateEditor, questions: Questions, console: Console
) -> None:
    editor.body.setPlainText("[{{ incident.severity }}] On it.")
    assert editor.save()
    assert updates.template(console, "initial").origin == "edited"
    assert editor.list.currentItem().data(OriginRole) == "edited"
    assert editor.remove_button.text() == "Restore the s&hipped version…"
    questions.reply = Answer.Cancel
    editor.remove()
    assert updates.template(console, "initial").origin == "edited"
    questions.reply = Answer.Yes
    editor.remove()
    assert "Restore the shipped version of Initial" in questions.asked[-1]
    assert updates.template(console, "initial").origin == "shipped"
    assert editor.key == "initial" and editor.body.toPlainText().startswith("[{{ incident.severity }}] Investigating")
    editor.reject()


def test_unsaved_changes_are_asked_about_on_switching_and_closing(
    qtbot: QtBot, editor: TemplateEditor, questions: Questions, console: Console
) -> None:
    _type_line(qtbot, editor, "more")
    questions.reply = Answer.Cancel
    _select(editor, "periodic")
    assert questions.asked and editor.key == "initial" and editor.list.currentItem().data(KeyRole) == "initial"
    assert editor.body.toPlainText().endswith("more")
    editor.reject()
    assert editor.isVisible()  # Cancel: stay
    questions.reply = Answer.Discard
    _select(editor, "periodic")
    assert editor.key == "periodic" and not editor.is_dirty()
    assert console.reads.stream(STREAM) == []
    _type_line(qtbot, editor, "saved on the way out")
    questions.reply = Answer.Save
    editor.reject()
    assert not editor.isVisible()
    assert updates.template(console, "periodic").source.endswith("saved on the way out")


def test_with_no_incident_open_it_fills_a_sample(qtbot: QtBot, window: MainWindow) -> None:
    assert window.current is None
    dialog = open_template_editor(window)
    assert "sample incident" in dialog.preview_caption.text()
    assert "Card payments failing for some EU customers" in dialog.preview.toPlainText()
    dialog.reject()


def test_a_broken_template_is_marked_and_the_others_stay_usable(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    console.record(
        [
            EventDraft(
                STREAM,
                "template.saved",
                {"key": "typo", "name": "Typo", "stage": "", "audience": "", "body": "{{ incident.titel }}"},
            )
        ]
    )
    window.select_incident(incident)
    dialog = open_template_editor(window)
    rows = {dialog.list.item(i).data(KeyRole): dialog.list.item(i) for i in range(dialog.list.count())}
    assert "titel" in rows["typo"].data(ProblemRole) and "Cannot be used" in rows["typo"].toolTip()
    assert not any(rows[key].data(ProblemRole) for key in rows if key != "typo")
    _select(dialog, "typo")
    assert "titel" in dialog.problem.text()
    dialog.reject()
    send = window.send_update()
    assert isinstance(send, SendUpdateDialog) and send.template.findData("typo") >= 0
    send.template.setCurrentIndex(send.template.findData("typo"))
    assert "titel" in send.error.text()
    send.template.setCurrentIndex(send.template.findData("periodic"))
    assert send.text.toPlainText().startswith("[SEV2]")
    send.reject()


def test_a_template_saved_elsewhere_shows_up(qtbot: QtBot, editor: TemplateEditor, console: Console) -> None:
    updates.save_template(console, "from_a_terminal", name="From a terminal", body="hello")
    keys = [editor.list.item(i).data(KeyRole) for i in range(editor.list.count())]
    assert "from_a_terminal" in keys and editor.key == "initial"
    editor.reject()


def test_ctrl_s_saves(qtbot: QtBot, editor: TemplateEditor, console: Console) -> None:
    editor.activateWindow()
    editor.body.setFocus()
    _type_line(qtbot, editor, "via the keyboard")
    qtbot.keyClick(editor.body, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: updates.template(console, "initial").origin == "edited")
    editor.reject()


# -- hostile templates (issue 11, item 8): filled in off the UI thread, refused with their line --------------

LOOP = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}"


class Heartbeat:
    """A timer that should fire every 10 ms: the longest gap between two ticks is how long the event loop
    stood still."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.clock, self.timer, self.last, self.longest = QElapsedTimer(), QTimer(), 0, 0
        self.clock.start()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.elapsed()
        self.longest, self.last = max(self.longest, now - self.last), now

    def stop(self) -> int:
        self.timer.stop()
        return max(self.longest, self.clock.elapsed() - self.last)


def test_a_hostile_template_leaves_the_editor_responsive_and_says_why_with_its_line(
    qtbot: QtBot, editor: TemplateEditor
) -> None:
    good = editor.preview.toPlainText()
    beat = Heartbeat()
    editor.body.setPlainText("Status\n" + LOOP)
    qtbot.waitUntil(editor.problem.isVisible, timeout=10_000)
    longest = beat.stop()
    assert longest < 1000  # ms: the render took 2 s, and the window kept turning (it froze before)
    assert "Line 2: stopped after 2 s" in editor.problem.text()
    [highlight] = editor.body.extraSelections()
    assert highlight.cursor.blockNumber() == 1
    assert editor.preview.toPlainText() == good and editor.stale.isVisible()
    editor.body.setPlainText("{{ incident.title }}")  # fixed: the preview follows again
    qtbot.waitUntil(lambda: not editor.problem.isVisible())
    assert editor.preview.toPlainText() == "Checkout API returning 502s\n"
    editor.revert()
    editor.reject()


def test_an_answer_overtaken_by_typing_is_not_shown(qtbot: QtBot, editor: TemplateEditor) -> None:
    editor.body.setPlainText(LOOP)
    editor.refresh_preview()
    slow = editor.rendering.task
    assert slow is not None and not slow.done.is_set()  # still running: it takes the whole time budget
    editor.body.setPlainText("now {{ author }}")
    editor.refresh_preview()
    qtbot.waitUntil(lambda: editor.preview.toPlainText() == "now Alex\n")
    qtbot.waitUntil(slow.done.is_set, timeout=10_000)  # the slow answer came, and was dropped
    assert editor.preview.toPlainText() == "now Alex\n" and not editor.problem.isVisible()
    editor.revert()
    editor.reject()


def test_hostile_team_templates_mark_only_themselves_and_their_text_is_escaped(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    for key, name, body in (
        ("loop", "Loop", "Status\n" + LOOP),
        ("wipe", "Wipe", "{{ incident.clear() }}"),
        ("deep", "Deep", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"),
        ("fine", '<img src="/dev/zero">', "fine"),
    ):
        console.record(
            [
                EventDraft(
                    STREAM,
                    "template.saved",
                    {"key": key, "name": name, "stage": "<b>now</b>", "audience": "", "body": body},
                )
            ]
        )
    window.select_incident(incident)
    beat = Heartbeat()
    dialog = open_template_editor(window)
    rows = {dialog.list.item(i).data(KeyRole): dialog.list.item(i) for i in range(dialog.list.count())}
    qtbot.waitUntil(lambda: bool(rows["loop"].data(ProblemRole)), timeout=10_000)
    assert beat.stop() < 1000
    assert "Line 2: stopped after 2 s" in rows["loop"].data(ProblemRole)
    assert "not allowed in a template" in rows["wipe"].data(ProblemRole)
    assert "a macro calls itself" in rows["deep"].data(ProblemRole)
    assert not any(rows[key].data(ProblemRole) for key in rows if key not in ("loop", "wipe", "deep"))
    assert rows["fine"].toolTip().startswith("<qt>&lt;b&gt;now&lt;/b&gt;<br>")  # escaped: shown as written
    assert all(rows[key].toolTip().startswith("<qt>") and "<b>" not in rows[key].toolTip() for key in rows)
    dialog.reject()
    beat = Heartbeat()
    send = window.send_update()
    assert isinstance(send, SendUpdateDialog)
    send.template.setCurrentIndex(send.template.findData("loop"))
    qtbot.waitUntil(lambda: "stopped after 2 s" in send.error.text(), timeout=10_000)
    assert beat.stop() < 1000
    assert "The template 'loop' cannot be used: Line 2: stopped after 2 s" in send.error.text()
    assert not send.send_button.isEnabled()
    send.template.setCurrentIndex(send.template.findData("periodic"))
    qtbot.waitUntil(lambda: send.text.toPlainText().startswith("[SEV2]"))
    send.reject()
