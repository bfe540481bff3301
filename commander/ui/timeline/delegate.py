"""Paints the timeline's cells: time, who, and the entry (category bar, pin mark, text, markers).

The timeline is a QTableView: on an insert it only grows its row header, in C++. A tree or a list
view lays out every loaded row again and asks the model about each one (thousands of calls back
into Python per note), which does not fit in a frame once a timeline is long.

Text is drawn with QPainter.drawText, which never interprets markup, so a note reading `<b>hi</b>`
shows exactly that. Markers (edited, backdated, deleted) are words, not colour alone.
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from commander.domain.timeline.entries import TimelineEntry
from commander.ui.kit.theme import DARK, Tones, mono_font
from commander.ui.timeline.model import TimelineModel

Index = QModelIndex | QPersistentModelIndex
PIN = "★"
_LEFT = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft | Qt.TextFlag.TextSingleLine


class _Fonts(NamedTuple):
    """Fonts and metrics a row needs, made once per font rather than once per painted cell."""

    metrics: QFontMetrics
    pad: int
    pin_width: int
    gap: int
    small: QFont
    small_metrics: QFontMetrics
    struck: QFont
    struck_metrics: QFontMetrics


class TimelineDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tones: Tones = DARK
        self.time_font = mono_font()
        self.time_width = 0
        self.who_width = 0
        self._fonts: dict[str, _Fonts] = {}
        self.set_widths(QApplication.font())

    def fonts(self, font: QFont) -> _Fonts:
        key = font.key()
        cached = self._fonts.get(key)
        if cached is None:
            metrics = QFontMetrics(font)
            small = QFont(font)
            if font.pointSizeF() > 0:
                small.setPointSizeF(font.pointSizeF() * 0.88)
            struck = QFont(font)
            struck.setStrikeOut(True)
            cached = self._fonts[key] = _Fonts(
                metrics,
                metrics.horizontalAdvance("x"),
                metrics.horizontalAdvance(PIN + " "),
                metrics.horizontalAdvance("  "),
                small,
                QFontMetrics(small),
                struck,
                QFontMetrics(struck),
            )
        return cached

    def set_widths(self, font: QFont) -> None:
        """Column widths from font metrics, so they hold at any font size or screen scale."""
        gap = QFontMetrics(font).horizontalAdvance("xx")
        self.time_width = QFontMetrics(self.time_font).horizontalAdvance("00 Mmm 00:00") + gap
        self.who_width = QFontMetrics(font).horizontalAdvance("x") * 14 + gap

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        fonts = self.fonts(option.font)
        return QSize(fonts.pad * 60, int(fonts.metrics.height() * 1.75))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        entry = index.data(TimelineModel.EntryRole)
        model = index.model()
        if not isinstance(entry, TimelineEntry) or not isinstance(model, TimelineModel):
            super().paint(painter, option, index)
            return
        # Only the row's background (selection, hover) comes from the style. initStyleOption would
        # ask the model for a dozen roles per cell that this painter does not use.
        opt = option
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, opt.widget)

        t = self.tones
        rect = QRect(opt.rect)
        fonts = self.fonts(opt.font)
        metrics, pad = fonts.metrics, fonts.pad
        painter.save()
        column = index.column()
        if column == TimelineModel.TIME:
            painter.setFont(self.time_font)
            painter.setPen(t.colour("muted"))
            painter.drawText(rect.adjusted(pad, 0, 0, 0), _LEFT, model.time_text(entry))
        elif column == TimelineModel.WHO:
            painter.setPen(t.colour("muted"))
            room = rect.adjusted(0, 0, -pad, 0)
            painter.drawText(room, _LEFT, metrics.elidedText(entry.author, Qt.TextElideMode.ElideRight, room.width()))
        else:
            self._paint_entry(painter, opt, entry, rect)
        painter.restore()

    def _paint_entry(self, painter: QPainter, opt: QStyleOptionViewItem, entry: TimelineEntry, rect: QRect) -> None:
        t = self.tones
        fonts = self.fonts(opt.font)
        pad = fonts.pad
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
        x += fonts.pin_width
        self._paint_text(painter, opt, entry, QRect(x, rect.top(), rect.right() - x - pad, rect.height()))

    def _paint_text(self, painter: QPainter, opt: QStyleOptionViewItem, entry: TimelineEntry, room: QRect) -> None:
        t = self.tones
        markers = self.markers(entry)
        fonts = self.fonts(opt.font)
        small, gap = fonts.small, fonts.gap
        marker_width = fonts.small_metrics.horizontalAdvance(markers) + gap if markers else 0
        font, metrics = (fonts.struck, fonts.struck_metrics) if entry.deleted_by else (opt.font, fonts.metrics)
        painter.setFont(font)
        if entry.deleted_by:
            painter.setPen(t.colour("faint"))
        elif entry.category == "note":
            painter.setPen(t.colour("text"))
        else:
            painter.setPen(t.colour("muted"))
        text = entry.text if "\n" not in entry.text else entry.text.replace("\n", " ⏎ ")
        width = max(0, room.width() - marker_width)
        shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)
        painter.drawText(room, _LEFT, shown)
        if markers:
            used = metrics.horizontalAdvance(shown)
            painter.setFont(small)
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
