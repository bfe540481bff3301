"""The library's viewer shows a runbook's inline Markdown as formatting, never as raw markers, and never
the runbook's own HTML."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QTextCharFormat, QTextDocument
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.domain.runbooks.library import Runbook, Section, Step, numbered
from commander.ui.runbooks.library import RunbookLibrary
from commander.ui.runbooks.steps import ROW, Row, StepsDelegate
from commander.ui.runbooks.viewer import RunbookViewer
from tests.ui.runbooks.fake_shell import shown_library

STEP = (
    "Find the pods with the **most restarts**: run `kubectl get pods -A` and read [the guide](https://example.org/g)."
)
HOSTILE = '<img src="/dev/zero"> **still bold** <a href="file:///etc/passwd">x</a> ![zero](/dev/zero)'
PROSE = "A pod is **restarting**.\n\n| metric | meaning |\n| --- | --- |\n| `restarts` | _how often_ |"


def _viewer(qtbot: QtBot, console: Console) -> RunbookViewer:
    steps = (Step("", STEP, "diagnose"), Step("", HOSTILE, "diagnose"))
    runbooks.save(
        console,
        Runbook(
            id="",
            title="`KubePodCrashLooping` **now**",
            summary="Pods **restart**.",
            sections=numbered([Section("Diagnosis", steps, PROSE)]),
        ),
    )
    library = shown_library(qtbot, console, size=(1100, 700))
    return library.viewer


def _document(viewer: RunbookViewer, step_id: str) -> tuple[QTextDocument, QRect]:
    index = viewer.steps.step_index(step_id)
    row = index.data(ROW)
    assert isinstance(row, Row) and row.step is not None
    delegate = viewer.steps.delegate
    rect = viewer.steps.visualRect(index)
    parts = delegate.parts(row, delegate.fonts(viewer.steps.font()), rect)
    assert parts.text is not None
    return delegate.markdown.document(
        row.text, delegate.fonts(viewer.steps.font()).base, parts.text.width()
    ), parts.text


def _bold_words(document: QTextDocument) -> list[str]:
    found = []
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            charformat: QTextCharFormat = fragment.charFormat()
            if charformat.fontWeight() >= 600:
                found.append(fragment.text())
            iterator += 1
        block = block.next()
    return found


def test_a_steps_markdown_shows_as_formatting(qtbot: QtBot, console: Console) -> None:
    viewer = _viewer(qtbot, console)
    assert viewer.title.text() == "KubePodCrashLooping now"
    assert "<b>restart</b>" in viewer.summary.text()
    document, _ = _document(viewer, "s1.1")
    assert document.toPlainText() == (
        "Find the pods with the most restarts: run kubectl get pods -A and read the guide."
    )
    assert _bold_words(document) == ["most restarts"]
    spoken = viewer.steps.step_index("s1.1").data(Qt.ItemDataRole.DisplayRole)
    assert "**" not in spoken and "`" not in spoken and "most restarts" in spoken
    assert not viewer.grab().isNull()


def test_a_link_in_a_step_opens_from_where_it_is_drawn(qtbot: QtBot, console: Console) -> None:
    viewer = _viewer(qtbot, console)
    document, rect = _document(viewer, "s1.1")
    delegate: StepsDelegate = viewer.steps.delegate
    font = delegate.fonts(viewer.steps.font()).base
    hits = {
        delegate.markdown.anchor_at(rect, STEP, font, QPoint(x, y), block=False)
        for x in range(rect.left(), rect.right(), 3)
        for y in range(rect.top(), rect.bottom(), 3)
    }
    assert hits == {"", "https://example.org/g"}


def test_html_inside_a_steps_markdown_shows_as_text(qtbot: QtBot, console: Console) -> None:
    viewer = _viewer(qtbot, console)
    document, _ = _document(viewer, "s1.2")
    shown = document.toPlainText()
    assert '<img src="/dev/zero">' in shown and '<a href="file:///etc/passwd">x</a>' in shown
    assert "zero (/dev/zero)" in shown
    assert "<img" not in document.toHtml().replace("&lt;img", "")
    assert _bold_words(document) == ["still bold"]
    assert not document.toHtml().count('href="file:')


def test_section_prose_shows_its_table_as_a_table(qtbot: QtBot, console: Console) -> None:
    viewer = _viewer(qtbot, console)
    model = viewer.steps.model()
    context = model.index(0, 0, model.index(0, 0))
    row = context.data(ROW)
    assert isinstance(row, Row) and row.text == PROSE
    assert "**" not in context.data(Qt.ItemDataRole.DisplayRole)
    delegate = viewer.steps.delegate
    document = delegate.markdown.document(PROSE, delegate.fonts(viewer.steps.font()).base, 600, block=True)
    tables = [frame for frame in document.rootFrame().childFrames() if frame.__class__.__name__ == "QTextTable"]
    assert len(tables) == 1 and tables[0].rows() == 2 and tables[0].columns() == 2


def test_a_query_is_labelled_and_a_commands_output_shown_under_it(qtbot: QtBot, console: Console) -> None:
    from commander.ui.runbooks.steps import OUTPUT_LINES, query_caption, shown_output

    query = Step(
        "",
        "Find the throttled containers:",
        "diagnose",
        command="rate(x[5m]) > 0.25",
        command_kind="query",
        language="promql",
    )
    listed = Step("", "List the nodes:", "diagnose", command="oc get nodes", output="NAME  STATUS\nmaster-0  Ready")
    runbooks.save(console, Runbook(id="", title="Queries", sections=numbered([Section("Diagnosis", (query, listed))])))
    library = shown_library(qtbot, console, size=(1100, 700))
    steps = library.viewer.steps
    delegate = steps.delegate
    fonts = delegate.fonts(steps.font())
    first, second = steps.step_index("s1.1"), steps.step_index("s1.2")
    parts = delegate.parts(first.data(ROW), fonts, steps.visualRect(first))
    assert parts.caption is not None and parts.output is None and parts.copy is not None
    assert query_caption(first.data(ROW).step) == "PromQL query"
    assert "PromQL query: rate(x[5m]) > 0.25" in first.data(Qt.ItemDataRole.DisplayRole)
    parts = delegate.parts(second.data(ROW), fonts, steps.visualRect(second))
    assert parts.caption is None and parts.output is not None and parts.command is not None
    assert parts.output.top() > parts.command.bottom()
    assert "output: NAME  STATUS" in second.data(Qt.ItemDataRole.DisplayRole)
    long = "\n".join(f"line {n}" for n in range(OUTPUT_LINES + 5))
    assert shown_output(long).splitlines()[-1] == "… 5 more lines"
    assert not library.grab().isNull()


def test_every_document_the_viewer_lays_out_for_a_hostile_runbook_is_free_of_its_html(
    qtbot: QtBot, console: Console
) -> None:
    """The delegates paint rich text: what they are given must hold no tag of the runbook's own, however the
    runbook mixes HTML into its Markdown (the window walker of test_hostile_text sees labels, not paint)."""
    from tests.ui.kit.hostile import _runbook

    hostile = _runbook()
    marked = Step("", '**b** <img src="/dev/zero"> ![x](/dev/zero) [f](file:///etc/passwd) `<b>`', "mitigate")
    runbooks.save(
        console,
        Runbook(
            id="",
            title=hostile.title,
            summary=hostile.summary + " **x**",
            sections=numbered([*hostile.sections, Section("More", (marked,), PROSE)]),
        ),
    )
    library = shown_library(qtbot, console, size=(1100, 2000))
    assert not library.grab().isNull()  # every visible row painted: its document laid out
    documents = list(library.viewer.steps.delegate.markdown._documents.values())
    assert len(documents) >= 4
    for document in documents:
        made = document.toHtml()
        assert "<img" not in made and 'href="file:' not in made and '/dev/zero"' not in made.replace("&quot;", "")
    for text in (library.viewer.summary.text(),):
        assert "<img" not in text and "<b>x</b>" in text


def test_the_library_lists_tooltip_reads_the_summary_without_markers(qtbot: QtBot, console: Console) -> None:
    viewer = _viewer(qtbot, console)
    library = viewer.parentWidget()
    while library is not None and not isinstance(library, RunbookLibrary):
        library = library.parentWidget()
    assert isinstance(library, RunbookLibrary)
    tooltip = library.list.currentIndex().data(Qt.ItemDataRole.ToolTipRole)
    assert "Pods restart" in tooltip and "**" not in tooltip
