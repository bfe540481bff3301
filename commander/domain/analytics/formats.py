"""An analytics report as CSV (for spreadsheets) and as JSON (for scripts): the same figures the window
and `commander report` show.

The CSV is one long table (section, dimension, group, measure, value, unit), so a single file holds every
section and a pivot table can reshape it. Durations are minutes there and seconds in JSON.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

from commander.domain.analytics.figures import STAGES, Report, Spread
from commander.domain.core.when import format_duration, iso
from commander.domain.timeline.export import zone_name

CSV_COLUMNS = ("section", "dimension", "group", "measure", "value", "unit")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run these as formulas


def to_rows(report: Report) -> list[tuple[str, str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str, str]] = []

    def add(section: str, dimension: str, group: str, measure: str, value: float | int | None, unit: str) -> None:
        shown = "" if value is None else f"{value:.1f}" if isinstance(value, float) else str(value)
        rows.append((section, dimension, _cell(group), measure, shown, unit))

    for g in report.times:
        add("times", g.dimension, g.group, "incidents", g.incidents, "incidents")
        add("times", g.dimension, g.group, "open", g.open, "incidents")
        for stage in STAGES:
            s = g.stages[stage]
            add("times", g.dimension, g.group, f"{stage}_count", s.count, "incidents")
            add("times", g.dimension, g.group, f"{stage}_mean", _minutes(s.mean), "minutes")
            add("times", g.dimension, g.group, f"{stage}_median", _minutes(s.median), "minutes")
    monthly = report.monthly
    for month in monthly.months:
        for severity in monthly.severities:
            add("counts", "month", month, severity, monthly.counts[month].get(severity, 0), "incidents")
    for severity, spent in report.in_severity.items():
        add("time_in_severity", "severity", severity, "time_open", _hours(spent), "hours")
        add("time_in_severity", "severity", severity, "incidents", report.entered(severity), "incidents")
    p = report.punctuality
    for measure, count in (("on_time", p.on_time), ("late", p.late), ("missed", p.missed), ("due", p.due)):
        add("update_punctuality", "all", "all", measure, count, "updates")
    add("update_punctuality", "all", "all", "on_time_share", _percent(p.share), "percent")
    for r in report.load:
        add("responder_load", "person", r.name, "working_hours", _hours(r.working), "hours")
        add("responder_load", "person", r.name, "off_hours", _hours(r.off), "hours")
        add("responder_load", "person", r.name, "incidents", r.incidents, "incidents")
    a = report.actions
    if a is not None:
        for measure, count in (
            ("total", a.total),
            ("open", a.open),
            ("done", a.done),
            ("wont_do", a.wont_do),
            ("overdue", a.overdue),
        ):
            add("action_items", "all", "all", measure, count, "items")
        add("action_items", "all", "all", "completion", _percent(a.completion), "percent")
    if report.noise is not None:
        add("noise", "all", "all", "marked_noise", report.noise.total, "alerts")
        for name, count in report.noise.by_name:
            add("noise", "alert", name, "marked_noise", count, "alerts")
    return rows


def to_csv(report: Report) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180 quoting, \r\n between records
    writer.writerow(CSV_COLUMNS)
    writer.writerows(to_rows(report))
    return buffer.getvalue()


def to_json(report: Report) -> dict[str, Any]:
    f = report.filters
    p = report.punctuality
    return {
        "generated_at": iso(report.now),
        "filters": {
            "since": iso(f.since) if f.since else None,
            "until": iso(f.until) if f.until else None,
            "zone": zone_name(report.zone),
            "severities": sorted(f.severities),
            "services": sorted(f.services),
            "include_drills": f.include_drills,
        },
        "incidents": {"total": len(report.facts), "open": report.open, "reopened": report.reopened},
        "times": [
            {
                "dimension": g.dimension,
                "group": g.group,
                "incidents": g.incidents,
                "open": g.open,
                **{stage: _spread_json(g.stages[stage]) for stage in STAGES},
            }
            for g in report.times
        ],
        "counts": [
            {"month": month, **{s: counts.get(s, 0) for s in report.severities}, "total": sum(counts.values())}
            for month, counts in report.monthly.counts.items()
        ],
        "time_in_severity": [
            {"severity": s, "seconds": spent.total_seconds(), "incidents": report.entered(s)}
            for s, spent in report.in_severity.items()
        ],
        "update_punctuality": {
            "on_time": p.on_time,
            "late": p.late,
            "missed": p.missed,
            "due": p.due,
            "on_time_share": p.share,
        },
        "responder_load": [
            {
                "person": r.name,
                "working_seconds": r.working.total_seconds(),
                "off_seconds": r.off.total_seconds(),
                "incidents": r.incidents,
            }
            for r in report.load
        ],
        "action_items": None
        if report.actions is None
        else {
            "total": report.actions.total,
            "open": report.actions.open,
            "done": report.actions.done,
            "wont_do": report.actions.wont_do,
            "overdue": report.actions.overdue,
            "completion": report.actions.completion,
        },
        "noise": None
        if report.noise is None
        else {"total": report.noise.total, "by_alert": [{"name": n, "count": c} for n, c in report.noise.by_name]},
    }


# -- words and numbers for people (the window and the terminal) ------------------------------------------


def duration_text(value: timedelta | None) -> str:
    """'42m', '2h 05m'; a dash when there is nothing to show."""
    return "—" if value is None else format_duration(value)


def hours_text(value: timedelta) -> str:
    hours = value.total_seconds() / 3600
    return f"{hours:,.1f} h"


def percent_text(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def _spread_json(s: Spread) -> dict[str, Any]:
    return {
        "count": s.count,
        "mean_seconds": s.mean.total_seconds() if s.mean is not None else None,
        "median_seconds": s.median.total_seconds() if s.median is not None else None,
    }


def _minutes(value: timedelta | None) -> float | None:
    return None if value is None else value.total_seconds() / 60


def _hours(value: timedelta) -> float:
    return value.total_seconds() / 3600


def _percent(share: float | None) -> float | None:
    return None if share is None else share * 100


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text
