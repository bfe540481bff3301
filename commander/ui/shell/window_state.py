"""Remembering the window between runs: its size and place, where the splitters stand, and whether the
incident history is shown."""

from __future__ import annotations

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QAbstractButton, QMainWindow, QSplitter

from commander.ui.shell.settings import UiSettings


def restore(
    settings: UiSettings, window: QMainWindow, split: QSplitter, work: QSplitter, history: QAbstractButton
) -> None:
    for key, put_back in (
        ("geometry", window.restoreGeometry),
        ("split", split.restoreState),
        ("work", work.restoreState),
    ):
        saved = settings.state_bytes(key)
        if saved is not None:
            put_back(saved)
    history.setChecked(settings.state_flag("show_history"))


def save(
    settings: UiSettings, window: QMainWindow, split: QSplitter, work: QSplitter, history: QAbstractButton
) -> None:
    for key, value in (
        ("geometry", window.saveGeometry()),
        ("split", split.saveState()),
        ("work", work.saveState()),
    ):
        if isinstance(value, QByteArray):
            settings.set_state_bytes(key, value)
    settings.set_state_flag("show_history", history.isChecked())
    settings.sync()
