"""The left column: open incidents (most severe first), and the history of resolved and closed ones.

It reads the incident list projection (`console.incidents()`), never an incident's events, so a store
with a thousand incidents opens as fast as an empty one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.domain.core.clock import from_ms
from commander.domain.core.policy import Policy
from commander.domain.core.when import format_duration
from commander.store.records import IncidentSummary
from commander.ui.kit import linkify, timefmt
from commander.ui.kit.paint import Index, RowDelegate, RowFonts, elide
from commander.ui.kit.theme import DARK, Tones, severity_colour, text_on

# Event kinds that change what a row of the list shows; notes and pins do not.
BADGE_SCALE = 0.85  # the severity badge's font, relative to the row's bold font
LIST_KINDS = frozenset(
    {"incident.declared", "incident.edited", "severity.changed", "status.changed", "milestone.set", "role.assigned"}
)


class IncidentListModel(QAbstractListModel):
    SummaryRole = Qt.ItemDataRole.UserRole + 1
    IdRole = Qt.ItemDataRole.UserRole + 2

    def __init__(
        self, policy: Policy, now: Callable[[], datetime], zone: tzinfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.policy = policy
        self.now = now
        self.zone = zone
        self._rows: list[IncidentSummary] = []

    def set_summaries(self, summaries: list[IncidentSummary]) -> None:
        if [s.id for s in summaries] == [s.id for s in self._rows]:
            self._rows = summaries  # same rows in the same order: repaint, keep the selection
            if summaries:
                self.dataChanged.emit(self.index(0), self.index(len(summaries) - 1))
            return
        self.beginResetModel()
        self._rows = summaries
        self.endResetModel()

    def summary(self, row: int) -> IncidentSummary | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, incident_id: str) -> int | None:
        return next((i for i, s in enumerate(self._rows) if s.id == incident_id), None)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        summary = self.summary(index.row()) if index.isValid() else None
        if summary is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{summary.severity} {summary.title}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return linkify.tooltip(self.describe(summary))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.describe(summary)
        if role == self.SummaryRole:
            return summary
        if role == self.IdRole:
            return summary.id
        return None

    def describe(self, s: IncidentSummary) -> str:
        severity = self.policy.find_severity(s.severity)
        parts = [
            f"{s.severity} ({severity.name})" if severity else s.severity,
            s.reference,
            s.title,
            s.status + (" (drill)" if s.drill else ""),
        ]
        if s.commander:
            parts.append(f"Incident Commander: {s.commander}")
        if s.services:
            parts.append("Services: " + ", ".join(s.services))
        return "\n".join(parts)

    def age(self, s: IncidentSummary) -> str:
        if s.is_open and s.started_at_ms is not None:
            return format_duration(self.now() - from_ms(s.started_at_ms))
        if s.resolved_at_ms is not None:
            return timefmt.local(from_ms(s.resolved_at_ms), self.zone).strftime("%d %b")
        return ""


class IncidentDelegate(RowDelegate):
    """Two lines: [SEV] title / reference · status · age, with DRILL spelled out."""

    def __init__(self, policy: Policy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.policy = policy
        self.tones: Tones = DARK

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        metrics = self.fonts(option.font).metrics
        height = metrics.lineSpacing() * 2 + metrics.height() * 0.9
        return QSize(metrics.horizontalAdvance("x") * 30, int(height))

    def row(self, index: Index) -> tuple[IncidentSummary, IncidentListModel] | None:
        summary, model = index.data(IncidentListModel.SummaryRole), index.model()
        if isinstance(summary, IncidentSummary) and isinstance(model, IncidentListModel):
            return summary, model
        return None

    def paint_background(self, painter: QPainter, option: QStyleOptionViewItem) -> None:
        # The whole item as the style draws it (background and focus frame), without its text.
        opt = QStyleOptionViewItem(option)
        opt.text = ""
        style = opt.widget.style() if opt.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)

    def paint_row(
        self,
        painter: QPainter,
        rect: QRect,
        row: tuple[IncidentSummary, IncidentListModel],
        fonts: RowFonts,
        index: Index,
    ) -> None:
        summary, model = row
        t = self.tones
        metrics = fonts.metrics
        pad = metrics.horizontalAdvance("x")
        rect = rect.adjusted(pad, int(metrics.height() * 0.45), -pad, 0)
        line = metrics.lineSpacing()
        badge = self._paint_badge(painter, rect, summary.severity, fonts, line)

        flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextSingleLine
        age = model.age(summary)
        age_width = metrics.horizontalAdvance(age) + pad if age else 0
        title_left = badge.right() + pad
        title_rect = QRect(title_left, rect.top(), rect.right() - title_left - age_width, line)
        title_font, title_metrics = (fonts.bold, fonts.bold_metrics) if summary.is_open else (fonts.base, metrics)
        painter.setFont(title_font)
        painter.setPen(t.colour("text") if summary.is_open else t.colour("muted"))
        painter.drawText(title_rect, flags, elide(title_metrics, summary.title, title_rect.width()))
        painter.setFont(fonts.base)
        painter.setPen(t.colour("muted"))
        painter.drawText(
            QRect(rect.right() - age_width, rect.top(), age_width, line),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            age,
        )

        second = QRect(title_left, rect.top() + line, rect.right() - title_left, line)
        detail = f"{summary.reference} · {summary.status}"
        if summary.commander:
            detail += f" · IC {summary.commander}"
        x = second.left()
        if summary.drill:
            painter.setPen(t.colour("warning"))
            painter.setFont(fonts.bold)
            painter.drawText(second, flags, "DRILL")
            x += fonts.bold_metrics.horizontalAdvance("DRILL ") + pad // 2
            painter.setFont(fonts.base)
        painter.setPen(t.colour("faint"))
        room = QRect(x, second.top(), second.right() - x, line)
        painter.drawText(room, flags, elide(metrics, detail, room.width()))

    def _paint_badge(self, painter: QPainter, rect: QRect, severity: str, fonts: RowFonts, line: int) -> QRect:
        """The severity in its colour, at the row's top left; returns where it went."""
        badge_font = QFont(fonts.bold)
        if badge_font.pointSizeF() > 0:
            badge_font.setPointSizeF(badge_font.pointSizeF() * BADGE_SCALE)
        pad = fonts.metrics.horizontalAdvance("x")
        badge = QRect(rect.left(), rect.top() + 1, QFontMetrics(badge_font).horizontalAdvance("SEV0") + pad, line - 2)
        colour = severity_colour(self.policy, severity)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(badge, 3, 3)
        painter.setPen(text_on(colour))
        painter.setFont(badge_font)
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, severity)
        return badge


