"""Small charts painted with QPainter: bars (stacked or side by side, upright or lying down) and lines.
Every series has a legend entry with its name, so colour never carries the meaning alone; the category
under the pointer (or chosen with the arrow keys) is shaded and its values shown; "Copy chart" (the
context menu, or Ctrl+C while the chart has focus) puts the picture on the clipboard.

Why painted here and not a plotting library (issue 13, measured 2026-12-07 on CPython 3.11, PySide6 6.11):
- pyqtgraph 0.14 would bring numpy and colorama: 18.8 MB of wheels (pyqtgraph 1.9 MB, numpy 16.9 MB),
  83 MB installed (numpy and its libraries 73 MB), about 70,000 lines of Python; importing it takes
  300 to 700 ms (numpy 100 to 210 ms of it) the first time Trends opens, against 20 to 35 ms for this
  module. Start-up itself would not change (menu windows are imported when opened). It draws no stacked
  bars and no category axis of its own, shows no values on hover without code of ours, and its look
  would have to be themed by hand; what a person would gain is pan and zoom, of little use on a dozen
  months.
- QtCharts ships in PySide6-Addons, a 175 MB wheel (6.11.3, Linux x86-64) beside the 6.11 Essentials.
- This module: 420 lines with hover values and copy as image, themed with the window, nothing to
  install. So the charts stay ours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QFocusEvent,
    QFontMetrics,
    QGuiApplication,
    QImage,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from commander.ui.kit import richtext
from commander.ui.kit.paint import elide
from commander.ui.kit.theme import DARK, Tones, scaled_font

Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    name: str
    colour: QColor
    values: tuple[float | None, ...]  # one per category; None: no value (a gap in a line)
    dashed: bool = False


def _plain(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def nice_step(span: float, ticks: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` gridlines up to `span`."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw))


class Chart(QWidget):
    """A titled chart. `kind`: "stacked" or "grouped" bars, or "line"; `horizontal` lays bars down (long
    category names, such as people, read better that way)."""

    PAD = 12
    data_painted = Signal()  # a paint drew values, not a message

    def __init__(
        self, title: str, parent: QWidget | None = None, *, kind: str = "stacked", horizontal: bool = False
    ) -> None:
        super().__init__(parent)
        self.title, self.kind, self.horizontal = title, kind, horizontal
        self.tones: Tones = DARK
        self.categories: list[str] = []
        self.labels: list[str] = []
        self.series: list[Series] = []
        self.value_text: Formatter = _plain
        self.axis_text: Formatter = _plain
        self.message = ""
        self.painted_data = False  # set once a paint has drawn values (benchmarks wait for it)
        self.hovered: int | None = None  # the category under the pointer, or chosen with the arrow keys
        self._bands: list[QRectF] = []
        self._copying = False  # painting the picture for the clipboard: no hover shading, no focus frame
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(title)
        copy = QAction("Copy chart", self)
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        copy.triggered.connect(self.copy_image)
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def sizeHint(self) -> QSize:
        return QSize(520, 300)

    def minimumSizeHint(self) -> QSize:
        return QSize(300, 200)

    def set_tones(self, tones: Tones) -> None:
        self.tones = tones
        self.update()

    def set_data(
        self,
        categories: Sequence[str],
        series: Sequence[Series],
        *,
        labels: Sequence[str] | None = None,
        value_text: Formatter = _plain,
        axis_text: Formatter | None = None,
        empty: str = "",
    ) -> None:
        """`labels`: shorter names for the axis (the tooltip shows the category); `empty`: what to say
        when there is nothing to draw."""
        self.categories, self.series = list(categories), list(series)
        self.labels = list(labels) if labels is not None else list(categories)
        self.value_text, self.axis_text = value_text, axis_text or value_text
        self.hovered = None
        has_values = any(v for s in self.series for v in s.values)
        self.message = "" if has_values else empty or "Nothing to show for these filters."
        self.update()

    def set_message(self, text: str) -> None:
        """Show a line instead of the chart (while the figures are being worked out)."""
        self.categories, self.series, self.message = [], [], text
        self.hovered = None
        self.update()

    # -- painting ----------------------------------------------------------------------------------
    # Shapes are drawn in batches (one drawRects, drawLines or drawPolyline a series). Fewer calls into Qt
    # is quicker, and it matters more here: with PySide6 6.12 on CPython 3.11, every call of a void method
    # takes a reference from None that it never gives back, and the process aborts once None has none left.

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        t = self.tones
        area = QRectF(self.rect()).adjusted(self.PAD, self.PAD - 2, -self.PAD, -self.PAD + 2)
        title_font = scaled_font(1.05, bold=True, base=self.font())
        painter.setFont(title_font)
        painter.setPen(QColor(t.text))
        title_height = QFontMetrics(title_font).height()
        title = elide(QFontMetrics(title_font), self.title, area.width())
        painter.drawText(
            QRectF(area.left(), area.top(), area.width(), title_height),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            title,
        )
        area.setTop(area.top() + title_height + 6)
        painter.setFont(self.font())
        if self.message or not self.categories:
            painter.setPen(QColor(t.muted))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            painter.end()
            return
        area.setTop(area.top() + self._legend(painter, area) + 8)
        if self.horizontal:
            self._horizontal_bars(painter, area)
        else:
            self._upright(painter, area)
        if self.hasFocus() and not self._copying:
            painter.setPen(QPen(QColor(self.tones.accent), 1, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        painter.end()
        self.painted_data = True
        self.data_painted.emit()

    def _legend(self, painter: QPainter, area: QRectF) -> float:
        metrics = QFontMetrics(self.font())
        x, y, line = area.left(), area.top(), metrics.height()
        places = []
        for s in self.series:
            needed = 14 + metrics.horizontalAdvance(s.name) + 16
            if x + needed > area.right() and x > area.left():
                x, y = area.left(), y + line + 2
            places.append((s, QRectF(x, y + (line - 10) / 2, 10, 10)))
            x += needed
        painter.setPen(QColor(self.tones.muted))
        for s, swatch in places:
            painter.drawText(QPointF(swatch.right() + 4, swatch.center().y() - line / 2 + metrics.ascent()), s.name)
        for s, swatch in places:
            if self.kind == "line":
                painter.setPen(self._line_pen(s))
                painter.drawPolyline(
                    QPolygonF(
                        [QPointF(swatch.left(), swatch.center().y()), QPointF(swatch.right(), swatch.center().y())]
                    )
                )
            else:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(s.colour)
                painter.drawRects([swatch])
        return y + line - area.top()

    def _line_pen(self, s: Series) -> QPen:
        return QPen(s.colour, 2.2, Qt.PenStyle.DashLine if s.dashed else Qt.PenStyle.SolidLine)

    def _top(self) -> float:
        if self.kind == "stacked":
            sums = [sum(s.values[i] or 0 for s in self.series) for i in range(len(self.categories))]
            highest = max(sums, default=0)
        else:
            highest = max((v for s in self.series for v in s.values if v is not None), default=0)
        step = nice_step(highest)
        return max(step, math.ceil(highest / step) * step)

    def _upright(self, painter: QPainter, area: QRectF) -> None:
        metrics = QFontMetrics(self.font())
        top = self._top()
        step = nice_step(top)
        ticks = [i * step for i in range(int(round(top / step)) + 1)]
        left = max(metrics.horizontalAdvance(self.axis_text(v)) for v in ticks) + 8
        plot = QRectF(
            area.left() + left,
            area.top() + metrics.height() / 2,
            area.width() - left,
            area.height() - metrics.height() * 1.6 - metrics.height() / 2,
        )
        heights = [plot.bottom() - value / top * plot.height() for value in ticks]
        painter.setPen(QPen(QColor(self.tones.border), 1))
        painter.drawLines([QLineF(plot.left(), y, plot.right(), y) for y in heights])
        painter.setPen(QColor(self.tones.muted))
        for value, y in zip(ticks, heights, strict=True):
            painter.drawText(
                QRectF(area.left(), y - metrics.height() / 2, left - 8, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.axis_text(value),
            )
        count = len(self.categories)
        band = plot.width() / count
        self._bands = [QRectF(plot.left() + i * band, plot.top(), band, plot.height()) for i in range(count)]
        widest = max(metrics.horizontalAdvance(label) for label in self.labels) + 10
        every = max(1, math.ceil(widest / band))
        for i, label in enumerate(self.labels):
            if i % every == 0:
                painter.drawText(
                    QRectF(self._bands[i].center().x() - widest, plot.bottom() + 4, widest * 2, metrics.height()),
                    Qt.AlignmentFlag.AlignHCenter,
                    label,
                )
        self._shade_hovered(painter)
        if self.kind == "line":
            self._lines(painter, plot, top)
        else:
            self._bars(painter, plot, top)

    def _bars(self, painter: QPainter, plot: QRectF, top: float) -> None:
        scale = plot.height() / top
        shapes: list[list[QRectF]] = [[] for _ in self.series]
        if self.kind == "stacked":
            width = max(2.0, min(self._bands[0].width() * 0.7, 48))
            for i, band in enumerate(self._bands):
                x, base = band.center().x() - width / 2, plot.bottom()
                for n, s in enumerate(self.series):
                    height = (s.values[i] or 0) * scale
                    if height > 0:
                        shapes[n].append(QRectF(x, base - height, width, height))
                        base -= height
        else:
            width = max(2.0, min(self._bands[0].width() * 0.8 / len(self.series), 28))
            for i, band in enumerate(self._bands):
                x = band.center().x() - width * len(self.series) / 2
                for n, s in enumerate(self.series):
                    height = (s.values[i] or 0) * scale
                    if height > 0:
                        shapes[n].append(QRectF(x + 0.5, plot.bottom() - height, width - 1, height))
                    x += width
        painter.setPen(Qt.PenStyle.NoPen)
        for s, rects in zip(self.series, shapes, strict=True):
            if rects:
                painter.setBrush(s.colour)
                painter.drawRects(rects)

    def _lines(self, painter: QPainter, plot: QRectF, top: float) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for s in self.series:
            runs: list[list[QPointF]] = [[]]
            for i, band in enumerate(self._bands):
                value = s.values[i]
                if value is None:
                    runs.append([])
                else:
                    runs[-1].append(QPointF(band.center().x(), plot.bottom() - value / top * plot.height()))
            painter.setPen(self._line_pen(s))
            for run in runs:
                if len(run) > 1:
                    painter.drawPolyline(QPolygonF(run))
            points = [point for run in runs for point in run]
            if len(self._bands) <= 36 or any(len(run) == 1 for run in runs):  # dots while they stay apart
                painter.setPen(QPen(s.colour, 6, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
                painter.drawPoints(QPolygonF(points))

    def _horizontal_bars(self, painter: QPainter, area: QRectF) -> None:
        metrics = QFontMetrics(self.font())
        top = self._top()
        step = nice_step(top)
        left = min(160, max(metrics.horizontalAdvance(label) for label in self.labels) + 16)
        right = metrics.horizontalAdvance(self.axis_text(top)) / 2 + 4  # room for the last tick's label
        plot = QRectF(area.left() + left, area.top(), area.width() - left - right, area.height() - metrics.height() - 6)
        band = plot.height() / len(self.categories)
        self._bands = [
            QRectF(area.left(), plot.top() + i * band, area.width(), band) for i in range(len(self.categories))
        ]
        ticks = [i * step for i in range(int(round(top / step)) + 1)]
        places = [plot.left() + value / top * plot.width() for value in ticks]
        painter.setPen(QPen(QColor(self.tones.border), 1))
        painter.drawLines([QLineF(x, plot.top(), x, plot.bottom()) for x in places])
        painter.setPen(QColor(self.tones.muted))
        for value, x in zip(ticks, places, strict=True):
            painter.drawText(
                QRectF(x - 40, plot.bottom() + 4, 80, metrics.height()),
                Qt.AlignmentFlag.AlignHCenter,
                self.axis_text(value),
            )
        self._shade_hovered(painter)
        painter.setPen(QColor(self.tones.text))
        thickness = max(3.0, min(band * 0.68, 20))
        shapes: list[list[QRectF]] = [[] for _ in self.series]
        for i, label in enumerate(self.labels):
            middle = plot.top() + i * band + band / 2
            shown = elide(metrics, label, left - 8)
            painter.drawText(
                QRectF(area.left(), middle - metrics.height() / 2, left - 8, metrics.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                shown,
            )
            x = plot.left()
            for n, s in enumerate(self.series):
                length = (s.values[i] or 0) / top * plot.width()
                if length > 0:
                    shapes[n].append(QRectF(x, middle - thickness / 2, length, thickness))
                    x += length
        painter.setPen(Qt.PenStyle.NoPen)
        for s, rects in zip(self.series, shapes, strict=True):
            if rects:
                painter.setBrush(s.colour)
                painter.drawRects(rects)

    def _shade_hovered(self, painter: QPainter) -> None:
        if self.hovered is not None and self.hovered < len(self._bands) and not self._copying:
            shade = QColor(self.tones.text)
            shade.setAlpha(22)
            painter.fillRect(self._bands[self.hovered], shade)

    # -- the value under the pointer ---------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = event.position()
        index = next((i for i, band in enumerate(self._bands) if band.contains(point)), None)
        self.hover(index, event.globalPosition().toPoint())

    def leaveEvent(self, event: QEvent) -> None:
        self.hover(None)
        super().leaveEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.hover(None)
        super().focusOutEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left and Right (Up and Down for bars lying down) walk the categories, as the pointer does."""
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1}.get(
            Qt.Key(event.key())
        )
        count = min(len(self._bands), len(self.categories))
        if step is None or not count or self.message:
            super().keyPressEvent(event)
            return
        start = self.hovered if self.hovered is not None else (-1 if step > 0 else count)
        index = max(0, min(count - 1, start + step))
        self.hover(index, self.mapToGlobal(self._bands[index].center().toPoint()))

    def hover(self, index: int | None, where: QPoint | None = None) -> None:
        """Shade category `index` and show its values beside `where` (None: nothing under the pointer)."""
        if index is not None and (index >= len(self.categories) or self.message):
            index = None
        if index != self.hovered:
            self.hovered = index
            self.update()
        if index is None or where is None:
            QToolTip.hideText()
            return
        QToolTip.showText(where, richtext.tooltip(self.describe(index)), self)

    def describe(self, index: int) -> str:
        """What the tooltip says about one category: each series' value, and the total when stacked."""
        lines = [self.categories[index]]
        for s in self.series:
            value = s.values[index]
            lines.append(f"{s.name}: {'—' if value is None else self.value_text(value)}")
        if self.kind == "stacked" and len(self.series) > 1:
            lines.append(f"Total: {self.value_text(sum(s.values[index] or 0 for s in self.series))}")
        return "\n".join(lines)

    # -- copying -----------------------------------------------------------------------------------

    def image(self) -> QImage:
        """The chart as on screen, without the shading of the category under the pointer or the focus frame."""
        self._copying = True
        try:
            return self.grab().toImage()
        finally:
            self._copying = False

    def copy_image(self) -> None:
        """Put the chart's picture on the clipboard, for a document, a slide or a chat."""
        QGuiApplication.clipboard().setImage(self.image())
