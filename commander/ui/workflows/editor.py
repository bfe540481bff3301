"""Incident > Workflows… (Ctrl+Shift+W): the team's workflow rules, shared through the store like the update
templates. A list of rules (name, trigger in words, number of actions) with New, Duplicate, Remove (undone
by saving the rule back), Import YAML… and Export YAML…; beside it the chosen rule as a form (name,
trigger, conditions, ordered actions), as YAML that can be edited too, and a dry run against an incident.

Save checks the rule whole (rules.rule_from_dict, through app.workflows.save) and shows the refusal's
sentence under the form, with the field it names marked and its action chosen. Unsaved changes are asked
about before another rule is shown or the window closes. Rule names, templates and labels come from other
people: they are shown as plain text, and tooltips escape them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app import workflows
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.workflows import kinds
from commander.domain.workflows.kinds import SavedRule
from commander.domain.workflows.rules import rule_to_dict
from commander.ui.kit import richtext
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.dialogs import FormGrid, plain_label
from commander.ui.kit.problems import KNOWN, ErrorLabel
from commander.ui.kit.shell import Shell, open_once
from commander.ui.kit.theme import mono_font
from commander.ui.workflows import fields, files
from commander.ui.workflows.actions_form import ActionsEditor
from commander.ui.workflows.dry_run import DryRunPane
from commander.ui.workflows.trigger_form import TriggerForm

RULE_TAB, YAML_TAB, DRY_RUN_TAB = range(3)
_EMPTY = {"name": "", "when": {"event": "incident.declared"}, "do": []}
_NO_RULES = (
    "No workflow rules yet. Press New, or Import YAML… (a file like the one in docs/automation.md; "
    "`commander workflow import FILE` does the same)."
)


class WorkflowsWindow(QDialog):
    def __init__(
        self,
        console: Console,
        bridge: ConsoleBridge | None = None,
        incident_id: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.console, self.incident_id = console, incident_id
        self.setWindowTitle("Workflows[*]")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.saved: dict[str, SavedRule] = {}
        self.current: SavedRule | None = None  # the rule in the editor; None: a new one, not saved yet
        self.baseline: Any = dict(_EMPTY)  # what "unsaved changes" compares with
        self.removed: dict[str, Any] | None = None  # the last rule removed here: what Undo saves back
        self._switching = False
        self._source = RULE_TAB  # the tab whose text is the rule: the form, or the YAML once edited there
        self._make_widgets()
        self._assemble()
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save)
        removing = QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list, self.remove)
        removing.setContext(Qt.ShortcutContext.WidgetShortcut)  # Delete in a text field edits the text
        if bridge is not None:
            bridge.events_appended.connect(self._events_appended)
            bridge.incident_shown.connect(self._incident_shown)  # the dry run offers the one on screen
        self.reload()
        self.show_rule(None)
        self.list.setFocus()

    # -- layout ------------------------------------------------------------------------------------

    def _make_widgets(self) -> None:
        self.list = QTreeWidget(self)
        self.list.setAccessibleName("Workflow rules")
        self.list.setHeaderLabels(["Rule", "When", "Actions"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAllColumnsShowFocus(True)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.list.currentItemChanged.connect(self._chosen)
        self.empty = plain_label(_NO_RULES, self, name="Muted")
        self.new_button = self._button("&New", self.new_rule)
        self.duplicate_button = self._button("Dupli&cate", self.duplicate)
        self.remove_button = self._button("Re&move…", self.remove)
        self.import_button = self._button("&Import YAML…", self.import_rules)
        self.export_button = self._button("E&xport YAML…", self.export_rules)
        self.said = plain_label("", self, name="Muted")
        self.undo_button = self._button("&Undo", self.undo_remove)
        self.undo_button.setObjectName("LinkButton")
        self.undo_button.hide()

        self.heading = plain_label("", self, name="PanelTitle")
        self.version = plain_label("", self, name="Faint")
        # What the rule names that the team does not have yet: a heading, and one line per missing thing.
        self.missing = plain_label("Not set up yet: these actions would fail until it is.", self, name="WarningText")
        self.missing_lines = plain_label("", self, name="Muted")
        self.missing_lines.setAccessibleName("What this rule names that the team does not have yet")
        self.missing.hide()
        self.missing_lines.hide()
        self.name = QLineEdit(self)
        self.name.setAccessibleName("Rule name")
        self.name.setPlaceholderText("letters, digits, '.', '-' or '_', e.g. sev1-war-room")
        self.name.textEdited.connect(lambda _text: self._edited("name"))
        self.trigger = TriggerForm(self.console.policy, self)
        self.trigger.changed.connect(self._edited)
        self.steps = ActionsEditor(self.console.policy, self)
        self.steps.changed.connect(self._edited)
        self.yaml = QPlainTextEdit(self)
        self.yaml.setAccessibleName("The rule as YAML")
        self.yaml.setFont(mono_font())
        self.yaml.setTabChangesFocus(True)
        self.yaml.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.yaml.textChanged.connect(self._yaml_edited)
        self.dry_run = DryRunPane(self.console, self)
        self.save_error = ErrorLabel(self)
        self.revert_button = self._button("Re&vert", self.revert)
        self.save_button = self._button("&Save", self.save)
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Check the rule and save it for everyone sharing the store (Ctrl+S)")
        self.close_button = self._button("Close", self.reject)

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def _assemble(self) -> None:
        em = self.fontMetrics().horizontalAdvance("x")
        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, em, 0)
        column.addWidget(plain_label("Rules", left, name="PanelTitle"))
        column.addWidget(self.empty)
        column.addWidget(self.list, 1)
        for group in (
            (self.new_button, self.duplicate_button, self.remove_button),
            (self.import_button, self.export_button),
        ):
            row = QHBoxLayout()
            for button in group:
                row.addWidget(button)
            row.addStretch(1)
            column.addLayout(row)
        said = QHBoxLayout()
        said.addWidget(self.said, 1)
        said.addWidget(self.undo_button, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(said)

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._rule_page(), "&Rule")
        self.tabs.addTab(self.yaml, "&YAML")
        self.tabs.addTab(self.dry_run, "&Dry run")
        self.tabs.currentChanged.connect(self._tab_changed)
        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(em, 0, 0, 0)
        column.addWidget(self.heading)
        column.addWidget(self.version)
        column.addWidget(self.missing)
        column.addWidget(self.missing_lines)
        column.addWidget(self.tabs, 1)

        panes = QSplitter(Qt.Orientation.Horizontal, self)
        panes.addWidget(left)
        panes.addWidget(right)
        panes.setChildrenCollapsible(False)
        panes.setStretchFactor(1, 1)
        panes.setSizes([em * 60, em * 120])
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.revert_button, self.save_button, self.close_button):
            buttons.addWidget(button)
        outer = QVBoxLayout(self)
        outer.addWidget(panes, 1)
        outer.addWidget(self.save_error)
        outer.addLayout(buttons)
        room = self.screen().availableGeometry()
        self.resize(
            min(em * 184, room.width() * 9 // 10), min(self.fontMetrics().height() * 46, room.height() * 9 // 10)
        )

    def _rule_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        form = FormGrid()
        form.addRow("Name", self.name)
        layout.addLayout(form)
        layout.addWidget(self.trigger)
        layout.addWidget(self.steps, 1)
        return page

    # -- the list ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the rules again (after a save here or anywhere) and list them."""
        self.saved = {saved.rule.name.casefold(): saved for saved in workflows.rules(self.console)}
        self._switching = True
        try:
            self.list.clear()
            for key, saved in self.saved.items():
                data = rule_to_dict(saved.rule)
                when = fields.trigger_words(data["when"], self.console.policy)
                count = len(saved.rule.actions)
                item = QTreeWidgetItem([saved.rule.name, when, str(count)])
                item.setData(0, Qt.ItemDataRole.UserRole, key)
                item.setToolTip(1, richtext.tooltip(when))
                item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.list.addTopLevelItem(item)
                if self.current is not None and key == self.current.rule.name.casefold():
                    self.list.setCurrentItem(item)
        finally:
            self._switching = False
        self.empty.setVisible(not self.saved)
        self.list.setVisible(bool(self.saved))
        self.export_button.setEnabled(bool(self.saved))

    def _chosen(self, item: QTreeWidgetItem | None, previous: QTreeWidgetItem | None) -> None:
        if self._switching or item is None:
            return
        key = str(item.data(0, Qt.ItemDataRole.UserRole))  # read now: saving first remakes the list's items
        if not self.may_leave():
            self._select(self.current.rule.name.casefold() if self.current is not None else None)
            return
        self._select(key)
        self.load(self.saved.get(key))

    def show_rule(self, name: str | None) -> None:
        """Select and load a rule without asking about unsaved changes; an unknown name shows the first."""
        key = name.casefold() if name else None
        if key not in self.saved:
            key = next(iter(self.saved), None)
        self._select(key)
        self.load(self.saved[key] if key is not None else None)

    def _select(self, key: str | None) -> None:
        self._switching = True
        try:
            self.list.setCurrentItem(None)  # type: ignore[call-overload]
            for row in range(self.list.topLevelItemCount()):
                item = self.list.topLevelItem(row)
                if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == key:
                    self.list.setCurrentItem(item)
        finally:
            self._switching = False

    def _events_appended(self, events: list[Event]) -> None:
        """Another console (or a terminal) saved or removed a rule: list it, and keep any typing."""
        if not any(event.stream == kinds.STREAM for event in events):
            return
        dirty = self.is_dirty()
        self.reload()
        if not dirty and self.current is not None:
            self.show_rule(self.current.rule.name)

    def _incident_shown(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        if incident_id is not None:
            self.dry_run.fill_incidents(incident_id, follow=True)

    # -- the editor --------------------------------------------------------------------------------

    def load(self, saved: SavedRule | None, *, draft: Any = None) -> None:
        """Show a saved rule, or (None) a new one filled with `draft` (plain data)."""
        self.current = saved
        self.baseline = rule_to_dict(saved.rule) if saved is not None else dict(_EMPTY)
        self._show_data(self.baseline if saved is not None else (draft or self.baseline))
        self._source = YAML_TAB if self.tabs.currentIndex() == YAML_TAB else RULE_TAB
        if saved is None:
            self._select(None)
        self.save_error.clear_message()
        self._mark_name(False)
        self._show_missing()
        self._edited()

    def _show_missing(self) -> None:
        """A rule may be saved before what it names exists (a connection, a schedule, a template): each
        such action would fail, saying so. Said here, one line for each thing missing."""
        said: list[str] = []
        if self.current is not None:
            try:
                said = fields.missing_lines(self.current.rule.name, workflows.unresolved(self.console, [self.current]))
            except KNOWN as problem:
                said = [str(problem)]
        self.missing_lines.setText("\n".join(said[:6] + (["…"] if len(said) > 6 else [])))
        self.missing.setVisible(bool(said))
        self.missing_lines.setVisible(bool(said))

    def _show_data(self, data: Any) -> None:
        """Put plain data in the form and in the YAML tab."""
        self._switching = True
        try:
            self.name.setText(str(data.get("name", "")) if isinstance(data, dict) else "")
            self.trigger.load(data.get("when") if isinstance(data, dict) else None)
            self.steps.load(data.get("do") if isinstance(data, dict) else None)
            self.yaml.setPlainText(files.as_yaml(data))
        finally:
            self._switching = False

    def data(self) -> Any:
        """The rule as plain data, from the tab being edited: the YAML's when it is on, else the form's.
        Raises DomainError when the YAML cannot be read."""
        if self._source == YAML_TAB:
            return files.rule_from_yaml(self.yaml.toPlainText())
        return self.form_data()

    def form_data(self) -> dict[str, Any]:
        return {"name": self.name.text().strip(), "when": self.trigger.data(), "do": self.steps.data()}

    def is_dirty(self) -> bool:
        try:
            return bool(self.data() != self.baseline)
        except DomainError:
            return True

    def _edited(self, field: str | None = None) -> None:
        if self._switching:
            return
        if field == "name":
            self._mark_name(False)
        dirty = self.is_dirty()
        name = self.current.rule.name if self.current is not None else "New rule"
        self.heading.setText(name + ("  (unsaved changes)" if dirty else ""))
        self.version.setText(
            f"Version {self.current.version} · shared with every console on this store"
            if self.current is not None
            else "Not saved yet"
        )
        self.revert_button.setEnabled(dirty)
        self.duplicate_button.setEnabled(self.current is not None)
        self.remove_button.setEnabled(self.current is not None)
        self.setWindowModified(dirty)
        self.dry_run.set_rule(self.current.rule.name if self.current is not None else None, dirty=dirty)

    def _yaml_edited(self) -> None:
        if not self._switching and self._source == YAML_TAB:
            self._edited()

    def _tab_changed(self, index: int) -> None:
        """Moving between the form and the YAML carries the rule across; YAML that cannot be read keeps
        its tab, with the reason."""
        if index == YAML_TAB and self._source == RULE_TAB:
            self._switching = True
            self.yaml.setPlainText(files.as_yaml(self.form_data()))
            self._switching = False
            self._source = YAML_TAB
        elif index == RULE_TAB and self._source == YAML_TAB:
            try:
                data = files.rule_from_yaml(self.yaml.toPlainText())
            except DomainError as problem:
                self.save_error.show_message(str(problem))
                self.tabs.blockSignals(True)
                self.tabs.setCurrentIndex(YAML_TAB)
                self.tabs.blockSignals(False)
                return
            self.save_error.clear_message()
            self._show_data(data)
            self._source = RULE_TAB
        if index == DRY_RUN_TAB:
            self.dry_run.fill_incidents(self.incident_id)
        self._edited()

    def may_leave(self) -> bool:
        """Before the editor shows another rule (or closes): save, discard, or stay."""
        if not self.is_dirty():
            return True
        buttons = QMessageBox.StandardButton
        name = self.name.text().strip() or "the new rule"
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            richtext.tooltip(f"Save your changes to {name} first?"),
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    # -- saving and its problems -------------------------------------------------------------------

    def save(self) -> bool:
        replacing = self.current.rule.name if self.current is not None else None
        try:
            name = workflows.save(self.console, self.data(), replacing=replacing, new=replacing is None)
        except KNOWN as error:
            self._show_problem(str(error))
            return False
        self.reload()
        self.show_rule(name)
        assert self.current is not None
        self._say(f"Saved {name} (version {self.current.version}).")
        return True

    def _show_problem(self, message: str) -> None:
        """The refusal's sentence under the form, and the field it names marked (and its action chosen)."""
        self.save_error.show_message(message)
        if self._source != RULE_TAB:
            return
        place = fields.place_of(message)
        if place.action is not None:
            self.steps.show_problem(place.action, place.field, message)
        elif place.trigger and place.field:
            widget = self.trigger.field_widget(place.field)
            if widget is not None:
                widget.setFocus()
        elif place.field == "name":
            self._mark_name(True)
            self.name.setFocus()

    def _mark_name(self, invalid: bool) -> None:
        self.name.setProperty("invalid", invalid)
        self.name.style().polish(self.name)

    def revert(self) -> None:
        self.load(self.current)

    def _say(self, text: str, *, undo: bool = False) -> None:
        self.said.setText(text)
        self.undo_button.setVisible(undo)

    # -- the list's buttons ------------------------------------------------------------------------

    def new_rule(self) -> None:
        if self.may_leave():
            self.load(None)
            self.tabs.setCurrentIndex(RULE_TAB)
            self.name.setFocus()

    def duplicate(self) -> None:
        if self.current is None or not self.may_leave():
            return
        data = rule_to_dict(self.current.rule)
        data["name"] = _copy_name(data["name"], set(self.saved))
        self.load(None, draft=data)
        self.tabs.setCurrentIndex(RULE_TAB)
        self.name.setFocus()
        self.name.selectAll()

    def remove(self) -> None:
        if self.current is None:
            return
        name = self.current.rule.name
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Remove the rule",
            richtext.tooltip(f"Remove {name}? Every console sharing the store stops running it."),
            buttons.Yes | buttons.Cancel,
            buttons.Cancel,
        )
        if answer != buttons.Yes:
            return
        data = rule_to_dict(self.current.rule)
        try:
            workflows.remove(self.console, name)
        except KNOWN as error:
            self.save_error.show_message(str(error))
            return
        self.removed = data
        self.current = None
        self.reload()
        self.show_rule(None)
        self._say(f"Removed {name}.", undo=True)

    def undo_remove(self) -> None:
        """Save the removed rule back (its version counts on from the removed one's)."""
        if self.removed is None or not self.may_leave():
            return
        try:
            name = workflows.save(self.console, self.removed, new=True)
        except KNOWN as error:
            self.save_error.show_message(str(error))
            return
        self.removed = None
        self.reload()
        self.show_rule(name)
        self._say(f"{name} is back.")

    def import_rules(self) -> None:
        path = files.choose_import(self)
        if path is None:
            return
        try:
            said = files.import_file(self.console, path)
        except KNOWN as error:
            self.save_error.show_message(str(error))
            return
        self.save_error.clear_message()
        dirty = self.is_dirty()
        self.reload()
        if not dirty:
            self.show_rule(self.current.rule.name if self.current is not None else None)
        self._say(said)

    def export_rules(self) -> None:
        path = files.choose_export(self)
        if path is None:
            return
        try:
            self._say(files.export_file(self.console, path))
        except KNOWN as error:
            self.save_error.show_message(str(error))

    def reject(self) -> None:
        """Esc, Close and the window's close button all come here: unsaved changes are asked about."""
        if self.may_leave():
            super().reject()


def _copy_name(name: str, taken: set[str]) -> str:
    for number in range(2, 100):
        candidate = f"{name[:70]}-copy{'' if number == 2 else number}"
        if candidate.casefold() not in taken:
            return candidate
    return f"{name[:70]}-copy"


def open_workflows(shell: Shell) -> WorkflowsWindow:
    """The shell's one Workflows window, made on first use and raised after."""
    return open_once(
        shell,
        WorkflowsWindow,
        lambda: WorkflowsWindow(shell.console, shell.bridge, shell.current, shell.window()),
    )[0]
