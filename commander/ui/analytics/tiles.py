"""The Trends window's key figures: a row of tiles, each a number with what it is and a line of context."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from commander.domain.analytics.figures import MonthlyCounts, Report
from commander.domain.analytics.formats import duration_text, hours_text, percent_text
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.theme import scaled_font


class Tile(QFrame):
    """One key figure: what it is, the number, and a line of context."""

    def __init__(self, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TrendCard")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.setSpacing(2)
        self.caption = plain_label(caption, self, name="Muted")
        self.value = QLabel("…", self)
        self.value.setFont(scaled_font(1.6, bold=True))
        self.value.setTextFormat(Qt.TextFormat.PlainText)
        self.detail = plain_label("", self, name="Faint")
        for widget in (self.caption, self.value, self.detail):
            layout.addWidget(widget)
        layout.addStretch(1)

    def show_figure(self, value: str, detail: str, *, warn: bool = False) -> None:
        self.value.setText(value)
        self.detail.setText(detail)
        self.detail.setObjectName("WarningText" if warn else "Faint")
        self.detail.style().unpolish(self.detail)
        self.detail.style().polish(self.detail)
        self.setAccessibleName(f"{self.caption.text()}: {value}. {detail}")


class KeyFigures(QHBoxLayout):
    """The six tiles, by key: incidents, resolve, top (time in the highest severity), updates, actions, noise."""

    def __init__(self, parent: QWidget, top_severity: str) -> None:
        super().__init__()
        self.setSpacing(10)
        self.tiles = {
            key: Tile(caption, parent)
            for key, caption in (
                ("incidents", "Incidents"),
                ("resolve", "Time to resolve"),
                ("top", f"Time in {top_severity}"),
                ("updates", "Updates on time"),
                ("actions", "Action items done"),
                ("noise", "Alerts marked noise"),
            )
        }
        for tile in self.tiles.values():
            self.addWidget(tile, 1)

    def show_first(self, monthly: MonthlyCounts) -> None:
        """What the incident list alone tells, while the rest is worked out."""
        self.tiles["incidents"].show_figure(f"{monthly.total:,}", "started in the range")

    def show_report(self, r: Report) -> None:
        t = self.tiles
        t["incidents"].show_figure(f"{len(r.facts):,}", f"{r.open:,} open · {r.reopened:,} reopened")
        overall = r.times[0].stages["resolve"] if r.times else None
        if overall is not None and overall.count:
            t["resolve"].show_figure(
                duration_text(overall.mean),
                f"mean · median {duration_text(overall.median)} · {overall.count:,} resolved",
            )
        else:
            t["resolve"].show_figure("—", "no incident resolved in this range")
        top = r.severities[0] if r.severities else ""
        t["top"].caption.setText(f"Time in {top}")
        t["top"].show_figure(
            hours_text(r.in_severity.get(top, timedelta(0))),
            f"{count_of(r.entered(top), 'incident')} {'was' if r.entered(top) == 1 else 'were'} {top}",
        )
        p = r.punctuality
        t["updates"].show_figure(
            percent_text(p.share),
            f"{p.on_time:,} of {p.due:,} on time · {p.missed:,} never sent" if p.due else "no update fell due",
            warn=bool(p.missed),
        )
        a = r.actions
        if a is None:
            t["actions"].show_figure("—", "no action items yet")
        else:
            t["actions"].show_figure(
                percent_text(a.completion),
                f"{a.done:,} of {a.done + a.open:,} · {a.overdue:,} overdue",
                warn=bool(a.overdue),
            )
        n = r.noise
        if n is None:
            t["noise"].show_figure("0", "no alert marked noise yet")
        else:
            name, count = n.by_name[0]
            t["noise"].show_figure(f"{n.total:,}", f"most often {name} ({count:,})")


def count_of(number: int, thing: str) -> str:
    """ "1 incident", "3 incidents"."""
    return f"{number:,} {thing}{'' if number == 1 else 's'}"
