"""The postmortem's owner, review meeting and status, in the editor's top row. Each change is saved as soon
as it is made; the editor hears the postmortem it gave."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel, QWidget

from commander.app import postmortem
from commander.app.console import Console
from commander.domain.postmortem.record import Postmortem
from commander.ui.kit.problems import ErrorLabel, attempt

STATUSES = (("draft", "Draft"), ("in_review", "In review"), ("published", "Published"))
NO_MEETING = QDate(2000, 1, 1)


class MetaFields(QWidget):
    """Owner (one of the incident's people, or any name), review meeting (or "not set") and status."""

    changed = Signal(object)  # the Postmortem after a change, or as it was when the change was refused

    def __init__(self, console: Console, incident_id: str, people: list[str], pm: Postmortem, parent: QWidget) -> None:
        super().__init__(parent)
        self.console, self.incident_id, self.pm = console, incident_id, pm
        self._loading = False
        self.error = ErrorLabel(parent)  # the editor places it under its top row
        em = self.fontMetrics().horizontalAdvance("x")
        self.owner = QComboBox(self)
        self.owner.setEditable(True)
        self.owner.setAccessibleName("Owner")
        self.owner.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.owner.addItems(people)
        self.owner.setMinimumWidth(em * 22)
        self.owner.activated.connect(lambda _: self._commit_owner())
        line = self.owner.lineEdit()
        if line is not None:
            line.editingFinished.connect(self._commit_owner)
        self.meeting = QDateEdit(self)
        self.meeting.setCalendarPopup(True)
        self.meeting.setDisplayFormat("ddd d MMM yyyy")
        self.meeting.setAccessibleName("Review meeting")
        self.meeting.setMinimumDate(NO_MEETING)
        self.meeting.setSpecialValueText("not set")  # shown for the minimum date: no meeting yet
        self.meeting.setMinimumWidth(em * 20)
        self.meeting.dateChanged.connect(self._commit_meeting)
        self.status = QComboBox(self)
        self.status.setAccessibleName("Status")
        for value, label in STATUSES:
            self.status.addItem(label, value)
        self.status.activated.connect(lambda _: self._commit_status())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for caption, field in (("&Owner", self.owner), ("Review &meeting", self.meeting), ("Stat&us", self.status)):
            buddy = QLabel(caption, self)
            buddy.setObjectName("Muted")
            buddy.setBuddy(field)
            row.addWidget(buddy)
            row.addWidget(field)
            row.addSpacing(em)

    def show_postmortem(self, pm: Postmortem) -> None:
        """The fields as stored (not saved again: this is not the person's change)."""
        self.pm = pm
        self._loading = True
        try:
            self.owner.setCurrentText(pm.owner)
            meeting = pm.meeting
            self.meeting.setDate(QDate(meeting.year, meeting.month, meeting.day) if meeting else NO_MEETING)
            self.status.setCurrentIndex(max(0, self.status.findData(pm.status)))
        finally:
            self._loading = False

    def _commit_owner(self) -> None:
        if self._loading or self.owner.currentText().strip() == self.pm.owner:
            return
        self._save(lambda: postmortem.set_meta(self.console, self.incident_id, owner=self.owner.currentText()))

    def _commit_meeting(self, day: QDate) -> None:
        if self._loading:
            return
        if day == NO_MEETING:
            self._save(lambda: postmortem.set_meta(self.console, self.incident_id, clear_meeting=True))
            return
        chosen = date(day.year(), day.month(), day.day())
        self._save(lambda: postmortem.set_meta(self.console, self.incident_id, meeting=chosen))

    def _commit_status(self) -> None:
        if self._loading:
            return
        self._save(lambda: postmortem.set_meta(self.console, self.incident_id, status=str(self.status.currentData())))

    def _save(self, change: Callable[[], Postmortem]) -> None:
        done, result = attempt(change, inline=self.error)
        self.changed.emit(result if done and result is not None else self.pm)
