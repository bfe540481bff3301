"""The header's links to the incident's chat channel and meeting bridge: escaped names, only web addresses
become links, a click opens the browser; and the timeline's Chat filter shows and hides chat entries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from pytestqt.qtbot import QtBot

from commander.app import chat
from commander.app.console import Console
from commander.app.incident import declare
from commander.domain.chat.heard import bridge_started, channel_archived, channel_created
from commander.domain.incident.decisions import Declaration
from commander.integrations.chat.base import ChatMessage
from commander.ui.incident import header
from commander.ui.shell.main_window import MainWindow

EVIL = '<img src="/dev/zero">inc&co'


@pytest.fixture
def opened(qtbot: QtBot, console: Console, window: MainWindow) -> str:
    state = declare(console, Declaration(title="Checkout API returning 502s", severity="SEV2"))
    window.select_incident(state.id)
    qtbot.waitUntil(lambda: window.current == state.id)
    return state.id


def test_no_links_without_a_channel_or_bridge(window: MainWindow, opened: str) -> None:
    assert not window.header.links.isVisible()


def test_the_channel_and_bridge_are_escaped_links(
    qtbot: QtBot, console: Console, window: MainWindow, opened: str
) -> None:
    console.perform(
        opened,
        lambda s: [
            channel_created(opened, "team-slack", "slack", "C0123", EVIL, "https://acme.slack.com/archives/C0123"),
            bridge_started(opened, "jitsi", "jitsi", "https://meet.jit.si/inc-x9?a=1&b=2", "", "PIN <1234>"),
        ],
    )
    links = window.header.links
    qtbot.waitUntil(links.isVisible)
    markup = links.text()
    assert (
        '<a href="https://acme.slack.com/archives/C0123">#&lt;img src=&quot;/dev/zero&quot;&gt;inc&amp;co</a>' in markup
    )
    assert '<a href="https://meet.jit.si/inc-x9?a=1&amp;b=2">Join bridge</a>' in markup
    assert "<img" not in markup
    assert "PIN &lt;1234&gt;" in links.toolTip()

    console.perform(opened, lambda s: [channel_archived(opened, "team-slack", "C0123")])
    qtbot.waitUntil(lambda: "acme.slack.com" not in links.text())
    assert "Join bridge" in links.text()


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "slack://channel?id=C1", "", "https://"])
def test_an_address_that_is_not_on_the_web_is_no_link(url: str) -> None:
    assert not header.web_link(url)
    assert "<a " not in header._link(url, "#x")  # noqa: SLF001 - the one rule this module keeps


def test_a_click_opens_only_a_web_address(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[QUrl] = []

    def open_url(url: QUrl) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", open_url)
    header.open_link("file:///etc/passwd")
    header.open_link("https://meet.jit.si/inc-x9")
    assert [url.toString() for url in opened] == ["https://meet.jit.si/inc-x9"]


def test_the_chat_filter_shows_and_hides_chat_entries(
    qtbot: QtBot, console: Console, window: MainWindow, opened: str
) -> None:
    console.perform(
        opened, lambda s: [channel_created(opened, "team-slack", "slack", "C0123", "inc", "https://acme.slack.com/x")]
    )
    # No chat connection: the window would start listening to it (a chat entry needs only the channel).
    said = ChatMessage("C0123", "1.1", "posted", "U1", "Sam", text="rolled back", at=datetime.now(UTC))
    chat.record_heard(console, "team-slack", said)
    model, chips = window.timeline.model, window.timeline.filters.chips

    def shown() -> list[str]:
        return [entry.text for row in range(model.rowCount()) if (entry := model.entry_at(row)) is not None]

    qtbot.waitUntil(lambda: "Sam: rolled back" in shown())
    assert "chat" in chips and chips["chat"].text() == "Chat"
    chips["chat"].setChecked(True)
    qtbot.waitUntil(lambda: shown() == ["Sam: rolled back"])
    chips["chat"].setChecked(False)
    chips["note"].setChecked(True)
    qtbot.waitUntil(lambda: "Sam: rolled back" not in shown())
