"""What the window tells the person without being asked: an update overdue, a timer expired, a
postmortem review near. Each is written on the timeline where it belongs (every console writes the same
event, the store keeps one) and shown as a desktop notification, or in the status bar without a tray."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QStatusBar, QSystemTrayIcon, QWidget

from commander.app.console import Console
from commander.app.updates import timers
from commander.ui.kit import richtext
from commander.ui.kit.problems import attempt

WRITE_LATER_MS = 300  # found while the window is being built: write once it is on screen


class Reminders(QObject):
    """Notes overdue updates and expired timers, and reminds of postmortem reviews, for one window."""

    def __init__(self, console: Console, window: QWidget, status: QStatusBar, *, window_up: Callable[[], bool]) -> None:
        super().__init__(window)
        self.console = console
        self.window = window
        self.status = status
        self.window_up = window_up  # shown and ticking: writes need not wait
        self.closed = False
        self._tray: QSystemTrayIcon | None = None

    def update_overdue(self, incident_id: str) -> None:
        """Once per due time: on the timeline and as an alert."""
        self._record_soon(
            lambda: attempt(
                lambda: timers.note_overdue(self.console, incident_id),
                parent=self.window,
                title="Could not note the overdue update",
            )
        )
        state = self.console.state(incident_id)
        self.alert("Update overdue", f"{state.reference} {state.severity}: the stakeholder update is overdue.")

    def _record_soon(self, record: Callable[[], object]) -> None:
        """Write once the window is up: found overdue while the window is built, the write would make
        the first paint wait for the store's writing side (SQLAlchemy's import alone is 0.4 s)."""
        if self.window_up():
            record()
        else:
            QTimer.singleShot(WRITE_LATER_MS, lambda: None if self.closed else record())

    def timer_expired(self, incident_id: str, timer_id: str) -> None:
        """Once per timer: on the timeline and as an alert."""
        attempt(
            lambda: timers.note_expired_timers(self.console, incident_id),
            parent=self.window,
            title="Could not note the expired timer",
        )
        state = self.console.state(incident_id)
        timer = state.timers.get(timer_id)
        if timer is not None and timer.shown:  # not cancelled while the alert was on its way
            self.alert("Timer expired", f"{state.reference}: the timer “{timer.label}” expired.")

    def remind_postmortems(self) -> None:
        """Once a start: unpublished postmortems whose review meeting is near or past."""
        if self.closed:
            return
        from commander.app.postmortem import reminders

        done, found = attempt(
            lambda: reminders(self.console), parent=self.window, title="Could not check the postmortems"
        )
        if done and found:
            self.alert("Postmortem review", " ".join(reminder.text for reminder in found[:3]))

    def alert(self, title: str, message: str) -> None:
        """A desktop notification where the desktop has a tray, else the status bar."""
        if QSystemTrayIcon.isSystemTrayAvailable():
            if self._tray is None:
                self._tray = QSystemTrayIcon(self.window.windowIcon(), self.window)
                self._tray.show()
            self._tray.showMessage(title, richtext.notification(message), QSystemTrayIcon.MessageIcon.Warning, 10_000)
        else:
            self.status.showMessage(message, 30_000)
