"""Incident > Destinations…: where stakeholder updates go. Settings that are not secret are shared with
the team through the store; each secret (a webhook URL, a token) goes to this computer's OS keyring and
is never shown again: the list says only whether this computer has it."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from commander.app import publishing
from commander.app.console import Console
from commander.domain.destinations import KINDS
from commander.integrations.secrets import SecretStore
from commander.ui.dialogs import CommandDialog, FormGrid, plain_label
from commander.ui.problems import KNOWN, ErrorLabel, attempt

HINTS = {
    "channel": "channel id or #name the bot is in",
    "api_url": "leave empty for the service's own address",
    "format": "adaptive (Workflows) or messagecard (legacy connector)",
    "username": "name shown as the sender (optional)",
    "homeserver": "https://matrix.example.org",
    "room": "!roomid:example.org or #alias:example.org",
    "url": "https://…",
    "page_id": "the status page's id",
    "components": "service=component id, … e.g. payments=8kbf7d35c070",
}


def secret_state(secrets: SecretStore, name: str) -> str:
    if secrets.get(name) is None:
        return "no secret on this computer"
    return "secret in the keyring" if secrets.available else "secret for this session only"


class _Relay(QObject):
    tested = Signal(str, str, str)  # name, state, detail


class DestinationsDialog(QDialog):
    def __init__(self, console: Console, parent: QWidget | None = None,
                 secrets: SecretStore | None = None) -> None:
        super().__init__(parent)
        self.console = console
        self.secrets = secrets or SecretStore()
        self.setWindowTitle("Destinations")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        layout = QVBoxLayout(self)
        intro = ("Where stakeholder updates are published. The team shares the list; each secret stays "
                 "in this computer's keyring and is never shown.")
        if not self.secrets.available:
            intro += "\n\n" + self.secrets.notice
        layout.addWidget(plain_label(intro, self))
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(["Name", "Kind", "Secret", "Settings"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Destinations")
        layout.addWidget(self.tree, 1)
        self.error = ErrorLabel(self)
        layout.addWidget(self.error)
        self.report = plain_label("", self, name="Muted")
        layout.addWidget(self.report)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Add…", self)
        self.test_button = QPushButton("&Test", self)
        self.remove_button = QPushButton("&Remove…", self)
        for button in (self.add_button, self.test_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        row.addWidget(close)
        layout.addLayout(row)
        self.add_button.clicked.connect(self.add)
        self.test_button.clicked.connect(self.test)
        self.remove_button.clicked.connect(self.remove)
        self.tree.currentItemChanged.connect(lambda *_: self._enable())
        self.relay = _Relay(self)
        self.relay.tested.connect(self._tested)
        self.setMinimumSize(self.fontMetrics().horizontalAdvance("x") * 96, self.fontMetrics().height() * 22)
        self.reload()

    def reload(self) -> None:
        self.tree.clear()
        for name, config in publishing.destinations(self.console).items():
            settings = ", ".join(f"{key}={value}" for key, value in config.options.items())
            item = QTreeWidgetItem([name, config.kind, secret_state(self.secrets, config.secret_name), settings])
            item.setToolTip(3, settings)
            item.setToolTip(0, KINDS[config.kind].label if config.kind in KINDS else config.kind)
            self.tree.addTopLevelItem(item)
        for column in range(4):
            self.tree.resizeColumnToContents(column)
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)
        self._enable()

    def _enable(self) -> None:
        chosen = self.current() is not None
        self.test_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def current(self) -> str | None:
        item = self.tree.currentItem()
        return item.text(0) if item is not None else None

    def add(self) -> QDialog:
        dialog = AddDestinationDialog(self.console, self.secrets, self)
        dialog.accepted.connect(self.reload)
        dialog.open()
        return dialog

    def test(self) -> None:
        name = self.current()
        if name is None:
            return
        self.report.setText(f"Sending a test message to {name}…")
        self.test_button.setEnabled(False)
        console, secrets, relay = self.console, self.secrets, self.relay

        def work() -> None:  # on a worker thread: no widgets here, only the relay's signal
            try:
                outcome = publishing.test_destination(console, name, secrets)
            except KNOWN as problem:
                relay.tested.emit(name, "failed", str(problem))
            else:
                relay.tested.emit(name, outcome.state, outcome.detail)

        threading.Thread(target=work, name="commander-test-destination", daemon=True).start()

    def _tested(self, name: str, state: str, detail: str) -> None:
        self.test_button.setEnabled(self.current() is not None)
        if state == "delivered":
            self.report.setText(f"{name}: the test message was delivered.")
            self.error.clear_message()
        else:
            self.report.setText("")
            self.error.show_message(f"{name}: {detail or state}")

    def remove(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        name = self.current()
        if name is None:
            return
        answer = QMessageBox.question(self, "Remove destination?",
                                      f"Remove {name} for the whole team? Its secret is deleted from this "
                                      f"computer's keyring; other computers keep theirs until they remove it.")
        if answer == QMessageBox.StandardButton.Yes:
            attempt(lambda: publishing.remove(self.console, name, self.secrets), inline=self.error)
            self.reload()


class AddDestinationDialog(CommandDialog):
    """A kind, a name, the kind's settings, and its secret (typed masked, kept in the keyring)."""

    def __init__(self, console: Console, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__("Add destination", "Add", parent)
        self.console, self.secrets = console, secrets
        self.kind = QComboBox(self)
        for kind in KINDS.values():
            self.kind.addItem(kind.label, kind.key)
        self.kind.setAccessibleName("Kind")
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("a name people recognise, e.g. #incidents or Status page")
        self.name.setAccessibleName("Name")
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Secret")
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 76)
        self.options: dict[str, QLineEdit] = {}
        self.rows: QWidget | None = None  # every row but Kind, rebuilt for each kind's settings
        self.kind.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()  # row 0 of the form
        self.form.addRow(plain_label("Settings marked * are needed. The secret is masked and kept in the "
                                     "keyring; the team shares everything else.", self, name="Muted"))

    def _kind_changed(self) -> None:
        kind = KINDS[self.kind.currentData()]
        rows = QWidget(self)
        grid = FormGrid()
        grid.setContentsMargins(0, 0, 0, 0)
        rows.setLayout(grid)
        grid.addRow("Kind", self.kind)  # moves Kind, Name and Secret into the new rows: they keep their text
        grid.addRow("Name", self.name)
        self.options = {}
        for option in kind.required + kind.optional:
            field = QLineEdit(rows)
            field.setPlaceholderText(HINTS.get(option, "") + ("" if option in kind.required else " (optional)"))
            field.setAccessibleName(option)
            grid.addRow(option + (" *" if option in kind.required else ""), field)
            self.options[option] = field
        grid.addRow("Secret *", self.secret)
        if self.rows is not None:
            self.rows.hide()  # at once: deleteLater waits for the event loop
            self.form.removeWidget(self.rows)
            self.rows.deleteLater()
        self.form.addWidget(rows, 0, 0, 1, 2)
        self.rows = rows
        keyring = "kept in this computer's keyring" if self.secrets.available else "kept for this session only"
        self.secret.setPlaceholderText(f"{kind.secret}: {keyring}, never shown again")
        self.fit_height()

    def perform(self) -> object:
        options = {key: field.text().strip() for key, field in self.options.items() if field.text().strip()}
        return publishing.add(self.console, self.kind.currentData(), self.name.text(), options,
                              self.secret.text(), self.secrets)
