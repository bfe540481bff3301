"""Incident > Trackers…: where action items are pushed (Jira, GitHub Issues, Linear, Asana). Like the
destinations: the team shares the settings, each API token stays in this computer's keyring."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from commander.app import actions
from commander.app.console import Console
from commander.domain.actions.trackers import KINDS
from commander.integrations.secrets import SecretStore
from commander.ui.connections.dialog import (
    AddConnectionDialog,
    Catalogue,
    ConnectionsDialog,
    family_listing,
    open_connections,
)
from commander.ui.kit.shell import Shell

HINTS = {
    "name": "a name people recognise, e.g. ops-jira",
    "site": "https://yourteam.atlassian.net",
    "email": "the Atlassian account the token belongs to",
    "project": "Jira: the project key, e.g. OPS; Asana: the project's gid",
    "issuetype": "Task unless you say otherwise",
    "labels": "comma-separated, e.g. incident,follow-up",
    "repo": "owner/name, as in github.com/owner/name",
    "team": "the Linear team's id (not its key such as ENG)",
    "workspace": "the Asana workspace's gid",
    "api_url": "leave empty for the service's own address",
}


class AddTrackerDialog(AddConnectionDialog):
    def __init__(self, console: Console, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(console, secrets, parent, noun="tracker", kinds=KINDS, add=actions.add, hints=HINTS)


TRACKERS = Catalogue(
    "Trackers",
    "tracker",
    "Where action items are pushed as issues. The team shares the list; each API token stays in this "
    "computer's keyring and is never shown.",
    family_listing(actions.trackers, {key: kind.label for key, kind in KINDS.items()}),
    AddTrackerDialog,
    actions.remove,
)


def open_trackers(shell: Shell) -> ConnectionsDialog:
    """Incident > Trackers…: the team's trackers, to add and remove."""
    return manage_trackers(shell.window(), shell.console)


def manage_trackers(parent: QWidget, console: Console, then: Callable[[], object] | None = None) -> ConnectionsDialog:
    """The trackers dialog over `parent`; `then` runs when it closes (the push dialog reads its list again)."""
    return open_connections(parent, console, TRACKERS, then)
