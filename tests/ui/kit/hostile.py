"""Hostile text for the walks in test_hostile_text.py and test_hostile_dialogs.py: the seeded store, the
walker that finds text shown as markup, and the guard that catches tooltips before Qt reads them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import yaml
from PySide6.QtCore import QAbstractItemModel, QEvent, QItemSelectionModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLabel,
    QMessageBox,
    QTabBar,
    QTextEdit,
    QWidget,
)

from commander.app import actions, checklists, oncall, postmortem, timeline
from commander.app import alerts as triage
from commander.app import incident as app_incident
from commander.app import roles as app_roles
from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.app.setup import identity
from commander.app.updates import timers
from commander.domain.actions.items import NewAction
from commander.domain.incident.decisions import Declaration
from commander.domain.paging import pages as paging
from commander.domain.runbooks.library import Runbook, Section, Step, numbered
from commander.ui.kit.shell import entries
from commander.ui.shell.main_window import MainWindow
from tests.ui.conftest import OFFSCREEN_SIZE_HINTS

IMG, BOLD, LINK = '<img src="/dev/zero">', "<b>bold</b>", '<a href="file:///etc/passwd">x</a>'
EVIL = f"{IMG} {BOLD} {LINK} &amp;"  # 75 characters: fits a name (80)
SHORT = f"{IMG}{BOLD}"  # for the fields with room for less (service names: 60)
# 100 kB: a runbook section's prose in full; cut to the limits of notes (20,000) and alert annotations (16,384)
BIG = (f"{BOLD} {IMG} " * 4000)[:100_000]
MARKERS = ('<img src="/dev/zero"', "<b>bold</b>", '<a href="file:///etc/passwd"')

# Every view of the project paints its items with QStyledItemDelegate or one of these, which draw their text
# with QPainter.drawText (never markup). A new delegate must be looked at and named here. (Qt's own combo box
# delegates are not wrapped by PySide: they show as QAbstractItemDelegate, and paint plain text.)
PLAIN_DELEGATES = {
    "TimelineDelegate",
    "ChecklistDelegate",
    "StepsDelegate",
    "IncidentDelegate",
    "SectionDelegate",
    "LibraryDelegate",
    "QStyledItemDelegate",
    "QAbstractItemDelegate",
}

RAISES = pytest.mark.qt_log_ignore(OFFSCREEN_SIZE_HINTS, r"This plugin does not support raise\(\)")


# -- the walker ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Offence:
    where: str
    text: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text[:120]!r}"


def _marked(text: str) -> bool:
    return any(marker in text for marker in MARKERS)


def auto_offences(where: str, text: str) -> list[Offence]:
    """A string Qt auto-detects (tooltips, What's This, QLabel on AutoText). Status tips are not checked: the
    status bar draws them as plain text, so escaping them would show `&lt;` to the person."""
    return [Offence(where, text)] if text and GuiQt.mightBeRichText(text) and _marked(text) else []


def _label(where: str, label: QLabel) -> list[Offence]:
    text = label.text()
    if label.textFormat() in (Qt.TextFormat.RichText, Qt.TextFormat.MarkdownText):
        return [Offence(where, text)] if _marked(text) else []
    if label.textFormat() == Qt.TextFormat.AutoText:
        return auto_offences(where, text)
    return []


def _columns(model: QAbstractItemModel, parent: QModelIndex | None = None) -> int:
    try:
        return model.columnCount(parent or QModelIndex())
    except TypeError:  # a QAbstractListModel keeps it private: one column
        return 1


def rows(model: QAbstractItemModel, parent: QModelIndex) -> int:
    try:
        return model.rowCount(parent)
    except TypeError:  # private on a list or table model: no rows under an item
        return 0


def _model(where: str, model: QAbstractItemModel, parent: QModelIndex | None = None, depth: int = 0) -> list[Offence]:
    parent = parent or QModelIndex()
    found: list[Offence] = []
    roles = (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.WhatsThisRole)
    if depth == 0:
        for orientation, count in (
            (Qt.Orientation.Horizontal, _columns(model)),
            (Qt.Orientation.Vertical, model.rowCount(QModelIndex())),
        ):
            for section in range(min(count, 200)):
                for role in roles:
                    value = model.headerData(section, orientation, role)
                    if isinstance(value, str):
                        found += auto_offences(f"{where} header {section}", value)
    for row in range(model.rowCount(parent)):
        for column in range(_columns(model, parent)):
            index = model.index(row, column, parent)
            for role in roles:
                value = index.data(role)
                if isinstance(value, str):
                    found += auto_offences(f"{where} [{row},{column}] role {int(role)}", value)
        child = model.index(row, 0, parent)
        if depth < 4 and rows(model, child) > 0:
            found += _model(where, model, child, depth + 1)
    return found


def _mnemonic(where: str, text: str) -> list[Offence]:
    """A button, tab or menu item takes `&` for the mark of its shortcut key: `&amp;` would show as `amp;`."""
    return [Offence(where, text)] if "&amp;" in text and "&&amp;" not in text else []


def rich_offences(root: QWidget) -> list[Offence]:
    """Every string under `root` that Qt would render as rich text and that carries hostile markup as markup."""
    found: list[Offence] = []
    models: set[int] = set()
    for widget in [root, *root.findChildren(QWidget)]:
        name = f"{type(widget).__name__}({widget.objectName() or widget.accessibleName()})"
        found += auto_offences(f"{name}.toolTip", widget.toolTip())
        found += auto_offences(f"{name}.whatsThis", widget.whatsThis())
        if isinstance(widget, QLabel):
            found += _label(f"{name}.text", widget)
        if isinstance(widget, QMessageBox):
            found += auto_offences(f"{name}.informativeText", widget.informativeText())
        if isinstance(widget, QTextEdit):
            # The body only: QTextDocument.toHtml writes the title back unescaped, but a title is not shown.
            body = widget.toHtml().partition("<body")[2]
            if _marked(body):
                at = min(body.find(marker) for marker in MARKERS if marker in body)
                found.append(Offence(f"{name}.html", body[max(0, at - 40) :]))
        if isinstance(widget, QAbstractButton):
            found += _mnemonic(f"{name}.text", widget.text())
        if isinstance(widget, QTabBar):
            for tab in range(widget.count()):
                found += _mnemonic(f"{name} tab {tab}", widget.tabText(tab))
                found += auto_offences(f"{name} tab {tab}", widget.tabToolTip(tab))
                found += auto_offences(f"{name} tab {tab}", widget.tabWhatsThis(tab))
        model = widget.model() if isinstance(widget, (QAbstractItemView, QComboBox)) else None
        if model is not None and id(model) not in models:
            models.add(id(model))
            found += _model(name, model)
        if isinstance(widget, QAbstractItemView) and model is not None:
            columns = range(_columns(model))
            for delegate in {widget.itemDelegate(), *(widget.itemDelegateForColumn(c) for c in columns)} - {None}:
                assert type(delegate).__name__ in PLAIN_DELEGATES, (
                    f"{name} paints with {type(delegate).__name__}: check that it draws text as text, then list it"
                )
    for action in root.findChildren(QAction):
        where = f"QAction({action.text()[:30]!r})"
        found += auto_offences(f"{where}.toolTip", action.toolTip())
        found += auto_offences(f"{where}.whatsThis", action.whatsThis())
        found += _mnemonic(f"{where}.text", action.text())
    return found


class Defuser(QObject):
    """Stands guard while windows are built and shown: a label that would render hostile markup is caught
    (and put on plain text) before Qt lays it out, so a test fails with a list instead of reading /dev/zero
    for ever."""

    WATCHED = (QEvent.Type.Polish, QEvent.Type.LayoutRequest, QEvent.Type.Paint)

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Offence] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in self.WATCHED and isinstance(watched, QWidget):
            labels = (
                [watched]
                if isinstance(watched, QLabel)
                else watched.findChildren(QLabel, options=Qt.FindChildOption.FindDirectChildrenOnly)
            )
            for label in labels:
                caught = _label(
                    f"{type(label).__name__}({label.objectName()}) in {type(label.window()).__name__}", label
                )
                if caught:
                    self.found += caught
                    label.setTextFormat(Qt.TextFormat.PlainText)
        return False


def assert_safe(root: QWidget, defuser: Defuser | None = None) -> None:
    offences = (defuser.found if defuser else []) + rich_offences(root)
    assert not offences, "Outside text shown as markup:\n" + "\n".join(map(str, offences[:25]))
    root.grab()  # paints every visible child: must finish


# -- the hostile store ------------------------------------------------------------------------------


def _alert_message() -> str:
    alert = {
        "status": "firing",
        "fingerprint": "f00d",
        "labels": {"alertname": f"{SHORT}Down", "service": SHORT, "severity": "critical", "instance": EVIL},
        "annotations": {"summary": EVIL, "description": BIG[:16_000], "runbook_url": "file:///dev/zero"},
        "startsAt": "2026-11-28T08:12:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus:9090/{LINK}",
    }
    return json.dumps(
        {
            "version": "4",
            "status": "firing",
            "receiver": EVIL,
            "groupKey": EVIL,
            "alerts": [alert],
            "groupLabels": {"alertname": SHORT},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://alertmanager",
        }
    )


def _oncall_file() -> str:
    return yaml.safe_dump(
        {
            "schedules": [
                {
                    "name": EVIL,
                    "time_zone": "Europe/Berlin",
                    "layers": [
                        {
                            "name": EVIL,
                            "rotation": "daily",
                            "start": "2026-01-05",
                            "participants": [EVIL, f"{BOLD} Sam"],
                        }
                    ],
                }
            ],
            "escalation_policies": [
                {
                    "name": EVIL,
                    "levels": [
                        {"delay_minutes": 15, "targets": [{"schedule": EVIL}]},
                        {"delay_minutes": 30, "targets": [{"person": EVIL}]},
                    ],
                }
            ],
            "services": {SHORT: EVIL},
        }
    )


def _runbook() -> Runbook:
    steps = (Step("", EVIL, command=f"kubectl {EVIL}", link="file:///dev/zero"), Step("", BIG[:1900]))
    return Runbook(
        id="",
        title=EVIL,
        summary=EVIL,
        services=(SHORT,),
        alerts=(f"{SHORT}Down",),
        tags=(SHORT,),
        owner=EVIL,
        contacts=(EVIL,),
        links=((EVIL, "file:///dev/zero"), (LINK, "https://example.com")),
        sections=numbered((Section(f"Mitigate {EVIL}", steps, BIG),)),
    )


@dataclass(frozen=True)
class Seeded:
    open_id: str
    resolved_id: str


class _NoSecrets:
    def get(self, name: str) -> None:
        return None


def seed(console: Console) -> Seeded:
    identity.rename_me(console, EVIL)  # every event's actor
    now = console.now()
    state = app_incident.declare(
        console,
        Declaration(
            title=EVIL,
            severity="SEV1",
            services=(SHORT, "checkout"),
            summary=EVIL,
            detected_at=now - timedelta(minutes=20),
        ),
    )
    incident = state.id
    timeline.add_note(console, incident, EVIL, pinned=True)
    timeline.add_note(console, incident, f"{EVIL}\n{BIG[:19_000]}")
    app_roles.assign(console, incident, "TL", EVIL)
    app_roles.add_role(console, incident, SHORT, EVIL)
    app_roles.assign(
        console, incident, next(k for k, slot in console.state(incident).roles.items() if slot.name == SHORT), EVIL
    )
    timers.set_timer(console, incident, EVIL, 10)
    timers.set_timer(console, incident, SHORT, 1)
    record = runbooks.save(console, _runbook())
    checklists.attach_checklist(console, incident, record.current)
    checklist = console.state(incident).checklists
    checklist_id, first = next(iter(checklist.items()))
    step_id = next(iter(first.steps))
    checklists.add_finding(console, incident, checklist_id, step_id, EVIL)
    checklists.assign_step(console, incident, checklist_id, step_id, EVIL)
    checklists.suggest_runbook_change(console, incident, checklist_id, step_id, EVIL)
    checklists.attach_role_checklist(console, incident, "TL")
    actions.create(console, incident, NewAction(EVIL, owner=EVIL, finding=EVIL, team=EVIL))
    triage.ingest(console, _alert_message())
    alerts = triage.firing(triage.fetch_all(console, _NoSecrets()))  # type: ignore[arg-type]
    triage.attach_alerts(console, incident, alerts)
    oncall.import_yaml(console, _oncall_file())
    oncall.add_override(console, EVIL, f"{BOLD} Sam", now - timedelta(hours=1), now + timedelta(hours=8), covers=EVIL)
    console.perform(incident, lambda s: paging.page_person(s, EVIL, pager=EVIL, now=console.now()))
    timers.record_update(console, incident, EVIL, EVIL)

    other = app_incident.declare(
        console,
        Declaration(
            title=f"{BOLD} resolved {IMG}",
            severity="SEV2",
            services=(SHORT,),
            summary=EVIL,
            detected_at=now - timedelta(hours=3),
        ),
    )
    timeline.add_note(console, other.id, EVIL, pinned=True)
    app_incident.change_status(console, other.id, "resolved", reason=EVIL)
    postmortem.start(console, other.id)
    for key in postmortem.current(console, other.id).sections:
        postmortem.edit(console, other.id, key, f"{EVIL}\n- [ ] {EVIL} owner: {EVIL}")
    return Seeded(incident, other.id)


def assert_safe_unshown(root: QWidget) -> None:
    offences = rich_offences(root)
    assert not offences, "Outside text shown as markup:\n" + "\n".join(map(str, offences[:25]))


def select_first_rows(root: QWidget) -> None:
    """Select the first item of every list, so that the panes showing the selection fill in."""
    for view in root.findChildren(QAbstractItemView):
        model = view.model()
        if model is not None and view.isVisible() and rows(model, QModelIndex()):
            view.setCurrentIndex(model.index(0, 0))


def ready(view: QWidget) -> bool:
    """The window's first read is on screen (the ones that read off the UI thread say so)."""
    busy = getattr(view, "busy", None)
    if callable(busy):
        return not busy() and getattr(view, "report", None) is not None
    return any(
        rows(v.model(), QModelIndex())
        for v in view.findChildren(QAbstractItemView)
        if v.isVisible()
        and v.model() is not None
        and not isinstance(v.parentWidget(), QComboBox)
        and type(v).__name__ != "QHeaderView"
    )


def open_entry(window: MainWindow, text: str) -> Any:
    """What the registered menu entry with this text opens, as choosing it from the menu does."""
    return next(made for made in entries() if made.text == text).open(window)


def select(view: QAbstractItemView, index: QModelIndex) -> None:
    view.setCurrentIndex(index)
    view.selectionModel().select(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    )
