"""The action item dialogs: add or edit one (a note's text can seed it), close one that will not be
done (with its reason), and the push confirmation that names the tracker and shows the title."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import QComboBox, QDateEdit, QDialogButtonBox, QLineEdit, QSizePolicy, QWidget

from commander.app import actions
from commander.app.console import Console
from commander.domain.actions.items import (
    DEFAULT_PRIORITY,
    DEFAULT_TYPE,
    PRIORITIES,
    TYPES,
    ActionItem,
    NewAction,
    default_due,
)
from commander.domain.actions.trackers import KINDS as TRACKER_KINDS
from commander.domain.core.errors import DomainError
from commander.domain.timeline.entries import TimelineEntry
from commander.integrations.secrets import SecretStore
from commander.ui.actions.trackers import manage_trackers
from commander.ui.kit.dialogs import CommandDialog, plain_label
from commander.ui.kit.widgets import SubmitTextEdit


class ActionItemDialog(CommandDialog):
    """Add an item (to a chosen incident) or edit one; a note's text can seed a new one."""

    def __init__(
        self,
        console: Console,
        parent: QWidget | None = None,
        *,
        item: ActionItem | None = None,
        incident_id: str | None = None,
        title: str = "",
        finding: str = "",
        source: str = "manual",
    ) -> None:
        super().__init__(f"Edit {item.reference}" if item else "New action item", "Save" if item else "Add", parent)
        self.console, self.item, self.source = console, item, source
        self.incident = QComboBox(self)
        self.incident.setAccessibleName("Incident")
        for summary in console.incidents():
            self.incident.addItem(f"{summary.reference}  {summary.title}", summary.id)
        wanted = item.incident_id if item else incident_id
        if wanted is not None and self.incident.findData(wanted) >= 0:
            self.incident.setCurrentIndex(self.incident.findData(wanted))
        self.incident.setEnabled(item is None)
        self.title = QLineEdit(item.title if item else title, self)
        self.title.setPlaceholderText("what will be done, e.g. Alert when consumer lag passes 1 minute")
        self.title.setAccessibleName("Title")
        self.owner = QComboBox(self)
        self.owner.setEditable(True)
        self.owner.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.owner.setAccessibleName("Owner")
        self.owner.addItems(
            sorted({i.owner for i in actions.items(console).values() if i.owner} | {console.me.name}, key=str.casefold)
        )
        self.owner.setCurrentText(item.owner if item else "")
        self.team = QLineEdit(item.team if item else "", self)
        self.team.setPlaceholderText("optional — the owner's team")
        self.team.setAccessibleName("Team")
        self.due = QDateEdit(self)
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.due.setAccessibleName("Due")
        self.due.setToolTip("Default: 7 days after the incident was resolved (from today while it is open)")
        self._show_due(item.due if item else self._default_due())
        self.incident.currentIndexChanged.connect(lambda: self._show_due(self._default_due()))
        self.priority = QComboBox(self)
        self.priority.addItems(PRIORITIES)
        self.priority.setCurrentText(item.priority if item else DEFAULT_PRIORITY)
        self.priority.setAccessibleName("Priority")
        self.type = QComboBox(self)
        self.type.addItems(TYPES)
        self.type.setCurrentText(item.type if item else DEFAULT_TYPE)
        self.type.setAccessibleName("Type")
        self.finding = SubmitTextEdit(self, lines=3)
        self.finding.setPlainText(item.finding if item else finding)
        self.finding.setPlaceholderText("optional — the finding it answers")
        self.finding.setAccessibleName("Finding")
        self.finding.submitted.connect(self.submit)
        for caption, widget in (
            ("Incident", self.incident),
            ("Title", self.title),
            ("Owner", self.owner),
            ("Team", self.team),
            ("Due", self.due),
            ("Priority", self.priority),
            ("Type", self.type),
            ("Finding", self.finding),
        ):
            self.form.addRow(caption, widget)
        for widget in (self.due, self.priority, self.type):
            widget.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 80)

    def _default_due(self) -> date | None:
        """The domain's default for the chosen incident: what is shown is what is saved."""
        incident = self.incident.currentData()
        if incident is None:
            return None
        return default_due(self.console.state(incident), self.console.now(), self.console.zone)

    def _show_due(self, day: date | None) -> None:
        if day is not None:
            self.due.setDate(QDate(day.year, day.month, day.day))

    def _day(self) -> date:
        chosen = self.due.date()
        return date(chosen.year(), chosen.month(), chosen.day())

    def perform(self) -> object:
        if self.item is None:
            incident = self.incident.currentData()
            if incident is None:
                raise DomainError("Declare an incident first: an action item belongs to one.")
            form = NewAction(
                self.title.text(),
                owner=self.owner.currentText(),
                team=self.team.text(),
                due=self._day(),
                priority=self.priority.currentText(),
                type=self.type.currentText(),
                source=self.source,
                finding=self.finding.toPlainText(),
            )
            return actions.create(self.console, incident, form)
        changes = {
            "title": self.title.text(),
            "owner": self.owner.currentText(),
            "team": self.team.text(),
            "due": self._day(),
            "priority": self.priority.currentText(),
            "type": self.type.currentText(),
            "finding": self.finding.toPlainText(),
        }
        item = self.item
        fresh = {k: v for k, v in changes.items() if str(v).strip() != str(getattr(item, k)).strip()}
        return actions.update(self.console, item.id, **fresh) if fresh else item

    @classmethod
    def from_note(
        cls, console: Console, incident_id: str, entry: TimelineEntry, parent: QWidget | None = None
    ) -> ActionItemDialog:
        """ "Turn this note into an action item": its first line as the title, the note as the finding."""
        first = entry.text.strip().splitlines()[0] if entry.text.strip() else ""
        title = first if len(first) <= 200 else first[:199] + "…"
        return cls(
            console,
            parent,
            incident_id=incident_id,
            title=title,
            finding=entry.text,
            source=f"note:{entry.note_id or entry.event_id}",
        )


