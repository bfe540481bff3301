"""The library's list: a heading ("Suggested for INC-…") or a runbook per row, each runbook on two lines:
its title and how fresh it is; why it fits the incident, its services and owner, open suggestions and
version. A thin list model refilled on every search, and a delegate that paints the rows (plain text
only, with QPainter.drawText) and sizes them at next to no cost, since the list asks every row's size
after each search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QListView, QStyleOptionViewItem

from commander.domain.runbooks.inline_markdown import plain
from commander.domain.runbooks.library import RunbookRecord
from commander.ui.kit import linkify
from commander.ui.kit.paint import Index, RowDelegate, RowFonts, elide
from commander.ui.kit.theme import Tones
from commander.ui.runbooks.chips import chip

ROW = Qt.ItemDataRole.UserRole + 1
_LINE = Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine


@dataclass(frozen=True)
class Row:
    """A heading ("Suggested for INC-…") or a runbook, with why it fits the incident."""

    heading: str = ""
    record: RunbookRecord | None = None
    why: tuple[str, ...] = ()


@dataclass(frozen=True)
class Heading:
    """The font of a heading row ("SUGGESTED FOR INC-…") and the two sizes a row can have."""

    font: QFont
    size: QSize
    runbook_size: QSize


def file_tail(source: str) -> str:
    """The folder and name of a runbook's file (payments/high-latency.md): what tells two runbooks with one
    title apart at a glance; the whole path is in the tooltip."""
    parts = PurePath(source).parts if source else ()
    return "/".join(parts[-2:])


class LibraryModel(QAbstractListModel):
    """The rows on show; refilled whole on every search (a reset of a plain list is cheaper than diffing)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row = self.rows[index.row()]
        if role == ROW:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return row.record.current.title if row.record is not None else row.heading
        if role == Qt.ItemDataRole.ToolTipRole and row.record is not None:
            runbook = row.record.current
            # The file first: two runbooks with one title are told apart by it. Qt would take `<b>` for markup.
            said = "\n\n".join(
                part
                for part in (f"File: {runbook.source}" if runbook.source else "", plain(runbook.summary, block=True))
                if part
            )
            return linkify.tooltip(said) if said else None
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if index.isValid() and self.rows[index.row()].record is None:
            return Qt.ItemFlag.NoItemFlags  # headings are not rows to select
        return super().flags(index)

    def row_of(self, runbook_id: str) -> int:
        return next(
            (n for n, row in enumerate(self.rows) if row.record is not None and row.record.id == runbook_id), -1
        )


class LibraryDelegate(RowDelegate):
    """Two lines a runbook: title and freshness; then services, owner and why it fits, suggestions, version."""

    def __init__(
        self, view: QListView, facts: Callable[[RunbookRecord], tuple[str, bool]], tones: Callable[[], Tones]
    ) -> None:
        super().__init__(view)
        self.view = view
        self.facts = facts
        self.tones = tones
        self._headings: dict[str, Heading] = {}  # by the base font

    def heading(self, fonts: RowFonts) -> Heading:
        """The headings' font and the two row sizes, made once per font: the list asks every row's size
        after each search, so this must cost next to nothing."""
        key = fonts.base.key()
        made = self._headings.get(key)
        if made is None:
            font = QFont(fonts.bold)
            if fonts.base.pointSizeF() > 0:
                font.setPointSizeF(fonts.base.pointSizeF() * 0.85)
            made = self._headings[key] = Heading(
                font,
                QSize(100, QFontMetrics(font).height() + 14),
                QSize(100, fonts.bold_metrics.height() + fonts.small_metrics.height() + 17),
            )
        return made

    def row(self, index: Index) -> Row | None:
        model = index.model()
        if isinstance(model, LibraryModel) and 0 <= index.row() < len(model.rows):
            return model.rows[index.row()]
        return None

    def row_size(self, option: QStyleOptionViewItem, row: Row, fonts: RowFonts, index: Index) -> QSize:
        heading = self.heading(fonts)
        return heading.runbook_size if row.record is not None else heading.size

    def paint_row(self, painter: QPainter, rect: QRect, row: Row, fonts: RowFonts, index: Index) -> None:
        t = self.tones()
        rect = rect.adjusted(10, 0, -10, 0)
        if row.record is None:
            painter.setFont(self.heading(fonts).font)
            painter.setPen(t.colour("muted"))
            painter.drawText(
                rect.adjusted(0, 6, 0, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                row.heading.upper(),
            )
            return
        first = QRect(rect.left(), rect.top() + 6, rect.width(), fonts.bold_metrics.height())
        second = QRect(rect.left(), first.bottom() + 4, rect.width(), fonts.small_metrics.height())
        self._paint_title(painter, first, row.record, fonts, t)
        self._paint_facts(painter, second, row, fonts, t)

    def _paint_title(self, painter: QPainter, line: QRect, record: RunbookRecord, fonts: RowFonts, t: Tones) -> None:
        """The title, and how fresh it is at the right (a stale one on a warning badge)."""
        words, stale = self.facts(record)
        painter.setFont(fonts.small)
        width = fonts.small_metrics.horizontalAdvance(words) + (16 if stale else 0)
        badge = QRect(
            line.right() - width + 1,
            line.top() + (line.height() - fonts.small_metrics.height() - 4) // 2,
            width,
            fonts.small_metrics.height() + 4,
        )
        if stale:
            chip(painter, badge, words, fill=t.warning_bg, ink=t.warning, edge=t.warning, radius=badge.height() // 2)
        else:
            painter.setPen(t.colour("faint"))
            painter.drawText(badge, _LINE | Qt.AlignmentFlag.AlignRight, words)
        painter.setFont(fonts.bold)
        painter.setPen(t.colour("text"))
        room = badge.left() - line.left() - 10
        painter.drawText(
            QRect(line.left(), line.top(), room, line.height()),
            _LINE | Qt.AlignmentFlag.AlignLeft,
            elide(fonts.bold_metrics, record.current.title, room),
        )

    def _paint_facts(self, painter: QPainter, line: QRect, row: Row, fonts: RowFonts, t: Tones) -> None:
        """Suggestions and version at the right; why it fits, services and owner at the left."""
        assert row.record is not None
        runbook = row.record.current
        small = fonts.small_metrics
        painter.setFont(fonts.small)
        count = len(row.record.suggestions)
        version = f"v{runbook.version}"
        right = line.right()
        painter.setPen(t.colour("faint"))
        painter.drawText(line, _LINE | Qt.AlignmentFlag.AlignRight, version)
        right -= small.horizontalAdvance(version) + 10
        if count:
            said = f"{count} suggestion{'s' if count != 1 else ''}"
            painter.setPen(t.colour("accent"))
            painter.drawText(
                QRect(line.left(), line.top(), right - line.left(), line.height()),
                _LINE | Qt.AlignmentFlag.AlignRight,
                said,
            )
            right -= small.horizontalAdvance(said) + 10
        left = line.left()
        if row.why:
            painter.setPen(t.colour("accent"))
            shown = elide(small, "fits " + ", ".join(row.why), right - left)
            painter.drawText(QRect(left, line.top(), right - left, line.height()), _LINE, shown)
            left += small.horizontalAdvance(shown) + 12
        names = runbook.services or runbook.alerts or runbook.tags
        facts = "  ·  ".join(part for part in (", ".join(names), runbook.owner, file_tail(runbook.source)) if part)
        painter.setPen(t.colour("muted"))
        painter.drawText(
            QRect(left, line.top(), max(0, right - left), line.height()), _LINE, elide(small, facts, right - left)
        )
