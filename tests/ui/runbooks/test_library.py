"""The runbook library window: instant search and filters, freshness badges, the incident's runbooks
first, attaching, importing a folder off the UI thread with a progress dialog and a report, versions and
their diff, suggestions accepted into a new version or declined, and runbook text that stays text."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextDocumentFragment
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from commander.app import checklists
from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.app.runbooks.library import ImportReport
from commander.domain.runbooks.library import Runbook, RunbookRecord, Section, Step, numbered
from commander.ui.runbooks.diff import VersionsDialog
from commander.ui.runbooks.edits import AcceptDialog, DeclineDialog, ReviewDialog
from commander.ui.runbooks.importing import ImportReportDialog, RunbookImport
from commander.ui.runbooks.library import RunbookLibrary, open_runbook_library
from commander.ui.runbooks.library_list import LibraryModel
from commander.ui.runbooks.steps import ROW, Row
from commander.ui.shell.main_window import MainWindow
from tests.ui.conftest import OFFSCREEN_SIZE_HINTS
from tests.ui.runbooks.fake_shell import FakeShell, shown_library

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"
# Opening from the main window raises the library; the headless platform cannot raise windows and says so.
RAISES = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS, r"This plugin does not support raise\(\)")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the sample runbooks, free to change."""
    return Path(shutil.copytree(FIXTURES, tmp_path / "runbooks"))


@pytest.fixture
def imported(console: Console, folder: Path) -> Path:
    runbooks.import_paths(console, [folder])
    return folder


def _listed(model: LibraryModel) -> list[str]:
    """The rows as a person reads them: headings in capitals, runbooks by title."""
    return [row.heading.upper() if row.record is None else row.record.current.title for row in model.rows]


def _record(console: Console, wanted: str) -> RunbookRecord:
    return runbooks.find(console, wanted)


def test_typing_narrows_the_list_after_a_pause_and_filters_narrow_it_further(
    qtbot: QtBot, console: Console, imported: Path
) -> None:
    library = shown_library(qtbot, console)
    assert _listed(library.model) == [
        "Checkout API returning 5xx",
        "Disk full on a database host",
        "Kube Node Not Ready",
        "Kube Pod Crash Looping",
        "PostgreSQL replica lagging behind the primary",
        "Redis memory above 90%",
    ]
    assert library.filters.count.text() == "6 runbooks · 6 stale"  # the newest was reviewed in February 2026
    library.filters.search.setFocus()
    with qtbot.waitSignal(library.listed, timeout=2000):
        qtbot.keyClicks(library.filters.search, "kubectl")
    assert _listed(library.model) == [
        "Checkout API returning 5xx",
        "Kube Node Not Ready",
        "Kube Pod Crash Looping",
        "PostgreSQL replica lagging behind the primary",
    ]
    assert library.filters.count.text() == "4 found for “kubectl”"
    library.filters.tag.setCurrentIndex(library.filters.tag.findText("payments"))
    assert _listed(library.model) == ["Checkout API returning 5xx"]
    library.filters.tag.setCurrentIndex(0)
    library.filters.service.setCurrentIndex(library.filters.service.findText("orders-db"))
    assert _listed(library.model) == ["PostgreSQL replica lagging behind the primary"]
    library.filters.search.setText("nothing-like-this")
    library.refresh()
    assert library.model.rows == []
    assert library.filters.count.text() == "No runbook mentions “nothing-like-this” among those filtered."
    assert library.viewer.stack.currentWidget() is library.viewer.empty


def test_the_list_model_passes_the_model_tester(
    qtbot: QtBot, qtmodeltester: ModelTester, console: Console, incident: str, imported: Path
) -> None:
    library = shown_library(qtbot, console, incident)
    assert library.model.rows[0].record is None  # the "Suggested for" heading
    qtmodeltester.check(library.model)


