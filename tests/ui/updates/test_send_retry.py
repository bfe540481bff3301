"""A delivery that failed in the Send dialog goes again from the dialog, as it was queued."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from commander.app.console import Console
from commander.app.updates import publishing
from commander.integrations.secrets import SecretStore
from commander.ui.shell.main_window import MainWindow
from tests.helpers.fakes import Reply, Request, serve


def test_a_failed_delivery_is_retried_from_the_dialog(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    archived = [True]  # until someone unarchives the channel

    def slack(request: Request) -> Reply:
        return Reply(410, "channel_is_archived") if archived[0] else Reply(200, "ok")

    with serve(slack) as service:
        publishing.add(console, "slack", "#incidents", {}, service.url, SecretStore())
        window.select_incident(incident)
        dialog = window.send_update()
        assert dialog is not None and not dialog.retry_button.isVisible()
        qtbot.waitUntil(lambda: dialog.send_button.isEnabled(), timeout=10000)  # the preview is filled in
        dialog.send(dialog.chosen())
        qtbot.waitUntil(lambda: dialog.send_button.text() == "Sent", timeout=10000)
        assert dialog.retry_button.isVisible() and dialog.states["#incidents"].text().startswith("failed:")
        archived[0] = False
        dialog.retry_button.click()
        qtbot.waitUntil(lambda: dialog.states["#incidents"].text() == "delivered", timeout=10000)
        qtbot.waitUntil(lambda: not dialog.retry_button.isVisible(), timeout=10000)
    assert len(service.requests) == 2 and service.requests[0].body == service.requests[1].body
    updates = [e for e in console.view(incident).events if e.kind.startswith("update.")]
    assert [e.kind for e in updates] == ["update.queued", "update.failed", "update.delivered"]
    assert updates[1].payload["delivery"] == updates[2].payload["delivery"] == updates[0].id
    dialog.reject()


def test_at_start_an_update_that_gave_up_is_offered_again(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    from PySide6.QtWidgets import QApplication, QLabel

    from commander.ui.updates.resume import InterruptedDialog

    busy = [True]

    def slack(request: Request) -> Reply:
        return Reply(429, "rate_limited", {"Retry-After": "600"}) if busy[0] else Reply(200, "ok")

    with serve(slack) as service:
        publishing.add(console, "slack", "#incidents", {}, service.url, SecretStore())
        sending = publishing.prepare(console, incident, "initial", ["#incidents"], SecretStore())
        publishing.finish(console, sending, publishing.deliver(sending, deadline=2.0))  # ten minutes: gives up
        busy[0] = False
        window._resume_interrupted()
        [dialog] = [w for w in QApplication.topLevelWidgets() if isinstance(w, InterruptedDialog) and w.isVisible()]
        said = " ".join(label.text() for label in dialog.findChildren(QLabel))
        assert "ran out of time" in said and "gave up after 1 attempt" in said
        dialog.again.click()
        qtbot.waitUntil(lambda: publishing.pending(console, SecretStore()) == [], timeout=10000)
    assert len(service.requests) == 2
    kinds = [e.kind for e in console.view(incident).events if e.kind.startswith("update.")]
    assert kinds == ["update.queued", "update.failed", "update.delivered"]


def test_a_failed_update_on_the_timeline_is_sent_again_from_its_entry(
    qtbot: QtBot, window: MainWindow, console: Console, incident: str
) -> None:
    archived = [True]

    def slack(request: Request) -> Reply:
        return Reply(410, "channel_is_archived") if archived[0] else Reply(200, "ok")

    with serve(slack) as service:
        publishing.add(console, "slack", "#incidents", {}, service.url, SecretStore())
        publishing.send_update(console, incident, "initial", ["#incidents"], SecretStore())
        window.select_incident(incident)
        failed = next(e for e in console.view(incident).events if e.kind == "update.failed")
        timeline = window.timeline
        qtbot.waitUntil(lambda: timeline.model.row_of(failed.id) is not None, timeout=5000)
        row = timeline.model.row_of(failed.id)
        assert row is not None
        timeline.entries.setCurrentIndex(timeline.model.index(row, 0))
        assert timeline.retry_action.isEnabled()
        archived[0] = False
        timeline.retry_action.trigger()
        qtbot.waitUntil(lambda: any(e.kind == "update.delivered" for e in console.view(incident).events), timeout=10000)
    assert len(service.requests) == 2
