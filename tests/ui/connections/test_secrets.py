"""The connections dialog when a shared connection's address changed: its secret is shown held back, and
"Confirm address…" shows the old and the new address before the secret may go there; "Give its secret
again…" binds a new secret to the new address. The team's text (names, settings) is never read as markup."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.app.setup import connections
from commander.app.updates import publishing
from commander.domain.updates.destinations import FAMILY
from commander.integrations.secrets import SecretStore
from commander.ui.connections.dialog import HELD_BACK, ConnectionsDialog, SecretDialog
from commander.ui.shell.main_window import MainWindow

ROOM = "!hQmLrQpSxUTsDhyXZf:example.org"
OLD, NEW = "https://matrix.legit.example", "https://matrix.evil.example"
HOSTILE = '<img src="/dev/zero">'


def readded(console: Console) -> None:
    """A responder re-adds the room with their own homeserver: the settings change, this keyring does not."""
    publishing.add(console, "matrix", "Ops room", {"homeserver": OLD, "room": ROOM}, "syt_token", SecretStore())
    console.record(FAMILY.remove(publishing.destinations(console), "Ops room"))
    console.record(
        FAMILY.add(publishing.destinations(console), "matrix", "Ops room", {"homeserver": NEW, "room": ROOM})
    )


def state(console: Console) -> str:
    return connections.state_of(connections.guarded(publishing.destinations(console)["Ops room"]), SecretStore()).state


def test_a_held_back_secret_is_shown_and_confirmed_after_seeing_both_addresses(
    qtbot: QtBot, window: MainWindow, console: Console
) -> None:
    readded(console)
    dialog = window.edit_destinations()
    assert isinstance(dialog, ConnectionsDialog)
    row = dialog.tree.topLevelItem(0)
    assert row is not None and row.text(2) == HELD_BACK
    assert NEW in row.toolTip(2) and "commander destination trust" in row.toolTip(2)
    assert dialog.confirm_button.isVisibleTo(dialog) and dialog.secret_button.isVisibleTo(dialog)
    assert dialog.secret_button.text() == "Give its &secret again…"

    box = dialog.confirm_address()
    assert isinstance(box, QMessageBox) and box.textFormat() == Qt.TextFormat.PlainText
    assert f"It was entered for: {OLD}" in box.text() and f"It would now go to: {NEW}" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert state(console) == "held"

    box = dialog.confirm_address()
    assert box is not None
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: state(console) == "ready")
    row = dialog.tree.topLevelItem(0)
    assert row is not None and row.text(2) == "secret in the keyring"
    assert not dialog.confirm_button.isVisibleTo(dialog) and not dialog.secret_button.isVisibleTo(dialog)
    assert NEW in dialog.report.text()


def test_giving_the_secret_again_binds_it_to_the_new_address(
    qtbot: QtBot, window: MainWindow, console: Console
) -> None:
    readded(console)
    dialog = window.edit_destinations()
    given = dialog.give_secret()
    assert isinstance(given, SecretDialog) and NEW in given.intro.text()
    given.secret.setText("syt_new_token")
    given.submit()
    assert state(console) == "ready"
    assert SecretStore().get("destination:Ops room") == "syt_new_token"


def test_the_teams_text_in_tooltips_is_not_markup(qtbot: QtBot, window: MainWindow, console: Console) -> None:
    publishing.add(console, "mattermost", "chat", {"username": HOSTILE}, "https://chat.example/hooks/x", SecretStore())
    dialog = window.edit_destinations()
    row = dialog.tree.topLevelItem(0)
    assert row is not None and row.text(3) == f"username={HOSTILE}"  # shown as typed
    for column in range(4):
        assert "<img" not in row.toolTip(column)
    assert "&lt;img src=&quot;/dev/zero&quot;&gt;" in row.toolTip(3)
