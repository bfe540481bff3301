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

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QListView, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from commander.domain.runbooks.inline_markdown import plain
from commander.domain.runbooks.library import RunbookRecord
from commander.ui.kit import linkify
from commander.ui.runbooks.steps import chip
from commander.ui.runbooks.viewer import current_tones

Index = QModelIndex | QPersistentModelIndex
ROW = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True)
class Row:
    """A heading ("Suggested for INC-…") or a runbook, with why it fits the incident."""

    heading: str = ""
    record: RunbookRecord | None = None
    why: tuple[str, ...] = ()


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


class LibraryDelegate(QStyledItemDelegate):
    """Two lines a runbook: title and freshness; then services, owner and why it fits, suggestions, version."""

    def __init__(self, view: QListView, facts: Callable[[RunbookRecord], tuple[str, bool]]) -> None:
        super().__init__(view)
        self.view = view
        self.facts = facts
        self._made: dict[float, tuple[QFont, QFont, QFont, QSize, QSize]] = {}  # by the base font's size

    def _fonts(self, base: QFont) -> tuple[QFont, QFont, QFont, QSize, QSize]:
        """The fonts of a row and the two row sizes (heading, runbook), made once per font size: the list
        asks every row's size after each search, so this must cost next to nothing."""
        key = base.pointSizeF()
        if key not in self._made:
            bold, small, heading = QFont(base), QFont(base), QFont(base)
            bold.setBold(True)
            if base.pointSizeF() > 0:
                small.setPointSizeF(base.pointSizeF() * 0.88)
                heading.setPointSizeF(base.pointSizeF() * 0.85)
            heading.setBold(True)
            self._made[key] = (
                bold,
                small,
                heading,
                QSize(100, QFontMetrics(heading).height() + 14),
                QSize(100, QFontMetrics(bold).height() + QFontMetrics(small).height() + 17),
            )
        return self._made[key]

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        _bold, _small, _heading, heading_size, runbook_size = self._fonts(option.font)
        model = index.model()
        heading = (
            isinstance(model, LibraryModel)
            and 0 <= index.row() < len(model.rows)
            and model.rows[index.row()].record is None
        )
        return heading_size if heading else runbook_size

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row = index.data(ROW)
        if not isinstance(row, Row):
            super().paint(painter, option, index)
            return
        t = current_tones(self.view)
        bold, small, heading, _heading_size, _runbook_size = self._fonts(option.font)
        rect = option.rect.adjusted(10, 0, -10, 0)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if row.record is None:
            painter.setFont(heading)
            painter.setPen(t.colour("muted"))
            painter.drawText(
                rect.adjusted(0, 6, 0, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                row.heading.upper(),
            )
            painter.restore()
            return
        style = option.widget.style() if option.widget else QApplication.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter, option.widget)
        runbook = row.record.current
        bold_metrics, small_metrics = QFontMetrics(bold), QFontMetrics(small)
        first = QRect(rect.left(), rect.top() + 6, rect.width(), bold_metrics.height())
        second = QRect(rect.left(), first.bottom() + 4, rect.width(), small_metrics.height())
        line = Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        # First line: the title, and how fresh it is at the right (a stale one on a warning badge).
        words, stale = self.facts(row.record)
        painter.setFont(small)
        width = small_metrics.horizontalAdvance(words) + (16 if stale else 0)
        badge = QRect(
            first.right() - width + 1,
            first.top() + (first.height() - small_metrics.height() - 4) // 2,
            width,
            small_metrics.height() + 4,
        )
        if stale:
            chip(painter, badge, words, fill=t.warning_bg, ink=t.warning, edge=t.warning, radius=badge.height() // 2)
        else:
            painter.setPen(t.colour("faint"))
            painter.drawText(badge, line | Qt.AlignmentFlag.AlignRight, words)
        painter.setFont(bold)
        painter.setPen(t.colour("text"))
        room = badge.left() - first.left() - 10
        painter.drawText(
            QRect(first.left(), first.top(), room, first.height()),
            line | Qt.AlignmentFlag.AlignLeft,
            bold_metrics.elidedText(runbook.title, Qt.TextElideMode.ElideRight, room),
        )
        # Second line: suggestions and version at the right; why it fits, services and owner at the left.
        painter.setFont(small)
        count = len(row.record.suggestions)
        version = f"v{runbook.version}"
        right = second.right()
        painter.setPen(t.colour("faint"))
        painter.drawText(second, line | Qt.AlignmentFlag.AlignRight, version)
        right -= small_metrics.horizontalAdvance(version) + 10
        if count:
            said = f"{count} suggestion{'s' if count != 1 else ''}"
            painter.setPen(t.colour("accent"))
            painter.drawText(
                QRect(second.left(), second.top(), right - second.left(), second.height()),
                line | Qt.AlignmentFlag.AlignRight,
                said,
            )
            right -= small_metrics.horizontalAdvance(said) + 10
        left = second.left()
        if row.why:
            fits = "fits " + ", ".join(row.why)
            painter.setPen(t.colour("accent"))
            shown = small_metrics.elidedText(fits, Qt.TextElideMode.ElideRight, max(0, right - left))
            painter.drawText(QRect(left, second.top(), right - left, second.height()), line, shown)
            left += small_metrics.horizontalAdvance(shown) + 12
        names = runbook.services or runbook.alerts or runbook.tags
        facts = "  ·  ".join(part for part in (", ".join(names), runbook.owner, file_tail(runbook.source)) if part)
        painter.setPen(t.colour("muted"))
        painter.drawText(
            QRect(left, second.top(), max(0, right - left), second.height()),
            line,
            small_metrics.elidedText(facts, Qt.TextElideMode.ElideRight, max(0, right - left)),
        )
        painter.restore()
