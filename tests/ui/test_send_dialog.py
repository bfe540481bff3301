"""Send update from the window: previewed, sent off the UI thread, each destination's state shown."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from commander.app import publishing
from commander.app.console import Console
from commander.integrations.secrets import SecretStore
from commander.ui.main_window import MainWindow
from tests.integrations.fakes import Reply, serve
from tests.integrations.test_destinations import slack_like


def test_send_an_update_to_two_destinations(qtbot: QtBot, window: MainWindow, console: Console,
                                            incident: str) -> None:
    with serve(slack_like) as slack, serve(lambda request: Reply(410, "channel_is_archived")) as gone:
        publishing.add(console, "slack", "#incidents", {}, slack.url, SecretStore())
        publishing.add(console, "slack", "#old", {}, gone.url, SecretStore())
        window.select_incident(incident)
        dialog = window.send_update()
        assert dialog is not None
        assert dialog.text.toPlainText().startswith("[SEV2] Investigating: Checkout API returning 502s")
        dialog.send(dialog.chosen())
        qtbot.waitUntil(lambda: dialog.send_button.text() == "Sent", timeout=10000)
    assert dialog.states["#incidents"].text() == "delivered"
    assert dialog.states["#old"].text().startswith("failed: Slack (#old) refused")
    assert "Not delivered to #old" in dialog.error.text()
    kinds = [e.kind for e in console.view(incident).entries if e.category == "update"]
    assert kinds.count("update.queued") == 2 and kinds.count("update.delivered") == 1
    assert kinds.count("update.failed") == 1
    dialog.reject()


def test_the_preview_follows_the_template(window: MainWindow, console: Console, incident: str) -> None:
    window.select_incident(incident)
    dialog = window.send_update()
    assert dialog is not None and not dialog.send_button.isEnabled()  # no destinations yet
    dialog.template.setCurrentIndex(dialog.template.findData("executive_summary"))
    assert dialog.text.toPlainText().startswith("Executive summary: INC-")
    dialog.reject()