def test_stale_runbooks_wear_a_badge_and_a_review_takes_it_off(qtbot: QtBot, console: Console, imported: Path) -> None:
    library = shown_library(qtbot, console)
    checkout = _record(console, "checkout")
    days = (console.now() - checkout.current.reviewed_at).days  # type: ignore[operator]
    assert library._facts(checkout) == (f"STALE: {days} days", True)
    assert library._facts(_record(console, "disk full")) == ("STALE: never reviewed", True)
    assert library._facts(_record(console, "redis"))[1]  # reviewed 2026-02-01, more than 90 days before now
    library.select("checkout")
    assert library.viewer.fresh_chip.text() == f"STALE: {days} days"
    dialog = library.mark_reviewed()
    assert isinstance(dialog, ReviewDialog)
    dialog.note.setPlainText("Tried every step on staging.")
    with qtbot.waitSignal(library.listed):  # the window heard the event and lists the library again
        dialog.submit()
    assert library.viewer.fresh_chip.text() == "reviewed today"
    assert library._facts(_record(console, "checkout")) == ("reviewed today", False)
    library.filters.stale_only.setChecked(True)
    assert "Checkout API returning 5xx" not in _listed(library.model)
    assert library.filters.count.text() == "5 of 6 runbooks · 5 stale"
    assert not library.list.grab().isNull()  # the badges paint


@RAISES
def test_the_open_incidents_runbooks_come_first_and_enter_attaches_one_as_a_checklist(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, imported: Path
) -> None:
    library = open_runbook_library(window)
    qtbot.waitExposed(library)
    reference = console.state(incident).reference
    assert _listed(library.model)[:3] == [f"SUGGESTED FOR {reference}", "Checkout API returning 5xx", "ALL RUNBOOKS"]
    assert library.model.rows[1].why == ("service checkout",)
    assert (
        library.selected_record() is not None
        and library.selected_record().current.title == "Checkout API returning 5xx"
    )  # type: ignore[union-attr]
    assert library.viewer.attach_button.text() == f"Attach to {reference}"
    window.right_tabs.setCurrentWidget(window.details)
    qtbot.keyClick(library.filters.search, Qt.Key.Key_Return)
    [checklist] = console.state(incident).checklists.values()
    assert checklist.runbook == _record(console, "checkout").id and checklist.version == 1
    assert window.right_tabs.currentWidget() is window.checklists
    assert library.note.text().startswith(f"Attached “Checkout API returning 5xx” (version 1) to {reference}")
    assert "stale" in library.note.text()
    qtbot.keyClick(library.filters.search, Qt.Key.Key_Return)  # twice: the console refuses, the window says why
    assert library.error.isVisible() and "already attached" in library.error.text()
    assert open_runbook_library(window) is library  # one window, shown again


def test_with_no_open_incident_attach_says_what_to_do(qtbot: QtBot, console: Console, imported: Path) -> None:
    library = shown_library(qtbot, console)
    assert not library.viewer.attach_button.isEnabled()
    assert not library.attach()
    assert "No open incident" in library.error.text()


@RAISES
def test_the_library_follows_the_incident_its_shell_shows_and_asks_for_the_checklists_tab(
    qtbot: QtBot, console: Console, incident: str, imported: Path
) -> None:
    shell = FakeShell(console)
    qtbot.addWidget(shell, before_close_func=lambda _shell: shell.bridge.close())
    library = open_runbook_library(shell)
    assert library.parentWidget() is shell and library.context is None
    assert not library.viewer.attach_button.isEnabled()
    reference = console.state(incident).reference
    with qtbot.waitSignal(library.listed):
        shell.select_incident(incident)
    assert _listed(library.model)[:2] == [f"SUGGESTED FOR {reference}", "Checkout API returning 5xx"]
    assert library.attach()
    assert shell.tabs == ["checklists"]
    shell.select_incident(None)
    assert library.context is None and _listed(library.model)[0] == "Checkout API returning 5xx"
    assert open_runbook_library(shell) is library  # one window, shown again


