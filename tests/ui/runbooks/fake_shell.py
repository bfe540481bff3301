"""A shell (commander.ui.kit.shell.Shell) without the main window, for the library's tests: the console,
its bridge and the dark tones; it shows the incident it is told to and remembers the tabs asked for."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.theme import DARK
from commander.ui.runbooks.library import RunbookLibrary


class FakeShell(QWidget):
    def __init__(self, console: Console, incident: str | None = None) -> None:
        super().__init__()
        self.console = console
        self.bridge = ConsoleBridge(console, self)
        self.tones = DARK
        self.current = incident
        self.tabs: list[str] = []  # the tabs asked for, in order

    def select_incident(self, incident_id: str | None) -> None:
        self.current = incident_id
        self.bridge.incident_shown.emit(incident_id)

    def show_tab(self, name: str) -> None:
        self.tabs.append(name)


def shown_library(
    qtbot: QtBot, console: Console, incident: str | None = None, size: tuple[int, int] = (1300, 800)
) -> RunbookLibrary:
    """A library window in a fake shell, shown at `size`."""
    shell = FakeShell(console, incident)
    qtbot.addWidget(shell, before_close_func=lambda _shell: shell.bridge.close())
    library = RunbookLibrary(shell, shell)
    library.resize(*size)
    library.show()
    qtbot.waitExposed(library)
    return library
