"""View > Trends…: incident analytics in a window of its own, filtered by date range, severity, service and
drills, as charts, key figures and tables, exported as CSV.

The first chart (incidents per month) comes from the incident list alone and is drawn at once; every other
figure needs events, which a worker thread reads through a connection of its own and works out once per
refresh (commander.app.analytics). A change of filter then only sums again, on the same thread, so the
window never waits (commander.ui.kit.background). New lifecycle events refresh it after a short pause.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from commander.app import analytics
from commander.app.console import Console
from commander.domain.analytics.figures import STAGES, Gathered, Listed, MonthlyCounts, Report, ReportFilter
from commander.domain.analytics.formats import duration_text, to_csv
from commander.domain.core.events import Event
from commander.domain.timeline.export import zone_name
from commander.ui.analytics.charts import Chart, Series
from commander.ui.analytics.tables import (
    INCIDENT_HEADERS,
    PEOPLE_HEADERS,
    TIMES_HEADERS,
    FigureTable,
    Tables,
    tables_of,
)
from commander.ui.analytics.tiles import KeyFigures, count_of
from commander.ui.kit.background import run_in_background
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import show_problem
from commander.ui.kit.shell import Shell, open_once
from commander.ui.kit.theme import DARK, Tones, severity_colour

RANGES = ("Last 30 days", "Last 90 days", "Last 12 months", "This year", "All time", "Custom range")
STAGE_TONES = {"detect": "cat_status", "acknowledge": "cat_role", "mitigate": "cat_update", "resolve": "cat_milestone"}
STALE_MS = 3000  # after new lifecycle events, wait this long for more before reading again
TOP_RESPONDERS = 10


class TrendsWindow(QWidget):
    def __init__(self, console: Console, parent: QWidget | None = None, *, tones: Tones | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.console = console
        self.tones = tones or DARK
        self.setWindowTitle("Trends")
        self.gathered: Gathered | None = None
        self.report: Report | None = None
        self._running = False
        self._wanted: tuple[ReportFilter, bool] | None = None  # the next job: filters, read again
        self._stale = QTimer(self)
        self._stale.setSingleShot(True)
        self._stale.setInterval(STALE_MS)
        self._stale.timeout.connect(self.refresh)
        self._watched = frozenset(analytics.kinds())
        self._stale_while_hidden = False
        rows = console.incidents()
        self._earliest: int | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 8)
        layout.setSpacing(10)
        layout.addLayout(self._filters_row())
        self._know(rows)
        self.figures = KeyFigures(self, console.policy.severities[0].key)
        self.tiles = self.figures.tiles
        layout.addLayout(self.figures)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._charts_page(), "Charts")
        self.times_model = FigureTable(TIMES_HEADERS, self)
        self.people_model = FigureTable(PEOPLE_HEADERS, self)
        self.incidents_model = FigureTable(INCIDENT_HEADERS, self)
        for model, name in (
            (self.times_model, "Times"),
            (self.people_model, "Responders"),
            (self.incidents_model, "Incidents"),
        ):
            self.tabs.addTab(self._table(model, name), name)
        layout.addWidget(self.tabs, 1)
        self.status = plain_label("", self, name="Muted")
        layout.addWidget(self.status)
        self._shortcuts()
        self.set_tones(self.tones)
        self.resize(1280, 860)

        self._show_first(analytics.monthly(console, self.filters(), rows))  # the first chart, at once
        self._ask(self.filters(), read_again=True)

    # -- building ----------------------------------------------------------------------------------

    def _filters_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(6)
        self.range = QComboBox(self)
        self.range.addItems(list(RANGES))
        self.range.setAccessibleName("Date range")
        self.since, self.until = QDateEdit(self), QDateEdit(self)
        for edit, name in ((self.since, "From"), (self.until, "To")):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setAccessibleName(f"{name} date")
        self.severity = QComboBox(self)
        self.severity.setAccessibleName("Severity")
        self.severity.addItem("All severities", None)
        for level in self.console.policy.severities:
            self.severity.addItem(f"{level.key} {level.name}", level.key)
        self.service = QComboBox(self)
        self.service.setAccessibleName("Service")
        self.service.addItem("All services", None)
        self.drills = QCheckBox("Include drills", self)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Read the store again (F5)")
        self.refresh_button.clicked.connect(self.refresh)
        self.export_button = QPushButton("Export CSV…", self)
        self.export_button.setToolTip("Save every figure as one CSV table (Ctrl+S)")
        self.export_button.setEnabled(False)
        self.export_button.clicked.connect(self.export_csv)
        widgets: list[QWidget] = [
            plain_label("Range", self, name="Muted"),
            self.range,
            plain_label("From", self, name="Muted"),
            self.since,
            plain_label("to", self, name="Muted"),
            self.until,
        ]
        for widget in widgets:
            row.addWidget(widget)
        row.addSpacing(12)
        for widget in (self.severity, self.service, self.drills):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        row.addWidget(self.export_button)
        self.range.setCurrentIndex(RANGES.index("Last 12 months"))
        self._apply_range()
        self.range.currentIndexChanged.connect(lambda _: self._range_chosen())
        for edit in (self.since, self.until):
            edit.dateChanged.connect(lambda _: self._dates_edited())
        for combo in (self.severity, self.service):
            combo.currentIndexChanged.connect(lambda _: self._filters_changed())
        self.drills.toggled.connect(lambda _: self._filters_changed())
        return row

    def _charts_page(self) -> QWidget:
        page = QWidget(self)
        grid = QGridLayout(page)
        grid.setContentsMargins(0, 10, 0, 0)
        grid.setSpacing(10)
        self.counts_chart = Chart("Incidents started per month, by severity", page, kind="stacked")
        self.resolve_chart = Chart("Time to resolve, per month", page, kind="line")
        self.stages_chart = Chart("Mean time to each stage, by severity", page, kind="grouped")
        self.load_chart = Chart(
            f"Responder load: hours holding a role (top {TOP_RESPONDERS})", page, kind="stacked", horizontal=True
        )
        self.charts = [self.counts_chart, self.resolve_chart, self.stages_chart, self.load_chart]
        for chart in self.charts[1:]:
            chart.set_message("Working out the figures…")
        for n, chart in enumerate(self.charts):
            card = QFrame(page)
            card.setObjectName("TrendCard")
            inside = QVBoxLayout(card)
            inside.setContentsMargins(2, 4, 2, 4)
            inside.addWidget(chart)
            grid.addWidget(card, n // 2, n % 2)
        return page

    def _table(self, model: FigureTable, name: str) -> QTableView:
        proxy = QSortFilterProxyModel(self)
        proxy.setSourceModel(model)
        proxy.setSortRole(FigureTable.SortRole)
        view = QTableView(self)
        view.setObjectName(f"Trends{name}")
        view.setModel(proxy)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 8)
        view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the report's own order
        view.setSortingEnabled(True)
        view.horizontalHeader().setStretchLastSection(model.headers[-1] == "Title")
        view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        view.horizontalHeader().setResizeContentsPrecision(64)  # widths from the first rows: 5,000 are slow
        model.modelReset.connect(view.resizeColumnsToContents)
        return view

    def _know(self, rows: Iterable[Listed]) -> None:
        """The services to choose from and the first incident's start ("All time"), from the incident list."""
        rows = list(rows)
        self._earliest = min((s.started_at_ms for s in rows if s.started_at_ms), default=None)
        services = sorted({name for s in rows for name in s.services}, key=str.casefold)
        chosen = self.service.currentData()
        self.service.blockSignals(True)
        self.service.clear()
        self.service.addItem("All services", None)
        for name in services:
            self.service.addItem(name, name)
        self.service.setCurrentIndex(max(0, self.service.findData(chosen)))
        self.service.blockSignals(False)

    def _shortcuts(self) -> None:
        for keys, slot in (
            (QKeySequence(QKeySequence.StandardKey.Refresh), self.refresh),
            (QKeySequence(QKeySequence.StandardKey.Save), self.export_csv),
            (QKeySequence(QKeySequence.StandardKey.Close), self.close),
        ):
            action = QAction(self)
            action.setShortcut(keys)
            action.triggered.connect(slot)
            self.addAction(action)

    def set_tones(self, tones: Tones) -> None:
        self.tones = tones
        self.setStyleSheet(
            f"#TrendCard {{ background: {tones.surface}; border: 1px solid {tones.border}; border-radius: 6px; }}"
        )
        for chart in self.charts:
            chart.set_tones(tones)
        if self.report is not None:  # the charts' colours come from the theme
            self._show_counts(self.report.monthly)
            self._show_charts(self.report)

    # -- filters -----------------------------------------------------------------------------------

    def filters(self) -> ReportFilter:
        zone = self.console.zone
        since, until = _day(self.since.date()), _day(self.until.date())
        return ReportFilter(
            since=datetime.combine(since, datetime.min.time(), zone),
            until=datetime.combine(until + timedelta(days=1), datetime.min.time(), zone),
            severities=frozenset({self.severity.currentData()} - {None}),
            services=frozenset({self.service.currentData()} - {None}),
            include_drills=self.drills.isChecked(),
        )

    def _today(self) -> date:
        return self.console.now().astimezone(self.console.zone).date()

    def _apply_range(self) -> None:
        today = self._today()
        chosen = self.range.currentText()
        starts = {
            "Last 30 days": today - timedelta(days=29),
            "Last 90 days": today - timedelta(days=89),
            "Last 12 months": analytics.default_since(today),
            "This year": date(today.year, 1, 1),
            "All time": self._earliest_day() or today,
        }
        if chosen not in starts:
            return
        for edit, day in ((self.since, starts[chosen]), (self.until, today)):
            edit.blockSignals(True)
            edit.setDate(QDate(day.year, day.month, day.day))
            edit.blockSignals(False)

    def _earliest_day(self) -> date | None:
        if self._earliest is None:
            return None
        return datetime.fromtimestamp(self._earliest / 1000, self.console.zone).date()

    def _range_chosen(self) -> None:
        self._apply_range()
        self._filters_changed()

    def _dates_edited(self) -> None:
        self.range.blockSignals(True)
        self.range.setCurrentIndex(RANGES.index("Custom range"))
        self.range.blockSignals(False)
        self._filters_changed()

    def _filters_changed(self) -> None:
        filters = self.filters()
        if filters.since and filters.until and filters.since >= filters.until:
            self.status.setText("The range ends before it starts: choose a From date before the To date.")
            return
        self._show_first(analytics.monthly(self.console, filters))
        self._ask(filters, read_again=False)

    # -- working -----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the store again and work every figure out afresh."""
        self._stale.stop()
        self._ask(self.filters(), read_again=True)

    def events_appended(self, events: list[Event]) -> None:
        """Connected to the bridge: lifecycle changes make the figures stale (notes do not); read again after
        a pause, or when shown again."""
        if any(event.kind in self._watched for event in events):
            if self.isVisible():
                self._stale.start()
            else:
                self._stale_while_hidden = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale_while_hidden:
            self._stale_while_hidden = False
            self.refresh()

    def busy(self) -> bool:
        return self._running or self._wanted is not None

    def _ask(self, filters: ReportFilter, *, read_again: bool) -> None:
        again = read_again or (self._wanted is not None and self._wanted[1])
        self._wanted = (filters, again)
        self.status.setText(
            "Reading the store and working out the figures…"
            if again or self.gathered is None
            else "Working out the figures…"
        )
        if not self._running:
            QTimer.singleShot(0, self, self._next)  # once the event loop has painted what is there already

    def _next(self) -> None:
        if self._wanted is None or self._running:
            return
        filters, again = self._wanted
        self._wanted, self._running = None, True
        gathered = None if again else self.gathered
        console = self.console

        def work(_progress: object) -> tuple[ReportFilter, Gathered, Report, Tables]:  # no widgets here
            found = gathered
            if found is None:
                with analytics.reads_for_worker(console) as reads:
                    found = analytics.collect(console, reads=reads)
            report = analytics.summarise(console, found, filters)
            return filters, found, report, tables_of(report)

        run_in_background(
            work,
            parent=self,
            success=self._finished,
            failure=lambda message: self._failed(f"{message} The figures shown are from the last time it worked."),
            name="commander-trends",
        )

    def _finished(self, result: tuple[ReportFilter, Gathered, Report, Tables]) -> None:
        filters, gathered, report, tables = result
        if gathered is not self.gathered:
            self.gathered = gathered
            self._know(gathered.rows.values())
        self._running = False
        if self._wanted is None and filters == self.filters():
            self.report = report
            self._show(report, tables)
        self._next()

    def _failed(self, message: str) -> None:
        self._running = False
        self.status.setText(message)
        self._next()

    # -- showing -----------------------------------------------------------------------------------

    def _show_counts(self, monthly: MonthlyCounts) -> None:
        policy = self.console.policy
        series = [
            Series(s, severity_colour(policy, s), tuple(float(monthly.counts[m].get(s, 0)) for m in monthly.months))
            for s in monthly.severities
        ]
        self.counts_chart.set_data(
            monthly.months,
            series,
            labels=[_month_label(m) for m in monthly.months],
            value_text=lambda v: f"{v:,.0f}",
            empty="No incidents started in this range. Widen it, or change the filters.",
        )

    def _show_first(self, monthly: MonthlyCounts) -> None:
        """What the incident list alone tells, while the rest is worked out."""
        self._show_counts(monthly)
        self.figures.show_first(monthly)

    def _show(self, r: Report, tables: Tables) -> None:
        self._show_counts(r.monthly)
        self.figures.show_report(r)
        self._show_charts(r)
        self.times_model.set_rows(tables.times)
        self.people_model.set_rows(tables.people)
        self.incidents_model.set_rows(tables.incidents)
        self.export_button.setEnabled(True)
        f = r.filters
        last = (f.until - timedelta(days=1)) if f.until else r.now
        drills = "drills included" if f.include_drills else "drills left out"
        self.status.setText(
            f"{count_of(len(r.facts), 'incident')} started {f.since:%d %b %Y} to {last:%d %b %Y} "
            f"({zone_name(r.zone)}), {drills}. Times count from each incident's start; open incidents count up "
            f"to now and have no time to resolve. Figures as of {r.now.astimezone(r.zone):%H:%M}."
            if f.since
            else ""
        )

    def _show_charts(self, r: Report) -> None:
        tones = self.tones
        months = r.group("month")
        resolve = [(g.stages["resolve"].mean, g.stages["resolve"].median) for g in months]
        hours = [_hours(value) for pair in resolve for value in pair]
        self.resolve_chart.set_data(
            [g.group for g in months],
            [
                Series("mean", tones.colour("accent"), tuple(_hours(mean) for mean, _ in resolve)),
                Series(
                    "median", tones.colour("cat_milestone"), tuple(_hours(median) for _, median in resolve), dashed=True
                ),
            ],
            labels=[_month_label(g.group) for g in months],
            value_text=_hours_text,
            axis_text=_axis_hours,
            empty="No incident resolved in this range." if not any(h for h in hours if h) else "",
        )
        severities = r.group("severity")
        in_minutes = max(
            (g.stages[s].mean or timedelta(0) for g in severities for s in STAGES), default=timedelta(0)
        ) < timedelta(hours=2)
        scale, unit = (60.0, "min") if in_minutes else (3600.0, "h")
        self.stages_chart.set_data(
            [g.group for g in severities],
            [
                Series(
                    stage,
                    tones.colour(STAGE_TONES[stage]),
                    tuple(_scaled(g.stages[stage].mean, scale) for g in severities),
                )
                for stage in STAGES
            ],
            value_text=lambda v: duration_text(timedelta(seconds=v * scale)),
            axis_text=lambda v: f"{v:g} {unit}",
            empty="No incidents in this range.",
        )
        people = list(r.load[:TOP_RESPONDERS])
        self.load_chart.set_data(
            [p.name for p in people],
            [
                Series(
                    "working hours (09–18, Mon–Fri)",
                    tones.colour("accent"),
                    tuple(p.working.total_seconds() / 3600 for p in people),
                ),
                Series("off hours", tones.colour("cat_timer"), tuple(p.off.total_seconds() / 3600 for p in people)),
            ],
            value_text=lambda v: f"{v:,.1f} h",
            axis_text=_axis_hours,
            empty="Nobody held a role in this range.",
        )

    # -- exporting ---------------------------------------------------------------------------------

    def export_csv(self) -> Path | None:
        """Save the figures on screen as CSV; returns where (None when cancelled or not ready)."""
        if self.report is None:
            return None
        suggested = Path.home() / f"commander-trends-{self._today():%Y-%m-%d}.csv"
        chosen, _ = QFileDialog.getSaveFileName(self, "Export the figures as CSV", str(suggested), "CSV (*.csv)")
        if not chosen:
            return None
        path = Path(chosen) if Path(chosen).suffix else Path(chosen).with_suffix(".csv")
        try:
            path.write_text(to_csv(self.report), encoding="utf-8", newline="")
        except OSError as error:
            show_problem(
                self,
                "Could not save the figures",
                f"{path} could not be written ({error.strerror or error}). Choose a folder you can write "
                f"to and export again.",
            )
            return None
        self.status.setText(f"Saved {path}")
        return path


def open_trends(shell: Shell) -> TrendsWindow:
    """The shell's one Trends window, made on first use and shown again after, in the shell's theme."""

    def make() -> TrendsWindow:
        made = TrendsWindow(shell.console, shell.window(), tones=shell.tones)
        shell.bridge.events_appended.connect(made.events_appended)
        return made

    found, made = open_once(shell, TrendsWindow, make)
    if not made:
        found.set_tones(shell.tones)
    return found


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{date(int(year), int(number), 1):%b} {year[2:]}"


def _day(value: QDate) -> date:
    return date(value.year(), value.month(), value.day())


def _scaled(value: timedelta | None, seconds: float) -> float | None:
    return None if value is None else value.total_seconds() / seconds


def _hours(value: timedelta | None) -> float | None:
    return _scaled(value, 3600)


def _hours_text(value: float) -> str:
    return duration_text(timedelta(hours=value))


def _axis_hours(value: float) -> str:
    return f"{value:g} h"
