"""Starting the desktop console: `commander` and `commander gui` call `run`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEventLoop,
    QMessageLogContext,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from commander.app.console import Console
from commander.ui.shell.main_window import MainWindow
from commander.ui.shell.settings import THEMES, UiSettings


class NoDisplay(RuntimeError):
    """There is no screen to open a window on."""


def display_problem() -> str | None:
    """Why no window can open here, or None. On Linux with neither X11 nor Wayland, Qt would abort."""
    if (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    ):
        return (
            "There is no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
            "Run Commander on a desktop session, use the command line (`commander list`, `commander note` "
            "...), or render the window with `commander gui --screenshot out.png`."
        )
    return None


def application(*, offscreen: bool = False) -> QApplication:
    """The running QApplication, made if there is none yet (tests and embedders bring their own).

    `offscreen` (screenshots) renders without a screen. Otherwise, on Linux with neither X11 nor
    Wayland, Qt would abort the process; say what to do instead.
    """
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    if offscreen:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        qInstallMessageHandler(_quiet_offscreen)
    elif (problem := display_problem()) is not None:
        raise NoDisplay(problem)
    QCoreApplication.setOrganizationName("Commander")
    QCoreApplication.setApplicationName("Commander")
    return QApplication(sys.argv[:1])


def _quiet_offscreen(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    # The offscreen platform says this once per top-level window; it is not a problem of ours.
    if "does not support propagateSizeHints" in message:
        return
    sys.stderr.write(message + "\n")


def run(
    console: Console,
    *,
    screenshot: str | None = None,
    incident: str | None = None,
    theme: str | None = None,
    size: tuple[int, int] = (1440, 900),
    settings: UiSettings | None = None,
) -> int:
    """Show the console and run until it is closed; with `screenshot`, save a PNG and return at once.

    `incident` is a reference (or prefix) to show first; unknown ones raise DomainError with a message
    the command line prints. `theme` ('dark' or 'light') applies for this run without being saved.
    """
    if theme is not None and theme not in THEMES:
        raise ValueError(f"Unknown theme {theme!r}; use one of: {', '.join(THEMES)}.")
    app = application(offscreen=screenshot is not None)
    target = console.resolve(incident).id if incident else None
    window = MainWindow(console, settings or UiSettings(), theme_name=theme)
    if screenshot is not None or window.settings.state_bytes("geometry") is None:
        window.resize(*size)
    if target is not None:
        window.select_incident(target)
    if screenshot is None:
        window.show()
        # The window is up; get the writing side (SQLAlchemy) ready meanwhile, so the first note
        # someone types does not wait for it.
        QTimer.singleShot(0, console.warm_up)
        return app.exec()
    window.remember_state = False
    try:
        save_screenshot(window, Path(screenshot))
    finally:
        window.close()
        window.deleteLater()
    return 0


def save_screenshot(window: MainWindow, path: Path) -> None:
    """Lay the window out without putting it on screen, render it, and write a PNG."""
    window.finish_opening()  # a long incident waiting for the first paint: open it now, it is the picture
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.show()
    # Two passes: the first lays out and polishes, the second settles sizes that depend on the first.
    for _ in range(2):
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        QCoreApplication.sendPostedEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"Could not write the screenshot to {path}. Check that the folder is writable.")
