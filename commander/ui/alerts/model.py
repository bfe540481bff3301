"""The firing alerts as a two-level tree: groups (alert name and service), their alerts under them.

A thin adapter over `AlertGroup`s built on a worker thread: nothing here reads a store or a network,
and every row is computed when the view asks for it, so 5,000 alerts cost a model reset and the rows on
screen. A group row's internal id is 0; an alert row's is its group's row plus one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QPainter, QPixmap

from commander.domain.alerts.alerts import Alert, AlertGroup, known_time
from commander.domain.core.policy import Policy
from commander.ui.kit import richtext
from commander.ui.kit.theme import severity_colour

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Alert", "Severity", "Started", "Summary", "Source")
_LABELS_SHOWN = 3  # an alert row names the labels that set it apart from its group, up to this many


class AlertGroupsModel(QAbstractItemModel):
    def __init__(self, policy: Policy, time_format: Callable[[datetime], str], parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self.policy = policy
        self.time_format = time_format
        self.groups: list[AlertGroup] = []
        self._common: dict[int, dict[str, str]] = {}  # per group row, computed when first shown
        self._swatches: dict[str, QPixmap] = {}
        self._bold = QFont()
        self._bold.setBold(True)

    def set_groups(self, groups: list[AlertGroup]) -> None:
        self.beginResetModel()
        self.groups = groups
        self._common = {}
        self.endResetModel()

    @property
    def alert_count(self) -> int:
        return sum(len(g.alerts) for g in self.groups)

    # -- reading rows ---------------------------------------------------------------------------

    def group_at(self, index: Index) -> AlertGroup | None:
        if not index.isValid():
            return None
        row = index.row() if index.internalId() == 0 else index.internalId() - 1
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def alert_at(self, index: Index) -> Alert | None:
        """The alert of an alert row; None on a group row."""
        if not index.isValid() or index.internalId() == 0:
            return None
        group = self.group_at(index)
        return group.alerts[index.row()] if group is not None and index.row() < len(group.alerts) else None

    def alerts_for(self, indexes: Iterable[Index]) -> list[Alert]:
        """The alerts of these rows, a group row standing for all of its alerts; each alert once."""
        found: dict[tuple[str, str], Alert] = {}
        for index in indexes:
            alert = self.alert_at(index)
            group = self.group_at(index)
            for chosen in [alert] if alert is not None else list(group.alerts) if group is not None else []:
                found.setdefault(chosen.key, chosen)
        return list(found.values())

    def group_row(self, key: tuple[str, str]) -> int | None:
        return next((row for row, g in enumerate(self.groups) if g.key == key), None)

    def alert_index(self, alert_key: tuple[str, str]) -> QModelIndex:
        for row, group in enumerate(self.groups):
            for child, alert in enumerate(group.alerts):
                if alert.key == alert_key:
                    return self.index(child, 0, self.index(row, 0))
        return QModelIndex()

    # -- QAbstractItemModel ----------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(COLUMNS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0) if row < len(self.groups) else QModelIndex()
        if parent.internalId() != 0 or parent.row() >= len(self.groups):
            return QModelIndex()
        if row >= len(self.groups[parent.row()].alerts):
            return QModelIndex()
        return self.createIndex(row, column, parent.row() + 1)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        return self.createIndex(child.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self.groups)
        if parent.internalId() == 0 and parent.column() == 0 and parent.row() < len(self.groups):
            return len(self.groups[parent.row()].alerts)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        group = self.group_at(index)
        if group is None:
            return None
        alert = self.alert_at(index)
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            text = self._group_text(group, column) if alert is None else self._alert_text(index, alert, column)
            if role == Qt.ItemDataRole.ToolTipRole:
                # An alert's words come from whoever can reach the alert source: never markup.
                return richtext.tooltip((alert.summary if alert else group.summary) or text) or None
            return text
        if role == Qt.ItemDataRole.FontRole and alert is None and column == 0:
            return self._bold
        if role == Qt.ItemDataRole.DecorationRole and alert is None and column == 1 and group.severity:
            return self._swatch(group.severity)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == 0:
            return self._group_text(group, 0) if alert is None else f"{alert.name} {self._alert_text(index, alert, 0)}"
        return None

    def _group_text(self, group: AlertGroup, column: int) -> str:
        if column == 0:
            return (f"{group.name} · {group.service}" if group.service else group.name) + f"  ({len(group.alerts)})"
        if column == 1:
            return group.severity or "—"
        if column == 2:
            return self._when(group.alerts[0].starts_at)  # oldest first
        if column == 3:
            return group.summary
        return ", ".join(sorted({a.source for a in group.alerts}))

    def _alert_text(self, index: Index, alert: Alert, column: int) -> str:
        if column == 0:
            return self._distinct(index.internalId() - 1, alert)
        if column == 1:
            return alert.labels.get("severity", "")
        if column == 2:
            return self._when(alert.starts_at)
        if column == 3:
            return alert.summary
        return alert.source

    def _swatch(self, severity: str) -> QPixmap:
        """The severity's colour as a small square beside its name (never colour alone): readable on the
        light and the dark theme alike, which coloured text is not."""
        found = self._swatches.get(severity)
        if found is None:
            side = 10
            found = QPixmap(side, side)
            found.fill(Qt.GlobalColor.transparent)
            painter = QPainter(found)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(severity_colour(self.policy, severity))
            painter.drawRoundedRect(0, 0, side, side, 2, 2)
            painter.end()
            self._swatches[severity] = found
        return found

    def _when(self, moment: datetime) -> str:
        return self.time_format(moment) if known_time(moment) else "unknown"

    def _distinct(self, group_row: int, alert: Alert) -> str:
        """The labels that set this alert apart from the rest of its group (instance=lb-2), else its
        fingerprint."""
        common = self._common.get(group_row)
        if common is None:
            alerts = self.groups[group_row].alerts
            common = dict(alerts[0].labels)
            for other in alerts[1:]:
                common = {k: v for k, v in common.items() if other.labels.get(k) == v}
            self._common[group_row] = common
        own = [f"{k}={v}" for k, v in sorted(alert.labels.items()) if common.get(k) != v]
        if not own:  # alone in its group (or all alike): the labels that say more than the group's name
            group = self.groups[group_row]
            own = [
                f"{k}={v}"
                for k, v in sorted(alert.labels.items())
                if k not in ("alertname", "severity") and v != group.service
            ]
        return ", ".join(own[:_LABELS_SHOWN]) + (" …" if len(own) > _LABELS_SHOWN else "") if own else alert.fingerprint
