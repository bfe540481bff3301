"""The custom timers in the header: one chip a timer, counting down each second and red once expired.

The chips are drawn from the incident's state alone, so every console shows the same countdown and a
restart loses nothing. A chip's menu cancels or snoozes its timer (recorded for everyone). The strip
is a line of its own, shown only while the incident has timers; the header's "+ Timer" sets one.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo
from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from commander.app.console import Console
from commander.app.updates import timers
from commander.domain.incident.state import CustomTimer, IncidentState
from commander.ui.kit import richtext, timefmt
from commander.ui.kit.paint import elide
from commander.ui.kit.problems import attempt
from commander.ui.kit.theme import scaled_font

SNOOZE_MINUTES = 5
LABEL_ON_CHIP = 28  # characters' width of the label on a chip; the whole label is in the chip's tooltip
# Red comes from the palette the theme sets (bright text is the theme's danger colour, base its surface),
# so the chip follows a switch between dark and light without being told.
_STYLE = """
QToolButton#TimerChip { padding: 1px 8px; }
QToolButton#TimerChip::menu-indicator { image: none; width: 0; }
QToolButton#TimerChip[expired="true"] { background: palette(bright-text); color: palette(base);
    border-color: palette(bright-text); font-weight: 600; }
"""


def countdown(left: timedelta) -> str:
    """'4:12', '1:02:03': whole seconds rounded up, so 0:00 shows only once the timer is due."""
    seconds = max(0, math.ceil(left.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TimerChip(QToolButton):
    """One timer: its label and what is left; the menu ends it or pushes it back."""

    def __init__(self, timer: CustomTimer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timer = timer
        self.setObjectName("TimerChip")
        self.setFont(scaled_font(0.95, base=self.font()))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.cancel_action: QAction = menu.addAction("Cancel timer")
        self.snooze_action: QAction = menu.addAction(f"Snooze +{SNOOZE_MINUTES} min")
        self.setMenu(menu)
        self.expired: bool | None = None

    def show_time(self, now: datetime, zone: tzinfo) -> bool:
        """Refresh the text; returns whether the timer has expired (by the clock or by the log)."""
        left = self.timer.due - now
        expired = self.timer.expired_at is not None or left.total_seconds() <= 0
        metrics = self.fontMetrics()
        label = elide(metrics, self.timer.label, metrics.averageCharWidth() * LABEL_ON_CHIP)
        text = f"{richtext.mnemonic(label)}  {'expired' if expired else countdown(left)}"
        if self.text() != text:
            self.setText(text)
        if expired != self.expired:
            self.expired = expired
            self.setProperty("expired", expired)
            self.style().unpolish(self)
            self.style().polish(self)
            self.cancel_action.setText("Dismiss" if expired else "Cancel timer")
            due = timefmt.clock(self.timer.due, zone)
            state = f"Expired at {due}" if expired else f"Due at {due}"
            self.setToolTip(
                richtext.tooltip(
                    f"{self.timer.label}\n{state}; set by {self.timer.set_by.name} "
                    f"at {timefmt.clock(self.timer.set_at, zone)}"
                )
            )
            self.setAccessibleName(f"Timer {self.timer.label}: {state.lower()}")
        return expired


class TimersStrip(QWidget):
    timer_expired = Signal(str, str)  # incident id, timer id: it fell due while this console showed it
    _fell_due = Signal(str, str)

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.incident_id: str | None = None
        self.setStyleSheet(_STYLE)
        self.chips: dict[str, TimerChip] = {}
        self._announced: set[str] = set()  # timers whose expiry this console has announced
        # Announced from the event loop's next turn, never from inside a tick that a refresh started:
        # whoever hears it writes events, and the chips (and other panels) are remade from them.
        self._fell_due.connect(self.timer_expired, Qt.ConnectionType.QueuedConnection)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        caption = QLabel("Timers", self)
        caption.setObjectName("Faint")
        self._layout.addWidget(caption)
        self._layout.addStretch(1)
        self.hide()

    def show_state(self, state: IncidentState | None) -> None:
        """Make the chips match the incident's timers; chips whose timer did not change are kept."""
        self.incident_id = state.id if state else None
        wanted = {t.id: t for t in state.shown_timers()} if state else {}
        for timer_id in [t for t in self.chips if t not in wanted or self.chips[t].timer != wanted[t]]:
            gone = self.chips.pop(timer_id)
            self._layout.removeWidget(gone)
            gone.deleteLater()
        for position, timer in enumerate(wanted.values()):
            chip = self.chips.get(timer.id)
            if chip is None:
                chip = self.chips[timer.id] = TimerChip(timer, self)
                chip.cancel_action.triggered.connect(partial(self._cancel, timer.id))
                chip.snooze_action.triggered.connect(partial(self._snooze, timer.id))
            else:
                self._layout.removeWidget(chip)
            self._layout.insertWidget(position + 1, chip)  # after the caption, soonest first
        self.setVisible(bool(self.chips))
        self.tick(self.console.now())

    def tick(self, now: datetime) -> None:
        """Once a second, from the header's tick: only the chips' texts change."""
        for timer_id, chip in self.chips.items():
            if chip.show_time(now, self.console.zone) and timer_id not in self._announced:
                self._announced.add(timer_id)
                self._fell_due.emit(self.incident_id, timer_id)

    def _cancel(self, timer_id: str) -> None:
        if self.incident_id is not None:
            incident_id = self.incident_id
            attempt(
                lambda: timers.cancel_timer(self.console, incident_id, timer_id),
                parent=self,
                title="Could not cancel the timer",
            )

    def _snooze(self, timer_id: str) -> None:
        if self.incident_id is not None:
            incident_id = self.incident_id
            attempt(
                lambda: timers.snooze_timer(self.console, incident_id, timer_id, SNOOZE_MINUTES),
                parent=self,
                title="Could not snooze the timer",
            )
