"""The one path from the console to the panels: its listener calls become a Qt signal.

The console tells its listeners after every append, whether this window made the change, another
window did, or `catch_up` found events another process (a `commander note` in a terminal) wrote to the
same store. Panels connect to `events_appended` and decide for themselves what to refresh, so nobody
has to remember to emit anything after a mutation.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from commander.app.console import Console
from commander.domain.core.events import Event
from commander.store.errors import StoreError

CATCH_UP_MS = 1000


class ConsoleBridge(QObject):
    events_appended = Signal(list)  # list[Event], in the order the console appended them
    store_failed = Signal(str)  # a StoreError's message while polling; the poll keeps running
    store_recovered = Signal()
    incident_shown = Signal(object)  # str | None: the shell switched to this incident (views follow it)
    shared_store_changed = Signal()  # the shared store was set or cleared: the shell restarts syncing

    def __init__(self, console: Console, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self._failing = False
        self._unsubscribe = console.subscribe(self._appended)
        self._poll = QTimer(self)
        self._poll.setInterval(CATCH_UP_MS)
        self._poll.timeout.connect(self.catch_up)
        self._poll.start()
        self._listening = True

    def _appended(self, events: list[Event]) -> None:
        self.events_appended.emit(events)

    def catch_up(self) -> None:
        """Pick up what other processes wrote; the console tells us (and so the panels) about it."""
        try:
            self.console.catch_up()
        except StoreError as error:
            self._failing = True
            self.store_failed.emit(str(error))
            return
        if self._failing:
            self._failing = False
            self.store_recovered.emit()

    def close(self) -> None:
        """Stop polling and listening; the window calls this when it closes."""
        self._poll.stop()
        if self._listening:
            self._listening = False
            self._unsubscribe()


__all__ = ["CATCH_UP_MS", "ConsoleBridge"]
