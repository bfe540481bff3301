"""Incident details under the role board: services, the impact summary, and the lifecycle times."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from commander.app.console import Console
from commander.domain.incident.state import MILESTONES, IncidentState
from commander.ui.kit import timefmt


class DetailsBox(QWidget):
    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        title = QLabel("Incident details", self)
        title.setObjectName("PanelTitle")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        outer.setSpacing(6)
        outer.addWidget(title)
        # A grid, not a QFormLayout: a form gives a wrapped label the height of one line.
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(3)
        grid.setColumnStretch(1, 1)
        outer.addLayout(grid)
        self.services = self._value("Services")
        self.summary = self._value("Impact summary")
        self.times: dict[str, QLabel] = {name: self._value(name.capitalize()) for name in MILESTONES}
        rows = [("Services", self.services), ("Impact", self.summary)]
        rows += [(name.capitalize(), label) for name, label in self.times.items()]
        for row, (caption, value) in enumerate(rows):
            grid.addWidget(self._label(caption), row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)

    def _label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        label.setObjectName("Faint")
        return label

    def _value(self, name: str) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setWordWrap(True)
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def show_state(self, state: IncidentState | None) -> None:
        self.setEnabled(state is not None)
        if state is None:
            for label in (self.services, self.summary, *self.times.values()):
                label.setText("")
            return
        self.services.setText(", ".join(state.services) or "none named")
        self.summary.setText(state.summary or "not written yet — Details… in the header")
        zone = self.console.zone
        start = state.started_at()
        for name, label in self.times.items():
            moment = state.milestones.get(name)
            label.setText(timefmt.smart(moment, zone, start) if moment else "—")
            label.setToolTip(timefmt.both(moment, zone) if moment else "")
