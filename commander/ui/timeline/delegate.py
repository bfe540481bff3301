"""Paints the timeline's cells: time, who, and the entry (category bar, pin mark, text, markers).

The timeline is a QTableView: on an insert it only grows its row header, in C++. A tree or a list
view lays out every loaded row again and asks the model about each one (thousands of calls back
into Python per note), which does not fit in a frame once a timeline is long.

Text is drawn with QPainter.drawText, which never interprets markup, so a note reading `<b>hi</b>`
shows exactly that. Markers (edited, backdated, deleted) are words, not colour alone.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QWidget

from commander.domain.timeline.entries import TimelineEntry
from commander.ui.kit.paint import Index, RowDelegate, RowFonts, elide
from commander.ui.kit.theme import DARK, Tones, mono_font
from commander.ui.timeline.model import TimelineModel

PIN = "★"
_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextSingleLine


class TimelineDelegate(RowDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tones: Tones = DARK
        self.time_font = mono_font()
        self.time_width = 0
        self.who_width = 0
        self.set_widths(QApplication.font())

    def set_widths(self, font: QFont) -> None:
        """Column widths from font metrics, so they hold at any font size or screen scale."""
        gap = QFontMetrics(font).horizontalAdvance("xx")
        self.time_width = QFontMetrics(self.time_font).horizontalAdvance("00 Mmm 00:00") + gap
        self.who_width = QFontMetrics(font).horizontalAdvance("x") * 14 + gap

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        # Every row is one line high, entry or not: asked for each row, so it asks the model nothing.
        metrics = self.fonts(option.font).metrics
        return QSize(metrics.horizontalAdvance("x") * 60, int(metrics.height() * 1.75))

    def row(self, index: Index) -> TimelineEntry | None:
        entry = index.data(TimelineModel.EntryRole)
        return entry if isinstance(entry, TimelineEntry) and isinstance(index.model(), TimelineModel) else None

    def paint_row(self, painter: QPainter, rect: QRect, entry: TimelineEntry, fonts: RowFonts, index: Index) -> None:
        t = self.tones
        pad = fonts.metrics.horizontalAdvance("x")
        column = index.column()
        if column == TimelineModel.TIME:
            model = index.model()
            assert isinstance(model, TimelineModel)  # row() paints only the timeline's rows
            painter.setFont(self.time_font)
            painter.setPen(t.colour("muted"))
            painter.drawText(rect.adjusted(pad, 0, 0, 0), _LEFT, model.time_text(entry))
        elif column == TimelineModel.WHO:
            painter.setPen(t.colour("muted"))
            room = rect.adjusted(0, 0, -pad, 0)
            painter.drawText(room, _LEFT, elide(fonts.metrics, entry.author, room.width()))
        else:
            self._paint_entry(painter, fonts, entry, rect)

    def _paint_entry(self, painter: QPainter, fonts: RowFonts, entry: TimelineEntry, rect: QRect) -> None:
        t = self.tones
        pad = fonts.metrics.horizontalAdvance("x")
        x = rect.left()
        bar = t.category(entry.category)
        if bar is not None:  # notes, the common case, carry no bar: system entries stand apart quietly
            quarter = rect.height() // 4
            painter.fillRect(
                QRect(x, rect.top() + quarter, max(2, rect.height() // 8), rect.height() - 2 * quarter), bar
            )
        x += pad
        if entry.pinned:
            painter.setPen(t.colour("pin"))
            painter.drawText(QRect(x, rect.top(), rect.width(), rect.height()), _LEFT, PIN)
        x += fonts.metrics.horizontalAdvance(PIN + " ")
        self._paint_text(painter, fonts, entry, QRect(x, rect.top(), rect.right() - x - pad, rect.height()))

    def _paint_text(self, painter: QPainter, fonts: RowFonts, entry: TimelineEntry, room: QRect) -> None:
        t = self.tones
        markers = self.markers(entry)
        gap = fonts.metrics.horizontalAdvance("  ")
        marker_width = fonts.small_metrics.horizontalAdvance(markers) + gap if markers else 0
        font, metrics = (fonts.struck, fonts.struck_metrics) if entry.deleted_by else (fonts.base, fonts.metrics)
        painter.setFont(font)
        if entry.deleted_by:
            painter.setPen(t.colour("faint"))
        elif entry.category == "note":
            painter.setPen(t.colour("text"))
        else:
            painter.setPen(t.colour("muted"))
        text = entry.text if "\n" not in entry.text else entry.text.replace("\n", " ⏎ ")
        shown = elide(metrics, text, room.width() - marker_width)
        painter.drawText(room, _LEFT, shown)
        if markers:
            used = metrics.horizontalAdvance(shown)
            painter.setFont(fonts.small)
            painter.setPen(t.colour("faint"))
            painter.drawText(QRect(room.left() + used + gap, room.top(), marker_width, room.height()), _LEFT, markers)

    @staticmethod
    def markers(entry: TimelineEntry) -> str:
        words = []
        if entry.backdated:
            words.append("backdated")
        if entry.deleted_by:
            words.append(f"deleted by {entry.deleted_by}")
        elif entry.edited_by:
            words.append("(edited)")
        return " · ".join(words)
