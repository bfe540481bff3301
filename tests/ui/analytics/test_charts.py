"""The Trends charts: the value under the pointer (and under the arrow keys), and copy as image."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QToolTip
from pytestqt.qtbot import QtBot

from commander.ui.analytics.charts import Chart, Series
from commander.ui.kit.theme import DARK


def shown(qtbot: QtBot, *, kind: str = "stacked", horizontal: bool = False) -> Chart:
    chart = Chart("Incidents per month", kind=kind, horizontal=horizontal)
    chart.set_data(
        ["2026-10", "2026-11", "2026-12"],
        [
            Series("SEV1", DARK.colour("danger"), (1.0, 0.0, 2.0)),
            Series("SEV2", DARK.colour("accent"), (3.0, 1.0, None)),
        ],
        labels=["Oct 26", "Nov 26", "Dec 26"],
    )
    chart.resize(520, 300)
    qtbot.addWidget(chart)
    with qtbot.waitExposed(chart):
        chart.show()
    chart.grab()  # one paint lays the bands out
    return chart


# A tooltip raises its label, which the headless platform says it cannot do (nor pass on size hints).
SHOWS_TOOLTIPS = pytest.mark.qt_log_ignore(r"This plugin does not support (raise|propagateSizeHints)\(\)")


def centre(chart: Chart, index: int) -> QPoint:
    return chart._bands[index].center().toPoint()  # noqa: SLF001 - where the bar is painted


@SHOWS_TOOLTIPS
def test_the_bar_under_the_pointer_shows_its_month_and_values(qtbot: QtBot) -> None:
    chart = shown(qtbot)
    QTest.mouseMove(chart, centre(chart, 1))
    qtbot.waitUntil(lambda: chart.hovered == 1)
    qtbot.waitUntil(QToolTip.isVisible)
    assert "2026-11" in QToolTip.text() and "SEV1: 0" in QToolTip.text() and "Total: 1" in QToolTip.text()
    QTest.mouseMove(chart, centre(chart, 2))
    qtbot.waitUntil(lambda: chart.hovered == 2)
    assert "SEV2: —" in QToolTip.text()  # no value, said as such


@SHOWS_TOOLTIPS
def test_bars_lying_down_show_the_row_under_the_pointer(qtbot: QtBot) -> None:
    chart = shown(qtbot, horizontal=True)
    QTest.mouseMove(chart, centre(chart, 0))
    qtbot.waitUntil(lambda: chart.hovered == 0)
    assert chart.describe(0).splitlines() == ["2026-10", "SEV1: 1", "SEV2: 3", "Total: 4"]


@SHOWS_TOOLTIPS
def test_the_arrow_keys_walk_the_categories_and_a_message_shows_nothing(qtbot: QtBot) -> None:
    chart = shown(qtbot, kind="line")
    chart.setFocus()
    QTest.keyClick(chart, Qt.Key.Key_Right)
    assert chart.hovered == 0
    QTest.keyClick(chart, Qt.Key.Key_Right)
    QTest.keyClick(chart, Qt.Key.Key_Right)
    QTest.keyClick(chart, Qt.Key.Key_Right)
    assert chart.hovered == 2  # stays on the last
    QTest.keyClick(chart, Qt.Key.Key_Left)
    assert chart.hovered == 1
    chart.set_message("Working out the figures…")
    QTest.keyClick(chart, Qt.Key.Key_Left)
    assert chart.hovered is None


def test_copy_puts_the_picture_of_the_chart_on_the_clipboard(qtbot: QtBot) -> None:
    chart = shown(qtbot)
    QGuiApplication.clipboard().clear()
    [copy] = [action for action in chart.actions() if action.text() == "Copy chart"]  # the context menu's
    copy.trigger()
    image = QGuiApplication.clipboard().image()
    assert not image.isNull() and image.deviceIndependentSize().toSize() == chart.size()
    assert image.convertToFormat(QImage.Format.Format_RGB32) == chart.image().convertToFormat(
        QImage.Format.Format_RGB32
    )
    QGuiApplication.clipboard().clear()
    chart.setFocus()
    QTest.keyClick(chart, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().image().size() == image.size()
