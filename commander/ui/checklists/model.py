"""The incident's checklists as a tree: each checklist, its section headings, its steps nested by depth.

A thin adapter over the fold's own objects (commander.domain.checklists.state): the fold changes a step in place,
so a tick only has to say which two rows changed (the step and its checklist's progress). Attaching or
detaching rebuilds the tree; so does a refold of the incident, which makes new objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, tzinfo

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from commander.domain.checklists.state import Checklist, ChecklistStep, attached
from commander.domain.core.events import Event
from commander.domain.incident.state import IncidentState
from commander.domain.runbooks.inline_markdown import plain
from commander.ui.kit import linkify

Index = QModelIndex | QPersistentModelIndex
CHECKLIST, SECTION, STEP = range(3)
_STRUCTURE = frozenset({"checklist.attached", "checklist.detached"})
_STEP_KINDS = frozenset({"checklist.step", "checklist.assigned", "checklist.finding"})
_STATE_WORDS = {"done": "checked", "skipped": "skipped", "open": "not checked"}


class Node:
    """One row: a checklist, a section heading inside it, or a step."""

    __slots__ = ("checklist", "children", "key", "kind", "parent", "row", "section", "step")

    def __init__(
        self,
        kind: int,
        checklist: Checklist,
        parent: Node | None,
        *,
        step: ChecklistStep | None = None,
        section: str = "",
    ) -> None:
        self.kind = kind
        self.checklist = checklist
        self.step = step
        self.section = section
        self.parent = parent
        self.children: list[Node] = []
        self.row = 0
        self.key = 0  # the model's handle for the row (QModelIndex.internalId)
        if parent is not None:
            self.row = len(parent.children)
            parent.children.append(self)

    @property
    def level(self) -> int:
        """How deep the row sits in the tree (a checklist is 0)."""
        depth, node = 0, self.parent
        while node is not None:
            depth, node = depth + 1, node.parent
        return depth


def build(checklist: Checklist) -> tuple[Node, dict[str, Node]]:
    """The rows of one checklist, and its step rows by step id."""
    top = Node(CHECKLIST, checklist, None)
    by_step: dict[str, Node] = {}
    section: str | None = None
    open_parents: list[tuple[int, Node]] = []  # (depth, row) of the steps a deeper step may belong to
    for step in checklist.steps.values():
        if step.section != section:
            section = step.section
            open_parents = []
            if section:
                Node(SECTION, checklist, top, section=section)
        while open_parents and open_parents[-1][0] >= step.depth:
            open_parents.pop()
        parent = open_parents[-1][1] if open_parents else top
        node = by_step[step.id] = Node(STEP, checklist, parent, step=step)
        open_parents.append((step.depth, node))
    return top, by_step


class ChecklistModel(QAbstractItemModel):
    NodeRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tops: list[Node] = []
        self._steps: dict[tuple[str, str], Node] = {}
        # Rows are found by number, not by pointer: a QModelIndex holding a pointer to a Python object
        # crashes PySide6 once Qt keeps the index past the object's last Python reference.
        self._nodes: dict[int, Node] = {}
        self._state: IncidentState | None = None
        self.generation = -1  # the incident view's generation the rows were built from
        self.zone: tzinfo = UTC  # the console's: times in tooltips are local
        # What the library says of each checklist's runbook: (word on a chip, sentence for the tooltip).
        self.badges: dict[str, list[tuple[str, str]]] = {}

    # -- keeping current ---------------------------------------------------------------------------

    def set_state(self, state: IncidentState | None, generation: int = 0) -> None:
        self.beginResetModel()
        self._state, self.generation = state, generation
        self._tops, self._steps, self._nodes = [], {}, {}
        for checklist in attached(state.checklists) if state else []:
            top, steps = build(checklist)
            top.row = len(self._tops)
            self._tops.append(top)
            self._steps.update(((checklist.id, step_id), node) for step_id, node in steps.items())
            self._number(top)
        self.endResetModel()

    def _number(self, node: Node) -> None:
        node.key = len(self._nodes) + 1
        self._nodes[node.key] = node
        for child in node.children:
            self._number(child)

    def apply(self, state: IncidentState, generation: int, events: Iterable[Event]) -> bool:
        """Show what the events changed; True when the rows were rebuilt (the view must restore what it
        had expanded), False when only some rows changed."""
        changed = [e for e in events if e.kind in _STRUCTURE or e.kind in _STEP_KINDS]
        if state is not self._state or generation != self.generation or any(e.kind in _STRUCTURE for e in changed):
            self.set_state(state, generation)
            return True
        for event in changed:
            node = self._steps.get((event.payload["checklist"], event.payload["step"]))
            if node is not None:
                self._changed(node)
                self._changed(self._top(node))
        return False

    def set_badges(self, badges: dict[str, list[tuple[str, str]]]) -> None:
        self.badges = badges
        for top in self._tops:
            self._changed(top)

    def _changed(self, node: Node) -> None:
        index = self.index_of(node)
        self.dataChanged.emit(index, index)

    @staticmethod
    def _top(node: Node) -> Node:
        while node.parent is not None:
            node = node.parent
        return node

    # -- lookups -----------------------------------------------------------------------------------

    def node(self, index: Index) -> Node | None:
        if not index.isValid():
            return None
        return self._nodes.get(index.internalId())

    def index_of(self, node: Node) -> QModelIndex:
        return self.createIndex(node.row, 0, node.key)

    def step_index(self, checklist_id: str, step_id: str) -> QModelIndex:
        node = self._steps.get((checklist_id, step_id))
        return self.index_of(node) if node else QModelIndex()

    def checklist_index(self, checklist_id: str) -> QModelIndex:
        top = next((t for t in self._tops if t.checklist.id == checklist_id), None)
        return self.index_of(top) if top else QModelIndex()

    def checklists(self) -> list[Checklist]:
        return [top.checklist for top in self._tops]

    # -- the tree ----------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        owner = self.node(parent)
        rows = owner.children if owner else self._tops
        return self.createIndex(row, 0, rows[row].key) if row < len(rows) else QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self.node(index)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.index_of(node.parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.column() > 0:
            return 0
        owner = self.node(parent)
        return len(owner.children) if owner else len(self._tops)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def flags(self, index: Index) -> Qt.ItemFlag:
        node = self.node(index)
        if node is None:
            return Qt.ItemFlag.NoItemFlags
        if node.kind == SECTION:
            return Qt.ItemFlag.ItemIsEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        node = self.node(index)
        if node is None:
            return None
        if role == self.NodeRole:
            return node
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._words(node)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        return None

    @staticmethod
    def _words(node: Node) -> str:
        """What a screen reader says for the row, and what tests read: the words, without Markdown's markers."""
        if node.kind == CHECKLIST:
            done, total = node.checklist.progress
            return f"{plain(node.checklist.title)}, {node.checklist.source}: {done} of {total} done or skipped"
        if node.kind == SECTION:
            return plain(node.section)
        step = node.step
        assert step is not None
        words = [plain(step.text), _STATE_WORDS.get(step.state, step.state)]
        if step.assigned:
            words.append(f"assigned to {step.assigned}")
        if step.findings:
            words.append(f"{len(step.findings)} finding{'s' if len(step.findings) > 1 else ''}")
        return ", ".join(words)

    def _tooltip(self, node: Node) -> str | None:
        step = node.step
        if node.kind == CHECKLIST:
            checklist = node.checklist
            lines = [plain(checklist.title), f"From {checklist.source}, attached by {checklist.attached_by}."]
            lines += [sentence for _word, sentence in self.badges.get(checklist.id, [])]
            return linkify.tooltip("\n".join(lines))
        if step is None:
            return None
        lines = [plain(step.text)]
        if step.command:
            lines.append(f"Command (Ctrl+Shift+C copies it):\n{step.command}")
        if step.link:
            lines.append(f"Link (click to open in your browser): {step.link}")
        if step.state == "done":
            lines.append(f"Checked by {step.by}" + (f" at {step.at.astimezone(self.zone):%H:%M}" if step.at else ""))
        elif step.state == "skipped":
            lines.append(f"Skipped by {step.by}: {step.reason}")
        return linkify.tooltip("\n".join(lines))
