"""The role board: who holds each role, for how long, and which key roles nobody holds.

An unfilled key role is said in words ("Unfilled — key role at SEV1") and marked, never shown by
colour alone. Expanding a role shows its duty checklist from the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from commander.app import roles
from commander.app.console import Console
from commander.domain.core.policy import Policy
from commander.domain.core.when import format_duration
from commander.domain.incident.state import IncidentState, RoleSlot
from commander.ui.kit import linkify, richtext
from commander.ui.kit.problems import attempt
from commander.ui.kit.theme import DARK, Tones
from commander.ui.roles.dialogs import AddRoleDialog, AssignDialog

Index = QModelIndex | QPersistentModelIndex
FLAG = "⚠"


class RoleModel(QAbstractItemModel):
    """Roles at the top level, each role's checklist lines as its children."""

    ROLE, HOLDER, HELD = range(3)
    HEADERS = ("Role", "Held by", "For")
    RoleKeyRole = Qt.ItemDataRole.UserRole + 1
    FlaggedRole = Qt.ItemDataRole.UserRole + 2

    def __init__(self, policy: Policy, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.policy = policy
        self.now = now
        self.tones: Tones = DARK
        self._slots: list[RoleSlot] = []
        self._checklists: list[tuple[str, ...]] = []
        self._flagged: set[str] = set()
        self._severity = ""

    def set_state(self, state: IncidentState | None) -> None:
        slots = list(state.roles.values()) if state else []
        self._severity = state.severity if state else ""
        self._flagged = {slot.key for slot in state.unfilled_key_roles(self.policy)} if state else set()
        if [s.key for s in slots] == [s.key for s in self._slots]:
            self._slots = slots
            if slots:
                self.dataChanged.emit(self.index(0, 0), self.index(len(slots) - 1, len(self.HEADERS) - 1))
            return
        self.beginResetModel()
        self._slots = slots
        self._checklists = [self._checklist(slot) for slot in slots]
        self.endResetModel()

    def _checklist(self, slot: RoleSlot) -> tuple[str, ...]:
        definition = self.policy.role(slot.key)
        return definition.checklist if definition and not slot.custom else ()

    def slot(self, index: Index) -> RoleSlot | None:
        if not index.isValid():
            return None
        row = index.row() if index.internalId() == 0 else index.internalId() - 1
        return self._slots[row] if 0 <= row < len(self._slots) else None

    def flagged(self) -> list[RoleSlot]:
        return [slot for slot in self._slots if slot.key in self._flagged]

    def tick(self) -> None:
        if self._slots:
            self.dataChanged.emit(self.index(0, self.HELD), self.index(len(self._slots) - 1, self.HELD))

    # -- the tree ----------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, parent.row() + 1)  # a child remembers its role's row

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid() or index.internalId() == 0:
            return QModelIndex()
        return self.createIndex(index.internalId() - 1, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._slots)
        if parent.internalId() == 0 and parent.column() == 0 and parent.row() < len(self._checklists):
            return len(self._checklists[parent.row()])
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        slot = self.slot(index)
        if slot is None:
            return None
        if index.internalId() != 0:
            return self._step_data(slot, index, role)
        column = index.column()
        flagged = slot.key in self._flagged
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.ROLE:
                return f"{FLAG} {slot.name}" if flagged else slot.name
            if column == self.HOLDER:
                if slot.holder:
                    return slot.holder
                return "Unfilled (key role)" if flagged else "(unfilled)"
            if column == self.HELD:
                return format_duration(self.now() - slot.since) if slot.holder and slot.since else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return linkify.tooltip(self._tooltip(slot, index.row(), flagged))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            holder = slot.holder or ("unfilled, a key role" if flagged else "unfilled")
            return f"{slot.name}: {holder}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if flagged and column in (self.ROLE, self.HOLDER):
                return QColor(self.tones.warning)
            if not slot.holder or column == self.HELD:
                return QColor(self.tones.muted)
        if role == self.RoleKeyRole:
            return slot.key
        if role == self.FlaggedRole:
            return flagged
        return None

    def _step_data(self, slot: RoleSlot, index: Index, role: int) -> object:
        steps = self._checklists[index.internalId() - 1]
        if index.column() != self.ROLE or not 0 <= index.row() < len(steps):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"☐ {steps[index.row()]}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return linkify.tooltip(steps[index.row()])
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return steps[index.row()]
        if role == Qt.ItemDataRole.ForegroundRole:
            return QColor(self.tones.muted)
        if role == self.RoleKeyRole:
            return slot.key
        return None

    def _tooltip(self, slot: RoleSlot, row: int, flagged: bool) -> str:
        lines = [slot.duty or slot.name]
        if flagged:
            lines.append(f"{FLAG} A key role at {self._severity}: fill it.")
        if slot.history:
            lines.append("Held by: " + ", then ".join(t.person for t in slot.history))
        steps = self._checklists[row] if row < len(self._checklists) else ()
        if steps:
            lines.append("Checklist:\n" + "\n".join(f"• {step}" for step in steps))
        return "\n".join(lines)


class RoleBoard(QWidget):
    duty_checklist_requested = Signal(str)  # a role's key: attach (or show) its duty checklist
    page_requested = Signal(str)  # page this person ("": the role is unfilled, page a service's on-call)

    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.incident_id: str | None = None
        self.model = RoleModel(console.policy, console.now, self)

        title = QLabel("Roles", self)
        title.setObjectName("PanelTitle")
        self.banner = QLabel(self)
        self.banner.setObjectName("KeyRoleBanner")
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setWordWrap(True)
        self.banner.hide()
        self.tree = QTreeView(self)
        self.tree.setModel(self.model)
        self.tree.setObjectName("RoleTree")
        self.tree.setAccessibleName("Role board")
        self.tree.setUniformRowHeights(True)
        self.tree.setAllColumnsShowFocus(True)
        self.tree.setHeaderHidden(True)
        self.tree.setItemsExpandable(True)
        self.tree.setExpandsOnDoubleClick(False)
        # As tall as its rows: the column below holds more than roles, so no empty well here.
        self.tree.setSizeAdjustPolicy(QTreeView.SizeAdjustPolicy.AdjustToContents)
        self.tree.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(RoleModel.ROLE, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setSectionResizeMode(RoleModel.HOLDER, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(RoleModel.HELD, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.activated.connect(lambda _index: self.assign_selected())
        self.tree.selectionModel().currentChanged.connect(self._update_buttons)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)

        self.assign_button = QPushButton("Assign…", self)
        self.assign_button.setToolTip("Assign the selected role, or hand it off (Enter)")
        self.assign_button.clicked.connect(self.assign_selected)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Leave the selected role unfilled")
        self.clear_button.clicked.connect(self.clear_selected)
        self.add_button = QPushButton("Add role…", self)
        self.add_button.setToolTip("Add a role this incident needs")
        self.add_button.clicked.connect(self.add_role)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.assign_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        buttons.addWidget(self.add_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(title)
        layout.addWidget(self.banner)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        self._update_buttons()

    def show_state(self, incident_id: str | None, state: IncidentState | None) -> None:
        selected = self.selected_key()
        switched = incident_id != self.incident_id
        self.incident_id = incident_id
        self.model.set_state(state)
        flagged = self.model.flagged()
        if flagged:
            names = ", ".join(slot.name for slot in flagged)
            self.banner.setText(
                f"{FLAG} Key role{'s' if len(flagged) > 1 else ''} unfilled at "
                f"{state.severity if state else ''}: {names}"
            )
        self.banner.setVisible(bool(flagged))
        if not switched and selected:
            self.select(selected)
        self._update_buttons()

    def set_tones(self, tones: Tones) -> None:
        self.model.tones = tones
        self.tree.viewport().update()

    def selected_key(self) -> str | None:
        slot = self.model.slot(self.tree.currentIndex())
        return slot.key if slot else None

    def select(self, role_key: str) -> None:
        for row in range(self.model.rowCount()):
            index = self.model.index(row, 0)
            if index.data(RoleModel.RoleKeyRole) == role_key:
                self.tree.setCurrentIndex(index)
                return

    def _update_buttons(self) -> None:
        slot = self.model.slot(self.tree.currentIndex())
        has_incident = self.incident_id is not None
        self.assign_button.setEnabled(slot is not None)
        self.assign_button.setText("Hand off…" if slot and slot.holder else "Assign…")
        self.clear_button.setEnabled(bool(slot and slot.holder))
        self.add_button.setEnabled(has_incident)

    def _context_menu(self, position: QPoint) -> None:
        index = self.tree.indexAt(position)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            menu = self.context_menu()
            if menu is not None:
                menu.popup(self.tree.viewport().mapToGlobal(position))

    def context_menu(self) -> QMenu | None:
        """What a right-click on the selected role offers: assign it, open its duty checklist, page its holder
        (or, unfilled, a service's on-call)."""
        key = self.selected_key()
        if key is None or self.incident_id is None:
            return None
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.addAction(self.assign_button.text(), self.assign_selected)
        definition = self.model.policy.role(key)
        duties = menu.addAction("Open duty checklist", lambda: self.duty_checklist_requested.emit(key))
        duties.setEnabled(bool(definition and definition.checklist))
        slot = self.model.slot(self.tree.currentIndex())
        person = slot.holder if slot and slot.holder else ""
        menu.addAction(
            richtext.mnemonic(f"Page {person}…") if person else "Page on-call…",
            lambda: self.page_requested.emit(person),
        )
        return menu

    def assign_selected(self) -> AssignDialog | None:
        key = self.selected_key()
        if key is None or self.incident_id is None:
            return None
        dialog = AssignDialog(self.console, self.incident_id, key, self)
        dialog.open()
        return dialog

    def clear_selected(self) -> None:
        key = self.selected_key()
        if key is None or self.incident_id is None:
            return
        incident = self.incident_id
        attempt(lambda: roles.assign(self.console, incident, key, None), parent=self, title="Could not clear the role")

    def add_role(self) -> AddRoleDialog | None:
        if self.incident_id is None:
            return None
        dialog = AddRoleDialog(self.console, self.incident_id, self)
        dialog.open()
        return dialog
