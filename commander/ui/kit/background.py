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

import shiboken6
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
    """One piece of background work. Its signals arrive on the UI thread (queued across threads).

    A task has no Qt parent and is kept alive here until it has answered, so the worker never emits on an
    object the UI thread deleted; when the window that started it goes first, the answer is dropped."""

    progressed = Signal(int, int, str)  # done, total, what is being done
    succeeded = Signal(object)  # the work's result
    failed = Signal(str)  # the message a person reads
    cancelled = Signal()
    finished = Signal()  # after any of the three above

    def __init__(self, owner: QObject, name: str) -> None:
        super().__init__(None)
        self.name = name
        self.stop = threading.Event()
        self.done = threading.Event()  # set once the answer has been delivered (tests wait on it)
        self.dialog: QProgressDialog | None = None  # the progress dialog, when one was asked for
        self._owner = owner
        self.finished.connect(self._retire)

    @property
    def orphaned(self) -> bool:
        """The window that started the work is gone: nobody is left to hear the answer."""
        return not shiboken6.isValid(self._owner)

    def cancel(self) -> None:
        self.stop.set()

    def relay(self, signal: object, *args: object) -> None:
        """Emit from the worker thread (queued to the UI thread, where the task lives)."""
        signal.emit(*args)  # type: ignore[attr-defined]

    def _retire(self) -> None:
        self.done.set()
        _RUNNING.discard(self)


_RUNNING: set[Task[object]] = set()  # every task that has not answered yet: they outlive their windows


def run_in_background(
    work: Callable[[Progress], T],
    *,
    parent: QWidget,
    success: Callable[[T], object] | None = None,
    failure: Callable[[str], object] | None = None,
    inline: ErrorLabel | None = None,
    title: str = "That did not work",
    progress: str | None = None,
    progress_title: str | None = None,
    stopping: str = "Stopping…",
    name: str = "commander-background",
) -> Task[T]:
    """Start `work` on a worker thread and return its task (already started). See the module's docstring.
    `progress_title` titles the progress dialog (the parent's title by default); `stopping` is what it
    says once Cancel was pressed."""
    task: Task[T] = Task(parent, name)
    _RUNNING.add(task)  # type: ignore[arg-type]
    if progress is not None:
        task.dialog = _show_progress(task, parent, progress, progress_title, stopping)

    def delivered(result: object) -> None:
        if not task.orphaned:
            if inline is not None:
                inline.clear_message()
            if success is not None:
                success(result)  # type: ignore[arg-type]
        task.finished.emit()

    def refused(message: str) -> None:
        if not task.orphaned:
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


def _show_progress(task: Task[T], parent: QWidget, label: str, title: str | None, stopping: str) -> QProgressDialog:
    dialog = QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title or parent.windowTitle() or "Commander")
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_PROGRESS_AFTER_MS)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(parent.fontMetrics().horizontalAdvance("x") * 60)

    def moved(done: int, total: int, text: str) -> None:
        if task.stop.is_set() or not shiboken6.isValid(dialog):
            return
        dialog.setMaximum(total)
        dialog.setValue(done)
        if text:
            dialog.setLabelText(text)

    def cancel() -> None:
        task.cancel()
        dialog.setLabelText(stopping)

    def close() -> None:
        if shiboken6.isValid(dialog):
            dialog.reset()
            dialog.deleteLater()

    task.progressed.connect(moved)
    dialog.canceled.connect(cancel)
    task.finished.connect(close)
    return dialog
