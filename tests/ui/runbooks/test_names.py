"""Runbooks with one title told apart by their files in the library list, the viewer and the picker; git's
date shown as the last review; files that are not runbooks in the import report."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.ui.runbooks.importing import ImportReportDialog
from commander.ui.runbooks.picker import RunbookPicker
from commander.ui.shell.main_window import MainWindow
from tests.ui.runbooks.fake_shell import shown_library


def _commit(repository: Path, when: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "Alex",
        "GIT_AUTHOR_EMAIL": "alex@example.com",
        "GIT_COMMITTER_NAME": "Alex",
        "GIT_COMMITTER_EMAIL": "alex@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    if not (repository / ".git").exists():
        subprocess.run(["git", "-C", str(repository), "init", "-q"], check=True, capture_output=True, env=env)
    for command in (["add", "."], ["commit", "-q", "-m", "runbooks"]):
        subprocess.run(["git", "-C", str(repository), *command], check=True, capture_output=True, env=env)


def _two_teams(console: Console, tmp_path: Path) -> tuple[Path, str]:
    """ops/payments/high-latency.md committed 2025-03-02 and ops/search/high-latency.md ten days ago, both
    titled "High latency", imported; returns the folder and the second commit's date."""
    ops = tmp_path / "ops"
    for team in ("payments", "search"):
        (ops / team).mkdir(parents=True)
    (ops / "payments" / "high-latency.md").write_text("# High latency\n\n- Check payments\n", encoding="utf-8")
    _commit(ops, "2025-03-02T10:00:00+00:00")
    (ops / "search" / "high-latency.md").write_text("# High latency\n\n- Check search\n", encoding="utf-8")
    recent = (console.now() - timedelta(days=10)).replace(microsecond=0)
    _commit(ops, recent.isoformat())
    runbooks.import_paths(console, [ops])
    return ops, f"{recent:%Y-%m-%d}"


def test_the_library_tells_same_title_runbooks_apart_and_shows_gits_date(
    qtbot: QtBot, console: Console, tmp_path: Path
) -> None:
    ops, recent = _two_teams(console, tmp_path)
    library = shown_library(qtbot, console)
    tips = {}
    for row in range(library.model.rowCount()):
        index = library.model.index(row, 0)
        tips[index.data(Qt.ItemDataRole.DisplayRole)] = tips.get(index.data(Qt.ItemDataRole.DisplayRole), []) + [
            index.data(Qt.ItemDataRole.ToolTipRole)
        ]
    assert sorted(tips["High latency"]) == [
        f"<qt>File: {ops / team / 'high-latency.md'}</qt>" for team in ("payments", "search")
    ]
    payments = runbooks.find(console, "payments/high-latency.md")
    search = runbooks.find(console, "search/high-latency.md")
    assert library._facts(payments) == ("STALE: changed in git 2025-03-02", True)
    assert library._facts(search) == (f"changed in git {recent}", False)
    library.select("search/high-latency.md")
    assert library.viewer.fresh_chip.text() == f"changed in git {recent}"
    assert library.selected_record() == search


def test_the_picker_shows_each_runbooks_file(
    window: MainWindow, console: Console, incident: str, tmp_path: Path
) -> None:
    ops, _recent = _two_teams(console, tmp_path)
    window.select_incident(incident)
    picker = window.checklists.attach_runbook()
    assert isinstance(picker, RunbookPicker)
    items = [picker.results.item(row) for row in range(picker.results.count())]
    listed = sorted(item.text().split("\n")[1].split("  ·  ")[-1] for item in items)
    assert listed == ["payments/high-latency.md", "search/high-latency.md"]
    assert sorted(item.toolTip().split("<br>")[0] for item in items) == [
        f"<qt>File: {ops / team / 'high-latency.md'}" for team in ("payments", "search")
    ]


def test_the_import_report_lists_files_that_are_not_runbooks_apart(
    qtbot: QtBot, console: Console, tmp_path: Path
) -> None:
    ops = tmp_path / "ops"
    ops.mkdir()
    (ops / "ok.md").write_text("# Ok\n\n- x\n", encoding="utf-8")
    (ops / "OWNERS").write_text("approvers: [alex]\n", encoding="utf-8")
    (ops / "flow.svg").write_text("<svg/>\n", encoding="utf-8")
    (ops / "index.md").write_text("# Runbooks\n\n- [Ok](ok.md)\n", encoding="utf-8")
    report = runbooks.import_paths(console, [ops])
    dialog = ImportReportDialog(report)
    qtbot.addWidget(dialog)
    assert dialog.summary.text() == (
        "Read 4 files: 1 new runbook, 0 new versions, 0 unchanged, 3 skipped (3 not runbooks)."
    )  # nothing to fix: no "fix it and import again"
    assert dialog.rows("Skipped") == []
    assert sorted(dialog.rows("Skipped: not runbooks")) == [
        ("OWNERS", "a list of owners or reviewers, not a runbook"),
        ("flow.svg", "an image, not a runbook"),
        ("index.md", "an index page (only links to other pages), not a runbook"),
    ]
