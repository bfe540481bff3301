"""UI test fixtures: a real console on a temporary SQLite store, and the main window over it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app import roles, timeline
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.ui.shell.main_window import MainWindow
from commander.ui.shell.settings import UiSettings

# The headless "offscreen" platform warns whenever a top-level window with a layout is shown (it
# cannot pass size hints to a window system it does not have). That is the test platform's limit,
# not something our code does, so only that one message is ignored; every other Qt warning fails.
OFFSCREEN_SIZE_HINTS = r"This plugin does not support propagateSizeHints\(\)"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS))


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    made = build_console(f"sqlite:///{tmp_path}/c.db")
    yield made
    made.close()


@pytest.fixture
def settings(tmp_path: Path) -> UiSettings:
    return UiSettings(tmp_path / "ui.ini")


@pytest.fixture
def incident(console: Console) -> str:
    """An open SEV2 with a few entries; returns its id."""
    state = app_incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s",
            severity="SEV2",
            services=("checkout, payments",),
            summary="EU checkout failing",
            detected_at=console.now() - timedelta(minutes=20),
        ),
    )
    timeline.add_note(console, state.id, "PagerDuty alert fired")
    roles.assign(console, state.id, "TL", "Sam")
    return state.id


@pytest.fixture
def window(qtbot: QtBot, console: Console, settings: UiSettings) -> MainWindow:
    made = MainWindow(console, settings)
    qtbot.addWidget(made)
    made.resize(1280, 800)
    made.show()
    qtbot.waitExposed(made)
    return made
