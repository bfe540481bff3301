"""Hearing Slack through Socket Mode, end to end against the fake Slack (tests/helpers/slack_fake.py): hello, every
envelope acknowledged, messages, edits, deletions, pins and reactions handed on, other channels left out, the
socket opened again after a drop or Slack's `disconnect`, bad frames survived, and a refused token stopping it.
Catching up through history after a gap is the caller's job (test_slack.py reads history)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest

from commander.integrations import chat
from commander.integrations.chat.base import (
    DELETED,
    EDITED,
    PINNED,
    POSTED,
    REACTED,
    UNPINNED,
    ChatMessage,
    ChatProblem,
)
from commander.integrations.chat.slack_socket import Authors, SlackSocket, heard
from tests.helpers.fakes import Reply, serve
from tests.helpers.slack_fake import SlackFake, slack_fake
from tests.helpers.waiting import wait_until

WAIT = 10.0


@dataclass
class Hearing:
    fake: SlackFake
    listener: SlackSocket
    messages: list[ChatMessage] = field(default_factory=list)
    failed: list[BaseException] = field(default_factory=list)

    def next(self, count: int) -> list[ChatMessage]:
        """The first `count` messages heard, once they are."""
        wait_until(lambda: len(self.messages) >= count or self.failed, WAIT, message=f"{count} messages not heard")
        assert not self.failed, self.failed
        return self.messages[:count]


@contextmanager
def hearing(fake: SlackFake, channels: set[str], secret: str = "") -> Iterator[Hearing]:
    listener = chat.listener("slack", "acme", fake.options, secret or fake.secret)
    assert isinstance(listener, SlackSocket)
    listener.first_wait = 0.05  # the pause before opening a socket again; a minute at most in use
    found = Hearing(fake, listener)
    stop = threading.Event()

    def run() -> None:
        try:
            listener.run(lambda: frozenset(channels), found.messages.append, stop)
        except BaseException as error:  # the test reads it
            found.failed.append(error)

    thread = threading.Thread(target=run, name="slack-listener", daemon=True)
    thread.start()
    try:
        yield found
    finally:
        stop.set()
        thread.join(WAIT)
        assert not thread.is_alive(), "the listener did not stop when told"


def connected(fake: SlackFake, count: int) -> None:
    wait_until(lambda: fake.connected >= count and fake.sockets, WAIT, message=f"socket {count} not opened")


def test_messages_are_heard_with_their_authors_and_every_envelope_is_acknowledged() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com", display_name="Alex", real_name="Alex Doe")
        sam = fake.add_user("sam@example.com", real_name="Sam Roe")
        channel = fake.add_channel("inc", [alex, sam])
        with hearing(fake, {channel}) as heard_here:
            connected(fake, 1)
            first = fake.say(channel, alex, "rolled back <https://deploy.test|v2.31> &amp; watching")
            reply = fake.say(channel, sam, "thanks", thread=first)
            one, two = heard_here.next(2)
        assert (one.change, one.id, one.channel, one.author_id) == (POSTED, first, channel, alex)
        assert (one.author_name, one.author_email) == ("Alex", "alex@example.com")
        assert one.text == "rolled back v2.31 (https://deploy.test) & watching"
        assert one.url == f"https://fake.slack.com/archives/{channel}/p{first.replace('.', '')}"
        assert (two.id, two.thread, two.author_name) == (reply, first, "Sam Roe")
        assert fake.envelopes and not fake.unacked()
        assert set(fake.acked) == set(fake.envelopes)


def test_edits_deletions_pins_and_reactions_are_heard() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com", display_name="Alex")
        channel = fake.add_channel("inc", [alex])
        with hearing(fake, {channel}) as heard_here:
            connected(fake, 1)
            ts = fake.say(channel, alex, "db failover startd")
            edit = fake.edit(channel, ts, "db failover started")
            fake.pin(channel, ts, alex)
            fake.react(channel, ts, alex, "pushpin")
            fake.unpin(channel, ts, alex)
            fake.delete(channel, ts)
            messages = heard_here.next(6)
        assert [message.change for message in messages] == [POSTED, EDITED, PINNED, REACTED, UNPINNED, DELETED]
        assert all(message.id == ts and message.channel == channel for message in messages)
        edited = messages[1]
        assert (edited.text, edited.version, edited.author_name) == ("db failover started", edit, "Alex")
        assert messages[2].text == "db failover started" and messages[2].author_id == alex
        assert messages[3].reaction == "pushpin"
        assert heard_here.listener.pin_reaction == "pushpin"
        wait_until(lambda: not fake.unacked(), WAIT)


def test_other_channels_are_acknowledged_and_left_out() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com")
        ours, theirs = fake.add_channel("inc", [alex]), fake.add_channel("random", [alex])
        with hearing(fake, {ours}) as heard_here:
            connected(fake, 1)
            fake.say(theirs, alex, "lunch?")
            fake.say(ours, alex, "mitigated")
            (only,) = heard_here.next(1)
            wait_until(lambda: len(fake.acked) == 2, WAIT)
        assert only.text == "mitigated" and len(heard_here.messages) == 1


def test_the_socket_is_opened_again_after_a_drop_and_what_was_sent_meanwhile_arrives() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com")
        channel = fake.add_channel("inc", [alex])
        with hearing(fake, {channel}) as heard_here:
            connected(fake, 1)
            fake.say(channel, alex, "before")
            heard_here.next(1)
            fake.drop()
            fake.say(channel, alex, "during")  # Slack keeps it until a socket is there
            connected(fake, 2)
            fake.say(channel, alex, "after")
            texts = [message.text for message in heard_here.next(3)]
        assert texts == ["before", "during", "after"]
        assert fake.opened >= 2  # a fresh URL for each socket: a ticket is good once


def test_slacks_disconnect_opens_a_new_socket_at_once() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com")
        channel = fake.add_channel("inc", [alex])
        with hearing(fake, {channel}) as heard_here:
            connected(fake, 1)
            fake.disconnect("refresh_requested")
            connected(fake, 2)
            fake.say(channel, alex, "still here")
            assert heard_here.next(1)[0].text == "still here"


def test_bad_frames_do_not_stop_the_rest() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com")
        channel = fake.add_channel("inc", [alex])
        with hearing(fake, {channel}) as heard_here:
            connected(fake, 1)
            fake.raw("not json")
            fake.raw(json.dumps([1, 2]))
            fake.raw(
                json.dumps({"type": "events_api", "envelope_id": "e-1", "payload": {"event": {"type": "message"}}})
            )
            fake.raw(json.dumps({"type": "events_api", "envelope_id": "x" * 500, "payload": "nonsense"}))
            fake.say(channel, alex, "fine")
            heard_here.next(1)
        assert heard_here.messages[0].text == "fine" and not heard_here.failed


def test_a_receiver_that_fails_on_one_message_still_gets_the_next(caplog: pytest.LogCaptureFixture) -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com")
        channel = fake.add_channel("inc", [alex])
        got: list[str] = []

        def picky(message: ChatMessage) -> None:
            if message.text == "boom":
                raise RuntimeError("a bug in the receiver")
            got.append(message.text)

        stop = threading.Event()
        listener = chat.listener("slack", "acme", fake.options, fake.secret)
        thread = threading.Thread(target=listener.run, args=(lambda: frozenset({channel}), picky, stop), daemon=True)
        thread.start()
        try:
            connected(fake, 1)
            fake.say(channel, alex, "boom")
            fake.say(channel, alex, "next")
            wait_until(lambda: got == ["next"], WAIT)
        finally:
            stop.set()
            thread.join(WAIT)
        assert "handing on posted" in caplog.text and "a bug in the receiver" in caplog.text


def test_an_event_slack_sends_again_is_handed_on_once() -> None:
    listener = SlackSocket("acme", "xapp-1", "")
    got: list[ChatMessage] = []
    payload = {
        "event_id": "Ev1",
        "event": {"type": "message", "channel": "C1", "user": "U1", "text": "hi", "ts": "1.1"},
    }
    with httpx.Client() as http:
        authors = Authors(http, "http://127.0.0.1:9/api", "", "acme")  # no bot token: no lookups
        for _ in range(2):
            listener.hand_on(payload, lambda: frozenset({"C1"}), got.append, authors)
    assert [message.text for message in got] == ["hi"]


def test_an_unfurl_is_not_an_edit_and_unknown_events_are_nothing() -> None:
    unfurl = {
        "type": "message",
        "subtype": "message_changed",
        "channel": "C1",
        "ts": "2.0",
        "message": {"type": "message", "user": "U1", "text": "see https://x.test", "ts": "1.0", "attachments": [{}]},
    }
    assert heard(unfurl) is None
    assert heard({"type": "channel_join", "channel": "C1"}) is None
    assert heard({"type": "message", "subtype": "channel_join", "channel": "C1", "ts": "1.0", "user": "U1"}) is None
    assert heard({"type": "reaction_added", "reaction": "eyes", "item": {"type": "file", "file": "F1"}}) is None
    assert heard("nonsense") is None


def test_a_refused_app_token_stops_the_listener_with_words() -> None:
    with slack_fake() as fake, hearing(fake, set(), secret=f"{fake.bot_token} xapp-wrong") as heard_here:
        wait_until(lambda: heard_here.failed, WAIT)
    (problem,) = heard_here.failed
    assert isinstance(problem, ChatProblem) and not problem.transient
    assert "(invalid_auth): the app-level token is not accepted" in str(problem)


def test_without_an_app_token_it_says_how_to_make_one() -> None:
    listener = chat.listener("slack", "acme", {}, "xoxb-1")
    with pytest.raises(ChatProblem, match="without an app-level token: turn Socket Mode on"):
        listener.run(frozenset, lambda message: None, threading.Event())


def test_slack_busy_is_waited_out_and_tried_again() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com")
        channel = fake.add_channel("inc", [alex])
        fake.fail("apps.connections.open", "ratelimited", status=429, retry_after=0)
        fake.fail("apps.connections.open", "internal_error")
        with hearing(fake, {channel}) as heard_here:
            connected(fake, 1)
            fake.say(channel, alex, "up")
            assert heard_here.next(1)[0].text == "up"
        assert fake.opened == 1 and len([name for name, _ in fake.calls if name == "apps.connections.open"]) == 3


def test_without_the_scope_to_read_people_messages_are_still_heard_by_id() -> None:
    with slack_fake() as fake:
        alex = fake.add_user("alex@example.com", display_name="Alex")
        sam = fake.add_user("sam@example.com", display_name="Sam")
        channel = fake.add_channel("inc", [alex, sam])
        fake.fail("users.info", "missing_scope", needed="users:read")
        fake.email_scope = False  # users:read without users:read.email: names, no emails
        with hearing(fake, {channel}) as heard_here:
            connected(fake, 1)
            fake.say(channel, alex, "one")
            fake.say(channel, sam, "two")
            one, two = heard_here.next(2)
        assert (one.author_id, one.author_name, one.author_email) == (alex, "", "")
        assert (two.author_id, two.author_name, two.author_email) == (sam, "Sam", "")


def test_a_socket_url_that_is_not_secure_is_refused() -> None:
    answer = json.dumps({"ok": True, "url": "ws://socket.example.com/link/?ticket=1"})
    with serve(lambda request: Reply(200, answer, {"content-type": "application/json"})) as service:
        listener = SlackSocket("acme", "xapp-1", "xoxb-1", api_url=service.base + "/api")
        with httpx.Client() as http, pytest.raises(ChatProblem, match="without a secure WebSocket URL"):
            listener.open(http)
        assert service.requests[0].headers["authorization"] == "Bearer xapp-1"
