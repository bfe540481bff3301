"""Work that must not freeze the window, done one way: off the UI thread, its answer back on it.

    run_in_background(
        lambda progress: runbooks.plan_import(known, paths, progress=progress.report),
        parent=self,
        success=self._imported,
        title="Could not import the runbooks",
        progress="Looking for runbooks…",
    )

`work` runs on a worker thread and must not touch widgets; it may touch the store only through the
console's thread-safe calls. Its result reaches `success`, on the UI thread. A failure goes through the
one error policy (commander.ui.kit.problems): a refusal (DomainError), store trouble (StoreError) or a
network failure is shown as its message, inline when the caller gives an `ErrorLabel`, in a window-modal
box otherwise, or handed to `failure` when the caller wants to say it its own way. Anything else is a bug:
it is logged with its traceback and the person is told it went wrong, so no window waits forever.
With `progress`, a progress dialog shows what the work reports, after a moment (short work never shows
it), and its Cancel makes the next `report` raise `Cancelled`, which ends the work quietly.

Modelled on Anki's CollectionOp/QueryOp (aqt/operations): one helper, so threads, relays and error
handling are not written again by every window.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from commander.ui.kit.problems import ErrorLabel, problem_message, show_problem

log = logging.getLogger(__name__)
T = TypeVar("T")
SHOW_PROGRESS_AFTER_MS = 250  # work that ends sooner never shows its progress dialog
BUG = "Commander hit an unexpected problem (the details are in its log). Nothing more was done; try again."


class Cancelled(Exception):
    """Raised by `Progress.report` once the person pressed Cancel: the work stops where it is."""


class Progress:
    """What the work is handed: `report` how far it is (and learn it was cancelled)."""

    def __init__(self, task: Task[object]) -> None:
        self._task = task

    @property
    def cancelled(self) -> bool:
        return self._task.stop.is_set()

    def report(self, done: int, total: int, label: str = "") -> None:
        if self._task.stop.is_set():
            raise Cancelled
        self._task.relay(self._task.progressed, done, total, label)


class Task(QObject, Generic[T]):
    """One piece of background work. Its signals arrive on the UI thread (queued across threads)."""

    progressed = Signal(int, int, str)  # done, total, what is being done
    succeeded = Signal(object)  # the work's result
    failed = Signal(str)  # the message a person reads
    cancelled = Signal()
    finished = Signal()  # after any of the three above

    def __init__(self, parent: QObject | None, name: str) -> None:
        super().__init__(parent)
        self.name = name
        self.stop = threading.Event()
        self.done = threading.Event()  # set once the answer has been delivered (tests wait on it)
        self._alive = True
        self.destroyed.connect(self._gone)
        self.finished.connect(self.done.set)

    def cancel(self) -> None:
        self.stop.set()

    def relay(self, signal: object, *args: object) -> None:
        """Emit from the worker thread; a task whose window closed meanwhile simply hears nothing."""
        if not self._alive:
            return
        try:
            signal.emit(*args)  # type: ignore[attr-defined]
        except RuntimeError:  # the C++ side went with its parent window between the check and the emit
            self._alive = False

    def _gone(self) -> None:
        self._alive = False
        self.done.set()


def run_in_background(
    work: Callable[[Progress], T],
    *,
    parent: QWidget,
    success: Callable[[T], object] | None = None,
    failure: Callable[[str], object] | None = None,
    inline: ErrorLabel | None = None,
    title: str = "That did not work",
    progress: str | None = None,
    name: str = "commander-background",
) -> Task[T]:
    """Start `work` on a worker thread and return its task (already started). See the module's docstring."""
    task: Task[T] = Task(parent, name)
    if progress is not None:
        _show_progress(task, parent, progress)

    def delivered(result: object) -> None:
        if inline is not None:
            inline.clear_message()
        if success is not None:
            success(result)  # type: ignore[arg-type]
        task.finished.emit()

    def refused(message: str) -> None:
        if failure is not None:
            failure(message)
        elif inline is not None:
            inline.show_message(message)
        else:
            show_problem(parent, title, message)
        task.finished.emit()

    task.succeeded.connect(delivered)
    task.failed.connect(refused)
    task.cancelled.connect(task.finished.emit)
    handle = Progress(task)  # type: ignore[arg-type]

    def body() -> None:
        try:
            result = work(handle)
        except Cancelled:
            task.relay(task.cancelled)
        except Exception as error:  # noqa: BLE001 - every failure must reach the window, the bugs logged
            message = problem_message(error)
            if message is None:
                log.exception("background work %s failed", name)
                message = BUG
            task.relay(task.failed, message)
        else:
            task.relay(task.succeeded, result)

    threading.Thread(target=body, name=name, daemon=True).start()
    return task


def _show_progress(task: Task[T], parent: QWidget, label: str) -> None:
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(parent.windowTitle() or "Commander")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_PROGRESS_AFTER_MS)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(parent.fontMetrics().horizontalAdvance("x") * 60)

    def moved(done: int, total: int, text: str) -> None:
        if task.stop.is_set():
            return
        dialog.setMaximum(total)
        dialog.setValue(done)
        if text:
            dialog.setLabelText(text)

    def cancel() -> None:
        task.cancel()
        dialog.setLabelText("Stopping…")

    task.progressed.connect(moved)
    dialog.canceled.connect(cancel)
    task.finished.connect(dialog.reset)
    task.finished.connect(dialog.deleteLater)
