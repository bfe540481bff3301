"""File > Shared store…: where this console syncs, with the password kept in the OS keyring."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLineEdit, QWidget

from commander.app.console import Console
from commander.app.setup import remote as remotes
from commander.ui.kit.dialogs import CommandDialog
from commander.ui.kit.shell import Shell


class RemoteDialog(CommandDialog):
    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__("Shared store", "Save and sync", parent)
        self.console = console
        self.secrets = console.secrets
        current = remotes.configured(console)
        intro = (
            "Every console pointed at the same shared store sees every change. This computer keeps "
            "working when the store cannot be reached, and sends what is waiting when it is back."
        )
        if not self.secrets.available:
            intro += "\n\n" + self.secrets.notice
        self.set_intro(intro)
        self.url = QLineEdit(current.url if current else "", self)
        self.url.setPlaceholderText("postgresql+psycopg://you@db.example/commander?sslmode=verify-full")
        self.url.setAccessibleName("Shared store URL")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(
            "kept in the OS keyring; empty keeps the one saved"
            if self.secrets.available
            else "kept for this session only (no OS keyring)"
        )
        self.password.setAccessibleName("Password")
        self.poll = QDoubleSpinBox(self)
        self.poll.setRange(0.2, 600)
        self.poll.setSuffix(" s")
        self.poll.setValue(current.poll_seconds if current else 2.0)
        self.poll.setAccessibleName("Poll interval for a shared SQLite file")
        self.stop = QCheckBox("Stop syncing (this console works on its own)", self)
        self.stop.setVisible(current is not None)
        self.form.addRow("URL", self.url)
        self.form.addRow("Password", self.password)
        self.form.addRow("Poll every", self.poll)
        self.form.addRow(self.stop)

    def perform(self) -> object:
        if self.stop.isChecked():
            return remotes.clear_remote(self.console, self.secrets)
        return remotes.set_remote(
            self.console,
            self.url.text(),
            self.secrets,
            password=self.password.text() or None,
            poll_seconds=self.poll.value(),
        )


def open_remote(shell: Shell) -> RemoteDialog:
    """Where this console syncs; saving starts syncing there (the shell restarts its sync when accepted)."""
    dialog = RemoteDialog(shell.console, shell.window())
    dialog.accepted.connect(shell.bridge.shared_store_changed.emit)
    dialog.open()
    return dialog
