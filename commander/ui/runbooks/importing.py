"""Importing runbooks from the library window without freezing it.

Files are read and decided on a worker thread (commander.app.runbooks.library.plan_import: no store, no
widgets) through commander.ui.kit.background, whose progress dialog says "Read N of M files" and whose
Cancel stops between files. What was decided is then recorded here, on the UI thread, in one transaction,
like every other write of this window. A report says what each file became: new, a new version,
unchanged, or skipped and why.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.app.runbooks.library import ImportReport
from commander.domain.core.events import EventDraft
from commander.ui.kit import linkify
from commander.ui.kit.background import Progress, Task, run_in_background
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import attempt, show_problem

Planned = tuple[ImportReport, list[EventDraft]]  # what plan_import decided: the report, the events to record


class RunbookImport(QObject):
    """One import of files and folders; `finished` carries its report, or None when it was stopped or
    failed (the person has been told why)."""

    finished = Signal(object)

    def __init__(self, console: Console, paths: Sequence[str], parent: QWidget) -> None:
        super().__init__(parent)
        self.console, self.paths, self.window = console, list(paths), parent
        self.task: Task[Planned] | None = None
        self.read = 0  # files read so far, by the worker: what a stopped import says it got through

    def start(self) -> bool:
        """Read the library as it is (cached, on this thread), then read the files on a worker thread."""
        done, records = attempt(
            lambda: runbooks.library(self.console), parent=self.window, title="Could not read the runbook library"
        )
        if not done or records is None:
            return False
        known, paths = dict(records), self.paths
        where = paths[0] if len(paths) == 1 else f"{len(paths)} files and folders"

        def work(progress: Progress) -> Planned:  # on the worker thread: no widgets, no store
            def report(done: int, total: int, path: str) -> None:
                self.read = done
                progress.report(done, total, f"Read {done:,} of {total:,} files\n{_tail(path)}")

            return runbooks.plan_import(known, paths, progress=report)

        self.task = run_in_background(
            work,
            parent=self.window,
            success=self._save,
            failure=self._failed,
            progress=f"Looking for runbooks in {where}…",
            progress_title="Importing runbooks",
            stopping="Stopping after the file being read…",
            name="commander-runbook-import",
        )
        self.task.cancelled.connect(self._stopped)
        return True

    def _save(self, planned: Planned) -> None:
        report, drafts = planned
        if len(drafts) > 50 and self.task is not None:  # the one wait on this thread: say what it is first
            self.task.progressed.emit(len(drafts), len(drafts), f"Saving {len(drafts):,} runbook versions…")
            if self.task.dialog is not None:  # painted now, before the write holds this thread up
                self.task.dialog.repaint()
        saved, _ = attempt(
            lambda: runbooks.record_import(self.console, drafts),
            parent=self.window,
            title="Could not save the runbooks",
        )
        self.finished.emit(report if saved else None)

    def _stopped(self) -> None:
        show_problem(
            self.window,
            "Import stopped",
            f"The import was stopped after {self.read:,} files. Nothing was imported: an import saves "
            f"all its files at once. Import again to read them all.",
        )
        self.finished.emit(None)

    def _failed(self, message: str) -> None:
        show_problem(self.window, "Import failed", message)
        self.finished.emit(None)


def _tail(path: str, parts: int = 3) -> str:
    """The end of a long path, which is what tells files apart: …/payments/checkout-5xx.md."""
    pieces = Path(path).parts
    return path if len(pieces) <= parts else os.path.join("…", *pieces[-parts:])


class ImportReportDialog(QDialog):
    """What an import did with every file, skipped ones (with the reason) first and open."""

    def __init__(self, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle("Runbooks imported")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.summary = plain_label(summary(report), self)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["File", "What happened"])
        self.tree.setAccessibleName("Import report")
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)
        root = _common_root(
            [path for path, _ in report.skipped] + [e.path for e in report.imported + report.updated + report.unchanged]
        )
        passed_over = report.not_runbooks
        groups = (
            ("Skipped", report.problems, True),
            ("Skipped: not runbooks", passed_over, len(passed_over) <= 20),
            ("Imported differently", [(p, note) for p, note in report.notes], True),
            ("New", [(e.path, e.title) for e in report.imported], len(report.imported) <= 50),
            ("New versions", [(e.path, f"{e.title}: version {e.version}") for e in report.updated], True),
            ("Unchanged", [(e.path, e.title) for e in report.unchanged], False),
        )
        for name, rows, expanded in groups:
            if not rows:
                continue
            group = QTreeWidgetItem(self.tree, [f"{name} ({len(rows):,})", ""])
            group.setFirstColumnSpanned(True)
            for path, words in rows:
                item = QTreeWidgetItem(group, [_relative(path, root), words])
                item.setToolTip(0, linkify.tooltip(path))  # a file may be named `<b>.md`: never markup
                item.setToolTip(1, linkify.tooltip(words))
            group.setExpanded(expanded)
        em = self.fontMetrics().horizontalAdvance("x")
        self.tree.setColumnWidth(0, em * 46)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = buttons.addButton("Copy report", QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(as_text(report)))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.tree, 1)
        layout.addWidget(buttons)
        self.resize(em * 120, self.fontMetrics().height() * 30)

    def rows(self, group: str) -> list[tuple[str, str]]:
        """The (file, what happened) rows under a group ("Skipped", "New" …), for tests."""
        for number in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(number)
            if top is not None and top.text(0).startswith(group + " ("):
                children = [top.child(n) for n in range(top.childCount())]
                return [(child.text(0), child.text(1)) for child in children if child is not None]
        return []


def summary(report: ImportReport) -> str:
    def count(number: int, one: str, many: str) -> str:
        return f"{number:,} {one if number == 1 else many}"

    parts = [
        count(len(report.imported), "new runbook", "new runbooks"),
        count(len(report.updated), "new version", "new versions"),
        f"{len(report.unchanged):,} unchanged",
        f"{len(report.skipped):,} skipped",
    ]
    passed_over = len(report.not_runbooks)
    told = (
        f"Read {count(report.files, 'file', 'files')}: "
        + ", ".join(parts)
        + (f" ({passed_over:,} not runbooks)." if passed_over else ".")
    )
    if report.problems:
        told += " Each skipped file is listed with the reason; fix it and import again."
    return told


def as_text(report: ImportReport) -> str:
    lines = [summary(report), ""]
    lines += [f"skipped    {path}: {why}" for path, why in report.skipped]
    lines += [f"note       {path}: {note}" for path, note in report.notes]
    lines += [f"new        {e.path}: {e.title}" for e in report.imported]
    lines += [f"version {e.version:<3}{e.path}: {e.title}" for e in report.updated]
    lines += [f"unchanged  {e.path}" for e in report.unchanged]
    return "\n".join(lines) + "\n"


def _common_root(paths: list[str]) -> str:
    try:
        return os.path.commonpath(paths) if len(paths) > 1 else str(Path(paths[0]).parent) if paths else ""
    except ValueError:  # paths on two drives
        return ""


def _relative(path: str, root: str) -> str:
    if root and path.startswith(root + os.sep):
        return path[len(root) + 1 :]
    return path
