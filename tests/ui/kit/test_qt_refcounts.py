"""PySide6 6.12.0 on Python 3.11 takes a reference to None on every call of a Qt method that returns
nothing and never gives it back; when None's count reaches zero, the process aborts ("Fatal Python error:
none_dealloc"), after minutes of an idle window or seconds of painting. pyproject.toml keeps PySide6
below 6.12; this test fails (or aborts) on a release with the leak, whatever the pin says."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject


def test_qt_calls_do_not_leak_references_to_none() -> None:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(2_000):  # far fewer than it takes to abort, enough to see the drain
        probe.setObjectName("probe")
    lost = before - sys.getrefcount(None)
    assert lost < 50, f"{lost} references to None lost in 2,000 Qt calls: this PySide6 release leaks them"
