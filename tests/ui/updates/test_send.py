"""Send update from the window: previewed, sent off the UI thread, each destination's state shown."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.app.updates import publishing
from commander.integrations.secrets import SecretStore
from commander.ui.shell.main_window import MainWindow
from tests.helpers.fakes import Reply, serve
from tests.integrations.test_destinations import slack_like


def test_send_an_update_to_two_destinations(qtbot: QtBot, window: MainWindow, console: Console, incident: str) -> None:
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


def test_the_window_keeps_running_while_a_destination_hangs(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    """Delivery is off the UI thread: while one destination hangs, the event loop keeps turning (a
    timer keeps firing, the whole time) and the healthy destination shows delivered before the hanging one ends."""
    from PySide6.QtCore import QElapsedTimer, QTimer

    with serve(slack_like) as slack, serve(lambda request: Reply(200, "ok", delay=3)) as hanging:
        publishing.add(console, "slack", "#incidents", {}, slack.url, SecretStore())
        publishing.add(console, "slack", "#slow", {}, hanging.url, SecretStore())
        window.select_incident(incident)
        dialog = window.send_update()
        assert dialog is not None
        clock, gaps, last = QElapsedTimer(), [], [0]
        clock.start()

        def tick() -> None:
            now = clock.elapsed()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        timer.start()
        dialog.send(dialog.chosen())
        qtbot.waitUntil(lambda: dialog.states["#incidents"].text() == "delivered", timeout=2500)
        assert dialog.states["#slow"].text() != "delivered"  # still waiting on the hanging one
        qtbot.waitUntil(lambda: dialog.send_button.text() == "Sent", timeout=10000)
        timer.stop()
        assert max(gaps) < 1000, f"the UI thread stalled {max(gaps)} ms"  # a hang on the UI thread: >= 3000
    dialog.reject()


def test_resolving_offers_the_resolution_to_status_pages_still_open(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from commander.integrations.destinations import statuspage
    from commander.ui.updates.send import SendUpdateDialog
    from tests.integrations.test_status_pages import StatuspageFake

    monkeypatch.setattr(statuspage, "RATE", 0.1)
    fake = StatuspageFake("sp-key-ui", window=0.1)
    with serve(fake) as server, serve(slack_like) as slack:
        publishing.add(
            console,
            "statuspage",
            "Status page",
            {"page_id": fake.page, "api_url": server.base},
            "sp-key-ui",
            SecretStore(),
        )
        publishing.add(console, "slack", "#incidents", {}, slack.url, SecretStore())
        publishing.send_update(console, incident, "initial", ["Status page", "#incidents"], SecretStore())
        window.select_incident(incident)
        status = window.change_status("resolved")
        assert status is not None
        status.submit()
        offered = [w for w in window.findChildren(SendUpdateDialog) if w.isVisible()]
        assert len(offered) == 1
        dialog = offered[0]
        assert dialog.template.currentData() == "resolution"
        assert dialog.chosen() == ["Status page"]  # only the page that still shows it open
        dialog.send(dialog.chosen())
        qtbot.waitUntil(lambda: dialog.send_button.text() == "Sent", timeout=10000)
    assert next(iter(fake.incidents.values()))["status"] == "resolved"
    dialog.reject()


def test_the_confirmation_shows_exactly_what_goes_where(window: MainWindow, console: Console, incident: str) -> None:
    secret = "https://hooks.slack.example/services/T000/B000/SECRETSECRET"
    publishing.add(console, "slack", "#incidents", {}, secret, SecretStore())
    publishing.add(console, "webhook", "ops", {"url": "https://ops.example/hook"}, "signing-key", SecretStore())
    window.select_incident(incident)
    dialog = window.send_update()
    assert dialog is not None
    box = dialog.confirmation(dialog.chosen())
    assert "This update goes to: #incidents, ops." in box.text()
    assert box.defaultButton() == box.button(box.StandardButton.No)  # Enter does not send by accident
    details = box.detailedText()
    assert "POST https://ops.example/hook" in details and '"reference": "INC-' in details
    assert "SECRETSECRET" not in details and "#incidents (slack)\nPOST •••• (secret, in the keyring)" in details
    box.deleteLater()
    dialog.reject()


def test_at_start_an_unsure_interrupted_update_is_put_to_the_person(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    from PySide6.QtWidgets import QApplication

    from commander.ui.updates.resume import InterruptedDialog

    with serve(slack_like) as slack:
        publishing.add(console, "slack", "#incidents", {}, slack.url, SecretStore())
        publishing.prepare(console, incident, "initial", ["#incidents"], SecretStore())  # then "killed"
        window._resume_interrupted()
        [dialog] = [w for w in QApplication.topLevelWidgets() if isinstance(w, InterruptedDialog) and w.isVisible()]
        assert len(slack.requests) == 0  # nothing resent without the person's word
        dialog.not_sent.click()
    assert publishing.pending(console, SecretStore()) == []
    kinds = [e.kind for e in console.view(incident).entries if e.category == "update"]
    assert kinds[-2:] == ["update.queued", "update.failed"]
