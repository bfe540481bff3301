"""The checklists panel: the incident's runbook and duty checklists, ticked in place.

Each checklist shows its title, where it came from (runbook version, role duties), whether the library
thinks the runbook is stale, and a progress bar; below it the steps, nested as in the runbook, with the
command to copy, the link to open, who has the step and what was found. Everything a person does here is
one console call, so it is an event on the timeline and reaches every other console.

Keyboard, on a selected step: Space ticks or unticks, S skips (asks why), A assigns, F adds a finding,
Ctrl+Shift+C copies the command, Ctrl+Enter opens the link.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from commander.app import checklists as app_checklists
from commander.app.console import Console
from commander.domain.checklists.state import Checklist, ChecklistStep
from commander.domain.core.events import Event
from commander.domain.runbooks.inline_markdown import plain
from commander.domain.timeline.entries import IncidentView
from commander.ui.checklists.badges import library_badges
from commander.ui.checklists.delegate import ChecklistDelegate
from commander.ui.checklists.model import CHECKLIST, STEP, ChecklistModel, Node
from commander.ui.kit.dialogs import CommandDialog
from commander.ui.kit.problems import attempt, show_problem
from commander.ui.kit.theme import Tones
from commander.ui.runbooks.file_names import file_name

if TYPE_CHECKING:  # the step dialogs load when first opened
    from commander.ui.checklists.dialogs import StepDialog

WEB_SCHEMES = ("http", "https", "mailto")
EMPTY_HINT = (
    "No checklist on this incident yet. Attach a runbook from the library, or a role's duties "
    "(Duties, or right-click a role on the board)."
)


class ChecklistPanel(QWidget):
    said = Signal(str)  # a short confirmation for the status bar ("Copied the command")

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Panel")
        self.console = console
        self.incident_id: str | None = None
        self._collapsed: set[str] = set()  # checklists the reader folded away, kept across rebuilds

        self.count = QLabel(self)  # the panel sits in a tab named Checklists: no title of its own
        self.count.setObjectName("Faint")
        # A new count is a new text, not a new layout: a tick must not make the window lay itself out again.
        self.count.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.model = ChecklistModel(self)
        self.model.zone = console.zone
        self.delegate = self._make_tree()
        self.empty = QLabel(EMPTY_HINT, self)
        self.empty.setObjectName("Muted")
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        buttons = self._make_buttons()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.count)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty, 1, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(buttons)
        self._make_actions()
        self._show_rows()

    def _make_tree(self) -> ChecklistDelegate:
        """The tree of checklists and steps, and the delegate that paints its rows and hears their clicks."""
        self.tree = QTreeView(self)
        self.tree.setObjectName("ChecklistTree")
        self.tree.setAccessibleName("Checklists")
        self.tree.setModel(self.model)
        delegate = ChecklistDelegate(self.tree, self)
        delegate.zone = self.console.zone
        self.tree.setItemDelegate(delegate)
        self.tree.setHeaderHidden(True)
        self.tree.setIndentation(self.fontMetrics().horizontalAdvance("x") * 2)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setExpandsOnDoubleClick(False)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.collapsed.connect(partial(self._folded, True))
        self.tree.expanded.connect(partial(self._folded, False))
        self.tree.selectionModel().currentChanged.connect(self._update_actions)
        self.tree.viewport().installEventFilter(self)
        delegate.toggle_clicked.connect(self._toggle_at)
        delegate.copy_clicked.connect(self._copy_at)
        delegate.link_clicked.connect(self._open_link_at)
        delegate.anchor_clicked.connect(self.open_link)
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self._fit_rows)
        self._width = 0
        return delegate

    def _make_buttons(self) -> QHBoxLayout:
        """Attach runbook…, Duties (a role's checklist) and Export (or detach) under the tree."""
        self.attach_button = QPushButton("Attach runbook…", self)
        self.attach_button.setToolTip(
            "Pick a runbook from the library; the ones for this incident's services come first"
        )
        self.attach_button.clicked.connect(self.attach_runbook)
        self.duties_button = QToolButton(self)
        self.duties_button.setText("Duties")
        self.duties_button.setToolTip("Attach a role's duty checklist from the policy")
        self.duties_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        duties = QMenu(self.duties_button)
        for role in self.console.policy.roles:
            if role.checklist:
                duties.addAction(f"{role.name} duties", partial(self.open_role_checklist, role.key))
        self.duties_button.setMenu(duties)
        self.more_button = QToolButton(self)
        self.more_button.setText("Export")
        self.more_button.setToolTip("Export or detach the selected checklist")
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        more = QMenu(self.more_button)
        self.copy_markdown_action = more.addAction("Copy as Markdown", self.copy_markdown)
        self.save_markdown_action = more.addAction("Save as Markdown…", self.save_markdown_as)
        more.addSeparator()
        self.suggest_runbook_action = more.addAction(
            "Suggest a change to this runbook…", partial(self.suggest_change, whole=True)
        )
        self.detach_action = more.addAction("Detach checklist…", self.detach_selected)
        self.more_button.setMenu(more)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.attach_button)
        buttons.addWidget(self.duties_button)
        buttons.addStretch(1)
        buttons.addWidget(self.more_button)
        return buttons

    # -- keyboard and menus --------------------------------------------------------------------------

    def _make_actions(self) -> None:
        def action(text: str, shortcut: str, slot: Callable[[], object]) -> QAction:
            act = QAction(text, self.tree)
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.tree.addAction(act)
            return act

        self.toggle_action = action("Check / uncheck", "Space", self.toggle_selected)
        self.skip_action = action("Skip…", "S", self.skip_selected)
        self.assign_action = action("Assign…", "A", self.assign_selected)
        self.finding_action = action("Add finding…", "F", self.add_finding_selected)
        self.copy_action = action("Copy command", "Ctrl+Shift+C", self.copy_command_selected)
        self.link_action = action("Open link", "Ctrl+Return", self.open_link_selected)
        self.suggest_action = action("Suggest a change to this runbook…", "", self.suggest_change)
        self.action_item_action = action("Turn into an action item…", "I", self.turn_into_action_item)
        self._update_actions()

    def _update_actions(self) -> None:
        step = self.selected_step()
        for act in (
            self.toggle_action,
            self.skip_action,
            self.assign_action,
            self.finding_action,
            self.action_item_action,
        ):
            act.setEnabled(step is not None)
        self.copy_action.setEnabled(bool(step and step.command))
        self.link_action.setEnabled(bool(step and step.link))
        checklist = self.selected_checklist()
        from_runbook = bool(checklist and checklist.runbook)
        self.suggest_action.setEnabled(from_runbook)
        self.suggest_runbook_action.setEnabled(from_runbook)
        for act in (self.copy_markdown_action, self.save_markdown_action, self.detach_action):
            act.setEnabled(checklist is not None)
        self.toggle_action.setText(
            "Uncheck" if step and step.state == "done" else "Reopen" if step and step.state == "skipped" else "Check"
        )

    def _context_menu(self, position: QPoint) -> None:
        index = self.tree.indexAt(position)
        if not index.isValid():
            return
        self.tree.setCurrentIndex(index)
        menu = QMenu(self)
        if self.selected_step() is not None:
            for act in (
                self.toggle_action,
                self.skip_action,
                self.assign_action,
                self.finding_action,
                self.copy_action,
                self.link_action,
            ):
                menu.addAction(act)
            menu.addSeparator()
            menu.addAction(self.suggest_action)
            menu.addAction(self.action_item_action)
        else:
            for act in (self.copy_markdown_action, self.save_markdown_action, self.suggest_runbook_action):
                menu.addAction(act)
            menu.addSeparator()
            menu.addAction(self.detach_action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(position))

    # -- which incident, and keeping current ---------------------------------------------------------

    def show_incident(self, incident_id: str | None, view: IncidentView | None) -> None:
        switched = incident_id != self.incident_id
        self.incident_id = incident_id
        if switched:
            self._collapsed.clear()
        self.model.set_state(view.state if view else None, view.generation if view else 0)
        self._after_rebuild(None)
        self.refresh_badges()

    def apply(self, view: IncidentView, events: Sequence[Event]) -> None:
        """The window hands over the events of the incident on screen; most ticks change two rows."""
        selected = self._selected_key()
        if self.model.apply(view.state, view.generation, events):
            self._after_rebuild(selected)
            if any(e.kind == "checklist.attached" for e in events):
                self.refresh_badges()
        elif any(e.kind.startswith("checklist.") for e in events):
            self._show_count()
            self._update_actions()

    def _after_rebuild(self, selected: tuple[str, str] | None) -> None:
        self.tree.expandAll()
        for checklist_id in self._collapsed:
            self.tree.collapse(self.model.checklist_index(checklist_id))
        if selected is not None:
            index = self.model.step_index(*selected) if selected[1] else self.model.checklist_index(selected[0])
            if index.isValid():
                self.tree.setCurrentIndex(index)
        self._show_rows()
        self._update_actions()

    def _show_rows(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.tree.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        self.attach_button.setEnabled(self.incident_id is not None)
        self.duties_button.setEnabled(self.incident_id is not None)
        self.more_button.setEnabled(has_rows)
        self._show_count()

    def _show_count(self) -> None:
        lists = self.model.checklists()
        done = sum(c.progress[0] for c in lists)
        total = sum(c.progress[1] for c in lists)
        self.count.setText(
            f"{len(lists)} checklist{'s' if len(lists) > 1 else ''} · {done} of {total} steps done or skipped"
            if lists
            else ""
        )
        self.count.setVisible(bool(lists))

    def _folded(self, folded: bool, index: QModelIndex) -> None:
        node = self.model.node(index)
        if node is not None and node.kind == CHECKLIST:
            (self._collapsed.add if folded else self._collapsed.discard)(node.checklist.id)

    def refresh_badges(self) -> None:
        """Ask the library how each runbook stands (stale, retired, a newer version); fail soft: a panel
        without badges is still a working checklist."""
        self.model.set_badges(library_badges(self.console, self.model.checklists()))
        self.tree.viewport().update()

    def set_tones(self, tones: Tones) -> None:
        self.delegate.tones = tones
        self.tree.viewport().update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.tree.viewport()
            and event.type() == QEvent.Type.Resize
            and self.tree.viewport().width() != self._width
        ):
            self._relayout.start()  # rows wrap to the new width: measure them again, once per burst
        return super().eventFilter(watched, event)

    def _fit_rows(self) -> None:
        self._width = self.tree.viewport().width()
        self.delegate.forget_sizes()
        self.tree.doItemsLayout()

    # -- what is selected ----------------------------------------------------------------------------

    def selected_node(self) -> Node | None:
        return self.model.node(self.tree.currentIndex())

    def selected_step(self) -> ChecklistStep | None:
        node = self.selected_node()
        return node.step if node is not None and node.kind == STEP else None

    def selected_checklist(self) -> Checklist | None:
        node = self.selected_node()
        if node is not None:
            return node.checklist
        lists = self.model.checklists()
        return lists[0] if len(lists) == 1 else None

    def _selected_key(self) -> tuple[str, str] | None:
        node = self.selected_node()
        if node is None:
            return None
        return node.checklist.id, node.step.id if node.step else ""

    def select_step(self, checklist_id: str, step_id: str) -> None:
        self.tree.setCurrentIndex(self.model.step_index(checklist_id, step_id))

    # -- ticking, skipping, assigning ----------------------------------------------------------------

    def toggle_selected(self) -> None:
        node = self.selected_node()
        if node is not None and node.step is not None:
            self._toggle(node.checklist, node.step)

    def _toggle_at(self, index: QModelIndex) -> None:
        node = self.model.node(index)
        if node is not None and node.step is not None:
            self.tree.setCurrentIndex(index)
            self._toggle(node.checklist, node.step)

    def _toggle(self, checklist: Checklist, step: ChecklistStep) -> None:
        incident = self.incident_id
        if incident is None:
            return
        change = app_checklists.uncheck_step if step.state != "open" else app_checklists.check_step
        attempt(
            lambda: change(self.console, incident, checklist.id, step.id),
            parent=self,
            title="Could not change the step",
        )

    def _step_dialog(self, make: Callable[..., StepDialog]) -> StepDialog | None:
        node = self.selected_node()
        if node is None or node.step is None or self.incident_id is None:
            return None
        dialog = make(self.console, self.incident_id, node.checklist.id, node.step, self)
        dialog.open()
        return dialog

    def skip_selected(self) -> StepDialog | None:
        from commander.ui.checklists.dialogs import SkipStepDialog

        return self._step_dialog(SkipStepDialog)

    def assign_selected(self) -> StepDialog | None:
        from commander.ui.checklists.dialogs import AssignStepDialog

        return self._step_dialog(AssignStepDialog)

    def add_finding_selected(self) -> StepDialog | None:
        from commander.ui.checklists.dialogs import FindingDialog

        return self._step_dialog(FindingDialog)

    def suggest_change(self, *, whole: bool = False) -> CommandDialog | None:
        checklist = self.selected_checklist()
        if checklist is None or self.incident_id is None or not checklist.runbook:
            return None
        from commander.ui.checklists.dialogs import SuggestChangeDialog

        step = None if whole else self.selected_step()
        dialog = SuggestChangeDialog(self.console, self.incident_id, checklist.id, step, self)
        dialog.accepted.connect(lambda: self.said.emit(f"Suggestion recorded for “{plain(checklist.title)}”."))
        dialog.open()
        return dialog

    def turn_into_action_item(self) -> CommandDialog | None:
        """A follow-up from a step (a manual step to automate, a check that found a gap): a new action item
        with the step as its title, its findings as the finding, and the checklist step as its source."""
        checklist, step = self.selected_checklist(), self.selected_step()
        if checklist is None or step is None or self.incident_id is None:
            return None
        from commander.ui.actions.dialogs import ActionItemDialog

        finding = "\n".join(f.text for f in step.findings) or f"From the checklist “{plain(checklist.title)}”."
        dialog = ActionItemDialog(
            self.console,
            self,
            incident_id=self.incident_id,
            title=plain(step.text)[:200],
            finding=finding,
            source=f"checklist:{checklist.id}/{step.id}",
        )
        dialog.open()
        return dialog

    def detach_selected(self) -> CommandDialog | None:
        checklist = self.selected_checklist()
        if checklist is None or self.incident_id is None:
            return None
        from commander.ui.checklists.dialogs import DetachDialog

        dialog = DetachDialog(self.console, self.incident_id, checklist.id, self)
        dialog.open()
        return dialog

    # -- commands and links --------------------------------------------------------------------------

    def copy_command_selected(self) -> None:
        step = self.selected_step()
        if step is not None and step.command:
            QGuiApplication.clipboard().setText(step.command)
            self.said.emit("Copied the command.")

    def _copy_at(self, index: QModelIndex) -> None:
        self.tree.setCurrentIndex(index)
        self.copy_command_selected()

    def open_link_selected(self) -> None:
        step = self.selected_step()
        if step is not None and step.link:
            self.open_link(step.link)

    def open_link(self, link: str) -> None:
        """Open a step's link (or one in its words) in the browser; a mailto in the mail program."""
        url = QUrl(link)
        if url.scheme().lower() in WEB_SCHEMES:
            QDesktopServices.openUrl(url)
            return
        show_problem(
            self,
            "Not a web link",
            f"The step's link “{link}” is not a web address (http or https), so Commander does not "
            f"open it. Copy it from the step's tooltip if you trust it.",
        )

    def _open_link_at(self, index: QModelIndex) -> None:
        self.tree.setCurrentIndex(index)
        self.open_link_selected()

    # -- attaching -----------------------------------------------------------------------------------

    def attach_runbook(self) -> QWidget | None:
        if self.incident_id is None:
            return None
        from commander.ui.runbooks.picker import RunbookPicker

        picker = RunbookPicker(self.console, self.incident_id, self)
        picker.attached.connect(self._attached)
        picker.open()
        return picker

    def open_role_checklist(self, role_key: str) -> None:
        """A role's duty checklist: attached the first time, shown (selected) when it already is."""
        incident = self.incident_id
        if incident is None:
            return
        for checklist in self.model.checklists():
            if checklist.role == role_key:
                self._select_checklist(checklist.id)
                return
        done, events = attempt(
            lambda: app_checklists.attach_role_checklist(self.console, incident, role_key),
            parent=self,
            title="Could not attach the duty checklist",
        )
        if done and events:
            self._attached(events[0].id)

    def _attached(self, checklist_id: str) -> None:
        self._select_checklist(checklist_id)

    def _select_checklist(self, checklist_id: str) -> None:
        index = self.model.checklist_index(checklist_id)
        if index.isValid():
            self.tree.expand(index)
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtTop)
            self.tree.setFocus()

    # -- exporting -----------------------------------------------------------------------------------

    def markdown(self, checklist: Checklist) -> str:
        from commander.domain.checklists.export import to_markdown

        reference = self.console.state(self.incident_id).reference if self.incident_id else ""
        return to_markdown(checklist, self.console.zone, reference=reference)

    def copy_markdown(self) -> None:
        checklist = self.selected_checklist()
        if checklist is not None:
            QGuiApplication.clipboard().setText(self.markdown(checklist))
            self.said.emit(f"Copied “{plain(checklist.title)}” as Markdown.")

    def save_markdown_as(self) -> Path | None:
        checklist = self.selected_checklist()
        if checklist is None or self.incident_id is None:
            return None
        reference = self.console.state(self.incident_id).reference
        suggested = Path.home() / f"{reference}-{file_name(checklist.title)}.md"
        chosen, _ = QFileDialog.getSaveFileName(
            self, f"Save “{plain(checklist.title)}”", str(suggested), "Markdown (*.md)"
        )
        return self.save_markdown(Path(chosen), checklist) if chosen else None

    def save_markdown(self, path: Path, checklist: Checklist) -> Path | None:
        if not path.suffix:
            path = path.with_suffix(".md")
        try:
            path.write_text(self.markdown(checklist), encoding="utf-8")
        except OSError as error:
            show_problem(
                self,
                "Could not save the checklist",
                f"{path} could not be written ({error.strerror or error}). Choose a folder you can "
                f"write to and save again.",
            )
            return None
        self.said.emit(f"Saved {path}")
        return path
