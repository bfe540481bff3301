"""Page someone for the incident: the on-call of a service (its escalation policy, resolved from the schedules
now) or one person, through a pager. It shows who will be paged and what follows if nobody answers, asks
before anything leaves, sends off the UI thread, and lists the incident's pages as they change.

Also the question asked when the incident is resolved with pages still open.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from commander.app import paging
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.ui.connections.dialog import open_connections
from commander.ui.kit.dialogs import plain_label
from commander.ui.kit.problems import KNOWN, ErrorLabel, attempt
from commander.ui.kit.shell import Shell
from commander.ui.paging.pagers import PAGERS
from commander.ui.paging.panel import PagesPanel
from commander.ui.paging.runner import runner_for

TICK_MS = 1000


class PageDialog(QDialog):
    def __init__(
        self, console: Console, incident_id: str, parent: QWidget | None = None, *, person: str = "", service: str = ""
    ) -> None:
        """`person` or `service` preselects whom to page (the role board passes the person it was opened on)."""
        super().__init__(parent)
        self.console, self.incident_id = console, incident_id
        self.secrets = console.secrets
        state = console.state(incident_id)
        self.setWindowTitle(f"Page: {state.reference}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.pagers = paging.pagers(console)
        self.pager = QComboBox(self)
        self.pager.setAccessibleName("Pager")
        for name, config in self.pagers.items():
            self.pager.addItem(config.label, name)
        self.no_pager = plain_label(
            "No pager yet. Add PagerDuty (its routing key) or a chat mention through an "
            "update destination with Pagers… below. See docs/paging.md.",
            self,
            name="ErrorText",
        )
        self.no_pager.setVisible(not self.pagers)
        self.by_service = QRadioButton("On-call for a service", self)
        self.by_person = QRadioButton("A person", self)
        self.mode = QButtonGroup(self)
        self.mode.addButton(self.by_service)
        self.mode.addButton(self.by_person)
        self.service = QComboBox(self)
        self.service.setAccessibleName("Service")
        self.service.setEditable(True)
        known = _or_none(lambda: paging.services(console, incident_id)) or []
        self.service.addItems(known)
        if service:
            self.service.setCurrentText(service)
        self.person = QLineEdit(person, self)
        self.person.setAccessibleName("Person")
        self.person.setPlaceholderText("a name, as the pager's mention map or PagerDuty knows them")
        self.who = QLabel(self)
        self.who.setObjectName("Muted")
        self.who.setTextFormat(Qt.TextFormat.PlainText)
        self.who.setWordWrap(True)
        self.who.setAccessibleName("Who will be paged")
        self.error = ErrorLabel(self)
        self.panel = PagesPanel(console, self, with_page_button=False)
        self.panel.margins.setContentsMargins(0, 0, 0, 0)

        self._assemble()

        if known and not person:
            self.by_service.setChecked(True)
        else:
            self.by_person.setChecked(True)
        if not known:
            self.by_service.setEnabled(False)
            self.by_service.setToolTip(
                "No service pages anyone yet: route one to an escalation policy "
                "(`commander escalation route SERVICE POLICY`, docs/oncall.md)."
            )
        for signal in (
            self.mode.buttonToggled,
            self.service.currentTextChanged,
            self.person.textChanged,
            self.pager.currentIndexChanged,
        ):
            signal.connect(self.refresh)
        self.runner = runner_for(self, console)
        self.runner.recorded.connect(self._recorded)
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.panel.show_incident(incident_id, state)
        self.refresh()

    def _assemble(self) -> None:
        """Lay the fields out over the incident's pages, with Page…, Pagers… and Close under them."""
        form = QFormLayout()
        form.addRow("Pager", self.pager)
        form.addRow(self.by_service, self.service)
        form.addRow(self.by_person, self.person)
        layout = QVBoxLayout(self)
        layout.addWidget(self.no_pager)
        layout.addLayout(form)
        layout.addWidget(self.who)
        layout.addWidget(self.error)
        pages_title = QLabel("Pages on this incident", self)
        pages_title.setObjectName("PanelTitle")
        layout.addWidget(pages_title)
        layout.addWidget(self.panel, 1)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close, self
        )
        self.page_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.page_button.setText("Page…")
        self.buttons.accepted.connect(self.confirm)
        self.buttons.rejected.connect(self.reject)
        self.manage = self.buttons.addButton("Pa&gers…", QDialogButtonBox.ButtonRole.ActionRole)
        self.manage.setToolTip("Add or remove the team's pagers")
        self.manage.clicked.connect(lambda: open_connections(self, self.console, PAGERS, self.load_pagers))
        layout.addWidget(self.buttons)
        em = self.fontMetrics().horizontalAdvance("x")
        self.setMinimumWidth(em * 84)
        self.resize(em * 96, self.fontMetrics().height() * 28)

    def load_pagers(self) -> None:
        """The team's pagers; read again when the Pagers dialog closes."""
        chosen = self.pager.currentData()
        self.pagers = paging.pagers(self.console)
        self.pager.blockSignals(True)  # one refresh below, not one per item
        self.pager.clear()
        for name, config in self.pagers.items():
            self.pager.addItem(config.label, name)
        if chosen in self.pagers:
            self.pager.setCurrentIndex(self.pager.findData(chosen))
        self.pager.blockSignals(False)
        self.no_pager.setVisible(not self.pagers)
        self.refresh()

    def refresh(self) -> None:
        """Say whom the page reaches, as of now; refusals (no policy, nobody on call) say what to do."""
        self.service.setEnabled(self.by_service.isChecked())
        self.person.setEnabled(self.by_person.isChecked())
        self.error.clear_message()
        try:
            self.who.setText(self.describe())
            ready = bool(self.pagers)
        except KNOWN as problem:
            self.who.setText("")
            self.error.show_message(str(problem))
            ready = False
        self.page_button.setEnabled(ready)

    def describe(self) -> str:
        config = self.pagers.get(self.pager.currentData() or "")
        through = f" through {config.label}" if config else ""
        if self.by_service.isChecked():
            service = self.service.currentText().strip()
            if not service:
                raise DomainError("Choose the service whose on-call to page.")
            return f"Paging {service}{through} reaches {paging.plan_service(self.console, service).describe()}"
        who = self.person.text().strip()
        if not who:
            raise DomainError("Type the name of the person to page.")
        if config is not None and config.kind == "chat" and config.mention(who) is None:
            return (
                f"Pages {who}{through}. {who} is not in its mention map, so the message names them without "
                f"notifying them: add them to the pager's mention option."
            )
        if config is not None and config.kind == "pagerduty":
            return (
                f"Pages {who}{through}: the alert goes to the PagerDuty service of its routing key, with "
                f"{who}'s name in it. A page to a person does not escalate."
            )
        return f"Pages {who}{through}. A page to a person does not escalate."

    def confirm(self) -> None:
        shown, box = attempt(self.confirmation, inline=self.error)  # the policy may have changed meanwhile
        if shown and box is not None and box.exec() == QMessageBox.StandardButton.Yes:
            self.send()

    def confirmation(self) -> QMessageBox:
        """Who gets paged, and ("Show Details…") exactly what is sent, the routing key masked."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Page now?",
            f"{self.describe()}\n\nThis reaches people's phones now.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.No)
        pager = self.pager.currentData()
        if self.by_service.isChecked():
            plan = paging.plan_service(self.console, self.service.currentText().strip())
            people = [(r.person, plan.service) for r in plan.responders]
        else:
            people = [(self.person.text().strip(), "")]
        details = []
        for person, service in people:
            try:
                details.append(paging.preview(self.console, self.incident_id, person, pager, self.secrets, service))
            except KNOWN as problem:
                details.append(f"{person}: {problem}")
        box.setDetailedText("\n\n".join(details))
        return box

    def send(self) -> bool:
        """Write the pages (here, on the UI thread), then send them on a worker."""
        pager, service, person = self.pager.currentData(), self.service.currentText().strip(), self.person.text()
        if self.by_service.isChecked():
            done, dispatch = attempt(
                lambda: paging.page_service(self.console, self.incident_id, service, pager, self.secrets),
                inline=self.error,
            )
        else:
            done, dispatch = attempt(
                lambda: paging.page_person(self.console, self.incident_id, person, pager, self.secrets),
                inline=self.error,
            )
        if not done or dispatch is None:
            return False
        self.runner.send(dispatch)
        self.panel.refresh()
        return True

    def _recorded(self, incident_id: str) -> None:
        if incident_id == self.incident_id:
            self.panel.refresh()

    def _tick(self) -> None:
        self.panel.refresh()


def _or_none(read: Callable[[], list[str]]) -> list[str] | None:
    try:
        return read()
    except KNOWN:
        return None


def open_page_dialog(shell: Shell, *, person: str = "") -> PageDialog | None:
    """Page the on-call for a service, or `person` (the role board's and the pages' "Page…" pass one), on the
    incident on screen: who, through what, confirmed. None when no incident is shown."""
    if shell.current is None:
        return None
    dialog = PageDialog(shell.console, shell.current, shell.window(), person=person)
    dialog.open()
    return dialog


class PageResolution(QWidget):
    """Remembers, per incident, that the person chose to leave its pages open, so resolving asks once."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.hide()
        self.declined: set[str] = set()


