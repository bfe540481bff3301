"""Where the panels sit: the incident list on the left; on the right the header over the timeline and
note box, beside the roles and the tabs of what an incident collects; an empty state when no incident
is shown, and a notice while a long incident opens."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from commander.ui.kit.widgets import OpeningNotice

EMPTY_HINT = "No incident is selected. The list on the left shows open incidents and, under History, resolved ones."


@dataclass(frozen=True)
class Panels:
    """The panels the window shows, made by the window before they are placed."""

    incidents: QWidget
    header: QWidget
    timeline: QWidget
    note_box: QWidget
    roles: QWidget
    checklists: QWidget
    details: QWidget
    pages: QWidget
    automation: QWidget | None = None  # the workflow actions run for the incident


@dataclass(frozen=True)
class Layout:
    """What the window keeps of its layout: the splitters it remembers and the stack it switches."""

    split: QSplitter  # the incident list | everything else
    work: QSplitter  # timeline and note box | roles and tabs
    right_tabs: QTabWidget
    right_column: QWidget
    stack: QStackedWidget  # the empty state, the incident pane, the opening notice
    empty: QWidget
    pane: QWidget
    opening: OpeningNotice


def assemble(
    window: QMainWindow, panels: Panels, *, declare: Callable[[], object], opened: Callable[[], None]
) -> Layout:
    """Place the panels in `window`. `declare` is the empty state's button; `opened` is called once the
    opening notice has been painted."""
    right_tabs, right = _right_column(window, panels)
    work = QSplitter(Qt.Orientation.Horizontal, window)
    work.addWidget(_column(window, panels.timeline, panels.note_box, stretch_first=True))
    work.addWidget(right)
    work.setStretchFactor(0, 1)
    work.setStretchFactor(1, 0)
    right.setMinimumWidth(window.fontMetrics().horizontalAdvance("x") * 48)
    work.setChildrenCollapsible(False)

    pane = _column(window, panels.header, work, stretch_first=False)
    empty = _empty_state(window, declare)
    opening = OpeningNotice(window, opened)
    stack = QStackedWidget(window)
    stack.addWidget(empty)
    stack.addWidget(pane)
    stack.addWidget(opening)

    split = QSplitter(Qt.Orientation.Horizontal, window)
    split.addWidget(panels.incidents)
    split.addWidget(stack)
    split.setStretchFactor(0, 0)
    split.setStretchFactor(1, 1)
    split.setChildrenCollapsible(False)
    window.setCentralWidget(split)
    em = window.fontMetrics().horizontalAdvance("x")
    split.setSizes([em * 44, em * 200])
    work.setSizes([em * 140, em * 54])
    return Layout(split, work, right_tabs, right, stack, empty, pane, opening)


def _column(window: QWidget, first: QWidget, second: QWidget, *, stretch_first: bool) -> QWidget:
    column = QWidget(window)
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(first, 1 if stretch_first else 0)
    layout.addWidget(second, 0 if stretch_first else 1)
    return column


def _right_column(window: QWidget, panels: Panels) -> tuple[QTabWidget, QWidget]:
    right = QWidget(window)
    right.setObjectName("RightColumn")
    layout = QVBoxLayout(right)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(panels.roles)
    # Below the roles, the tabs of what an incident collects: checklists first, the details beside.
    tabs = QTabWidget(right)
    tabs.setObjectName("RightTabs")
    tabs.setDocumentMode(True)
    tabs.addTab(panels.checklists, "Checklists")
    tabs.addTab(panels.details, "Details")
    tabs.addTab(panels.pages, "Pages")  # shown while the incident has pages
    if panels.automation is not None:
        tabs.addTab(panels.automation, "Automation")  # shown while the incident has workflow runs
    layout.addWidget(tabs, 1)
    return tabs, right


def _empty_state(window: QWidget, declare: Callable[[], object]) -> QWidget:
    empty = QWidget(window)
    hint = QLabel(EMPTY_HINT, empty)
    hint.setObjectName("EmptyState")
    hint.setWordWrap(True)
    hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
    button = QPushButton("Declare an incident…  (Ctrl+N)", empty)
    button.setObjectName("Primary")
    button.clicked.connect(declare)
    layout = QVBoxLayout(empty)
    layout.addStretch(1)
    layout.addWidget(hint)
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
    layout.addStretch(1)
    return empty