class WontDoDialog(CommandDialog):
    def __init__(self, console: Console, item: ActionItem, parent: QWidget | None = None) -> None:
        super().__init__(f"Won't do {item.reference}", "Close the item", parent)
        self.console, self.item = console, item
        self.set_intro(f"“{item.title}” will not be done. Say why: the reason stays with the item.")
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("e.g. replaced by ACT-… ; the service is being retired")
        self.reason.setAccessibleName("Reason")
        self.form.addRow("Reason", self.reason)

    def perform(self) -> object:
        return actions.wont_do(self.console, self.item.id, self.reason.text())


class PushDialog(CommandDialog):
    """The confirmation: which tracker, and the title the issue gets. Nothing leaves before Push."""

    def __init__(
        self,
        console: Console,
        item: ActionItem,
        secrets: SecretStore,
        start: Callable[[actions.Push], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(f"Push {item.reference} to a tracker", "Push", parent)
        self.console, self.item, self.secrets, self.start = console, item, secrets, start
        self.tracker = QComboBox(self)
        self.tracker.setAccessibleName("Tracker")
        self.tracker_label = plain_label("Tracker", self)
        self.summary = plain_label("", self)
        self.form.addRow(self.tracker_label, self.tracker)
        self.form.addRow(self.summary)
        self.manage = self.buttons.addButton("Trac&kers…", QDialogButtonBox.ButtonRole.ActionRole)
        self.manage.setToolTip("Add or remove the team's trackers")
        self.manage.clicked.connect(lambda: manage_trackers(self, console, then=self.load_trackers))
        self.tracker.currentIndexChanged.connect(self._describe)
        self.load_trackers()

    def load_trackers(self) -> None:
        """The team's trackers; read again when the Trackers dialog closes."""
        chosen = self.tracker.currentData()
        self.tracker.clear()
        known = actions.trackers(self.console)
        for name, config in known.items():
            label = TRACKER_KINDS[config.kind].label if config.kind in TRACKER_KINDS else config.kind
            self.tracker.addItem(f"{name}  ({label})", name)
        if chosen in known:
            self.tracker.setCurrentIndex(self.tracker.findData(chosen))
        for widget in (self.tracker_label, self.tracker, self.summary):
            widget.setVisible(bool(known))
        self.ok.setEnabled(bool(known))
        self.set_intro(
            ""
            if known
            else "No tracker yet. Add one with Trackers… below (or from a terminal with `commander tracker add`)."
        )
        self._describe()

    def _describe(self) -> None:
        name = self.tracker.currentData()
        if name is None:
            self.summary.clear()
            return
        again = self.item.links.get(name)
        warning = f"\n\nIt is already there as {again.key}: this makes a second issue." if again else ""
        self.summary.setText(f"This creates an issue in {name} titled:\n“{self.item.title}”{warning}")
        self.fit_height()

    def perform(self) -> object:
        name = self.tracker.currentData()
        return actions.prepare_push(self.console, self.item.id, name, self.secrets, again=True)

    def succeeded(self, result: object) -> None:
        assert isinstance(result, actions.Push)
        self.start(result)
