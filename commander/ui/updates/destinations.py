"""Incident > Destinations…: where stakeholder updates go. Settings that are not secret are shared with
the team through the store; each secret (a webhook URL, a token) goes to this computer's OS keyring and
is never shown again: the list says only whether this computer has it."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from commander.app.console import Console
from commander.app.updates import publishing
from commander.domain.updates.destinations import KINDS
from commander.integrations.secrets import SecretStore
from commander.ui.connections.dialog import AddConnectionDialog, Catalogue, ConnectionsDialog, family_listing
from commander.ui.kit.shell import Shell

HINTS = {
    "name": "a name people recognise, e.g. #incidents or Status page",
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


class AddDestinationDialog(AddConnectionDialog):
    def __init__(self, console: Console, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(console, secrets, parent, noun="destination", kinds=KINDS, add=publishing.add, hints=HINTS)


DESTINATIONS = Catalogue(
    "Destinations",
    "destination",
    "Where stakeholder updates are published. The team shares the list; each secret stays in this computer's "
    "keyring and is never shown.",
    family_listing(publishing.destinations, {key: kind.label for key, kind in KINDS.items()}),
    AddDestinationDialog,
    publishing.remove,
    publishing.test_destination,
)


class DestinationsDialog(ConnectionsDialog):
    def __init__(self, console: Console, parent: QWidget | None = None) -> None:
        super().__init__(console, DESTINATIONS, parent)


def open_destinations(shell: Shell) -> DestinationsDialog:
    dialog = DestinationsDialog(shell.console, shell.window())
    dialog.open()
    return dialog
