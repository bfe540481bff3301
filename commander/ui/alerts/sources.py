"""Alert sources (Incident > Alert sources…, and Sources… in the Alerts window): the Alertmanagers whose
firing alerts Commander reads. The team shares each source's address and settings; a password or token
(basic or bearer auth) stays in this computer's keyring and is never shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox, QLineEdit, QWidget

from commander.app import alerts
from commander.app.console import Console
from commander.domain.alerts.triage import AUTH_KINDS, SOURCE_KINDS
from commander.integrations.secrets import SecretStore
from commander.ui.connections.dialog import (
    NO_SECRET_NEEDED,
    Catalogue,
    ConnectionsDialog,
    Listed,
    kept_note,
    open_connections,
    secret_state,
    settings_text,
)
from commander.ui.kit.dialogs import CommandDialog, plain_label
from commander.ui.kit.shell import Shell

KIND = "alertmanager"
AUTH_LABELS = {"none": "None", "basic": "Basic (user and password)", "bearer": "Bearer token"}
SETTINGS = {  # the optional settings, with what to type
    "filter": 'only these alerts, e.g. team="payments", env=~"prod|eu"',
    "severity_label": "the label that holds the severity (severity unless you say otherwise)",
    "severity_map": "critical=SEV1, warning=SEV3: label value = this team's severity",
    "service_labels": "labels that name the service, first found wins (service, job by default)",
}


class AddAlertSourceDialog(CommandDialog):
    """An Alertmanager: its address, how to sign in (the secret typed masked), and which alerts to read."""

    def __init__(self, console: Console, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__("Add alert source", "Add", parent)
        self.console, self.secrets = console, secrets
        self.set_intro(
            f"A {SOURCE_KINDS[KIND]}. Commander reads what fires there; silences it creates are made there too."
        )
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("a name people recognise, e.g. prod")
        self.name.setAccessibleName("Name")
        self.url = QLineEdit(self)
        self.url.setPlaceholderText("Alertmanager's own address, e.g. http://alertmanager:9093")
        self.url.setAccessibleName("URL")
        self.auth = QComboBox(self)
        for key in AUTH_KINDS:
            self.auth.addItem(AUTH_LABELS.get(key, key), key)
        self.auth.setAccessibleName("Auth")
        self.user = QLineEdit(self)
        self.user.setPlaceholderText("the user name for basic auth")
        self.user.setAccessibleName("User")
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setAccessibleName("Secret")
        self.options: dict[str, QLineEdit] = {}
        for form_row, field in (
            ("Name *", self.name),
            ("URL *", self.url),
            ("Auth", self.auth),
            ("User", self.user),
            ("Secret", self.secret),
        ):
            self.form.addRow(form_row, field)
        for option, hint in SETTINGS.items():
            field = QLineEdit(self)
            field.setPlaceholderText(hint + " (optional)")
            field.setAccessibleName(option)
            self.form.addRow(option, field)
            self.options[option] = field
        self.form.addRow(plain_label(f"Settings marked * are needed. {kept_note(secrets)}", self, name="Muted"))
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 84)
        self.auth.currentIndexChanged.connect(self._auth_changed)
        self._auth_changed()

    def _auth_changed(self) -> None:
        auth = self.auth.currentData()
        self.user.setEnabled(auth == "basic")
        self.secret.setEnabled(auth != "none")
        what = {"basic": "the password", "bearer": "the token"}.get(auth)
        self.secret.setPlaceholderText(what or "no secret without auth")

    def perform(self) -> object:
        auth = self.auth.currentData()
        options = {key: field.text().strip() for key, field in self.options.items() if field.text().strip()}
        options["auth"] = auth
        if auth == "basic" and self.user.text().strip():
            options["user"] = self.user.text().strip()
        secret = self.secret.text() if auth != "none" else ""
        return alerts.add_source(self.console, KIND, self.name.text(), self.url.text(), options, secret, self.secrets)


def _listing(console: Console, secrets: SecretStore) -> list[Listed]:
    rows = []
    for name, source in alerts.sources(console).items():
        label = SOURCE_KINDS.get(source.kind, source.kind)
        settings = settings_text({"url": source.url, **source.options})
        if source.auth == "none":
            rows.append(Listed(name, source.kind, label, NO_SECRET_NEEDED, settings))
        else:
            target = alerts.guarded(console, source)
            rows.append(
                Listed(name, source.kind, label, secret_state(secrets, target), settings, source.secret_name, target)
            )
    return rows


ALERT_SOURCES = Catalogue(
    "Alert sources",
    "alert source",
    "The Alertmanagers whose firing alerts Commander reads. The team shares the list; a password or token "
    "stays in this computer's keyring and is never shown.",
    _listing,
    AddAlertSourceDialog,
    alerts.remove_source,
)


def open_alert_sources(shell: Shell) -> ConnectionsDialog:
    """Incident > Alert sources…: the Alertmanagers read, to add and remove."""
    return manage_alert_sources(shell.window(), shell.console)


def manage_alert_sources(
    parent: QWidget, console: Console, then: Callable[[], object] | None = None
) -> ConnectionsDialog:
    """The alert sources dialog over `parent`; `then` runs when it closes (the Alerts window reads again)."""
    return open_connections(parent, console, ALERT_SOURCES, then)