@RAISES
def test_the_menu_and_its_shortcut_open_the_library(qtbot: QtBot, window: MainWindow) -> None:
    [action] = [a for a in window.findChildren(type(window.menu_actions.dark)) if a.text() == "Run&books…"]
    assert action.shortcut().toString() == "Ctrl+Shift+B"
    action.trigger()
    library = window.findChild(RunbookLibrary)
    assert library is not None and library.isVisible()
    assert "holds no runbooks yet" in library.filters.count.text()
    qtbot.keyClick(library.filters.search, Qt.Key.Key_Escape)
    assert not library.isVisible()


def test_importing_a_folder_shows_progress_then_a_report_that_lists_skipped_files(
    qtbot: QtBot, console: Console, folder: Path
) -> None:
    (folder / "legacy" / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (folder / "legacy" / "empty.md").write_text("  \n", encoding="utf-8")
    library = shown_library(qtbot, console)
    progress: list[tuple[int, int, str]] = []
    runner = library.import_paths([str(folder)])
    assert isinstance(runner, RunbookImport) and runner.task is not None
    runner.task.progressed.connect(lambda done, total, label: progress.append((done, total, label.split("\n")[0])))
    assert not library.import_button.isEnabled()
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        pass
    assert progress == [(n, 8, f"Read {n} of 8 files") for n in range(1, 9)]
    report = library.report_dialog
    assert isinstance(report, ImportReportDialog)
    assert report.summary.text().startswith("Read 8 files: 6 new runbooks, 0 new versions, 0 unchanged, 2 skipped.")
    assert sorted(report.rows("Skipped")) == [
        ("legacy/empty.md", "empty file"),
        ("legacy/photo.md", "binary file, not text"),
    ]
    assert len(report.rows("New")) == 6
    assert library.import_button.isEnabled()
    qtbot.waitUntil(lambda: len(_listed(library.model)) == 6)  # the window heard the new runbooks
    qtbot.waitUntil(lambda: not library.warming.isActive())  # the search index is built meanwhile
    report.close()

    disk = folder / "legacy" / "disk-full.md"
    disk.write_text(disk.read_text(encoding="utf-8").replace("7 days", "3 days"), encoding="utf-8")
    runner = library.import_paths([str(folder)])
    with qtbot.waitSignal(runner.finished, timeout=10_000):  # type: ignore[union-attr]
        pass
    again = library.report_dialog
    assert isinstance(again, ImportReportDialog)
    assert again.rows("New versions") == [("legacy/disk-full.md", "Disk full on a database host: version 2")]
    assert len(again.rows("Unchanged")) == 5
    qtbot.waitUntil(lambda: not library.warming.isActive())


def test_a_big_import_says_it_is_saving_before_the_write(qtbot: QtBot, console: Console, tmp_path: Path) -> None:
    for number in range(51):
        (tmp_path / f"runbook-{number}.md").write_text(f"# Runbook {number}\n\n- Step {number}\n", encoding="utf-8")
    library = shown_library(qtbot, console)
    runner = library.import_paths([str(tmp_path)])
    assert isinstance(runner, RunbookImport) and runner.task is not None
    said: list[str] = []
    runner.task.progressed.connect(lambda _done, _total, label: said.append(label))
    with qtbot.waitSignal(runner.finished, timeout=10_000) as finished:
        pass
    assert said[-2].startswith("Read 51 of 51 files\n") and said[-1] == "Saving 51 runbook versions…"
    assert isinstance(finished.args[0], ImportReport) and len(runbooks.library(console)) == 51
    qtbot.waitUntil(lambda: not library.warming.isActive())


def test_cancel_stops_between_files_and_imports_nothing(
    qtbot: QtBot, console: Console, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    read: Callable[[Path], object] = runbooks.read_file

    def slow(path: Path) -> object:
        gate.wait(5)
        return read(path)

    monkeypatch.setattr(runbooks, "read_file", slow)
    library = shown_library(qtbot, console)
    runner = library.import_paths([str(folder)])
    assert isinstance(runner, RunbookImport)
    [progress] = library.findChildren(QProgressDialog)
    [cancel] = [b for b in progress.findChildren(QPushButton) if b.text() == "Cancel"]
    cancel.click()
    gate.set()
    with qtbot.waitSignal(runner.finished, timeout=10_000) as finished:
        pass
    assert finished.args == [None]
    box = library.findChild(QMessageBox)
    assert box is not None and "stopped after 1 files. Nothing was imported" in box.text()
    assert runbooks.library(console) == {}


def test_two_versions_show_their_diff_with_the_changed_line_coloured(
    qtbot: QtBot, console: Console, imported: Path
) -> None:
    disk = imported / "legacy" / "disk-full.md"
    disk.write_text(disk.read_text(encoding="utf-8").replace("7 days", "3 days").replace("+7", "+3"), encoding="utf-8")
    runbooks.import_paths(console, [imported])
    library = shown_library(qtbot, console)
    library.select("disk full")
    assert library.viewer.versions_button.isEnabled()
    dialog = library.show_versions()
    assert isinstance(dialog, VersionsDialog)
    qtbot.addWidget(dialog)
    assert dialog.summary.text() == "From version 1 to version 2: 1 line added, 1 removed."
    lines = dialog.text.toPlainText().splitlines()
    removed = [line for line in lines if line.startswith("--") and "7 days" in line]
    added = [line for line in lines if line.startswith("+-") and "3 days" in line]
    assert removed and added
    document = dialog.text.document()
    added_block = next(
        document.findBlockByNumber(n)
        for n in range(document.blockCount())
        if document.findBlockByNumber(n).text() == added[0]
    )
    [painted] = added_block.layout().formats()
    assert painted.format.background() == dialog.highlighter.added.background()
    dialog.pick(2, 2)
    assert "pick two different versions" in dialog.summary.text()


HOSTILE = "<script>alert('x')</script><img src=x onerror=alert(1)> Restart <b>the</b> pods"


def test_html_in_a_runbook_shows_as_the_characters_it_is(
    qtbot: QtBot, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    sections = numbered(
        [
            Section(
                "Mitigation", (Step("", HOSTILE, "mitigate", command="echo '<b>hi</b>'", link="javascript:alert(1)"),)
            )
        ]
    )
    runbooks.save(
        console,
        Runbook(
            id="",
            title="<i>Hostile</i> runbook",
            summary="<img src=x onerror=alert(2)>",
            owner="<u>Ops</u>",
            links=(("<b>dash</b>", "https://grafana.example.com/d?a=1&b=2"), ("evil", "javascript:alert(3)")),
            sections=sections,
        ),
    )
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    library = shown_library(qtbot, console)
    viewer = library.viewer
    assert viewer.title.text() == "<i>Hostile</i> runbook" and viewer.title.textFormat() == Qt.TextFormat.PlainText
    # The summary is rich text made by inline_markdown (its Markdown shows as formatting): the HTML reads as written.
    assert "<img" not in viewer.summary.text()
    assert QTextDocumentFragment.fromHtml(viewer.summary.text()).toPlainText() == "<img src=x onerror=alert(2)>"
    assert viewer.facts["Owner"][1].text() == "<u>Ops</u>"
    tooltip = library.list.currentIndex().data(Qt.ItemDataRole.ToolTipRole)
    assert "&lt;img src=x onerror=alert(2)&gt;" in tooltip and "<img" not in tooltip
    links = viewer.facts["Links"][1].text()
    assert "&lt;b&gt;dash&lt;/b&gt;" in links and 'href="javascript' not in links
    assert "evil (javascript:alert(3), not a web address)" in links
    step = viewer.steps.step_index("s1.1")
    row = step.data(ROW)
    assert isinstance(row, Row) and row.text == HOSTILE
    assert HOSTILE in step.data(Qt.ItemDataRole.DisplayRole)
    viewer.facts["Links"][1].linkActivated.emit("https://grafana.example.com/d?a=1&b=2")
    viewer.steps.setCurrentIndex(step)
    viewer._open_link_at(step)  # the step's javascript: link is refused with a reason
    assert [url.toString() for url in opened] == ["https://grafana.example.com/d?a=1&b=2"]
    box = viewer.findChild(QMessageBox)
    assert box is not None and "not a web address" in box.text()
    assert not viewer.grab().isNull()


def test_ctrl_c_and_the_copy_button_copy_the_selected_steps_command(
    qtbot: QtBot, console: Console, imported: Path
) -> None:
    library = shown_library(qtbot, console)
    library.select("redis")
    steps = library.viewer.steps
    index = steps.step_index("s1.2")
    steps.setCurrentIndex(index)
    steps.setFocus()
    QGuiApplication.clipboard().clear()
    qtbot.keySequence(steps, "Ctrl+C")
    assert QGuiApplication.clipboard().text() == "redis-cli -h sessions-cache --bigkeys"
    assert library.note.text() == "Copied the command: redis-cli -h sessions-cache --bigkeys"
    first = steps.step_index("s1.1")
    row = first.data(ROW)
    parts = steps.delegate.parts(row, steps.delegate.fonts(steps.font()), steps.visualRect(first))
    assert parts.copy is not None
    qtbot.mouseClick(steps.viewport(), Qt.MouseButton.LeftButton, pos=parts.copy.center())
    assert QGuiApplication.clipboard().text() == "redis-cli -h sessions-cache INFO memory"
    assert steps.currentIndex() == first


def _suggest(console: Console, incident: str, text: str) -> RunbookRecord:
    record = _record(console, "checkout")
    [attached] = checklists.attach_checklist(console, incident, record.current)
    checklists.suggest_runbook_change(console, incident, attached.id, "s1.2", text)
    return _record(console, "checkout")


def test_accepting_a_suggestion_edits_the_runbook_into_a_new_version(
    qtbot: QtBot, console: Console, incident: str, imported: Path
) -> None:
    record = _suggest(console, incident, "Also check the feature flags.")
    [suggestion] = record.suggestions
    library = shown_library(qtbot, console, incident)
    library.select("checkout")
    assert library.viewer.suggestions_chip.text() == "1 open suggestion"
    [row] = library.viewer.suggestion_rows
    accept = next(b for b in row.findChildren(type(library.viewer.attach_button)) if b.text() == "Accept…")
    accept.click()
    dialog = library.findChild(AcceptDialog)
    assert isinstance(dialog, AcceptDialog)
    assert dialog.editor.toPlainText() == runbooks.export_yaml(record)
    dialog.submit()  # nothing edited yet: refused, the dialog stays
    assert "Nothing is changed yet" in dialog.error.text() and dialog.isVisible()
    deploys = "- text: 'Check recent deploys:"
    dialog.editor.setPlainText(
        dialog.editor.toPlainText().replace(
            deploys, "- text: Check the feature flags\n    kind: diagnose\n  " + deploys
        )
    )
    with qtbot.waitSignal(library.listed):
        dialog.submit()
    after = _record(console, "checkout")
    assert [v.version for v in after.versions] == [1, 2] and after.suggestions == []
    assert after.current.sections[0].steps[1].text == "Check the feature flags"
    assert after.current.source == record.current.source  # a re-import of the file still finds this runbook
    assert library.viewer.version_chip.text() == "version 2 of 2"
    assert library.viewer.suggestion_rows == []
    closed = [e for e in console.reads.of_kinds(("runbook.suggestion_closed",))]
    assert [(e.payload["suggestion"], e.payload["accepted"]) for e in closed] == [(suggestion.id, True)]


def test_a_broken_edit_is_refused_with_where_it_is_wrong(
    qtbot: QtBot, console: Console, incident: str, imported: Path
) -> None:
    record = _suggest(console, incident, "Something")
    dialog = AcceptDialog(console, record, record.suggestions[0])
    qtbot.addWidget(dialog)
    dialog.editor.setPlainText("title: [unclosed\nsections: []\n")
    dialog.submit()
    assert dialog.error.text().startswith("The runbook's YAML is not right: not valid YAML at line")
    assert len(_record(console, "checkout").versions) == 1


def test_declining_a_suggestion_closes_it_with_the_note(
    qtbot: QtBot, console: Console, incident: str, imported: Path
) -> None:
    record = _suggest(console, incident, "Remove the rollback step.")
    library = shown_library(qtbot, console, incident)
    library.select("checkout")
    dialog = library.decline_suggestion(record.suggestions[0].id)
    assert isinstance(dialog, DeclineDialog)
    dialog.note.setPlainText("The rollback is the fastest fix we have.")
    with qtbot.waitSignal(library.listed):
        dialog.submit()
    assert _record(console, "checkout").suggestions == []
    assert library.viewer.suggestion_rows == [] and library.note.text() == "Declined the suggestion."
    [closed] = console.reads.of_kinds(("runbook.suggestion_closed",))
    assert closed.payload["accepted"] is False and closed.payload["note"] == "The rollback is the fastest fix we have."


def test_export_writes_markdown_or_yaml_and_retire_takes_the_runbook_out(
    qtbot: QtBot, console: Console, imported: Path, tmp_path: Path
) -> None:
    library = shown_library(qtbot, console)
    library.select("redis")
    markdown = library.export_to(tmp_path / "redis.md")
    yaml_file = library.export_to(tmp_path / "redis.yaml")
    assert markdown is not None and markdown.read_text(encoding="utf-8").count("# Redis memory above 90%") == 1
    assert yaml_file is not None and yaml_file.read_text(encoding="utf-8").startswith("# Commander runbook")
    assert library.export_to(tmp_path / "missing" / "redis.md") is None  # the folder is not there: said, not raised
    box = library.retire()
    assert box is not None
    [retire] = [b for b in box.buttons() if b.text() == "Retire"]
    with qtbot.waitSignal(library.listed):
        retire.click()
    assert _record(console, "redis").retired
    assert "Redis memory above 90%" not in _listed(library.model)
    assert library.note.text() == "Retired “Redis memory above 90%”."


@RAISES
def test_up_and_down_in_the_search_box_move_over_the_headings(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, imported: Path
) -> None:
    library = open_runbook_library(window)
    assert library.list.currentIndex().row() == 1  # under the "Suggested for" heading
    qtbot.keyClick(library.filters.search, Qt.Key.Key_Down)
    assert library.list.currentIndex().row() == 3  # over "All runbooks"
    assert library.selected_record() is not None
    assert library.viewer.title.text() == library.selected_record().current.title  # type: ignore[union-attr]
    qtbot.keyClick(library.filters.search, Qt.Key.Key_Up)
    assert library.list.currentIndex().row() == 1
    qtbot.keyClick(library.filters.search, Qt.Key.Key_Up)
    assert library.list.currentIndex().row() == 1  # nothing above: stays


def test_a_version_saved_elsewhere_shows_at_once_and_keeps_the_selection(
    qtbot: QtBot, console: Console, imported: Path
) -> None:
    library = shown_library(qtbot, console)
    library.select("redis")
    record = _record(console, "redis")
    with qtbot.waitSignal(library.listed):
        runbooks.save(console, replace(record.current, summary="Evictions log people out; act fast."))
    assert library.viewer.summary.text() == "Evictions log people out; act fast."
    assert library.viewer.version_chip.text() == "version 2 of 2"
    assert library.selected_record() is not None
    assert library.selected_record().current.version == 2  # type: ignore[union-attr]
