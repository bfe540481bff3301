"""Filling in a template off the UI thread, the answer brought back to it.

A team template is hostile input: it may run for the whole time budget (`template_guard.TIME_BUDGET`)
before the worker process gives up on it. So the window never renders on its own thread: the work goes to
a small thread pool and the UI thread waits at most `GRACE_MS` for it. A normal template (well under a
millisecond through the worker) is therefore shown at once, in order, without a flash of "filling in…";
a slow one comes back later through a queued signal while the event loop keeps turning. Only the latest
request of each `Rendering` is delivered: an answer overtaken by newer typing is dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError
from contextlib import suppress
from typing import Any

from PySide6.QtCore import QObject, Signal

GRACE_MS = 150  # the longest the UI thread waits for a render (a hostile one only): one typing pause

_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="commander-template")


class Rendering(QObject):
    """Runs `work` (which must not touch Qt or the store) on the pool; `done(future)` runs on the UI thread
    with the finished future, whose `.result()` gives the text or raises the template's problem."""

    finished = Signal(int, object)  # (request number, Future)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latest = 0
        self._done: Callable[[Future[Any]], None] | None = None
        self.finished.connect(self._deliver)

    @property
    def busy(self) -> bool:
        return self._done is not None

    def start(self, work: Callable[[], Any], done: Callable[[Future[Any]], None]) -> None:
        self.latest += 1
        number, self._done = self.latest, done
        future = _POOL.submit(work)
        try:
            future.result(timeout=GRACE_MS / 1000)
        except TimeoutError:
            future.add_done_callback(lambda finished: self._report(number, finished))
            return
        except Exception:  # noqa: BLE001, S110 (the future keeps it: `done` reads it with .result())
            pass
        self._deliver(number, future)

    def _report(self, number: int, future: Future[Any]) -> None:
        """On the pool's thread: hand the answer to the UI thread (a queued signal)."""
        with suppress(RuntimeError):  # the dialog was closed and deleted meanwhile: nobody is waiting
            self.finished.emit(number, future)

    def _deliver(self, number: int, future: Future[Any]) -> None:
        if number != self.latest or self._done is None:
            return
        done, self._done = self._done, None
        done(future)
