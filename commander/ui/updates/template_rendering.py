"""Filling in a template off the UI thread, the answer brought back to it.

A team template is hostile input: it may run for the whole time budget (`template_guard.TIME_BUDGET`)
before the worker process gives up on it. So the window never renders on its own thread: the work runs in
the background (commander.ui.kit.background) and the UI thread waits at most `GRACE_MS` for it. A normal
template (well under a millisecond through the worker) is therefore shown at once, in order, without a
flash of the old text; a slow one comes back later while the event loop keeps turning.

Only the latest request of each `Rendering` is delivered: an answer overtaken by newer typing is dropped,
and a request overtaken while it waited for its turn is never filled in. At most `AT_ONCE` templates are
filled in at a time, since each may hold a worker process for its whole budget.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from PySide6.QtWidgets import QWidget

from commander.ui.kit.background import BUG, Progress, Task, run_in_background
from commander.ui.kit.problems import problem_message, show_problem

T = TypeVar("T")
GRACE_MS = 150  # the longest the UI thread waits for a render (a hostile one only): one typing pause
AT_ONCE = 4  # templates filled in at the same time, across every window

_turns = threading.BoundedSemaphore(AT_ONCE)


class _Answer(Generic[T]):
    """What the worker thread leaves for a UI thread that waits for it during the grace period."""

    def __init__(self) -> None:
        self.ready = threading.Event()
        self.worker: threading.Thread | None = None  # the thread filling it in, once it has begun
        self.result: T | None = None
        self.problem: str | None = None  # what to tell the person, when the work failed


class Rendering(Generic[T]):
    """Runs `work` (which must not touch Qt or the store) in the background for `owner`; `done` gets the
    latest request's result on the UI thread, `failed` what to say when it failed (a message box when
    None)."""

    def __init__(
        self,
        owner: QWidget,
        done: Callable[[T], object],
        failed: Callable[[str], object] | None = None,
        *,
        title: str = "Could not fill in the template",
    ) -> None:
        self.owner, self.done, self.failed, self.title = owner, done, failed, title
        self.latest = 0  # the newest request's number
        self.answered = 0  # the newest request whose answer was delivered
        self.task: Task[T | None] | None = None  # the newest request's (tests wait on its `done`)

    def start(self, work: Callable[[], T]) -> Task[T | None]:
        self.latest += 1
        number, answer = self.latest, _Answer[T]()

        def fill_in(_progress: Progress) -> T | None:
            answer.worker = threading.current_thread()
            try:
                with _turns:
                    if number != self.latest:
                        return None  # overtaken while it waited: nobody will read it
                    answer.result = work()
                    return answer.result
            except Exception as error:
                answer.problem = problem_message(error) or BUG  # the helper logs a bug as it ends the task
                raise
            finally:
                answer.ready.set()

        task = run_in_background(
            fill_in,
            parent=self.owner,
            success=lambda result: self._deliver(number, result),
            failure=lambda message: self._refuse(number, message),
            name="commander-template",
        )
        task.finished.connect(task.deleteLater)  # one task a typing pause: none kept once answered
        self.task = task
        if answer.ready.wait(GRACE_MS / 1000):  # answered in time: shown now, the queued answer is dropped
            # Once the worker has handed its answer to the task: the window may close right after this,
            # and its tasks with it, which must not happen while a worker is still signalling one.
            if answer.worker is not None:
                answer.worker.join(GRACE_MS / 1000)
            if answer.problem is None:
                self._deliver(number, answer.result)
            else:
                self._refuse(number, answer.problem)
        return task

    def _deliver(self, number: int, result: T | None) -> None:
        if self._first_answer(number):
            self.done(result)  # type: ignore[arg-type]  # None only for an overtaken request, dropped above

    def _refuse(self, number: int, message: str) -> None:
        if not self._first_answer(number):
            return
        if self.failed is not None:
            self.failed(message)
        else:
            show_problem(self.owner, self.title, message)

    def _first_answer(self, number: int) -> bool:
        """True once, for the latest request: older answers, and the latest's second arrival, are dropped."""
        if number != self.latest or number == self.answered:
            return False
        self.answered = number
        return True
