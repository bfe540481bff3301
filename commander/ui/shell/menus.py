"""The window's menus: File, Incident, View, Help, built from the shell's own actions and the entries the
feature packages register (commander.ui.kit.shell), and Ctrl+Z for undoing a deletion.

Both kinds carry an `order` within their menu; where neighbours are more than 10 apart a separator
starts a new group. Entries that need an incident are disabled while none is on screen.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from commander.ui.kit.shell import MENUS, Entry, Shell, entries, entry

MENU_TITLES = {"File": "&File", "Incident": "&Incident", "View": "&View", "Help": "&Help"}
GROUP_GAP = 10  # neighbours further apart than this are separated
DARK_THEME = "&Dark theme"
SHOW_HISTORY = "Show &history"


@dataclass(frozen=True)
class ShellAction:
    """One of the shell's own menu items. With `submenu`, it is a submenu of those items instead."""

    menu: str  # one of MENUS
    text: str  # with its & mnemonic
    order: int
    run: Callable[..., object] | None = None  # connected to `triggered` (a checkable one gets its state)
    shortcut: str | QKeySequence = ""
    needs_incident: bool = False
    checkable: bool = False
    submenu: tuple[ShellAction, ...] = ()


class WindowActions:
    """Builds the menu bar; keeps the actions the window turns on and off or reads back."""

    def __init__(self, window: QMainWindow, shell: Shell, own: Sequence[ShellAction]) -> None:
        self.window = window
        self.shell = shell
        self.need_incident: list[QAction] = []  # disabled while no incident is shown
        self.by_text: dict[str, QAction] = {}  # every menu item, by its text
        bar = window.menuBar()
        for name in MENUS:
            menu = bar.addMenu(MENU_TITLES[name])
            items: list[ShellAction | Entry] = [item for item in own if item.menu == name]
            items += [entry for entry in entries() if entry.menu == name]
            previous: int | None = None
            for item in sorted(items, key=lambda item: (item.order, item.text)):
                if previous is not None and item.order - previous > GROUP_GAP:
                    menu.addSeparator()
                previous = item.order
                self._place(menu, item)

    def _place(self, menu: QMenu, item: ShellAction | Entry) -> None:
        if isinstance(item, Entry):
            self.add(
                menu, item.text, lambda *_: item.open(self.shell), item.shortcut, needs_incident=item.needs_incident
            )
        elif item.submenu:
            sub = menu.addMenu(item.text)
            for inner in item.submenu:
                self._place(sub, inner)
        elif item.run is not None:
            self.add(
                menu, item.text, item.run, item.shortcut, needs_incident=item.needs_incident, checkable=item.checkable
            )

    def add_undo(self, undo: Callable[[], object]) -> None:
        """Not in a menu: Ctrl+Z means "undo the last note deletion" unless a text field has focus
        (text fields take Ctrl+Z for their own undo first)."""
        self.undo = QAction("Undo note deletion", self.window)
        self.undo.setShortcut(QKeySequence(QKeySequence.StandardKey.Undo))
        self.undo.triggered.connect(undo)
        self.window.addAction(self.undo)

    def set_incident_shown(self, shown: bool) -> None:
        for action in self.need_incident:
            action.setEnabled(shown)

    def add(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        shortcut: str | QKeySequence | None = None,
        *,
        needs_incident: bool = False,
        checkable: bool = False,
    ) -> QAction:
        action = QAction(text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        menu.addAction(action)
        if needs_incident:
            self.need_incident.append(action)
        self.by_text[text] = action
        return action

    def trigger(self, text: str) -> None:
        """Choose the menu item with this text, as a click would."""
        self.by_text[text].trigger()

    @property
    def dark(self) -> QAction:
        return self.by_text[DARK_THEME]

    @property
    def history(self) -> QAction:
        return self.by_text[SHOW_HISTORY]

    def open(self, opener: str, **options: object) -> Any:
        """Open what the registered entry with this opener opens, and return it."""
        return entry(opener).open(self.shell, **options)

    def open_page_dialog(self, person: str = "") -> Any:
        """Page the on-call for a service, or `person`, on the incident on screen (the roles and pages ask)."""
        return self.open("commander.ui.paging.page_dialog:open_page_dialog", person=person)

    # What these entries open, by name, for the tests of the features that still call them this way.

    def open_action_items(self) -> Any:
        return self.open("commander.ui.actions.view:open_action_items")

    def open_alerts(self) -> Any:
        return self.open("commander.ui.alerts.view:open_triage")

    def open_oncall(self) -> Any:
        return self.open("commander.ui.oncall.view:open_oncall")

    def open_postmortem(self) -> Any:
        return self.open("commander.ui.postmortem.opening:open_postmortem")

    def open_trackers(self) -> Any:
        return self.open("commander.ui.actions.trackers:open_trackers")

    def open_alert_sources(self) -> Any:
        return self.open("commander.ui.alerts.sources:open_alert_sources")
