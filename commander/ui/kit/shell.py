"""What a view may ask of the window it lives in, and how windows and menu entries register themselves.

Views depend on `Shell`, a narrow protocol, never on the main window's class: the console, the bridge,
the incident on screen, "show this incident", "show this tab". The main window implements it.

Each feature package registers its menu entries in its `__init__.py` (as Picard's option pages do):

    register(Entry("Incident", "Run&books…", "commander.ui.runbooks.library:open_runbook_library",
                   shortcut="Ctrl+Shift+B", order=110))

The opener is named, not imported, so start-up imports no window it does not show; the menu bar is built
from `entries()`, which imports every package under `commander.ui` once to collect them. The shell's own
items share the same orders (commander.ui.shell.menus): File has Declare 10, Export 20, Shared store 40,
Quit 90; Incident has Severity 10 ... Add role 50, then the features' windows from 101; View ends with
Trends at 200. Neighbours more than 10 apart are separated.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from commander.app.console import Console
    from commander.ui.kit.bridge import ConsoleBridge
    from commander.ui.kit.theme import Tones

W = TypeVar("W", bound=QWidget)
MENUS = ("File", "Incident", "View", "Help")


class Shell(Protocol):
    """The window a view lives in, as far as the view needs to know it."""

    console: Console
    bridge: ConsoleBridge  # events appended, the store's trouble, and the incident on screen changing
    tones: Tones  # the theme's colours, for what paints itself

    @property
    def current(self) -> str | None:
        """The id of the incident on screen, if any."""
        ...

    def window(self) -> QWidget:
        """The top-level widget: the parent of the windows and dialogs a view opens."""
        ...

    def select_incident(self, incident_id: str | None) -> None:
        """Show this incident."""
        ...

    def show_tab(self, name: str) -> None:
        """Bring a tab of the incident pane to the front: "checklists", "pages", "details"; "notes" puts
        the cursor in the note box (where an IC types next, after declaring)."""
        ...


@dataclass(frozen=True)
class Entry:
    """A menu entry that opens something: `opener` is "module:function", a function of the Shell."""

    menu: str  # one of MENUS
    text: str  # with its & mnemonic
    opener: str
    shortcut: str = ""
    needs_incident: bool = False  # disabled while no incident is on screen
    order: int = 100  # place in its menu; a gap of more than 10 between neighbours starts a new group

    def open(self, shell: Shell, **options: object) -> object:
        """Call the opener with the shell (and `options`, for openers that take some, as the page dialog's person)."""
        module, function = self.opener.split(":")
        opened: object = getattr(importlib.import_module(module), function)(shell, **options)
        return opened


_ENTRIES: dict[str, Entry] = {}
_collected = False


def register(*entries: Entry) -> None:
    for entry in entries:
        if entry.menu not in MENUS:
            raise ValueError(f"{entry.text}: no menu {entry.menu!r} (menus: {', '.join(MENUS)})")
        _ENTRIES[f"{entry.menu}/{entry.text}"] = entry


def entries() -> list[Entry]:
    """Every registered entry, by menu and order; the feature packages are imported the first time."""
    global _collected
    if not _collected:
        import commander.ui

        for found in pkgutil.iter_modules(commander.ui.__path__, "commander.ui."):
            if found.ispkg:
                importlib.import_module(found.name)
        _collected = True
    return sorted(_ENTRIES.values(), key=lambda entry: (MENUS.index(entry.menu), entry.order, entry.text))


def entry(opener: str) -> Entry:
    """The registered entry with this opener: for a button that does what a menu entry does."""
    found = next((made for made in entries() if made.opener == opener), None)
    if found is None:
        raise LookupError(f"No menu entry opens {opener!r}; its package registers it in its __init__.py.")
    return found


def open_once(shell: Shell, kind: type[W], make: Callable[[], W]) -> tuple[W, bool]:
    """The shell's one window of `kind`, made on first use and raised after; True when just made."""
    found = shell.window().findChild(kind)
    made = found is None
    if found is None:
        found = make()
    found.show()
    found.raise_()
    found.activateWindow()
    return found, made
