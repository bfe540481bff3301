"""The hostile store and the window over it, for the walks in this folder."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import (
    QApplication,
)
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.ui.shell.main_window import MainWindow
from commander.ui.shell.settings import UiSettings
from tests.ui.kit.hostile import Defuser, Seeded, assert_safe_unshown, seed


@pytest.fixture
def seeded(console: Console) -> Seeded:
    return seed(console)


@pytest.fixture
def defuser(qapp: QApplication) -> Iterator[Defuser]:
    guard = Defuser()
    qapp.installEventFilter(guard)
    yield guard
    qapp.removeEventFilter(guard)


@pytest.fixture
def hostile_window(
    qtbot: QtBot, console: Console, settings: UiSettings, seeded: Seeded, defuser: Defuser
) -> Iterator[MainWindow]:
    made = MainWindow(console, settings)
    qtbot.addWidget(made)
    made.resize(1280, 800)
    made.select_incident(seeded.open_id)
    # Walked before it is first shown: an unescaped <img> would be read while laying out (and never finish).
    assert_safe_unshown(made)
    made.show()
    qtbot.waitExposed(made)
    yield made
