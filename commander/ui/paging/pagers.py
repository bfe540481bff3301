"""Incident > Pagers…: how people are paged. A PagerDuty pager keeps its routing key in this computer's
keyring; a chat pager posts a mention through an update destination and has no secret of its own."""

from __future__ import annotations

from PySide6.QtWidgets import QCompleter, QWidget

from commander.app import paging
from commander.app.console import Console
from commander.app.updates import publishing
from commander.domain.paging.pagers import CHAT_KINDS, PAGER_KINDS
from commander.integrations.secrets import SecretStore
from commander.ui.connections.dialog import (
    NO_SECRET_NEEDED,
    AddConnectionDialog,
    Catalogue,
    ConnectionsDialog,
    Listed,
    open_connections,
    secret_state,
    settings_text,
)
from commander.ui.kit.shell import Shell

HINTS = {
    "name": "a name people recognise, e.g. Payments team",
    "api_url": "leave empty for PagerDuty's own Events API",
    "link": "a link in the alert: https://console.example.org/{reference}",
    "destination": "the update destination to post through",
    "mention": "Sam=<@U0123ABC>, Alex=@alex: how the chat mentions each person",
}


class AddPagerDialog(AddConnectionDialog):
    def __init__(self, console: Console, secrets: SecretStore, parent: QWidget | None = None) -> None:
        chats = [name for name, config in publishing.destinations(console).items() if config.kind in CHAT_KINDS]
        hints = dict(HINTS)
        hints["destination"] += f" ({', '.join(chats)})" if chats else " (add a chat destination first)"
        self.chats = chats
        super().__init__(console, secrets, parent, noun="pager", kinds=PAGER_KINDS, add=paging.add_pager, hints=hints)

    def _kind_changed(self) -> None:
        super()._kind_changed()
        if "destination" in self.options:
            self.options["destination"].setCompleter(QCompleter(self.chats, self.options["destination"]))


def _listing(console: Console, secrets: SecretStore) -> list[Listed]:
    rows = []
    for name, config in paging.pagers(console).items():
        label = PAGER_KINDS[config.kind].label if config.kind in PAGER_KINDS else config.kind
        if config.kind == "pagerduty":
            target = paging.guarded(console, config)
            rows.append(
                Listed(
                    name,
                    config.kind,
                    label,
                    secret_state(secrets, target),
                    settings_text(config.options),
                    config.secret_name,
                    target,
                )
            )
        else:
            rows.append(Listed(name, config.kind, label, NO_SECRET_NEEDED, settings_text(config.options)))
    return rows


PAGERS = Catalogue(
    "Pagers",
    "pager",
    "How people are paged: PagerDuty (its routing key stays in this computer's keyring and is never shown), "
    "or a mention posted through a chat destination. The team shares the list.",
    _listing,
    AddPagerDialog,
    paging.remove_pager,
)


def open_pagers(shell: Shell) -> ConnectionsDialog:
    return open_connections(shell.window(), shell.console, PAGERS)
