"""Replication in the window: the replicator's thread reports through Qt signals, and the status bar
shows online / syncing / offline, what is waiting, when it last synced, and who else is here.

Pulled events need nothing special: the bridge's `catch_up` takes them from the local store, the same
path as any other process's writes. This object only makes that happen at once instead of at the
next poll, and nudges the replicator when something is written here.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.core.when import format_duration
from commander.ui.kit import linkify
from commander.ui.kit.bridge import ConsoleBridge


class SyncBridge(QObject):
    """Owns the replicator when a shared store is configured; its callbacks arrive here as signals."""

    status_changed = Signal(object)  # SyncStatus, emitted from the replicator's thread, delivered queued
    pulled = Signal(int)

    def __init__(self, console: Console, bridge: ConsoleBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.bridge = bridge
        self.replicator: object | None = None
        self.remote_url: str | None = None
        self.pulled.connect(lambda _count: bridge.catch_up())
        self._unsubscribe = console.subscribe(self._appended)

    def start(self) -> None:
        """Start replicating if a shared store is set. Called once the window is on screen."""
        from commander.app.setup import remote as remotes

        remote = remotes.configured(self.console)
        if remote is None:
            return
        self.remote_url = remote.url
        replicator = remotes.replicator(  # the keyring is read only now, when there is a remote
            self.console, remote, self.console.secrets, on_pulled=self.pulled.emit, on_status=self.status_changed.emit
        )
        self.replicator = replicator
        replicator.start()

    def set_incident(self, incident_id: str | None) -> None:
        if self.replicator is not None:
            self.replicator.incident_id = incident_id  # type: ignore[attr-defined]

    def _appended(self, events: list[Event]) -> None:
        if self.replicator is not None and any(e.origin == self.console.console_id for e in events):
            self.replicator.nudge()  # type: ignore[attr-defined]

    def stop(self) -> None:
        self._unsubscribe()
        if self.replicator is not None:
            self.replicator.stop()  # type: ignore[attr-defined]
            self.replicator = None


class SyncIndicator(QLabel):
    """'online · synced 2 s ago', 'offline · 37 waiting · retrying in 8 s', and who else is here."""

    problem = Signal(str)  # login, TLS, schema: a sentence for the status bar's problem slot
    problem_gone = Signal()

    def __init__(self, sync: SyncBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setObjectName("SyncIndicator")
        self.setAccessibleName("Sync status")
        self.status: object | None = None
        self.incident_id: str | None = None
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh)
        self.attach(sync)

    def attach(self, sync: SyncBridge) -> None:
        """Follow this replicator (a new one after the shared store changed); hidden until it reports."""
        self.sync = sync
        sync.status_changed.connect(self.show_status)
        if self.status is not None and self.status.state == "error":  # type: ignore[attr-defined]
            self.problem_gone.emit()
        self.status = None
        self._tick.stop()
        self.hide()

    def show_status(self, status: object) -> None:
        previous = self.status
        self.status = status
        if status.state == "error":  # type: ignore[attr-defined]
            self.problem.emit(f"Sync stopped: {status.message}")  # type: ignore[attr-defined]
        elif previous is not None and previous.state == "error":  # type: ignore[attr-defined]
            self.problem_gone.emit()
        self.show()
        if not self._tick.isActive():
            self._tick.start()
        self._refresh()

    def set_incident(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self._refresh()

    def _refresh(self) -> None:
        status = self.status
        if status is None:
            return
        state, waiting, last = status.state, status.waiting, status.last_success  # type: ignore[attr-defined]
        parts = [state]
        if waiting:
            parts.append(f"{waiting} waiting")
        if state in ("offline", "busy", "error") and status.retry_in:  # type: ignore[attr-defined]
            parts.append(f"retrying in {max(1, round(status.retry_in))} s")  # type: ignore[attr-defined]
        set_aside = getattr(status, "set_aside", 0)
        if set_aside:
            parts.append(
                f"{set_aside} event{'s' if set_aside != 1 else ''} from the shared store "
                f"{'were' if set_aside != 1 else 'was'} set aside"
            )
        history = getattr(status, "history", "")  # "history: 38% fetched" while a new console joins
        if history:
            parts.append(history)
        if last is not None:
            parts.append(f"synced {format_duration(datetime.now(UTC) - last)} ago")
        others = sorted(
            {
                person
                for person, incident in status.others  # type: ignore[attr-defined]
                if incident == self.incident_id and self.incident_id
            }
        )
        if others:
            parts.append(
                " and ".join([", ".join(others[:-1]), others[-1]] if len(others) > 1 else others)
                + " also on this incident"
            )
        self.setText(" · ".join(parts))
        self.setProperty("state", state)
        message = status.message  # type: ignore[attr-defined]
        notice = getattr(status, "notice", "")
        tip = (
            f"Shared store: {self.sync.remote_url}"
            + (f"\n{message}" if message else "")
            + (f"\n{notice}" if notice else "")
            + (
                "\nRows that failed the checks are kept apart and never shown; `commander sync --quarantine` "
                "lists them with why."
                if set_aside
                else ""
            )
        )
        self.setToolTip(linkify.tooltip(tip))
        self.style().unpolish(self)
        self.style().polish(self)