def offer_page_resolution(
    window: QWidget, console: Console, incident_id: str, then: Callable[[], object]
) -> QMessageBox | None:
    """The incident is resolved and pages are still open: ask to resolve them (PagerDuty's alerts too), then go
    on with `then` (what else resolving offers), so the questions come one after another, not all at once.
    None when there is nothing to ask: the caller goes on at once."""
    state = console.state(incident_id)
    open_pages = state.paging.open_pages()
    memory = window.findChild(PageResolution) or PageResolution(window)
    if not open_pages or incident_id in memory.declined:
        return None
    whom = ", ".join(sorted({f"{p.target} ({p.pager})" for p in open_pages}))
    several = len(open_pages) != 1
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Resolve the pages too?",
        f"{state.reference} is resolved, and {len(open_pages)} page{'s are' if several else ' is'} still "
        f"open: {whom}.\n\nResolve {'them' if several else 'it'} now? PagerDuty's alerts are resolved "
        f"too, so nobody is paged again for this incident.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        window,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setDefaultButton(QMessageBox.StandardButton.Yes)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    yes = box.button(QMessageBox.StandardButton.Yes)

    def answered(clicked: object) -> None:
        if clicked is yes:
            runner_for(window, console).resolve(incident_id)
        else:
            memory.declined.add(incident_id)
        then()

    box.buttonClicked.connect(answered)
    box.open()
    return box
