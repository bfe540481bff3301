"""The Trends window's tables: a thin item model over rows of cells, and the rows themselves, made from a
report by plain functions (no Qt), so the worker thread makes them and the UI thread only swaps them in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from commander.domain.analytics.figures import STAGES, Report
from commander.domain.analytics.formats import duration_text, hours_text, percent_text
from commander.ui.kit import richtext

Index = QModelIndex | QPersistentModelIndex
Cell = tuple[str, float | str]  # what is shown, and what it sorts by (numbers sort as numbers)
Row = list[Cell]

TIMES_HEADERS = ["Group", "Incidents", "Open", *(f"{s.capitalize()}\n{m}" for s in STAGES for m in ("mean", "median"))]
PEOPLE_HEADERS = ["Person", "Working hours", "Off hours", "Total", "Share off hours", "Incidents"]
INCIDENT_HEADERS = ["Reference", "Severity", "Started", "State", *(s.capitalize() for s in STAGES), "Title"]
HEADER_TIPS = {
    "Working hours": "Time holding a role in an open incident, 09:00-18:00 Monday to Friday in your zone",
    "Off hours": "Time holding a role in an open incident outside working hours",
    "Share off hours": "Off hours as a share of the person's time in incidents",
    "Incidents": "Incidents counted (for a person: incidents where they held a role)",
    "Open": "Incidents still open: counted up to now, with no time to resolve",
    "Resolve": "Start to the last resolution; an open incident shows its age so far",
}
_GROUP_NAMES = {"all": "All incidents", "severity": "{}", "service": "Service: {}", "month": "{}"}


@dataclass(frozen=True)
class Tables:
    times: list[Row]
    people: list[Row]
    incidents: list[Row]


def tables_of(r: Report) -> Tables:
    return Tables(_times(r), _people(r), _incidents(r))


def _times(r: Report) -> list[Row]:
    rows = []
    for g in r.times:
        row: Row = [
            (_GROUP_NAMES[g.dimension].format(g.group), ""),
            (f"{g.incidents:,}", float(g.incidents)),
            (f"{g.open:,}", float(g.open)),
        ]
        for stage in STAGES:
            s = g.stages[stage]
            row += [(duration_text(s.mean), _seconds(s.mean)), (duration_text(s.median), _seconds(s.median))]
        rows.append(row)
    return rows


def _people(r: Report) -> list[Row]:
    rows: list[Row] = []
    for p in r.load:
        off_share = p.off / p.total if p.total else None
        rows.append(
            [
                (p.name, p.name.casefold()),
                (hours_text(p.working), _seconds(p.working)),
                (hours_text(p.off), _seconds(p.off)),
                (hours_text(p.total), _seconds(p.total)),
                (percent_text(off_share), off_share or 0.0),
                (f"{p.incidents:,}", float(p.incidents)),
            ]
        )
    return rows


def _incidents(r: Report) -> list[Row]:
    rows = []
    for f in reversed(r.facts):  # newest first
        state = "open" if f.open else "resolved"
        if f.reopened:
            state += f", reopened {f.reopened}×"
        row: Row = [
            (f.reference, f.reference),
            (f.severity, f.severity),
            (f"{f.start.astimezone(r.zone):%Y-%m-%d %H:%M}", f.start.timestamp()),
            (state, state),
        ]
        for stage in STAGES:
            value = f.times[stage]
            if value is None and stage == "resolve" and f.open:
                age = f.age(r.now)
                row.append((f"open, {duration_text(age)} so far", age.total_seconds()))
            else:
                row.append((duration_text(value), _seconds(value)))
        rows.append([*row, (f.title, f.title.casefold())])
    return rows


def _seconds(value: timedelta | None) -> float:
    return -1.0 if value is None else value.total_seconds()


class FigureTable(QAbstractTableModel):
    """Rows of (text, sort key) cells; numbers sort as numbers and sit on the right."""

    SortRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, headers: list[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.headers = headers
        self.rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        text, key = self.rows[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return text
        if role == Qt.ItemDataRole.ToolTipRole:  # titles and names are anyone's words: never markup
            return richtext.tooltip(text)
        if role == self.SortRole:
            return key
        if role == Qt.ItemDataRole.TextAlignmentRole:
            horizontal = Qt.AlignmentFlag.AlignRight if isinstance(key, float) else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(self.headers[section].split("\n")[0])
        return None
