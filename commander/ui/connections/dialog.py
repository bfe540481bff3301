"""One dialog for everything the team connects Commander to (update destinations, trackers, pagers, alert
sources): the list with each secret's state on this computer (never the secret), Add, an optional Test,
and Remove with confirmation. What differs from one sort to the next is a `Catalogue`; a kind with a
secret and a few text settings is added through `AddConnectionDialog`.

A secret whose connection's shared settings now send it to another address is held back (see
app/connections): the list says so, and "Confirm address…" shows the old and new address before this
person lets it go there. Names, settings and replies come from the shared store or from a service:
they are shown as plain text, and escaped in tooltips (which Qt would otherwise read as markup)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app.console import Console
from commander.app.setup import connections
from commander.app.setup.connections import Guarded
from commander.domain.core.connections import Connection
from commander.domain.core.errors import DomainError
from commander.domain.paging.pagers import check_routing_key
from commander.integrations.destinations.base import Outcome
from commander.integrations.secrets import SecretStore
from commander.ui.kit import richtext
from commander.ui.kit.background import run_in_background
from commander.ui.kit.dialogs import CommandDialog, FormGrid, plain_label
from commander.ui.kit.problems import ErrorLabel, attempt

NO_SECRET_NEEDED = "none needed"


NO_SECRET_HERE = "no secret on this computer"
HELD_BACK = "secret held back: address changed"


def secret_state(secrets: SecretStore, target: Guarded) -> str:
    found = connections.state_of(target, secrets).state
    if found == "missing":
        return NO_SECRET_HERE
    if found == "held":
        return HELD_BACK
    return "secret in the keyring" if secrets.available else "secret for this session only"


def kept_note(secrets: SecretStore) -> str:
    """Where a secret typed in a form goes, for the line under the form."""
    where = "kept in this computer's keyring" if secrets.available else "kept for this session only (no keyring)"
    return f"A secret is masked, {where} and never shown again; the team shares everything else."


def settings_text(options: Mapping[str, str]) -> str:
    return ", ".join(f"{key}={value}" for key, value in options.items())


@dataclass(frozen=True)
class Listed:
    """One row of the list: what a person may see of a connection."""

    name: str
    kind: str  # the kind's key
    label: str  # the kind in words (the tooltip)
    secret: str  # the secret's state here, from `secret_state`, never the secret
    settings: str
    secret_name: str = ""  # where its secret is kept in the keyring; "" when it needs none
    target: Guarded | None = None  # where its secret goes; None when it needs none

    @property
    def missing_secret(self) -> bool:
        return bool(self.secret_name) and self.secret == NO_SECRET_HERE

    @property
    def held_back(self) -> bool:
        return self.secret == HELD_BACK


Adder = Callable[[Console, SecretStore, QWidget], CommandDialog]


@dataclass(frozen=True)
class Catalogue:
    """What one `ConnectionsDialog` manages: `noun` names one of them in messages, `listing` reads them,
    `adding` makes the add form, `remove` removes one (and its secret here), `test` sends a test."""

    title: str
    noun: str
    intro: str
    listing: Callable[[Console, SecretStore], list[Listed]]
    adding: Adder
    remove: Callable[[Console, str, SecretStore], None]
    test: Callable[[Console, str, SecretStore], Outcome] | None = None


def family_listing(
    read: Callable[[Console], Mapping[str, Connection]], labels: Mapping[str, str]
) -> Callable[[Console, SecretStore], list[Listed]]:
    """Rows for connections that always have a secret (destinations, trackers)."""

    def listing(console: Console, secrets: SecretStore) -> list[Listed]:
        return [
            Listed(
                name,
                config.kind,
                labels.get(config.kind, config.kind),
                secret_state(secrets, connections.guarded(config)),
                settings_text(config.options),
                config.secret_name,
                connections.guarded(config),
            )
            for name, config in read(console).items()
        ]

    return listing


class ConnectionsDialog(QDialog):
    def __init__(self, console: Console, catalogue: Catalogue, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.console, self.catalogue = console, catalogue
        self.secrets = console.secrets
        self.setWindowTitle(catalogue.title)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        intro = catalogue.intro
        if not self.secrets.available:
            intro += "\n\n" + self.secrets.notice
        layout.addWidget(plain_label(intro, self))
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Name", "Kind", "Secret", "Settings"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName(catalogue.title)
        layout.addWidget(self.tree, 1)
        self.error = ErrorLabel(self)
        layout.addWidget(self.error)
        self.report = plain_label("", self, name="Muted")
        layout.addWidget(self.report)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Add…", self)
        self.test_button = QPushButton("&Test", self)
        self.remove_button = QPushButton("&Remove…", self)
        self.secret_button = QPushButton("Give it a &secret…", self)
        self.confirm_button = QPushButton("&Confirm address…", self)
        self.confirm_button.setToolTip(
            "Its settings now send its secret to another address: check it and let the secret go there"
        )
        self.remove_button.setToolTip(f"Remove the chosen {catalogue.noun} for the whole team (Delete)")
        for button in (self.add_button, self.test_button, self.remove_button, self.secret_button, self.confirm_button):
            row.addWidget(button)
        self.test_button.setVisible(catalogue.test is not None)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        self.add_button.clicked.connect(self.add)
        self.test_button.clicked.connect(self.test)
        self.remove_button.clicked.connect(self.remove)
        self.secret_button.clicked.connect(self.give_secret)
        self.confirm_button.clicked.connect(self.confirm_address)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.tree, self.remove)
        self.rows: dict[str, Listed] = {}
        self.tree.currentItemChanged.connect(lambda *_: self._enable())
        self.setMinimumSize(self.fontMetrics().horizontalAdvance("x") * 96, self.fontMetrics().height() * 22)
        self.reload()

    def reload(self) -> None:
        self.tree.clear()
        self.rows = {listed.name: listed for listed in self.catalogue.listing(self.console, self.secrets)}
        for listed in self.rows.values():
            item = QTreeWidgetItem([listed.name, listed.kind, listed.secret, listed.settings])
            item.setToolTip(0, richtext.tooltip(listed.label))
            item.setToolTip(1, richtext.tooltip(listed.label))
            if listed.held_back and listed.target is not None:
                item.setToolTip(2, richtext.tooltip(connections.state_of(listed.target, self.secrets).reason))
            item.setToolTip(3, richtext.tooltip(listed.settings))
            self.tree.addTopLevelItem(item)
        for column in range(4):
            self.tree.resizeColumnToContents(column)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
        self._enable()

    def _enable(self) -> None:
        chosen = self.current()
        self.test_button.setEnabled(chosen is not None)
        self.remove_button.setEnabled(chosen is not None)
        row = self.rows.get(chosen) if chosen is not None else None
        self.secret_button.setVisible(row is not None and (row.missing_secret or row.held_back))
        self.secret_button.setText(
            "Give its &secret again…" if row is not None and row.held_back else "Give it a &secret…"
        )
        self.secret_button.setToolTip(
            "Its address changed: give the secret for the new address"
            if row is not None and row.held_back
            else "It was added on another computer: give this computer its secret too"
        )
        self.confirm_button.setVisible(row is not None and row.held_back)

    def give_secret(self) -> CommandDialog | None:
        """The team's connection, added on another computer (or with a new address): this computer's keyring
        gets its secret, bound to where its settings send it now."""
        name = self.current()
        row = self.rows.get(name) if name is not None else None
        if row is None or row.target is None or not (row.missing_secret or row.held_back):
            return None
        dialog = SecretDialog(row, self.secrets, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def confirm_address(self) -> QMessageBox | None:
        """Show the address the secret was entered for and the one the settings name now; Yes lets it go there."""
        name = self.current()
        row = self.rows.get(name) if name is not None else None
        if row is None or row.target is None or not row.held_back:
            return None
        target = row.target
        found = connections.state_of(target, self.secrets)
        was = found.was or "an address this computer did not record (it was kept by an older Commander)"
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Confirm the new address?",
            f"The settings of {target.name} changed, so its secret is held back.\n\n"
            f"It was entered for: {was}\nIt would now go to: {found.now}\n\n"
            f"Send the secret to the new address from now on? Only say yes if you know this change: "
            f"anyone who can write to the shared store can change a connection's address.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Yes:
                done, _ = attempt(lambda: connections.trust(target, self.secrets), inline=self.error)
                self.reload()
                if done:
                    self.error.clear_message()
                    self.report.setText(f"{target.name}: its secret is now sent to {found.now}.")

        box.finished.connect(answered)
        box.open()
        return box

    def current(self) -> str | None:
        item = self.tree.currentItem()
        return item.text(0) if item is not None else None

    def add(self) -> CommandDialog:
        dialog = self.catalogue.adding(self.console, self.secrets, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def test(self) -> None:
        name, check = self.current(), self.catalogue.test
        if name is None or check is None:
            return
        self.report.setText(f"Sending a test message to {name}…")
        self.test_button.setEnabled(False)
        console, secrets = self.console, self.secrets
        run_in_background(
            lambda _progress: check(console, name, secrets),  # on a worker thread: no widgets here
            parent=self,
            success=lambda outcome: self._tested(name, outcome.state, outcome.detail),
            failure=lambda message: self._tested(name, "failed", message),
            name=f"commander-test-{self.catalogue.noun}",
        )

    def _tested(self, name: str, state: str, detail: str) -> None:
        self.test_button.setEnabled(self.current() is not None)
        if state == "delivered":
            self.report.setText(f"{name}: the test message was delivered.")
            self.error.clear_message()
        else:
            self.report.setText("")
            self.error.show_message(f"{name}: {detail or state}")

    def remove(self) -> None:
        name = self.current()
        if name is None:
            return
        noun = self.catalogue.noun
        answer = QMessageBox.question(
            self,
            f"Remove {noun}?",
            richtext.rich_tooltip(
                richtext.escape(
                    f"Remove the {noun} {name} for the whole team? Its secret is deleted from this computer's keyring; "
                    f"other computers keep theirs until they remove it."
                )
            ),
        )  # the name is the team's text, not markup
        if answer == QMessageBox.StandardButton.Yes:
            done, _ = attempt(lambda: self.catalogue.remove(self.console, name, self.secrets), inline=self.error)
            self.reload()
            if done:
                self.report.setText(f"Removed {name}.")


class SecretDialog(CommandDialog):
    def __init__(self, listed: Listed, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(f"Secret for {listed.name}", "Keep it", parent)
        self.listed, self.secrets = listed, secrets
        where = listed.target.endpoint.where if listed.target is not None else ""
        why = (
            f"The settings of {listed.name} changed: it now sends to {where}."
            if listed.held_back
            else f"{listed.name} ({listed.label}) was added on another computer; secrets stay in each computer's "
            f"keyring."
        )
        self.set_intro(f"{why} The secret you give is sent only there. {kept_note(secrets)}")
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Secret")
        self.form.addRow("Secret", self.secret)

    def perform(self) -> object:
        if not self.secret.text().strip():
            raise DomainError("No secret given: type or paste it, or Cancel.")
        if self.listed.target is None:
            raise DomainError(f"{self.listed.name} needs no secret.")
        secret = self.secret.text()
        if self.listed.target.noun == "pager":
            secret = check_routing_key(secret)  # PagerDuty's routing key, checked as `pager add` checks it
        return connections.give(self.listed.target, secret, self.secrets)


class KindOf(Protocol):
    """What the add form reads of a kind (a connection `Kind`, a `PagerKind`)."""

    @property
    def key(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def secret(self) -> str: ...  # what the secret is, in words; "" when the kind has none
    @property
    def required(self) -> tuple[str, ...]: ...
    @property
    def optional(self) -> tuple[str, ...]: ...


AddFunction = Callable[[Console, str, str, dict[str, str], str, SecretStore], object]


class AddConnectionDialog(CommandDialog):
    """A kind, a name, the kind's settings, and its secret (typed masked, kept in the keyring)."""

    def __init__(
        self,
        console: Console,
        secrets: SecretStore,
        parent: QWidget | None,
        *,
        noun: str,
        kinds: Mapping[str, KindOf],
        add: AddFunction,
        hints: Mapping[str, str],
    ) -> None:
        super().__init__(f"Add {noun}", "Add", parent)
        self.console, self.secrets = console, secrets
        self.kinds, self.hints, self._add = kinds, hints, add
        self.kind = QComboBox(self)
        for kind in kinds.values():
            self.kind.addItem(kind.label, kind.key)
        self.kind.setAccessibleName("Kind")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText(hints.get("name", "a name people recognise"))
        self.name.setAccessibleName("Name")
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Secret")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 76)
        self.options: dict[str, QLineEdit] = {}
        self.rows: QWidget | None = None  # every row but Kind, rebuilt for each kind's settings
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()  # row 0 of the form
        self.form.addRow(plain_label(f"Settings marked * are needed. {kept_note(secrets)}", self, name="Muted"))

    def _kind_changed(self) -> None:
        kind = self.kinds[self.kind.currentData()]
        rows = QWidget(self)
        grid = FormGrid()
        grid.setContentsMargins(0, 0, 0, 0)
        rows.setLayout(grid)
        grid.addRow("Kind", self.kind)  # moves Kind, Name and Secret into the new rows: they keep their text
        grid.addRow("Name", self.name)
        self.options = {}
        for option in kind.required + kind.optional:
            field = QLineEdit(rows)
            field.setPlaceholderText(self.hints.get(option, "") + ("" if option in kind.required else " (optional)"))
            field.setAccessibleName(option)
            grid.addRow(option + (" *" if option in kind.required else ""), field)
            self.options[option] = field
        if kind.secret:
            grid.addRow("Secret *", self.secret)
        else:
            self.secret.setParent(rows)  # kept (with its text) for a kind that has one, but not shown
            self.secret.hide()
        if self.rows is not None:
            self.rows.hide()  # at once: deleteLater waits for the event loop
            self.form.removeWidget(self.rows)
            self.rows.deleteLater()
        self.form.addWidget(rows, 0, 0, 1, 2)
        self.rows = rows
        self.secret.setVisible(bool(kind.secret))
        self.secret.setPlaceholderText(kind.secret)
        self.secret.setToolTip(kind.secret)
        self.fit_height()

    def perform(self) -> object:
        options = {key: field.text().strip() for key, field in self.options.items() if field.text().strip()}
        secret = self.secret.text() if self.kinds[self.kind.currentData()].secret else ""
        return self._add(self.console, self.kind.currentData(), self.name.text(), options, secret, self.secrets)


def open_connections(
    parent: QWidget, console: Console, catalogue: Catalogue, then: Callable[[], object] | None = None
) -> ConnectionsDialog:
    """Open the dialog; `then` runs when it closes (a form that offered it reads its list again)."""
    dialog = ConnectionsDialog(console, catalogue, parent)
    if then is not None:
        dialog.finished.connect(lambda _result: then())
    dialog.open()
    return dialog
