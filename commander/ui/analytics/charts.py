"""Small charts painted with QPainter: bars (stacked or side by side, upright or lying down) and lines.

QtCharts is not part of PySide6-Essentials (it ships in PySide6-Addons, a much larger download), and the
few shapes the Trends window needs take a page of painting. Every series has a legend entry with its name
and every value a tooltip, so colour never carries the meaning alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from commander.ui.kit import richtext
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
        self._bands: list[QRectF] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAccessibleName(title)

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
        has_values = any(v for s in self.series for v in s.values)
        self.message = "" if has_values else empty or "Nothing to show for these filters."
        self.update()

    def set_message(self, text: str) -> None:
        """Show a line instead of the chart (while the figures are being worked out)."""
        self.categories, self.series, self.message = [], [], text
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
        title = QFontMetrics(title_font).elidedText(self.title, Qt.TextElideMode.ElideRight, int(area.width()))
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
        painter.setPen(QColor(self.tones.text))
        thickness = max(3.0, min(band * 0.68, 20))
        shapes: list[list[QRectF]] = [[] for _ in self.series]
        for i, label in enumerate(self.labels):
            middle = plot.top() + i * band + band / 2
            shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, int(left - 8))
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

    # -- hovering ----------------------------------------------------------------------------------

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        point = event.position()
        index = next((i for i, band in enumerate(self._bands) if band.contains(point)), None)
        if index is None or index >= len(self.categories) or self.message:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), richtext.tooltip(self.describe(index)), self)

    def describe(self, index: int) -> str:
        """What the tooltip says about one category: each series' value, and the total when stacked."""
        lines = [self.categories[index]]
        for s in self.series:
            value = s.values[index]
            lines.append(f"{s.name}: {'—' if value is None else self.value_text(value)}")
        if self.kind == "stacked" and len(self.series) > 1:
            lines.append(f"Total: {self.value_text(sum(s.values[index] or 0 for s in self.series))}")
        return "\n".join(lines)
