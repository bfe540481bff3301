"""A rule's `when`: the event it fires on with the fields that event takes, and the conditions it must meet
(severity, services, alert labels, drill or not). Which rows show follows the event, as rules.py reads
them: an alert.firing rule has labels only; severity.raised needs its level; role.unfilled a role and
minutes; status.changed the status it changes to; timer its minutes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLineEdit, QPlainTextEdit, QSpinBox, QWidget

from commander.domain.core.policy import Policy
from commander.domain.incident.state import Status
from commander.domain.workflows import rules
from commander.ui.kit.dialogs import FormGrid, plain_label
from commander.ui.workflows import fields

EVENT_WORDS = {
    "incident.declared": "An incident is declared",
    "severity.raised": "Severity is raised",
    "status.changed": "Status changes",
    "role.unfilled": "A role stays unfilled",
    "alert.firing": "An alert fires",
    "timer": "Time after the declaration",
}
_DRILL = (("either", None), ("real incidents only", False), ("drills only", True))


def combo(parent: QWidget, items: list[tuple[str, Any]], name: str) -> QComboBox:
    box = QComboBox(parent)
    box.setAccessibleName(name)
    for text, value in items:
        box.addItem(text, value)
    return box


def choose(box: QComboBox, value: Any) -> None:
    """Select the item holding `value`; a value the list lacks (from YAML) is added, so it shows and the
    save says what is wrong with it."""
    index = box.findData(value)
    if index < 0:
        box.addItem(str(value), value)
        index = box.count() - 1
    box.setCurrentIndex(index)


def minutes_box(parent: QWidget, most: int, name: str) -> QSpinBox:
    box = QSpinBox(parent)
    box.setRange(0, most)
    box.setSpecialValueText("not set")
    box.setSuffix(" min")
    box.setAccessibleName(name)
    return box


class TriggerForm(QWidget):
    changed = Signal()

    def __init__(self, policy: Policy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.policy = policy
        severities = [(f"{s.key} — {s.name}", s.key) for s in policy.severities]
        roles = [(r.name, r.key) for r in policy.roles]
        self.event_box = combo(self, [(EVENT_WORDS.get(e, e), e) for e in rules.EVENTS], "Trigger event")
        self.to = combo(self, [(s.value, s.value) for s in Status], "Status it changes to")
        self.role = combo(self, roles, "Role")
        self.minutes = minutes_box(self, rules.TIMER_MINUTES_MAX, "Minutes")
        self.severity = combo(self, [("any severity", None), *severities], "Severity at least")
        self.services = QLineEdit(self)
        self.services.setPlaceholderText("any service; or checkout, payments")
        self.services.setAccessibleName("Services (any of them)")
        self.alert_labels = self._labels("The alert's labels, one key=value a line (every one, exactly)")
        self.labels = self._labels("An attached alert has these labels, one key=value a line")
        self.drill = combo(self, [(text, value) for text, value in _DRILL], "Drill")
        self.words = plain_label("", self, name="Muted")  # the trigger and its conditions, in words
        self.words.setAccessibleName("The trigger in words")
        self._layout()
        for box in (self.event_box, self.to, self.role, self.severity, self.drill):
            box.currentIndexChanged.connect(lambda _index: self.changed.emit())
        self.event_box.currentIndexChanged.connect(lambda _index: self._event_chosen())
        self.minutes.valueChanged.connect(lambda _value: self.changed.emit())
        self.services.textChanged.connect(lambda _text: self.changed.emit())
        self.alert_labels.textChanged.connect(lambda: self.changed.emit())
        self.labels.textChanged.connect(lambda: self.changed.emit())
        self.changed.connect(self._say_words)
        self._event_chosen()

    def _labels(self, name: str) -> QPlainTextEdit:
        box = QPlainTextEdit(self)
        box.setPlaceholderText("severity=critical\nteam=payments")
        box.setAccessibleName(name)
        box.setTabChangesFocus(True)
        box.setFixedHeight(self.fontMetrics().lineSpacing() * 3 + 12)
        return box

    def _layout(self) -> None:
        when = QGroupBox("When", self)
        grid = self.when_grid = FormGrid()
        grid.addRow("Event", self.event_box)
        grid.addRow("Changes to", self.to)
        grid.addRow("Role", self.role)
        grid.addRow("For", self.minutes)
        grid.addRow("Labels", self.alert_labels)
        grid.setRowStretch(grid.rowCount(), 1)
        grid.addRow(self.words)
        when.setLayout(grid)
        only = QGroupBox("Only if", self)
        conditions = self.only_grid = FormGrid()
        conditions.addRow("Severity", self.severity)
        conditions.addRow("Services", self.services)
        conditions.addRow("Alert labels", self.labels)
        conditions.addRow("Drill", self.drill)
        self.no_conditions = plain_label(
            "An alert rule runs before there is an incident: it has no severity, services or drill to check.",
            self,
            name="Muted",
        )
        conditions.addRow(self.no_conditions)
        conditions.setRowStretch(conditions.rowCount(), 1)
        only.setLayout(conditions)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(when, 1)
        row.addWidget(only, 1)

    def _row_visible(self, grid: FormGrid, field: QWidget, shown: bool, caption: str | None = None) -> None:
        index = grid.indexOf(field)
        row = int(grid.getItemPosition(index)[0]) if index >= 0 else -1  # type: ignore[index]
        label_item = grid.itemAtPosition(row, 0) if row >= 0 else None
        label = label_item.widget() if label_item is not None else None
        field.setVisible(shown)
        if label is not None and label is not field:
            label.setVisible(shown)
            if caption is not None and hasattr(label, "setText"):
                label.setText(caption)

    def _event_chosen(self) -> None:
        event = self.event_box.currentData()
        alert, raised = event == "alert.firing", event == "severity.raised"
        self._row_visible(self.when_grid, self.to, event == "status.changed")
        self._row_visible(self.when_grid, self.role, event == "role.unfilled")
        after = "After" if event == "timer" else "Unfilled for"
        self._row_visible(self.when_grid, self.minutes, event in ("role.unfilled", "timer"), after)
        self._row_visible(self.when_grid, self.alert_labels, alert)
        self._row_visible(self.only_grid, self.severity, not alert, "Raised to" if raised else "Severity")
        for field in (self.services, self.labels, self.drill):
            self._row_visible(self.only_grid, field, not alert)
        self.no_conditions.setVisible(alert)
        self.severity.setItemText(0, "choose a level" if raised else "any severity")
        self.severity.setToolTip("The level it is raised to, or above" if raised else "At least this severe")
        self._say_words()

    def _say_words(self) -> None:
        data = self.data()
        said = fields.trigger_words(data, self.policy)
        self.words.setText(f"Runs {said}." if data["event"] == "timer" else f"Runs when {said}.")

    # -- plain data ------------------------------------------------------------------------------------

    def load(self, when: Any) -> None:
        when = when if isinstance(when, dict) else {}
        self.blockSignals(True)
        try:
            choose(self.event_box, when.get("event", "incident.declared"))
            if "to" in when:
                choose(self.to, when["to"])
            if "role" in when:
                choose(self.role, when["role"])
            minutes = when.get("minutes")
            self.minutes.setValue(minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else 0)
            choose(self.severity, when.get("severity_at_least"))
            self.services.setText(fields.text_from_list(when.get("services")))
            labels = fields.text_from_labels(when.get("labels"))
            alert = when.get("event") == "alert.firing"
            self.alert_labels.setPlainText(labels if alert else "")
            self.labels.setPlainText("" if alert else labels)
            choose(self.drill, when.get("drill"))
        finally:
            self.blockSignals(False)
        self._event_chosen()

    def data(self) -> dict[str, Any]:
        """`when` as rules.py reads it: only the fields this event takes, and only those filled in."""
        event = self.event_box.currentData()
        found: dict[str, Any] = {"event": event}
        if event == "status.changed":
            found["to"] = self.to.currentData()
        if event == "role.unfilled":
            found["role"] = self.role.currentData()
        if event in ("role.unfilled", "timer") and self.minutes.value():
            found["minutes"] = self.minutes.value()
        if event == "alert.firing":
            labels = fields.labels_from_text(self.alert_labels.toPlainText())
            if labels:
                found["labels"] = labels
            return found
        if self.severity.currentData() is not None:
            found["severity_at_least"] = self.severity.currentData()
        services = fields.list_from_text(self.services.text())
        if services:
            found["services"] = services
        labels = fields.labels_from_text(self.labels.toPlainText())
        if labels:
            found["labels"] = labels
        if self.drill.currentData() is not None:
            found["drill"] = self.drill.currentData()
        return found

    def field_widget(self, name: str) -> QWidget | None:
        widgets: dict[str, QWidget] = {
            "event": self.event_box,
            "to": self.to,
            "role": self.role,
            "minutes": self.minutes,
            "severity_at_least": self.severity,
            "services": self.services,
            "labels": self.alert_labels if self.event_box.currentData() == "alert.firing" else self.labels,
            "drill": self.drill,
        }
        return widgets.get(name)
