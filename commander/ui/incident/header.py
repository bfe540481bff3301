"""The header: what an Incident Commander must never have to look for.

Severity (label on colour), reference, title, status, the incident clock ticking once a second, how
long the incident has been at this severity, the custom timers, the incident's chat channels and meeting
bridge as links, and the buttons for the changes made from here.

A channel's name and a bridge's address come from outside (a chat service, a peer's rows): each is escaped
into the links label, only an http(s) address becomes a link, and a click opens it in the browser after
checking it again (`open_link`).
"""

from __future__ import annotations

import html
from datetime import datetime
from functools import partial

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from commander.app.console import Console
from commander.domain.core.when import format_clock, format_duration
from commander.domain.incident.state import IncidentState, Status
from commander.domain.updates import timers
from commander.ui.incident.dialogs import STATUS_VERBS
from commander.ui.kit import richtext, timefmt
from commander.ui.kit.theme import mono_font, scaled_font
from commander.ui.kit.widgets import ElidedLabel, SeverityBadge
from commander.ui.timeline.export import FORMATS
from commander.ui.updates.timers_strip import TimersStrip


class HeaderPanel(QWidget):
    severity_requested = Signal(str)
    status_requested = Signal(str)  # a Status value, or "reopen"
    milestones_requested = Signal()
    details_requested = Signal()
    export_requested = Signal(str)  # markdown | json | csv
    update_sent_requested = Signal()
    send_requested = Signal()
    snooze_requested = Signal()
    timer_requested = Signal()
    update_overdue = Signal(str)  # incident id: the countdown just passed zero

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Header")
        self.console = console
        self.state: IncidentState | None = None

        self.drill = QLabel("DRILL — an exercise, not a real incident. Nothing is paged or published.", self)
        self.drill.setObjectName("DrillBanner")
        self.drill.setTextFormat(Qt.TextFormat.PlainText)
        self.badge = SeverityBadge(console.policy, self, scale=1.1)
        self.reference = richtext.plain(QLabel(self))
        self.reference.setObjectName("Muted")
        self.reference.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title = ElidedLabel("", self)
        self.title.setFont(scaled_font(1.3, bold=True))
        self.status = richtext.plain(QLabel(self))
        self.status.setObjectName("StatusPill")
        self.clock = QLabel("--:--:--", self)
        self.clock.setObjectName("IncidentClock")
        self.clock.setFont(mono_font(1.45))
        self.clock.setAccessibleName("Incident clock")
        self.clock_caption = QLabel(self)
        self.clock_caption.setObjectName("Faint")
        self.next_update = self._next_update_button()
        self._overdue_for: str | None = None  # the due time already announced, so it fires once
        self.meta = ElidedLabel("", self)
        self.meta.setObjectName("Muted")
        self.links = QLabel(self)  # the channels and the bridge: escaped names, http(s) links only
        self.links.setObjectName("IncidentLinks")
        self.links.setTextFormat(Qt.TextFormat.RichText)
        self.links.setOpenExternalLinks(False)
        self.links.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse)
        self.links.linkActivated.connect(open_link)
        self.links.setAccessibleName("Incident channels and bridge")
        self.links.setContentsMargins(8, 0, 12, 0)  # apart from the reference and the meta line beside it
        self.timers = TimersStrip(console, self)

        self.severity_button = self._menu_button("Severity", "Change the severity (Ctrl+Shift+S)")
        self.status_button = self._menu_button("Status", "Change the status (Ctrl+Shift+T)")
        self.milestones_button = self._button(
            "Milestones…", "Lifecycle times: view and backdate", self.milestones_requested.emit
        )
        self.details_button = self._button(
            "Details…", "Edit the title, services and impact summary", self.details_requested.emit
        )
        self.timer_button = self._button(
            "+ Timer",
            "Set a timer every console counts down, e.g. check the rollback in 10 minutes (Ctrl+T)",
            self.timer_requested.emit,
        )
        self.export_button = self._menu_button("Export", "Save the timeline as Markdown, JSON or CSV")
        export_menu = self.export_button.menu()
        for key, (extension, label) in FORMATS.items():
            action = export_menu.addAction(f"{label} (.{extension})…")
            action.triggered.connect(partial(self.export_requested.emit, key))

        self._lay_out()
        self.show_state(None)

    def _next_update_button(self) -> QToolButton:
        """The next stakeholder update: a countdown that turns red when overdue; its menu records an
        update sent (by hand or elsewhere) or snoozes the cadence with a reason."""
        button = QToolButton(self)
        button.setObjectName("NextUpdate")
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setAccessibleName("Next stakeholder update")
        button.setFont(mono_font(1.05))
        update_menu = QMenu(button)
        update_menu.addAction("Send an update…").triggered.connect(self.send_requested.emit)
        update_menu.addAction("Record an update sent…").triggered.connect(self.update_sent_requested.emit)
        update_menu.addAction("Snooze the next update…").triggered.connect(self.snooze_requested.emit)
        button.setMenu(update_menu)
        return button

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.title, 1)
        top.addWidget(self.status, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.next_update, 0, Qt.AlignmentFlag.AlignVCenter)
        clock_box = QVBoxLayout()
        clock_box.setSpacing(0)
        clock_box.addWidget(self.clock, 0, Qt.AlignmentFlag.AlignRight)
        clock_box.addWidget(self.clock_caption, 0, Qt.AlignmentFlag.AlignRight)
        top.addLayout(clock_box)
        second = QHBoxLayout()
        second.setSpacing(6)
        second.addWidget(self.reference)
        second.addWidget(self.links)
        second.addWidget(self.meta, 1)
        for button in (
            self.timer_button,
            self.severity_button,
            self.status_button,
            self.milestones_button,
            self.details_button,
            self.export_button,
        ):
            second.addWidget(button)
        body = QVBoxLayout()
        body.setContentsMargins(12, 8, 12, 8)
        body.setSpacing(4)
        body.addLayout(top)
        body.addLayout(second)
        body.addWidget(self.timers)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(self.drill)
        outer.addLayout(body)

    def _button(self, text: str, tip: str, slot: object) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.clicked.connect(slot)
        return button

    def _menu_button(self, text: str, tip: str) -> QToolButton:
        button = self._button(text, tip, lambda: None)
        menu = QMenu(button)
        menu.setToolTipsVisible(True)
        button.setMenu(menu)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        return button

    # -- showing -----------------------------------------------------------------------------

    def show_state(self, state: IncidentState | None) -> None:
        self.state = state
        self.timers.show_state(state)
        for button in (
            self.severity_button,
            self.status_button,
            self.milestones_button,
            self.details_button,
            self.export_button,
        ):
            button.setEnabled(state is not None)
        self.timer_button.setEnabled(state is not None and state.status is not Status.CLOSED)
        if state is None:
            self.drill.hide()
            self.badge.set_severity("")
            self.reference.setText("")
            self.title.set_full_text("No incident selected")
            self.status.hide()
            self.meta.set_full_text("Declare an incident with Ctrl+N, or pick one on the left.")
            self.clock.setText("--:--:--")
            self.clock_caption.setText("")
            self.next_update.hide()
            self._show_links(None)
            return
        self.drill.setVisible(state.drill)
        self.badge.set_severity(state.severity)
        self.reference.setText(state.reference)
        self.title.set_full_text(state.title)
        self.status.show()
        self.status.setText(state.status.value)
        self.status.setProperty("open", "true" if state.is_open else "false")
        self.status.style().polish(self.status)
        self._fill_severity_menu(state)
        self._fill_status_menu(state)
        self._show_links(state)
        self.tick(self.console.now())

    def _show_links(self, state: IncidentState | None) -> None:
        """The open channels and the latest bridge, as links; hidden when the incident has none."""
        parts: list[str] = []
        tips: list[str] = []
        for channel in state.channels.values() if state else ():
            if channel.archived:
                continue
            parts.append(_link(channel.url, f"#{_short(channel.name or channel.channel)}"))
            tips.append(f"Channel #{channel.name or channel.channel} in {channel.via}: {channel.url or 'no link'}")
        if state and state.bridges:
            bridge = state.bridges[-1]
            parts.append(_link(bridge.url, "Join bridge"))
            details = f" ({bridge.details})" if bridge.details else ""
            tips.append(f"Bridge on {bridge.via}: {bridge.url}{details}")
        markup = " &nbsp;·&nbsp; ".join(parts)
        if markup != self.links.text():
            self.links.setText(markup)
            self.links.setToolTip(richtext.tooltip("\n".join(tips)))
        self.links.setVisible(bool(parts))

    def _fill_severity_menu(self, state: IncidentState) -> None:
        menu = self.severity_button.menu()
        menu.clear()
        for level in self.console.policy.severities:
            action = menu.addAction(f"{level.key} — {level.name}")
            action.triggered.connect(partial(self.severity_requested.emit, level.key))
            action.setToolTip(richtext.tooltip(level.description))  # a team's policy file: text, not markup
            action.setStatusTip(level.description)  # the status bar draws its messages as plain text
            action.setEnabled(level.key != state.severity)

    def _fill_status_menu(self, state: IncidentState) -> None:
        menu = self.status_button.menu()
        menu.clear()
        choices = [s.value for s in Status if s != state.status]
        if not state.is_open:
            choices = ["reopen"] + [c for c in choices if not Status(c).is_open]
        for choice in choices:
            menu.addAction(STATUS_VERBS.get(choice, choice)).triggered.connect(
                partial(self.status_requested.emit, choice)
            )

    def tick(self, now: datetime) -> None:
        """Once a second: the clock and the time at this severity. Only two labels change."""
        state = self.state
        if state is None:
            return
        self.timers.tick(now)
        start = state.started_at()
        end = state.milestones.get("resolved") if not state.is_open else None
        if start is None:
            return
        self.clock.setText(format_clock((end or now) - start))
        self.clock_caption.setText("detected to resolved" if end else "since detected")
        self._tick_update(state, now)
        zone = self.console.zone
        parts = []
        severity = self.console.policy.find_severity(state.severity)
        if severity:
            parts.append(severity.name)
        if state.severity_history and state.is_open:
            parts.append(f"{state.severity} for {format_duration(now - state.severity_history[-1][1])}")
        parts.append(f"detected {timefmt.smart(start, zone, now)}")
        if state.declared_by:
            parts.append(f"declared by {state.declared_by.name}")
        if state.services:
            parts.append(", ".join(state.services))
        text = "  ·  ".join(parts)
        if text != self.meta.full_text():
            self.meta.set_full_text(text)

    def _tick_update(self, state: IncidentState, now: datetime) -> None:
        due = timers.next_update(state, self.console.policy, now)
        if due.due is None:
            self.next_update.hide()
            return
        self.next_update.show()
        left = due.due - now
        overdue = left.total_seconds() < 0
        if overdue:
            text = f"update overdue {format_clock(-left)}"
        else:
            text = f"next update in {format_clock(left)}" + (" (snoozed)" if due.snoozed else "")
        if self.next_update.text() != text:
            self.next_update.setText(text)
        if self.next_update.property("overdue") != overdue:
            self.next_update.setProperty("overdue", overdue)
            self.next_update.style().unpolish(self.next_update)
            self.next_update.style().polish(self.next_update)
            cadence = f"every {format_duration(due.cadence)}" if due.cadence else ""
            self.next_update.setToolTip(
                richtext.tooltip(
                    f"Stakeholder updates for {state.severity} go out {cadence}; "
                    f"due {timefmt.smart(due.due, self.console.zone, now)}."
                )
            )
        key = f"{state.id}:{due.due.isoformat()}"
        if overdue and self._overdue_for != key:
            self._overdue_for = key
            self.update_overdue.emit(state.id)

    def open_severity_menu(self) -> None:
        if self.severity_button.isEnabled():
            self.severity_button.showMenu()

    def open_status_menu(self) -> None:
        if self.status_button.isEnabled():
            self.status_button.showMenu()


def web_link(url: str) -> bool:
    """An address a click may open: http(s) with a host, nothing else (no file:, javascript:, app schemes)."""
    found = QUrl(url, QUrl.ParsingMode.StrictMode)
    return found.isValid() and found.scheme() in ("http", "https") and bool(found.host())


def _short(name: str, limit: int = 32) -> str:
    """A channel's name as the header shows it: the start of a long one (the tooltip has it whole)."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _link(url: str, text: str) -> str:
    if not web_link(url):
        return richtext.escape(text)
    return f'<a href="{html.escape(url, quote=True)}">{richtext.escape(text)}</a>'


def open_link(url: str) -> None:
    """Open a channel or a bridge in the browser, when it is a web address."""
    if web_link(url):
        QDesktopServices.openUrl(QUrl(url, QUrl.ParsingMode.StrictMode))
