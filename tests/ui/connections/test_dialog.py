"""Trackers, pagers and alert sources from the window: added with the secret masked (never shown in any
widget), listed with the secret's state, removed only after a Yes; and offered where they are missing."""

from __future__ import annotations

import keyring.backends.fail
import pytest
from PySide6.QtWidgets import QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from commander.app import actions, alerts, paging
from commander.app.console import Console
from commander.app.updates import publishing
from commander.domain.actions.items import NewAction
from commander.integrations.secrets import SecretStore
from commander.ui.actions.dialogs import PushDialog
from commander.ui.actions.trackers import TRACKERS
from commander.ui.alerts.sources import AddAlertSourceDialog
from commander.ui.alerts.view import NO_SOURCES, TriageView
from commander.ui.connections.dialog import AddConnectionDialog, ConnectionsDialog
from commander.ui.paging.page_dialog import PageDialog, open_page_dialog
from commander.ui.paging.pagers import open_pagers
from commander.ui.shell.main_window import MainWindow
from tests.helpers.keyring_memory import MemoryKeyring
from tests.ui.updates.test_destinations import every_text

TOKEN = "ATATT3xSECRETSECRETtoken"
ROUTING_KEY = "R0UT1NGKEYSECRET0123456789abcdef"  # 32 letters and digits, as PagerDuty issues them


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> None:
    monkeypatch.setattr(QMessageBox, "question", lambda *args: button)


