"""Update templates: the team edits and adds them here, with a live preview filled from the incident on
screen (or from a made-up sample incident when none is open).

A template is untrusted text: the preview is plain text (nothing in it is ever read as HTML), and a
template that cannot be filled in says why in words, with its line highlighted in the editor, while the
preview keeps the last text that worked, greyed. A broken template is marked in the list; the others
stay usable. Saving writes a `template.saved` event, so every console sharing the store sees it.

Templates are filled in off the UI thread (`template_rendering`), so a hostile one that runs until its
time budget is up leaves the editor responsive; the list's rows are painted by `template_list`. Names,
problems and examples come from other people: tooltips escape them (a tooltip is read as HTML when it
looks like HTML), labels are plain text.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.app.updates import template_runner
from commander.app.updates import templates as updates
from commander.domain.core.events import Event
from commander.domain.updates.team_templates import STREAM, key_for, variable_reference
from commander.domain.updates.templates import Template, TemplateProblem
from commander.ui.kit import richtext
from commander.ui.kit.bridge import ConsoleBridge
from commander.ui.kit.dialogs import FormGrid, plain_label
from commander.ui.kit.problems import ErrorLabel, attempt
from commander.ui.kit.shell import Shell
from commander.ui.kit.theme import mono_font, tones
from commander.ui.updates.template_list import (
    DESCRIBED,
    DetailRole,
    KeyRole,
    OriginRole,
    TemplateDelegate,
    mark_item,
)
from commander.ui.updates.template_rendering import Rendering

PREVIEW_DELAY_MS = 150  # typing pauses this long before the preview is filled in again


class TemplateEditor(QDialog):
    def __init__(
        self,
        console: Console,
        incident_id: str | None,
        bridge: ConsoleBridge | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.console, self.incident_id = console, incident_id
        self.setWindowTitle("Update templates[*]")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.tones = tones(str(parent.property("theme")) if parent is not None else "dark")
        self.found: dict[str, Template] = {}
        self.problems: dict[str, TemplateProblem] = {}
        self.key: str | None = None  # the template in the editor; None: a new one, not saved yet
        self.saved: Template | None = None  # what Revert goes back to, and what "unsaved" compares with
        self._switching = False
        self.problem_line: int | None = None
        template_runner.ready()

        self.list = QListWidget(self)
        self.list.setAccessibleName("Templates")
        self.list.setItemDelegate(TemplateDelegate(self.tones, self.list))
        self.list.setUniformItemSizes(True)
        self.list.currentItemChanged.connect(self._chosen)
        self._make_fields()
        self._make_buttons()
        self.rendering = Rendering(self, self._preview_done, self.problem.show_message)  # the preview
        self.checking = Rendering(self, self._mark_problems)  # which templates in the list cannot be used

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)
        for field in (self.name, self.audience, self.stage):
            field.textChanged.connect(self._edited)
        self.body.textChanged.connect(self._edited)
        self.body.textChanged.connect(self._preview_timer.start)

        self._assemble()
        self._fill_variables()
        if bridge is not None:
            bridge.events_appended.connect(self._events_appended)
        self.reload()
        self.show_template(None)
        self.list.setFocus()

    # -- layout ------------------------------------------------------------------------------------

    def _make_fields(self) -> None:
        """The editor's fields, the variables and the preview (`_assemble` lays them out)."""
        self.heading = plain_label("", self, name="PanelTitle")
        self.key_label = plain_label("", self, name="Faint")
        self.key_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name = self._line("Name", "what people see in the list, e.g. Database outage (internal)")
        self.audience = self._line("Audience", "who reads it: customers, executives, responders")
        self.stage = self._line("Stage", "when it is sent: within 5 minutes, every cadence …")
        self.body = QPlainTextEdit(self)
        self.body.setFont(mono_font())
        self.body.setAccessibleName("Template text")
        self.body.setTabChangesFocus(True)  # keyboard first: Tab leaves the editor, as in every other field
        self.body.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # a highlighted line is one template line
        self.body.setPlaceholderText("[{{ incident.severity }}] {{ incident.title }}: {{ incident.status }}")
        self.problem = ErrorLabel(self)
        self.go_to_line = QPushButton("", self)
        self.go_to_line.setObjectName("LinkButton")
        self.go_to_line.hide()
        self.go_to_line.clicked.connect(self.show_problem_line)
        self.variables = QTreeWidget(self)
        self.variables.setAccessibleName("Variables: Enter or double-click inserts one")
        self.variables.setHeaderLabels(["Variable (Enter inserts it)", "Example"])
        self.variables.setRootIsDecorated(False)
        self.variables.itemActivated.connect(self._insert_variable)

        self.preview_caption = plain_label("", self, name="Muted")
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setAccessibleName("Preview: the update as it would go out now")
        self.stale = plain_label(
            "Showing the last preview that worked: fix the problem to update it.", self, name="Faint"
        )
        self.stale.hide()

    def _make_buttons(self) -> None:
        self.new_button = self._button("Ne&w", self.new_template)
        self.duplicate_button = self._button("&Duplicate", self.duplicate)
        self.remove_button = self._button("Re&move…", self.remove)
        self.revert_button = self._button("&Revert", self.revert)
        self.save_button = self._button("&Save", self.save)
        self.save_button.setDefault(True)
        self.save_button.setToolTip("Save for everyone sharing the store (Ctrl+S)")
        self.close_button = self._button("Close", self.reject)
        self.save_error = ErrorLabel(self)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save)

    def _line(self, name: str, hint: str) -> QLineEdit:
        field = QLineEdit(self)
        field.setAccessibleName(name)
        field.setPlaceholderText(hint)
        return field

    def _button(self, text: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text, self)
        button.setAutoDefault(False)
        button.clicked.connect(slot)
        return button

    def _assemble(self) -> None:
        em = self.fontMetrics().horizontalAdvance("x")
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, em, 0)
        left_layout.addWidget(self._buddy("&Templates", self.list, "PanelTitle"))
        left_layout.addWidget(self.list, 1)

        centre = QWidget(self)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(em, 0, em, 0)
        centre_layout.addWidget(self.heading)
        centre_layout.addWidget(self.key_label)
        form = FormGrid()
        form.addRow(self._buddy("&Name", self.name), self.name)
        form.addRow(self._buddy("&Audience", self.audience), self.audience)
        form.addRow(self._buddy("Sta&ge", self.stage), self.stage)
        centre_layout.addLayout(form)
        centre_layout.addWidget(self._buddy("Te&xt (Jinja2)", self.body, "Muted"))
        text_and_variables = QSplitter(Qt.Orientation.Vertical, centre)
        text_and_variables.addWidget(self.body)
        reference = QWidget(centre)
        reference_layout = QVBoxLayout(reference)
        reference_layout.setContentsMargins(0, 4, 0, 0)
        problem_row = QHBoxLayout()
        problem_row.addWidget(self.problem, 1)
        problem_row.addWidget(self.go_to_line, 0, Qt.AlignmentFlag.AlignTop)
        reference_layout.addLayout(problem_row)
        reference_layout.addWidget(self._buddy("&Variables", self.variables, "Muted"))
        reference_layout.addWidget(self.variables, 1)
        text_and_variables.addWidget(reference)
        text_and_variables.setChildrenCollapsible(False)
        text_and_variables.setSizes([em * 30, em * 30])
        centre_layout.addWidget(text_and_variables, 1)

        right = QWidget(self)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(em, 0, 0, 0)
        right_layout.addWidget(self._buddy("&Preview", self.preview, "PanelTitle"))
        right_layout.addWidget(self.preview_caption)
        right_layout.addWidget(self.preview, 1)
        right_layout.addWidget(self.stale)

        panes = QSplitter(Qt.Orientation.Horizontal, self)
        for pane in (left, centre, right):
            panes.addWidget(pane)
        panes.setChildrenCollapsible(False)
        panes.setStretchFactor(1, 1)
        panes.setStretchFactor(2, 1)
        panes.setSizes([em * 42, em * 72, em * 56])

        buttons = QHBoxLayout()
        for button in (self.new_button, self.duplicate_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        for button in (self.revert_button, self.save_button, self.close_button):
            buttons.addWidget(button)
        outer = QVBoxLayout(self)
        outer.addWidget(panes, 1)
        outer.addWidget(self.save_error)
        outer.addLayout(buttons)
        room = self.screen().availableGeometry()
        self.resize(min(em * 176, room.width() * 9 // 10), min(em * 108, room.height() * 9 // 10))

    def _buddy(self, text: str, field: QWidget, name: str | None = None) -> QLabel:
        """A caption whose Alt+letter moves the focus to its field."""
        label = QLabel(text, self)
        label.setBuddy(field)
        if name:
            label.setObjectName(name)
        return label

    def _fill_variables(self) -> None:
        """Read from the context the templates really get, so the list cannot fall behind it."""
        for expression, example in variable_reference(updates.variables(self.console, self.incident_id)):
            item = QTreeWidgetItem([expression, example])
            item.setFont(0, mono_font())
            item.setToolTip(0, richtext.tooltip(f"{{{{ {expression} }}}}"))
            item.setToolTip(1, richtext.tooltip(example))
            self.variables.addTopLevelItem(item)
        self.variables.resizeColumnToContents(0)

    # -- the list ----------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the templates again (after a save here or anywhere); which ones cannot be used is found
        off the UI thread and marked when known (`_mark_problems`)."""
        self.found = updates.templates(self.console)
        self._switching = True
        try:
            self.list.clear()
            for key, each in self.found.items():
                item = QListWidgetItem(each.name, self.list)
                detail = " · ".join(part for part in (each.audience, each.stage) if part) or "no audience or stage"
                item.setData(KeyRole, key)
                item.setData(OriginRole, each.origin)
                item.setData(DetailRole, detail)
                mark_item(item, each, self.problems.get(key))
                if key == self.key:
                    self.list.setCurrentItem(item)
        finally:
            self._switching = False
        found, filled = dict(self.found), updates.variables(self.console, self.incident_id)
        self.checking.start(lambda: template_runner.problems(found, filled))

    def _mark_problems(self, problems: dict[str, TemplateProblem]) -> None:
        self.problems = problems
        for row in range(self.list.count()):
            item = self.list.item(row)
            each = self.found.get(str(item.data(KeyRole)))
            if each is not None:
                mark_item(item, each, self.problems.get(each.key))

    def _chosen(self, current: QListWidgetItem | None, previous: QListWidgetItem | None) -> None:
        if self._switching or current is None:
            return
        if not self.may_leave():
            self._switching = True
            if previous is None:  # the editor held a new template, not in the list yet
                self.list.setCurrentRow(-1)
            else:
                self.list.setCurrentItem(previous)
            self._switching = False
            return
        self.load(self.found[str(current.data(KeyRole))])

    def show_template(self, key: str | None) -> None:
        """Select and load a template without asking about unsaved changes (the caller has dealt with
        them); a key no longer in the list shows the first template."""
        if key not in self.found:
            key = next(iter(self.found), None)
        if key is None:
            self.load(None)
            return
        self._switching = True
        self.list.setCurrentRow(list(self.found).index(key))
        self._switching = False
        self.load(self.found[key])

    def _events_appended(self, events: list[Event]) -> None:
        """Another console (or a terminal) saved or removed a template: show it, and keep any typing."""
        if not any(event.stream == STREAM for event in events):
            return
        dirty = self.is_dirty()
        self.reload()
        if dirty or self.key is None:
            return
        self.show_template(self.key)

    # -- the editor --------------------------------------------------------------------------------

    def load(self, found: Template | None, *, draft: tuple[str, str, str, str] = ("", "", "", "")) -> None:
        """Show a saved template, or (None) a new one filled with `draft`: name, audience, stage, text."""
        self.key, self.saved = (found.key, found) if found else (None, None)
        name, audience, stage, text = (found.name, found.audience, found.stage, found.source) if found else draft
        self.name.setText(name)
        self.audience.setText(audience)
        self.stage.setText(stage)
        self.body.setPlainText(text)
        self.save_error.clear_message()
        if found is None:
            self._switching = True
            self.list.setCurrentRow(-1)
            self._switching = False
        self._preview_timer.stop()
        self.refresh_preview()
        self._edited()

    def form(self) -> tuple[str, str, str, str]:
        return self.name.text(), self.audience.text(), self.stage.text(), self.body.toPlainText()

    def is_dirty(self) -> bool:
        if self.saved is None:
            return any(part.strip() for part in self.form())
        return self.form() != (self.saved.name, self.saved.audience, self.saved.stage, self.saved.source)

    def _edited(self) -> None:
        dirty = self.is_dirty()
        origin = self.saved.origin if self.saved else None
        self.heading.setText(
            ("New template" if self.saved is None else self.name.text() or "(no name)")
            + ("  (unsaved changes)" if dirty else "")
        )
        self.key_label.setText(
            f"Key: {self.key}  ·  {DESCRIBED[origin]}"
            if self.key and origin
            else "Key: made from the name when you save"
        )
        self.key_label.setToolTip(
            richtext.tooltip(f"From a terminal: commander update send REF --template {self.key}") if self.key else ""
        )
        self.revert_button.setEnabled(dirty)
        self.duplicate_button.setEnabled(self.saved is not None)
        self.remove_button.setEnabled(origin in ("team", "edited"))
        self.remove_button.setText("Restore the s&hipped version…" if origin == "edited" else "Re&move…")
        self.setWindowModified(dirty)

    def may_leave(self) -> bool:
        """Before the editor shows something else (or closes): save, discard, or stay."""
        if not self.is_dirty():
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            richtext.tooltip(f"Save your changes to {self.name.text() or 'the new template'} first?"),
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    # -- actions -----------------------------------------------------------------------------------

    def new_template(self) -> None:
        if self.may_leave():
            self.load(None)
            self.name.setFocus()

    def duplicate(self) -> None:
        if self.saved is not None and self.may_leave():
            original = self.saved
            self.load(None, draft=(f"Copy of {original.name}", original.audience, original.stage, original.source))
            self.name.setFocus()
            self.name.selectAll()

    def save(self) -> bool:
        name, audience, stage, body = self.form()
        key = self.key or key_for(name, self.found)
        done, saved = attempt(
            lambda: updates.save_template(
                self.console, key, name=name, stage=stage, audience=audience, body=body, new=self.key is None
            ),
            inline=self.save_error,
        )
        if not done or saved is None:
            return False
        self.key = saved.key
        self.reload()
        self.load(saved)
        return True

    def revert(self) -> None:
        self.load(self.saved)

    def remove(self) -> None:
        if self.saved is None or self.saved.origin == "shipped":
            return
        buttons = QMessageBox.StandardButton
        edited = self.saved.origin == "edited"
        question = (
            f"Restore the shipped version of {self.saved.name}? The team's version is removed for "
            f"everyone sharing the store."
            if edited
            else f"Remove {self.saved.name}? Every console sharing the store stops offering it."
        )
        answer = QMessageBox.question(
            self,
            "Restore the shipped version" if edited else "Remove the template",
            richtext.tooltip(question),
            buttons.Yes | buttons.Cancel,
            buttons.Cancel,
        )
        if answer != buttons.Yes:
            return
        key = self.saved.key
        done, back = attempt(lambda: updates.remove_template(self.console, key), inline=self.save_error)
        if not done:
            return
        self.reload()
        self.show_template(back.key if back else None)

    def reject(self) -> None:
        """Esc, Close and the window's close button all come here: unsaved changes are asked about."""
        if self.may_leave():
            super().reject()

    # -- the preview -------------------------------------------------------------------------------

    def refresh_preview(self) -> None:
        """Fill the text in for the incident (or the sample), off the UI thread; on a problem keep the last
        good preview."""
        self.preview_caption.setText(self._filled_from())
        source, filled = self.body.toPlainText(), updates.variables(self.console, self.incident_id)
        self.rendering.start(lambda: _filled_in(source, filled))

    def _preview_done(self, text: str | TemplateProblem) -> None:
        if isinstance(text, TemplateProblem):
            self._show_problem(text)
            return
        self._show_problem(None)
        scrolled = self.preview.verticalScrollBar().value()
        self.preview.setPlainText(text)  # plain text: a template's output is never read as HTML
        self.preview.verticalScrollBar().setValue(scrolled)
        self._grey(False)

    def _filled_from(self) -> str:
        if self.incident_id is None:
            return "Filled in from a made-up sample incident: no incident is open."
        return f"Filled in from {self.console.state(self.incident_id).reference}, the incident on screen."

    def _show_problem(self, problem: TemplateProblem | None) -> None:
        self.problem_line = problem.line if problem else None
        self.problem.show_message(f"This template cannot be filled in. {problem}" if problem else "")
        self.go_to_line.setText(f"Go to line {problem.line}" if problem and problem.line else "")
        self.go_to_line.setVisible(bool(problem and problem.line))
        self.stale.setVisible(problem is not None)
        self.body.setProperty("invalid", problem is not None)
        self.body.style().polish(self.body)
        self.body.setExtraSelections([] if self.problem_line is None else [self._highlight(self.problem_line)])
        if problem is not None:
            self._grey(True)

    def _highlight(self, line: int) -> QTextEdit.ExtraSelection:
        selection = QTextEdit.ExtraSelection()
        colour = QColor(self.tones.danger)
        colour.setAlpha(60)
        selection.format.setBackground(colour)
        selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        selection.cursor = QTextCursor(self.body.document().findBlockByNumber(line - 1))
        return selection

    def show_problem_line(self) -> None:
        if self.problem_line is None:
            return
        cursor = QTextCursor(self.body.document().findBlockByNumber(self.problem_line - 1))
        self.body.setTextCursor(cursor)
        self.body.setFocus()

    def _grey(self, stale: bool) -> None:
        """The last good preview, greyed while the template has a problem (and black again once fixed)."""
        look = QTextCharFormat()
        if stale:
            look.setForeground(QColor(self.tones.faint))
        cursor = QTextCursor(self.preview.document())
        cursor.select(QTextCursor.SelectionType.Document)
        cursor.setCharFormat(look)
        self.preview.setAccessibleDescription("out of date: the template has a problem" if stale else "")

    def _insert_variable(self, item: QTreeWidgetItem) -> None:
        self.body.insertPlainText(f"{{{{ {item.text(0)} }}}}")
        self.body.setFocus()


def _filled_in(source: str, filled: dict[str, object]) -> str | TemplateProblem:
    """The preview's text, or the template's problem: an answer to show (with its line), not a failure."""
    try:
        return template_runner.render_update(source, filled)
    except TemplateProblem as problem:
        return problem


def open_template_editor(shell: Shell) -> TemplateEditor:
    """The template editor, previewing against the incident on screen (or a sample when none is)."""
    dialog = TemplateEditor(shell.console, shell.current, shell.bridge, shell.window())
    dialog.open()
    return dialog
