"""The template editor's list: each template on two lines, [!] name and a badge (shipped, team, edited) over
its audience and stage, with a warning sign and a tooltip saying why when it cannot be filled in."""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QListWidgetItem, QStyle, QStyleOptionViewItem, QWidget

from commander.domain.updates.templates import Template, TemplateProblem
from commander.ui.kit import richtext
from commander.ui.kit.paint import Index, RowDelegate, RowFonts, elide
from commander.ui.kit.theme import Tones

KeyRole = Qt.ItemDataRole.UserRole + 1
OriginRole = Qt.ItemDataRole.UserRole + 2
DetailRole = Qt.ItemDataRole.UserRole + 3
ProblemRole = Qt.ItemDataRole.UserRole + 4
BADGE = 0.85  # the badge's text, relative to the row's font: smaller than a row's second line
DESCRIBED = {"shipped": "shipped with Commander", "team": "the team's own", "edited": "shipped, edited by the team"}


def mark_item(item: QListWidgetItem, each: Template, problem: TemplateProblem | None) -> None:
    """Say on the item whether its template can be used (the delegate's sign, the tooltip, a screen reader)."""
    detail = str(item.data(DetailRole))
    item.setData(ProblemRole, str(problem) if problem else "")
    described = f"{each.name} ({DESCRIBED[each.origin]}). {detail}."
    item.setToolTip(
        richtext.tooltip(f"Cannot be used: {problem}" if problem else f"{detail}\n{DESCRIBED[each.origin]}")
    )
    item.setData(Qt.ItemDataRole.AccessibleTextRole, described + (f" Cannot be used: {problem}" if problem else ""))


class _Row(NamedTuple):
    name: str
    origin: str  # shipped, team, edited: the badge
    detail: str  # audience · stage
    broken: bool  # it cannot be filled in: a warning sign before its name


class TemplateDelegate(RowDelegate):
    """Two lines: [!] name and a badge (shipped, team, edited) / audience · stage."""

    def __init__(self, palette_tones: Tones, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tones = palette_tones
        self._badge_fonts: dict[str, tuple[QFont, QFontMetrics]] = {}

    def badge_font(self, fonts: RowFonts) -> tuple[QFont, QFontMetrics]:
        """The badge's font and metrics, made once per row font."""
        key = fonts.base.key()
        if key not in self._badge_fonts:
            font = QFont(fonts.base)
            if font.pointSizeF() > 0:
                font.setPointSizeF(font.pointSizeF() * BADGE)
            self._badge_fonts[key] = (font, QFontMetrics(font))
        return self._badge_fonts[key]

    def row(self, index: Index) -> _Row | None:
        if not index.isValid():
            return None
        origin, detail = str(index.data(OriginRole)), str(index.data(DetailRole))
        return _Row(str(index.data()), origin, detail, bool(index.data(ProblemRole)))

    def row_size(self, option: QStyleOptionViewItem, row: _Row, fonts: RowFonts, index: Index) -> QSize:
        metrics = fonts.metrics
        return QSize(metrics.horizontalAdvance("x") * 32, int(metrics.lineSpacing() * 2 + metrics.height() * 0.8))

    def paint_row(self, painter: QPainter, rect: QRect, row: _Row, fonts: RowFonts, index: Index) -> None:
        t, metrics = self.tones, fonts.metrics
        pad, line = metrics.horizontalAdvance("x"), metrics.lineSpacing()
        rect = rect.adjusted(pad, int(metrics.height() * 0.4), -pad, 0)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        badge_font, badge_metrics = self.badge_font(fonts)
        badge = QRect(0, rect.top() + 2, badge_metrics.horizontalAdvance(row.origin) + pad, line - 4)
        badge.moveRight(rect.right())
        painter.setPen({"team": t.colour("accent"), "edited": t.colour("warning")}.get(row.origin, t.colour("faint")))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(badge, 3, 3)
        painter.setFont(badge_font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, row.origin)
        left = rect.left()
        if row.broken:
            icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            size = metrics.height()
            icon.paint(painter, QRect(left, rect.top() + (line - size) // 2, size, size))
            left += size + pad // 2
        painter.setFont(fonts.bold)
        painter.setPen(t.colour("text"))
        name = QRect(left, rect.top(), badge.left() - pad - left, line)
        painter.drawText(name, flags, elide(fonts.bold_metrics, row.name, name.width()))
        painter.setFont(fonts.base)
        painter.setPen(t.colour("muted"))
        detail = QRect(rect.left(), rect.top() + line, rect.width(), line)
        painter.drawText(detail, flags, elide(metrics, row.detail, detail.width()))