class IncidentListPanel(QWidget):
    incident_selected = Signal(str)

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        self.console = console
        self.delegate = IncidentDelegate(console.policy, self)
        self.open_model = IncidentListModel(console.policy, console.now, console.zone, self)
        self.history_model = IncidentListModel(console.policy, console.now, console.zone, self)
        self._selected: str | None = None

        self.heading = QLabel("Open incidents", self)
        self.heading.setObjectName("PanelTitle")
        self.open_list = self._list(self.open_model, "Open incidents")
        self.empty = QLabel("No open incidents.\nCtrl+N declares one.", self)
        self.empty.setObjectName("EmptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.history_button = QPushButton("History", self)
        self.history_button.setObjectName("SectionButton")
        self.history_button.setCheckable(True)
        self.history_button.setAccessibleName("Show resolved and closed incidents")
        self.history_button.toggled.connect(self._history_toggled)
        self.history_list = self._list(self.history_model, "Resolved and closed incidents")
        self.history_list.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(2)
        self.heading.setContentsMargins(10, 0, 10, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.open_list, 3)
        layout.addWidget(self.empty, 3)
        layout.addWidget(self.history_button)
        layout.addWidget(self.history_list, 2)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 36)

    def _list(self, model: IncidentListModel, name: str) -> QListView:
        view = QListView(self)
        view.setModel(model)
        view.setItemDelegate(self.delegate)
        view.setUniformItemSizes(True)
        view.setAccessibleName(name)
        view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        view.selectionModel().currentChanged.connect(
            lambda current, _previous, m=model: self._current_changed(m, current)
        )
        return view

    # -- contents ----------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the projection; the selection stays on the same incident."""
        summaries = self.console.incidents()
        ranks = {s.key: s.rank for s in self.console.policy.severities}
        open_ = sorted(
            (s for s in summaries if s.is_open),
            key=lambda s: (ranks.get(s.severity, len(ranks)), -(s.started_at_ms or 0)),
        )
        history = sorted(
            (s for s in summaries if not s.is_open), key=lambda s: -(s.resolved_at_ms or s.started_at_ms or 0)
        )
        self.open_model.set_summaries(open_)
        self.history_model.set_summaries(history)
        self.heading.setText(f"Open incidents  {len(open_)}" if open_ else "Open incidents")
        self._history_toggled(self.history_button.isChecked())
        self.open_list.setVisible(bool(open_))
        self.empty.setVisible(not open_)
        if self._selected:
            self.select(self._selected)

    def open_count(self) -> int:
        return self.open_model.rowCount()

    def first_open(self) -> str | None:
        """The incident to show at start: the most severe, then the most recent, open one."""
        summary = self.open_model.summary(0)
        return summary.id if summary else None

    def summary(self, incident_id: str) -> IncidentSummary | None:
        for model in (self.open_model, self.history_model):
            row = model.row_of(incident_id)
            if row is not None:
                return model.summary(row)
        return None

    def tick(self) -> None:
        """Ages move on: repaint (cheap; the rows' data are already here)."""
        self.open_list.viewport().update()

    def set_tones(self, tones: Tones) -> None:
        self.delegate.tones = tones
        self.open_list.viewport().update()
        self.history_list.viewport().update()

    # -- selection ---------------------------------------------------------------------------

    def select(self, incident_id: str) -> bool:
        """Show the incident as selected, without announcing it (the caller is switching to it).

        False when neither list holds it (yet).
        """
        for model, view, other in (
            (self.open_model, self.open_list, self.history_list),
            (self.history_model, self.history_list, self.open_list),
        ):
            row = model.row_of(incident_id)
            if row is None:
                continue
            if model is self.history_model and not self.history_button.isChecked():
                self.history_button.setChecked(True)
            self._selected = incident_id  # first, so the change below is not taken for a click
            other.selectionModel().clear()
            view.selectionModel().setCurrentIndex(model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
            view.scrollTo(model.index(row))
            return True
        return False

    def _current_changed(self, model: IncidentListModel, current: QModelIndex) -> None:
        summary = model.summary(current.row()) if current.isValid() else None
        if summary is None or summary.id == self._selected:
            return
        self._selected = summary.id
        other = self.history_list if model is self.open_model else self.open_list
        other.selectionModel().clear()
        self.incident_selected.emit(summary.id)

    def _history_toggled(self, shown: bool) -> None:
        self.history_list.setVisible(shown)
        self.history_button.setText(f"{'▾' if shown else '▸'} History  {self.history_model.rowCount()}")

    def focus_list(self) -> None:
        (self.open_list if self.open_list.isVisible() else self.history_list).setFocus()
