"""What every painted row shares: its fonts (made once per base font, not once per cell), text cut to fit
with an ellipsis, and a delegate that paints the style's row background before its own content.

A delegate subclasses `RowDelegate` and writes `paint_row` (and `row_size` when the style's size will not
do); rows whose index carries nothing it paints fall back to Qt's own painting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, SignalInstance
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from commander.ui.kit.theme import mono_font

Index = QModelIndex | QPersistentModelIndex
SMALL = 0.88  # the secondary line of a row, relative to its base font


def elide(metrics: QFontMetrics, text: str, width: int | float) -> str:
    """`text` on one line, cut with "…" where it would pass `width` pixels."""
    return metrics.elidedText(text, Qt.TextElideMode.ElideRight, max(0, int(width)))


@dataclass(frozen=True)
class RowFonts:
    """The fonts a painted row uses, each with its metrics."""

    base: QFont
    metrics: QFontMetrics
    bold: QFont
    bold_metrics: QFontMetrics
    small: QFont
    small_metrics: QFontMetrics
    struck: QFont
    struck_metrics: QFontMetrics
    mono: QFont
    mono_metrics: QFontMetrics

    @classmethod
    def of(cls, font: QFont, *, bold_scale: float = 1.0) -> RowFonts:
        font = QFont(font)  # a copy: the one passed in belongs to a style option that is about to go
        bold, small, struck = QFont(font), QFont(font), QFont(font)
        bold.setBold(True)
        if font.pointSizeF() > 0:
            bold.setPointSizeF(font.pointSizeF() * bold_scale)
            small.setPointSizeF(font.pointSizeF() * SMALL)
        struck.setStrikeOut(True)
        mono = mono_font(0.92)
        return cls(
            font,
            QFontMetrics(font),
            bold,
            QFontMetrics(bold),
            small,
            QFontMetrics(small),
            struck,
            QFontMetrics(struck),
            mono,
            QFontMetrics(mono),
        )


class RowDelegate(QStyledItemDelegate):
    """Paints the style's row background (selection, hover), then the row through `paint_row`."""

    bold_scale = 1.0

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._fonts: dict[str, RowFonts] = {}

    def fonts(self, font: QFont) -> RowFonts:
        key = font.key()
        made = self._fonts.get(key)
        if made is None:
            made = self._fonts[key] = RowFonts.of(font, bold_scale=self.bold_scale)
        return made

    def row(self, index: Index) -> object | None:
        """What the row paints from (the model's item for it), or None to let Qt paint the row."""
        return None

    def paint_row(self, painter: QPainter, rect: QRect, row: Any, fonts: RowFonts, index: Index) -> None:
        raise NotImplementedError

    def row_size(self, option: QStyleOptionViewItem, row: Any, fonts: RowFonts, index: Index) -> QSize | None:
        """The row's size; None keeps the style's."""
        return None

    def paint_background(self, painter: QPainter, option: QStyleOptionViewItem) -> None:
        # Only the background comes from the style: initStyleOption would ask the model for a dozen roles
        # per cell that these painters do not use.
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = self.row(index)
        if row is None:
            super().paint(painter, option, index)
            return
        self.paint_background(painter, option)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            self.paint_row(painter, QRect(option.rect), row, self.fonts(option.font), index)
        finally:
            painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        row = self.row(index)
        size = None if row is None else self.row_size(option, row, self.fonts(option.font), index)
        return size if size is not None else super().sizeHint(option, index)

    @staticmethod
    def click_part(event: QEvent, target: SignalInstance, index: Index) -> bool:
        """A press or release on one of a row's parts (a tick box, a Copy button, a link): the release emits
        `target` with the row's index. Both are taken, so a click on a part does not also start a selection
        drag."""
        if event.type() == QEvent.Type.MouseButtonRelease:
            row = (
                index
                if isinstance(index, QModelIndex)
                else index.model().index(index.row(), index.column(), index.parent())
            )
            target.emit(row)
        return True
