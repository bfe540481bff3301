"""Incident > Destinations…: add one with its secret masked, test it, remove it; the secret is never shown."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QLineEdit, QMessageBox, QTreeWidget, QWidget
from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.app.updates import publishing
from commander.ui.shell.main_window import MainWindow
from commander.ui.updates.destinations import AddDestinationDialog, DestinationsDialog
from tests.helpers.fakes import serve
from tests.helpers.keyring_memory import MemoryKeyring
from tests.integrations.test_destinations import slack_like

SECRET_PATH = "/services/T000/B000/SECRETSECRET"


def every_text(widget: QWidget) -> str:
    """All the text a person could see in the dialog (labels, fields, list cells, tooltips)."""
    texts = [label.text() for label in widget.findChildren(QLabel)]
    texts += [field.displayText() for field in widget.findChildren(QLineEdit)]
    for tree in widget.findChildren(QTreeWidget):
        for row in range(tree.topLevelItemCount()):
            item = tree.topLevelItem(row)
            assert item is not None
            texts += [item.text(c) for c in range(tree.columnCount())]
            texts += [item.toolTip(c) for c in range(tree.columnCount())]
    return "\n".join(texts)


def test_add_test_and_remove_with_the_secret_masked(
    qtbot: QtBot, window: MainWindow, console: Console, memory_keyring: MemoryKeyring, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with serve(slack_like) as slack:
        dialog = window.edit_destinations()
        assert isinstance(dialog, DestinationsDialog) and not dialog.test_button.isEnabled()
        adding = dialog.add()
        assert isinstance(adding, AddDestinationDialog)
        adding.kind.setCurrentIndex(adding.kind.findData("slack"))
        adding.name.setText("#incidents")
        qtbot.keyClicks(adding.secret, slack.url + SECRET_PATH)
        assert adding.secret.echoMode() == QLineEdit.EchoMode.Password
        assert "SECRETSECRET" not in adding.secret.displayText()
        assert "SECRETSECRET" not in every_text(adding)
        adding.submit()
        assert dialog.tree.topLevelItemCount() == 1
        assert dialog.tree.topLevelItem(0).text(2) == "secret in the keyring"  # type: ignore[union-attr]
        assert "SECRETSECRET" not in every_text(dialog)
        assert memory_keyring.items[("commander", "destination:#incidents")].endswith("SECRETSECRET")

        dialog.test()
        qtbot.waitUntil(lambda: "delivered" in dialog.report.text(), timeout=5000)
        assert slack.requests[0].path == "/hook" + SECRET_PATH

    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    dialog.remove()
    assert dialog.tree.topLevelItemCount() == 0 and not publishing.destinations(console)
    assert ("commander", "destination:#incidents") not in memory_keyring.items


def test_each_kind_asks_for_its_settings(window: MainWindow, console: Console) -> None:
    dialog = window.edit_destinations()
    adding = dialog.add()
    adding.kind.setCurrentIndex(adding.kind.findData("matrix"))
    assert set(adding.options) == {"homeserver", "room"}
    adding.name.setText("Ops room")
    adding.secret.setText("syt_token")
    adding.options["room"].setText("!abc:example.org")
    adding.submit()  # homeserver is missing: refused inline, nothing added
    assert adding.isVisible() and "--option homeserver=" in adding.error.text()
    adding.kind.setCurrentIndex(adding.kind.findData("statuspage"))
    assert adding.name.text() == "Ops room" and adding.secret.text() == "syt_token"  # kept across kinds
    assert set(adding.options) == {"page_id", "components", "api_url"}
