"""View > Trends…: the first chart from the incident list at once, the other figures from a worker, filters
that only sum again, CSV export, refresh on lifecycle events, and the menu item."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.ui.analytics.view import TrendsWindow
from commander.ui.shell.main_window import MainWindow


@pytest.fixture
def seeded(console: Console) -> Console:
    """A resolved SEV2 on checkout (50 minutes from start to resolution) and an open SEV1 on search."""
    now = console.now()
    resolved = app_incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s",
            severity="SEV2",
            services=("checkout",),
            detected_at=now - timedelta(minutes=60),
        ),
    )
    app_incident.change_status(console, resolved.id, "resolved", at=now - timedelta(minutes=10))
    app_incident.declare(console, Declaration(title="Search is slow", severity="SEV1", services=("search",)))
    return console


def open_trends(qtbot: QtBot, console: Console) -> TrendsWindow:
    window = TrendsWindow(console)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.busy() and window.report is not None)
    return window


def test_the_first_chart_comes_from_the_incident_list_before_any_event_is_read(qtbot: QtBot, seeded: Console) -> None:
    window = TrendsWindow(seeded)
    qtbot.addWidget(window)
    assert window.report is None and window.busy()  # the worker has not answered yet
    counts = {s.name: sum(v or 0 for v in s.values) for s in window.counts_chart.series}
    assert counts == {"SEV1": 1, "SEV2": 1, "SEV3": 0, "SEV4": 0}
    assert window.tiles["incidents"].value.text() == "2"
    assert window.resolve_chart.message == "Working out the figures…"
    with qtbot.waitSignal(window.counts_chart.data_painted):
        window.show()
    qtbot.waitUntil(lambda: window.report is not None)


def test_every_figure_arrives_from_the_worker(qtbot: QtBot, seeded: Console) -> None:
    window = open_trends(qtbot, seeded)
    assert window.tiles["resolve"].value.text() == "50m"
    assert window.tiles["incidents"].detail.text() == "1 open · 0 reopened"
    assert window.tiles["actions"].detail.text() == "no action items yet"
    groups = [window.times_model.rows[n][0][0] for n in range(window.times_model.rowCount())]
    assert groups[:3] == ["All incidents", "SEV1", "SEV2"] and "Service: checkout" in groups
    incidents = window.incidents_model.rows
    assert [row[0][0] for row in incidents][0] != "" and any(row[7][0].startswith("open, ") for row in incidents)
    assert window.export_button.isEnabled()
    window.grab()
    assert all(chart.painted_data for chart in window.charts)
    for model in (window.times_model, window.people_model, window.incidents_model):
        ModelTester(None).check(model)  # type: ignore[arg-type]


def test_a_filter_sums_again_without_reading_the_store(qtbot: QtBot, seeded: Console) -> None:
    window = open_trends(qtbot, seeded)
    gathered = window.gathered
    window.severity.setCurrentIndex(window.severity.findData("SEV1"))
    qtbot.waitUntil(lambda: window.report is not None and window.report.filters.severities == {"SEV1"})
    assert window.gathered is gathered
    assert window.tiles["incidents"].value.text() == "1" and window.tiles["resolve"].value.text() == "—"
    assert window.resolve_chart.message == "No incident resolved in this range."
    window.service.setCurrentIndex(window.service.findData("checkout"))
    qtbot.waitUntil(lambda: window.report is not None and window.report.filters.services == {"checkout"})
    assert window.tiles["incidents"].value.text() == "0"
    assert window.counts_chart.message == "No incidents started in this range. Widen it, or change the filters."


def test_a_range_that_ends_before_it_starts_is_explained(qtbot: QtBot, seeded: Console) -> None:
    window = open_trends(qtbot, seeded)
    window.since.setDate(window.until.date().addDays(3))
    assert window.status.text() == "The range ends before it starts: choose a From date before the To date."
    assert window.range.currentText() == "Custom range"


def test_export_writes_every_figure_as_csv(
    qtbot: QtBot, seeded: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_trends(qtbot, seeded)
    target = tmp_path / "trends"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args, **kwargs: (str(target), ""))
    saved = window.export_csv()
    assert saved == tmp_path / "trends.csv" and window.status.text() == f"Saved {saved}"
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"), newline="")))
    resolve = next(r for r in rows if r["group"] == "all" and r["measure"] == "resolve_mean")
    assert (resolve["value"], resolve["unit"]) == ("50.0", "minutes")


def test_lifecycle_events_make_it_read_again_after_a_pause_notes_do_not(qtbot: QtBot, seeded: Console) -> None:
    window = open_trends(qtbot, seeded)
    incident = next(s.id for s in seeded.incidents() if s.is_open)
    window.events_appended(timeline.add_note(seeded, incident, "still looking"))
    assert not window._stale.isActive()  # noqa: SLF001 - the pause is the behaviour under test
    window.events_appended(app_incident.change_status(seeded, incident, "resolved"))
    assert window._stale.isActive()  # noqa: SLF001
    window._stale.timeout.emit()  # noqa: SLF001 - no need to wait the pause out
    qtbot.waitUntil(lambda: not window.busy() and window.report is not None and window.report.open == 0)
    assert window.tiles["incidents"].detail.text() == "0 open · 0 reopened"


def test_the_chart_tooltip_names_each_value_and_the_total(qtbot: QtBot, seeded: Console) -> None:
    window = open_trends(qtbot, seeded)
    month = window.counts_chart.categories.index(seeded.now().astimezone(seeded.zone).strftime("%Y-%m"))
    lines = window.counts_chart.describe(month).splitlines()
    assert lines[1:3] == ["SEV1: 1", "SEV2: 1"] and lines[-1] == "Total: 2"


@pytest.mark.qt_log_ignore(r"This plugin does not support (raise|propagateSizeHints)\(\)")  # open_once raises it
def test_view_trends_opens_one_window_with_its_shortcut(qtbot: QtBot, window: MainWindow, seeded: Console) -> None:
    action = next(a for a in window.findChildren(QAction) if a.text() == "T&rends…")
    assert action.shortcut() == QKeySequence("Ctrl+Shift+R")
    action.trigger()
    first = window.findChild(TrendsWindow)
    assert first is not None and first.isVisible()
    qtbot.waitUntil(lambda: not first.busy())
    first.close()
    action.trigger()
    assert window.findChild(TrendsWindow) is first and first.isVisible()


def test_refresh_reads_new_incidents_and_offers_their_services(qtbot: QtBot, seeded: Console) -> None:
    window = open_trends(qtbot, seeded)
    assert window.service.findData("cart") == -1
    app_incident.declare(seeded, Declaration(title="Carts are empty", severity="SEV3", services=("cart",)))
    window.refresh()
    qtbot.waitUntil(lambda: not window.busy() and window.report is not None and len(window.report.facts) == 3)
    assert window.service.findData("cart") > 0 and window.service.currentData() is None
