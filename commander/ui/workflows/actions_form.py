"""A rule's `do`: the ordered actions as a list (add with a kind chooser, remove, move up and down) and an
editor for the chosen one, built from the fields its kind takes (commander.domain.workflows.rules.ACTIONS).

Each action is kept as plain data, as the YAML has it; a field is written back only when it is edited,
so a value the form cannot show (a number where text belongs, from YAML) stays as it was until then, and
Save says what is wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from commander.domain.core.policy import Policy
from commander.domain.workflows import rules
from commander.ui.kit import richtext
from commander.ui.kit.dialogs import FormGrid, plain_label
from commander.ui.kit.problems import ErrorLabel
from commander.ui.kit.theme import mono_font
from commander.ui.workflows import fields
from commander.ui.workflows.trigger_form import choose, combo, minutes_box

SUMMARY_FIELDS = ("via", "name", "who", "policy", "template", "label", "title", "severity", "role", "by", "runbook")


def summary(step: dict[str, Any]) -> str:
    """One list row: "2. invite · team-slack · oncall:payments-primary, role:incident_commander"."""
    kind = str(step.get("action", "?"))
    said = [fields.text_from_list(step[name]) for name in SUMMARY_FIELDS if step.get(name) not in (None, "", [])]
    return " · ".join([kind, *said[:2]])


class ActionForm(QWidget):
    """The fields of one action; edits go straight into its plain data."""

    edited = Signal()

    def __init__(self, policy: Policy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.policy = policy
        self.step: dict[str, Any] | None = None
        self.widgets: dict[str, QWidget] = {}
        self.heading = plain_label("", self, name="PanelTitle")
        self.hint = plain_label("", self, name="Faint")
        self.fields = QWidget(self)  # remade for each action: its kind decides the rows
        self.problem = ErrorLabel(self)
        self.outer = QVBoxLayout(self)
        self.outer.setContentsMargins(0, 0, 0, 0)
        self.outer.addWidget(self.heading)
        self.outer.addWidget(self.hint)
        self.outer.addWidget(self.fields)
        self.outer.addWidget(self.problem)
        self.outer.addStretch(1)

    def show_step(self, step: dict[str, Any] | None, position: int = 0) -> None:
        self.step = step
        self.widgets = {}
        self.problem.clear_message()
        fresh = QWidget(self)
        grid = FormGrid()
        grid.setContentsMargins(0, 4, 0, 0)
        fresh.setLayout(grid)
        self.outer.replaceWidget(self.fields, fresh)
        self.fields.hide()
        self.fields.deleteLater()
        self.fields = fresh
        if step is None:
            self.heading.setText("No action chosen")
            self.hint.setText("Add an action, or choose one in the list.")
            return
        kind = str(step.get("action", ""))
        self.heading.setText(f"{position}. {fields.ACTION_WORDS.get(kind, kind)}")
        self.hint.setText(f"action: {kind} · * required · {{{{ … }}}} is filled in per incident")
        for name, look, required in fields.action_fields(kind):
            widget = self._widget(fresh, kind, name, look, step.get(name))
            self.widgets[name] = widget
            grid.addRow(f"{look.caption}{' *' if required else ''}", widget)

    def _widget(self, parent: QWidget, kind: str, name: str, look: fields.FieldLook, value: Any) -> QWidget:
        def write(new: Any) -> None:
            if self.step is None:
                return
            if new in (None, "", []):
                self.step.pop(name, None)
            else:
                self.step[name] = new
            self._mark(name, False)
            self.edited.emit()

        widget = _make(parent, self.policy, look, value, write)
        widget.setAccessibleName(look.caption)
        if look.hint:
            widget.setToolTip(richtext.tooltip(look.hint))  # "oncall:<schedule>" must not read as a tag
        if fields.is_template(kind, name):
            widget.setFont(mono_font())
        return widget

    def mark_problem(self, field: str | None, message: str) -> None:
        self.problem.show_message(message)
        if field in self.widgets:
            self._mark(field, True)
            self.widgets[field].setFocus()

    def _mark(self, name: str, invalid: bool) -> None:
        widget = self.widgets.get(name)
        if widget is not None:
            widget.setProperty("invalid", invalid)
            widget.style().polish(widget)
        if not invalid:
            self.problem.clear_message()


def _make(parent: QWidget, policy: Policy, look: fields.FieldLook, value: Any, write: Callable[[Any], None]) -> QWidget:
    """The widget for one field, showing `value` and calling `write` with the new plain value on an edit."""
    if look.widget in (fields.SEVERITY, fields.ROLE, fields.CHOICE):
        if look.widget == fields.SEVERITY:
            items: list[tuple[str, Any]] = [(f"{s.key} — {s.name}", s.key) for s in policy.severities]
        elif look.widget == fields.ROLE:
            items = [(r.name, r.key) for r in policy.roles]
        else:
            items = [(choice, choice) for choice in look.choices if choice]
        box: QComboBox = combo(parent, [("(not set)", None), *items], look.caption)
        choose(box, value)
        box.currentIndexChanged.connect(lambda _index: write(box.currentData()))
        return box
    if look.widget == fields.MINUTES:
        spin: QSpinBox = minutes_box(parent, rules.ROLE_MINUTES_MAX, look.caption)
        spin.setValue(value if isinstance(value, int) and not isinstance(value, bool) else 0)
        spin.valueChanged.connect(lambda minutes: write(minutes or None))
        return spin
    if look.widget == fields.LINES:
        text = QPlainTextEdit(parent)
        text.setPlainText("" if value is None else str(value))
        text.setPlaceholderText(look.hint)
        text.setTabChangesFocus(True)
        text.setFixedHeight(text.fontMetrics().lineSpacing() * 5 + 12)
        text.textChanged.connect(lambda: write(text.toPlainText()))
        return text
    line = QLineEdit(parent)
    line.setPlaceholderText(look.hint)
    if look.widget == fields.LIST:
        line.setText(fields.text_from_list(value))
        line.textEdited.connect(lambda typed: write(fields.list_from_text(typed)))
    else:
        line.setText("" if value is None else str(value))
        line.textEdited.connect(write)
    line.setCursorPosition(0)  # the start of a long template, not its end
    return line


class ActionsEditor(QWidget):
    """The list of actions with its buttons, beside the chosen action's form."""

    changed = Signal()

    def __init__(self, policy: Policy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps: list[dict[str, Any]] = []
        self.list = QListWidget(self)
        self.list.setAccessibleName("Actions, in the order they run")
        self.list.currentRowChanged.connect(self._chosen)
        self.form = ActionForm(policy, self)
        self.form.edited.connect(self._edited)
        self.add_button = QToolButton(self)
        self.add_button.setText("&Add action")
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_button)
        for kind in rules.ACTIONS:
            act = menu.addAction(f"{fields.ACTION_WORDS.get(kind, kind)}  ({kind})")
            act.triggered.connect(lambda _checked=False, kind=kind: self.add(kind))
        self.add_button.setMenu(menu)
        self.remove_button = self._button("Remove", lambda: self.remove(self.list.currentRow()))
        self.up_button = self._button("Up", lambda: self.move_step(self.list.currentRow(), -1))
        self.down_button = self._button("Down", lambda: self.move_step(self.list.currentRow(), 1))
        self._layout()

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def _layout(self) -> None:
        em = self.fontMetrics().horizontalAdvance("x")
        left = QVBoxLayout()
        left.addWidget(plain_label("Actions, in order", self, name="PanelTitle"))
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.remove_button, self.up_button, self.down_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        left.addLayout(buttons)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addLayout(left, 1)
        row.addSpacing(em * 2)
        row.addWidget(self.form, 1)

    def load(self, steps: Any) -> None:
        listed = steps if isinstance(steps, list) else []  # anything else is refused by Save, with the reason
        self.steps = [dict(step) if isinstance(step, dict) else {"action": step} for step in listed]
        self._fill(0 if self.steps else -1)

    def data(self) -> list[dict[str, Any]]:
        return [dict(step) for step in self.steps]

    def _fill(self, current: int) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for position, step in enumerate(self.steps, start=1):
            QListWidgetItem(f"{position}. {summary(step)}", self.list)  # an item's text is drawn as plain text
        self.list.setCurrentRow(current)
        self.list.blockSignals(False)
        self._chosen(current)

    def _chosen(self, row: int) -> None:
        self.form.show_step(self.steps[row] if 0 <= row < len(self.steps) else None, row + 1)
        self.remove_button.setEnabled(row >= 0)
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < len(self.steps) - 1)

    def _edited(self) -> None:
        row = self.list.currentRow()
        item = self.list.item(row)
        if item is not None:
            item.setText(f"{row + 1}. {summary(self.steps[row])}")
        self.changed.emit()

    def add(self, kind: str) -> None:
        if len(self.steps) >= rules.ACTIONS_MAX:
            self.form.mark_problem(None, f"A rule has at most {rules.ACTIONS_MAX} actions.")
            return
        at = self.list.currentRow() + 1 if self.list.currentRow() >= 0 else len(self.steps)
        self.steps.insert(at, {"action": kind})
        self._fill(at)
        self.changed.emit()
        first = next(iter(self.form.widgets.values()), None)
        if first is not None:
            first.setFocus()

    def remove(self, row: int) -> None:
        if 0 <= row < len(self.steps):
            del self.steps[row]
            self._fill(min(row, len(self.steps) - 1))
            self.changed.emit()

    def move_step(self, row: int, by: int) -> None:
        to = row + by
        if 0 <= row < len(self.steps) and 0 <= to < len(self.steps):
            self.steps[row], self.steps[to] = self.steps[to], self.steps[row]
            self._fill(to)
            self.changed.emit()

    def show_problem(self, position: int | None, field: str | None, message: str) -> None:
        """Select the action a refusal is about and mark its field."""
        if position is not None and 1 <= position <= len(self.steps):
            self.list.setCurrentRow(position - 1)
        self.form.mark_problem(field, message)
