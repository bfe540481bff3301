"""Marks in the postmortem editor: words the blameless check found, underlined with their suggestion as a
tooltip, and a list delegate that shows each section's state at a glance. Nothing here blocks anything."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QColor, QHelpEvent, QPainter, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit, QStyleOptionViewItem, QToolTip, QWidget

from commander.domain.postmortem import blameless
from commander.ui.kit import richtext
from commander.ui.kit.paint import Index, RowDelegate, RowFonts, elide
from commander.ui.kit.theme import Tones

DetailRole = Qt.ItemDataRole.UserRole + 1
BadgeRole = Qt.ItemDataRole.UserRole + 2  # "conflict", "unsaved", or ""
FindingsRole = Qt.ItemDataRole.UserRole + 3  # how many blameless findings


class BlamelessHighlighter(QSyntaxHighlighter):
    """Underlines, line by line, what the blameless check finds; `people` are the incident's names."""

    def __init__(self, editor: QPlainTextEdit, tones: Tones, people: Callable[[], Sequence[str]]) -> None:
        super().__init__(editor.document())
        self._people = people
        self.look = QTextCharFormat()
        self.look.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.look.setUnderlineColor(QColor(tones.warning))
        tint = QColor(tones.warning)
        tint.setAlpha(40)
        self.look.setBackground(tint)

    def highlightBlock(self, text: str) -> None:
        for found in blameless.check(text, self._people()):
            self.setFormat(found.start, found.end - found.start, self.look)


def findings_at(editor: QPlainTextEdit, people: Sequence[str], position: int) -> list[blameless.Finding]:
    """The findings on the line of document position `position` that cover it."""
    block = editor.document().findBlock(position)
    offset = position - block.position()
    return [f for f in blameless.check(block.text(), people) if f.start <= offset <= f.end]


class SuggestionTips(QObject):
    """Shows a finding's suggestion when the pointer rests on it (the editor's viewport gets the events)."""

    def __init__(self, editor: QPlainTextEdit, people: Callable[[], Sequence[str]]) -> None:
        super().__init__(editor)
        self.editor = editor
        self._people = people
        editor.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            cursor = self.editor.cursorForPosition(event.pos())
            found = findings_at(self.editor, self._people(), cursor.position())
            if found:
                said = "\n\n".join(f"“{f.text}”: {f.suggestion}" for f in found)
                QToolTip.showText(event.globalPos(), richtext.tooltip(said), self.editor)
            else:
                QToolTip.hideText()
            return True
        return super().eventFilter(watched, event)


@dataclass(frozen=True)
class SectionRow:
    """What a section's row shows: its title, who edited it, a badge, and how many wording findings."""

    title: str
    detail: str
    badge: str
    findings: int


class SectionDelegate(RowDelegate):
    """Two lines per section: the title with its badges (conflict, unsaved, wording), then who edited it."""

    def __init__(self, tones: Tones, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tones = tones

    def row(self, index: Index) -> SectionRow | None:
        if not index.isValid():
            return None
        return SectionRow(
            str(index.data()),
            str(index.data(DetailRole) or ""),
            str(index.data(BadgeRole) or ""),
            int(index.data(FindingsRole) or 0),
        )

    def row_size(self, option: QStyleOptionViewItem, row: SectionRow, fonts: RowFonts, index: Index) -> QSize:
        metrics = fonts.metrics
        return QSize(metrics.horizontalAdvance("x") * 30, int(metrics.lineSpacing() * 2 + metrics.height() * 0.7))

    def paint_row(self, painter: QPainter, rect: QRect, row: SectionRow, fonts: RowFonts, index: Index) -> None:
        t, metrics = self.tones, fonts.metrics
        pad, line = metrics.horizontalAdvance("x"), metrics.lineSpacing()
        rect = rect.adjusted(pad, int(metrics.height() * 0.35), -pad, 0)
        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        painter.setFont(fonts.bold)
        painter.setPen(t.colour("text"))
        title = QRect(rect.left(), rect.top(), rect.width(), line)
        painter.drawText(title, flags, elide(fonts.bold_metrics, row.title, title.width()))
        # The second line: who edited it on the left, the badges on the right (the title keeps the whole width).
        badges = []
        if row.badge:
            badges.append((row.badge, t.colour("warning" if row.badge == "conflict" else "accent")))
        if row.findings:
            badges.append((f"{row.findings} wording", t.colour("muted")))
        right = rect.right()
        painter.setFont(fonts.small)
        for text, colour in badges:
            box = QRect(0, rect.top() + line + 2, fonts.small_metrics.horizontalAdvance(text) + pad, line - 4)
            box.moveRight(right)
            painter.setPen(colour)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(box, 3, 3)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
            right = box.left() - pad // 2
        painter.setFont(fonts.base)
        painter.setPen(t.colour("muted"))
        detail = QRect(rect.left(), rect.top() + line, right - pad // 2 - rect.left(), line)
        painter.drawText(detail, flags, elide(metrics, row.detail, detail.width()))
