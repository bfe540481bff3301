"""A checklist's steps show their runbook's inline Markdown as formatting: no raw asterisks or backticks in
the rows, their spoken words or tooltips, and the runbook's own HTML as text."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from commander.app import checklists
from commander.app.console import Console
from commander.domain.runbooks.library import Runbook, Section, Step, numbered
from commander.ui.checklists.model import ChecklistModel, Node
from commander.ui.checklists.panel import ChecklistPanel
from commander.ui.shell.main_window import MainWindow

STEP = (
    "Roll back with `kubectl rollout undo` when the **last deploy** caused it; see [the guide](https://example.org/g)."
)
HOSTILE = '<img src="/dev/zero"> **bold** <b>tag</b>'
RUNBOOK = Runbook(
    id="rb-md",
    title="`KubePodCrashLooping`",
    sections=numbered(
        [
            Section(
                "**Mitigation**",
                (Step("", STEP, "mitigate", command="kubectl rollout undo deploy/x"), Step("", HOSTILE, "mitigate")),
            )
        ]
    ),
)


def _panel(window: MainWindow, console: Console, incident: str) -> tuple[ChecklistPanel, str]:
    [event] = checklists.attach_checklist(console, incident, RUNBOOK)
    window.select_incident(incident)
    return window.checklists, event.id


def _document(panel: ChecklistPanel, checklist: str, step: str) -> tuple[QTextDocument, QRect]:
    index = panel.model.step_index(checklist, step)
    node = index.data(ChecklistModel.NodeRole)
    assert isinstance(node, Node) and node.step is not None
    delegate = panel.delegate
    fonts = delegate.fonts(panel.tree.font())
    parts = delegate.parts(node, fonts, panel.tree.visualRect(index))
    assert parts.text is not None
    return delegate.markdown.document(node.step.text, fonts.base, parts.text.width()), parts.text


def test_checklist_rows_show_markdown_as_formatting(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    panel, checklist = _panel(window, console, incident)
    document, _ = _document(panel, checklist, "s1.1")
    assert document.toPlainText() == (
        "Roll back with kubectl rollout undo when the last deploy caused it; see the guide."
    )
    html = document.toHtml()
    assert "font-weight" in html and "**" not in html
    top = panel.model.index(0, 0)
    rows = [panel.model.index(row, 0, top).data() for row in range(panel.model.rowCount(top))]
    assert rows[0] == "Mitigation"
    assert rows[1].startswith(
        "Roll back with kubectl rollout undo when the last deploy caused it; see the guide "
        "(https://example.org/g)., not checked"
    )
    assert top.data().startswith("KubePodCrashLooping, ")
    tooltip = panel.model.step_index(checklist, "s1.1").data(Qt.ItemDataRole.ToolTipRole)
    assert "**" not in tooltip and "`kubectl" not in tooltip
    assert not panel.grab().isNull()


def test_a_link_in_a_checklist_step_opens_from_where_it_is_drawn(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    panel, checklist = _panel(window, console, incident)
    _, rect = _document(panel, checklist, "s1.1")
    font = panel.delegate.fonts(panel.tree.font()).base
    hits = {
        panel.delegate.markdown.anchor_at(rect, STEP, font, QPoint(x, y))
        for x in range(rect.left(), rect.right(), 3)
        for y in range(rect.top(), rect.bottom(), 3)
    }
    assert hits == {"", "https://example.org/g"}


def test_html_in_a_checklist_step_shows_as_text(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    panel, checklist = _panel(window, console, incident)
    document, _ = _document(panel, checklist, "s1.2")
    assert document.toPlainText() == '<img src="/dev/zero"> bold <b>tag</b>'
    assert "<img" not in document.toHtml().replace("&lt;img", "")


def test_the_step_dialogs_and_an_action_item_name_the_step_by_its_plain_words(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    panel, checklist = _panel(window, console, incident)
    panel.select_step(checklist, "s1.1")
    dialog = panel.skip_selected()
    assert dialog is not None
    qtbot.addWidget(dialog)
    assert dialog.intro.text().startswith("Skip “Roll back with kubectl rollout undo when the last deploy")
    dialog.reject()
    item = panel.turn_into_action_item()
    assert item is not None
    qtbot.addWidget(item)
    assert "**" not in item.title.text() and item.title.text().startswith("Roll back with kubectl rollout undo")
    item.reject()
