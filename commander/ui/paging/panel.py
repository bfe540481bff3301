"""The incident's pages: who was paged through what, at which level, and where each stands (sent, delivered,
failed, escalated, acknowledged, resolved), with the countdown to the next escalation and a button to record
that someone answered. Drawn from the incident's state alone: every console shows the same.

Rows are rebuilt only when a page changes; each second only the countdowns move.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.domain.incident.state import IncidentState
from commander.domain.paging.pages import Page, counting_down
from commander.ui.kit import richtext
from commander.ui.kit.problems import KNOWN
from commander.ui.updates.timers_strip import countdown


class PagesPanel(QWidget):
    page_requested = Signal()  # "Page…": open the page dialog for this incident

    PERSON, PAGER, STATE, ACTION = range(4)

    def __init__(self, console: Console, parent: QWidget | None = None, *, with_page_button: bool = True) -> None:
        super().__init__(parent)
        self.console = console
        self.incident_id: str | None = None
        self.state: IncidentState | None = None
        self._shown: tuple[object, ...] = ()
        self._next_level: dict[str, int] = {}  # run id: the level its next step pages (1-based)
        self.countdown = QLabel(self)
        self.countdown.setObjectName("WarningText")
        self.countdown.setTextFormat(Qt.TextFormat.PlainText)
        self.countdown.setWordWrap(True)
        self.countdown.hide()
        self.empty = QLabel("Nobody has been paged for this incident.", self)
        self.empty.setObjectName("Muted")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("PagesTree")
        self.tree.setAccessibleName("Pages")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setHeaderLabels(["Person", "Pager", "State", ""])
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column in (self.PERSON, self.PAGER):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.ACTION, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(self.STATE, QHeaderView.ResizeMode.Stretch)
        self.page_button = QPushButton("Page…", self)
        self.page_button.setToolTip("Page the on-call for a service, or a person (Ctrl+Shift+G)")
        self.page_button.clicked.connect(self.page_requested.emit)
        self.page_button.setVisible(with_page_button)
        self.resolve_button = QPushButton("Resolve pages", self)
        self.resolve_button.setToolTip("Resolve every open page (PagerDuty's alerts too); escalation stops")
        self.resolve_button.clicked.connect(self.resolve)
        buttons = QHBoxLayout()
        buttons.addWidget(self.page_button)
        buttons.addStretch(1)
        buttons.addWidget(self.resolve_button)
        layout = self.margins = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.countdown)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)
        self._show_rows([])

    def show_incident(self, incident_id: str | None, state: IncidentState | None) -> None:
        if incident_id != self.incident_id:
            self._shown = ()
        self.incident_id, self.state = incident_id, state
        pages = sorted(state.paging.pages.values(), key=lambda p: (p.sent_at, p.level, p.target)) if state else []
        shown = tuple((p.id, p.state, p.delivery, p.detail, p.problem) for p in pages)
        if shown != self._shown:
            self._shown = shown
            self._next_level = self._next_levels(state) if state else {}
            self._show_rows(pages)
        self._show_tab(bool(pages))
        self.tick(self.console.now())

    def _show_tab(self, shown: bool) -> None:
        """In the window's tabs, the Pages tab shows only while the incident has pages: no empty tab."""
        tabs = self.parentWidget()
        while tabs is not None and not isinstance(tabs, QTabWidget):
            tabs = tabs.parentWidget()
        if tabs is not None and tabs.indexOf(self) >= 0:
            tabs.setTabVisible(tabs.indexOf(self), shown)

    def refresh(self) -> None:
        if self.incident_id is not None:
            self.show_incident(self.incident_id, self.console.state(self.incident_id))

    def _show_rows(self, pages: list[Page]) -> None:
        self.tree.clear()
        for page in pages:
            item = QTreeWidgetItem([page.target, page.pager, _state(page), ""])
            item.setData(0, Qt.ItemDataRole.UserRole, page.id)
            item.setToolTip(self.STATE, richtext.tooltip(_details(page, self.console)))
            item.setToolTip(self.PERSON, richtext.tooltip(_whom(page)))
            self.tree.addTopLevelItem(item)
            if not page.resolved and not page.acknowledged_by:
                button = QPushButton("Acknowledge", self.tree)
                button.setToolTip(
                    richtext.tooltip(f"Record that {page.target} answered: escalation stops, and PagerDuty is told")
                )
                button.clicked.connect(lambda _checked=False, page_id=page.id: self.acknowledge(page_id))
                self.tree.setItemWidget(item, self.ACTION, button)
                # The column sizes to its text, not to a widget in it: made wide enough for the button.
                self.tree.header().resizeSection(self.ACTION, button.sizeHint().width() + 8)
        self.empty.setVisible(not pages)
        self.tree.setVisible(bool(pages))
        # One pager is the common case: its name on every row takes the room the state needs (it is in the tooltip).
        self.tree.setColumnHidden(self.PAGER, len({page.pager for page in pages}) < 2)
        self.resolve_button.setEnabled(bool(self.state and self.state.paging.open_pages()))

    def tick(self, now: datetime) -> None:
        """Move the countdowns: the line on top, and the state of each page waiting for an answer."""
        state = self.state
        waiting = counting_down(state) if state else []
        if not waiting:
            self.countdown.hide()
        else:
            run, due = min(waiting, key=lambda pair: pair[1])
            level = self._next_level.get(run.id)
            what = f"level {level}" if level else "the next level"
            self.countdown.setText(
                f"{run.service}: {what} is paged in {countdown(due - now)} unless someone acknowledges."
            )
            self.countdown.show()
        current = {page_id: (run, due) for run, due in waiting for page_id in run.current.pages}
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item is None:
                continue
            page_id = item.data(0, Qt.ItemDataRole.UserRole)
            page = state.paging.pages.get(page_id) if state else None
            if page is None:
                continue
            text = _state(page)
            if page_id in current and not page.acknowledged_by:
                run, due = current[page_id]
                level = self._next_level.get(run.id)
                text += f" · {'level ' + str(level) if level else 'next level'} in {countdown(due - now)}"
            item.setText(self.STATE, text)

    def _next_levels(self, state: IncidentState) -> dict[str, int]:
        """The level each escalating run pages next, from its policy (read when the rows change, not each second)."""
        waiting = counting_down(state)
        if not waiting:
            return {}
        from commander.app import oncall
        from commander.domain.paging import pages as paging

        levels: dict[str, int] = {}
        try:
            found = oncall.settings(self.console)
        except KNOWN:  # the store cannot be read now: the countdown names "the next level" until it can
            return levels
        for run, _due in waiting:
            try:
                upcoming, _after = paging.following(found.policy_for(run.service), run.current)
            except KNOWN:
                continue
            if upcoming is not None:
                levels[run.id] = upcoming.level + 1
        return levels

    def acknowledge(self, page_id: str) -> None:
        from commander.ui.paging.runner import runner_for

        if self.incident_id is not None and runner_for(self, self.console).acknowledge(self.incident_id, page_id):
            self.refresh()

    def resolve(self) -> None:
        from commander.ui.paging.runner import runner_for

        if self.incident_id is not None and runner_for(self, self.console).resolve(self.incident_id):
            self.refresh()


def _whom(page: Page) -> str:
    """ "Sam, paged through PagerDuty for payments (level 1, on call on Payments primary)"."""
    text = f"{page.target}, paged through {page.pager}"
    if page.service:
        repeat = f", repeat {page.round}" if page.round else ""
        where = f", on call on {page.via}" if page.via else ""
        text += f" for {page.service} (level {page.level + 1}{repeat}{where})"
    return text


def _state(page: Page) -> str:
    text = page.state
    if page.delivery == "failed":
        text += f": {page.detail}"
    if page.problem:
        text += " (the pager was not told: see the tooltip)"
    return text


def _details(page: Page, console: Console) -> str:
    lines = [
        f"Paged {console.time_format(page.sent_at)} by {page.sent_by}"
        + (f" for {page.service}" if page.service else "")
    ]
    if page.detail:
        lines.append(page.detail)
    if page.acknowledged_by and page.acknowledged_at is not None:
        lines.append(f"Acknowledged by {page.acknowledged_by} at {console.time_format(page.acknowledged_at)}")
    if page.problem:
        lines.append(page.problem)
    return "\n".join(lines)