def test_add_a_tracker_with_its_token_masked_then_remove_it_after_a_yes(
    qtbot: QtBot, window: MainWindow, console: Console, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = window.menu_actions.open_trackers()
    assert isinstance(dialog, ConnectionsDialog) and not dialog.test_button.isVisibleTo(dialog)
    adding = dialog.add()
    assert isinstance(adding, AddConnectionDialog)
    adding.kind.setCurrentIndex(adding.kind.findData("jira"))
    assert set(adding.options) == {"site", "email", "project", "issuetype", "labels"}
    adding.name.setText("ops-jira")
    adding.options["site"].setText("https://example.atlassian.net")
    adding.options["email"].setText("ic@example.org")
    adding.options["project"].setText("OPS")
    qtbot.keyClicks(adding.secret, TOKEN)
    assert adding.secret.echoMode() == QLineEdit.EchoMode.Password and "SECRET" not in every_text(adding)
    adding.submit()
    assert not adding.isVisible() and dialog.tree.topLevelItemCount() == 1
    assert dialog.tree.topLevelItem(0).text(2) == "secret in the keyring"  # type: ignore[union-attr]
    assert "SECRET" not in every_text(dialog)
    assert memory_keyring.items[("commander", "tracker:ops-jira")] == TOKEN

    answer(monkeypatch, QMessageBox.StandardButton.No)
    dialog.remove()
    assert "ops-jira" in actions.trackers(console)
    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    dialog.remove()
    assert dialog.tree.topLevelItemCount() == 0 and not actions.trackers(console)
    assert ("commander", "tracker:ops-jira") not in memory_keyring.items


def test_a_github_tracker_refused_inline_keeps_what_was_typed(window: MainWindow) -> None:
    adding = window.menu_actions.open_trackers().add()
    assert isinstance(adding, AddConnectionDialog)
    adding.kind.setCurrentIndex(adding.kind.findData("github"))
    adding.name.setText("GitHub")
    adding.options["repo"].setText("not a repo")
    adding.secret.setText(TOKEN)
    adding.submit()
    assert adding.isVisible() and "owner/name" in adding.error.text() and "SECRET" not in every_text(adding)
    assert adding.secret.text() == TOKEN


def test_add_a_pagerduty_pager_and_a_chat_pager(
    qtbot: QtBot, window: MainWindow, console: Console, memory_keyring: MemoryKeyring
) -> None:
    dialog = open_pagers(window)
    adding = dialog.add()
    assert isinstance(adding, AddConnectionDialog)
    adding.kind.setCurrentIndex(adding.kind.findData("pagerduty"))
    adding.name.setText("Payments team")
    qtbot.keyClicks(adding.secret, ROUTING_KEY[:20])
    adding.submit()  # too short: refused, and the message does not repeat the key
    assert adding.isVisible() and "32" in adding.error.text() and "SECRET" not in every_text(adding)
    adding.secret.clear()
    qtbot.keyClicks(adding.secret, ROUTING_KEY)
    assert adding.secret.echoMode() == QLineEdit.EchoMode.Password and "SECRET" not in every_text(adding)
    adding.submit()
    assert not adding.isVisible()
    assert memory_keyring.items[("commander", "pager:Payments team")] == ROUTING_KEY

    publishing.add(console, "slack", "#oncall", {}, "https://hooks.example.org/services/T0/B0/x", SecretStore())
    chat = dialog.add()
    assert isinstance(chat, AddConnectionDialog)
    chat.kind.setCurrentIndex(chat.kind.findData("chat"))
    assert set(chat.options) == {"destination", "mention"} and not chat.secret.isVisibleTo(chat)
    chat.name.setText("#oncall mentions")
    chat.options["destination"].setText("#oncall")
    chat.options["mention"].setText("Sam=<@U0123ABC>, Alex=@alex")
    chat.submit()
    assert not chat.isVisible()
    rows = {
        dialog.tree.topLevelItem(r).text(0): dialog.tree.topLevelItem(r).text(2)  # type: ignore[union-attr]
        for r in range(dialog.tree.topLevelItemCount())
    }
    assert rows == {"Payments team": "secret in the keyring", "#oncall mentions": "none needed"}
    assert "SECRET" not in every_text(dialog)
    assert paging.pagers(console)["#oncall mentions"].mention("sam") == "<@U0123ABC>"


def test_add_an_alert_source_with_a_bearer_token(
    qtbot: QtBot, window: MainWindow, console: Console, memory_keyring: MemoryKeyring
) -> None:
    dialog = window.menu_actions.open_alert_sources()
    adding = dialog.add()
    assert isinstance(adding, AddAlertSourceDialog) and not adding.secret.isEnabled()
    adding.name.setText("prod")
    adding.url.setText("http://127.0.0.1:9/")
    adding.auth.setCurrentIndex(adding.auth.findData("basic"))
    qtbot.keyClicks(adding.secret, TOKEN)
    adding.submit()  # basic auth without a user: refused inline
    assert adding.isVisible() and "user name" in adding.error.text()
    adding.auth.setCurrentIndex(adding.auth.findData("bearer"))
    assert not adding.user.isEnabled() and adding.secret.echoMode() == QLineEdit.EchoMode.Password
    adding.options["filter"].setText('team="payments"')
    adding.options["severity_map"].setText("critical=SEV1")
    assert "SECRET" not in every_text(adding)
    adding.submit()
    assert not adding.isVisible()
    source = alerts.sources(console)["prod"]
    assert source.url == "http://127.0.0.1:9" and source.auth == "bearer" and source.options["filter"]
    assert dialog.tree.topLevelItem(0).text(2) == "secret in the keyring"  # type: ignore[union-attr]
    assert "SECRET" not in every_text(dialog)
    assert memory_keyring.items[("commander", "alert_source:prod")] == TOKEN


def test_without_a_keyring_the_dialog_says_secrets_last_this_session(
    console: Console, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(keyring, "get_keyring", keyring.backends.fail.Keyring)  # this computer has none
    dialog = ConnectionsDialog(console, TRACKERS)
    qtbot.addWidget(dialog)
    assert not dialog.secrets.available and dialog.secrets is console.secrets
    assert dialog.secrets.notice in every_text(dialog)
    adding = dialog.add()
    assert isinstance(adding, AddConnectionDialog) and "session only" in every_text(adding)


def test_the_push_dialog_offers_trackers_and_reads_them_again(
    window: MainWindow, console: Console, incident: str
) -> None:
    item = actions.create(console, incident, NewAction("Write the rollback runbook"))
    push = PushDialog(console, item, SecretStore(), lambda _push: None, window)
    assert not push.ok.isEnabled() and "Trackers…" in push.intro.text()
    push.manage.click()
    opened = push.findChild(ConnectionsDialog)
    assert opened is not None
    actions.add(console, "github", "GitHub", {"repo": "acme/ops"}, TOKEN, SecretStore())
    opened.close()
    assert push.ok.isEnabled() and push.tracker.currentData() == "GitHub" and push.intro.isHidden()


def test_the_page_dialog_offers_pagers_and_reads_them_again(
    window: MainWindow, console: Console, incident: str
) -> None:
    window.select_incident(incident)
    dialog = open_page_dialog(window, person="Sam")
    assert isinstance(dialog, PageDialog) and dialog.no_pager.isVisibleTo(dialog)
    dialog.manage.click()
    opened = dialog.findChild(ConnectionsDialog)
    assert opened is not None
    paging.add_pager(console, "pagerduty", "PagerDuty", {}, ROUTING_KEY, SecretStore())
    opened.close()
    assert not dialog.no_pager.isVisibleTo(dialog) and dialog.pager.currentData() == "PagerDuty"
    assert dialog.page_button.isEnabled()


def test_the_alerts_window_opens_the_sources(qtbot: QtBot, window: MainWindow) -> None:
    view = TriageView(window.console, lambda: window.current, window)
    with qtbot.waitSignal(view.refreshed, timeout=5000):
        view.show()
    assert NO_SOURCES in every_text(view)
    assert "Sources…" in NO_SOURCES and view.sources_button.text().replace("&", "") == "Sources…"
    assert isinstance(view.edit_sources(), ConnectionsDialog)


def test_a_connection_added_elsewhere_is_given_its_secret_here(
    window: MainWindow, console: Console, memory_keyring: MemoryKeyring
) -> None:
    from commander.app.updates import publishing
    from commander.integrations.secrets import SecretStore
    from commander.ui.connections.dialog import SecretDialog

    publishing.add(console, "slack", "#incidents", {}, "https://hooks.slack.example/T0/B0/ELSEWHERE", SecretStore())
    memory_keyring.items.clear()  # as on another computer: the team's list, not the secret
    dialog = window.edit_destinations()
    assert dialog.tree.topLevelItem(0).text(2) == "no secret on this computer"  # type: ignore[union-attr]
    assert not dialog.secret_button.isHidden()
    given = dialog.give_secret()
    assert isinstance(given, SecretDialog) and given.secret.echoMode() == QLineEdit.EchoMode.Password
    given.secret.setText("https://hooks.slack.example/T0/B0/HERE")
    given.submit()
    assert dialog.tree.topLevelItem(0).text(2) == "secret in the keyring"  # type: ignore[union-attr]
    assert dialog.secret_button.isHidden()
    assert memory_keyring.items[("commander", "destination:#incidents")].endswith("/HERE")
