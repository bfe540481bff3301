"""Chat coming back to the timeline through the console: a message heard in an incident's channel is one
entry, its author mapped to the team's people; a declaration asked for in chat makes one incident and one
reply in its thread however many consoles hear it; a feed that comes back asks for what it missed after
the last message the log holds; and the fake Slack's Socket Mode reaches the timeline end to end."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commander.app import chat, claims, incident, oncall, paging, people
from commander.app.console import Console
from commander.domain.chat.heard import channel_created, declared_incident_id
from commander.domain.core.errors import DomainError
from commander.domain.incident.decisions import Declaration
from commander.integrations.chat.base import Channel, ChatMessage, Deliver
from tests.app.test_paging_answers import add_pagerduty, page_payments
from tests.helpers.fakes import serve
from tests.helpers.pagerduty_fake import PagerDutyFake
from tests.helpers.paging_samples import PAYMENTS_ONCALL
from tests.helpers.slack_fake import SlackFake, slack_fake
from tests.helpers.waiting import wait_until

VIA = "team-slack"
DECLARE = "C0DECLARE"


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with slack_fake() as fake:
        yield fake


def _connect(console: Console, slack: SlackFake | None = None, **extra: str) -> None:
    options = dict(slack.options) if slack is not None else {"workspace_url": "https://acme.slack.com"}
    secret = slack.secret if slack is not None else "xoxb-1 xapp-2"
    chat.add(console, "slack", VIA, {**options, **extra}, secret, console.secrets)


def _give_channel(console: Console, incident_id: str, channel: str = "C0123") -> None:
    console.perform(
        incident_id,
        lambda s: [channel_created(incident_id, VIA, "slack", channel, "inc-checkout", "https://acme.slack.com/x")],
    )


def _said(text: str = "rolled back v2.31", **fields: Any) -> ChatMessage:
    at = datetime.now(UTC) - timedelta(seconds=5)
    base: dict[str, Any] = {"channel": "C0123", "id": "1.1", "change": "posted", "author_id": "U042"}
    base |= {"author_name": "sam", "text": text, "at": at}
    return ChatMessage(**(base | fields))


def test_a_message_heard_is_one_entry_with_its_author_mapped(console: Console, incident_id: str) -> None:
    _connect(console)
    _give_channel(console, incident_id)
    people.set_person(console, "Sam Lee", email="sam@example.com")

    [event] = chat.record_heard(console, VIA, _said(author_email="SAM@example.com"))
    assert (event.kind, event.payload["person"], event.payload["author"]) == ("chat.posted", "Sam Lee", "sam")
    assert chat.record_heard(console, VIA, _said(author_email="sam@example.com")) == []  # heard twice: kept once
    entry = console.view(incident_id).entry(event.id)
    assert entry is not None and (entry.category, entry.text) == ("chat", "Sam Lee: rolled back v2.31")

    assert chat.record_heard(console, VIA, _said(channel="C0OTHER", id="2.2")) == []  # no incident's channel
    assert chat.record_heard(console, "other-slack", _said(id="3.3")) == []  # another workspace

    [pin] = chat.record_heard(console, VIA, _said(change="reacted", reaction="pushpin"))  # Slack's default
    assert pin.kind == "chat.pinned" and console.view(incident_id).entry(event.id).pinned  # type: ignore[union-attr]

    incident.change_status(console, incident_id, "resolved")
    assert chat.record_heard(console, VIA, _said(id="4.4")) == []  # no open incident has the channel


def test_the_directory_knows_an_author_by_their_chat_id(console: Console, incident_id: str) -> None:
    _connect(console)
    _give_channel(console, incident_id)
    people.set_person(console, "Kim", chat={VIA: "U0KIM"})
    [event] = chat.record_heard(console, VIA, _said(author_id="U0KIM", author_name="kimmy"))
    assert event.payload["person"] == "Kim"


def test_a_declaration_in_chat_makes_one_incident_and_one_reply_from_two_consoles(
    console: Console, open_console: Callable[..., Console], slack: SlackFake
) -> None:
    channel = slack.add_channel("incidents")
    _connect(console, slack, declare_channel=channel)
    other = open_console(user="Sam")
    other.console_id = "console-of-sam"  # a second computer on the same store file
    asker = slack.add_user("dana@example.com", display_name="Dana")
    ts = slack.say(channel, asker, f"<@{slack.bot_user}> declare SEV2 checkout 502s")
    message = ChatMessage(
        channel, ts, "posted", asker, "Dana", "dana@example.com", slack.channels[channel].messages[-1]["text"]
    )

    replies = [chat.declare_from_chat(on, VIA, message) for on in (console, other)]
    assert replies[0] == replies[1] and replies[0] is not None
    posted = [chat.post_reply(on, reply) for on, reply in zip((other, console), replies, strict=True) if reply]
    assert posted == [True, False]

    console.catch_up()
    [summary] = console.incidents()
    assert summary.id == declared_incident_id(VIA, channel, ts)
    state = console.state(summary.id)
    assert (state.severity, state.title, state.roles["incident_commander"].holder) == ("SEV2", "checkout 502s", "Dana")
    kinds = [e.kind for e in console.view(summary.id).events]
    assert kinds.count("incident.declared") == 1 and kinds.count("role.assigned") == 1
    answers = [m for m in slack.channels[channel].messages if m.get("thread_ts") == ts]
    assert [m["text"] for m in answers] == [f"Declared {state.reference}: SEV2 checkout 502s"]


def test_a_declaration_that_cannot_be_says_why_in_its_thread(console: Console) -> None:
    _connect(console, declare_channel=DECLARE)
    reply = chat.declare_from_chat(console, VIA, _said("@commander declare SEV9 x", channel=DECLARE))
    assert reply is not None and reply.text.startswith("Not declared: ") and "SEV9" in reply.text
    assert console.incidents() == []
    assert chat.declare_from_chat(console, VIA, _said("what is going on?", channel=DECLARE)) is None


def test_an_offline_console_keeps_the_reply_until_it_can_claim(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    _connect(console, declare_channel=DECLARE)

    def offline(on: Console, key: str) -> claims.Claim:
        raise claims.Offline("the shared store cannot be reached")

    monkeypatch.setattr(claims, "claim", offline)
    reply = chat.declare_from_chat(console, VIA, _said("@commander declare SEV2 search slow", channel=DECLARE))
    assert reply is not None
    with pytest.raises(claims.Offline):
        chat.post_reply(console, reply)
    assert [s.title for s in console.incidents()] == ["search slow"]  # declared all the same


# -- the feed, with a listener and a service of our own ------------------------------------------------------


@dataclass
class FakeChat:
    """A listener and a service in one: `say` hands a message to the running listener (or keeps it for
    the history only, when nobody listens), `history` answers what was said after a message."""

    said: list[ChatMessage] = field(default_factory=list)
    deliver: Deliver | None = None
    asked: list[tuple[str, str]] = field(default_factory=list)
    channels: Callable[[], frozenset[str]] | None = None
    posted: list[tuple[str, str, str]] = field(default_factory=list)
    kind: str = "slack"
    name: str = VIA

    def run(self, channels: Callable[[], frozenset[str]], deliver: Deliver, stop: threading.Event) -> None:
        self.channels, self.deliver = channels, deliver
        stop.wait()
        self.deliver = None

    def say(self, message: ChatMessage) -> None:
        self.said.append(message)
        if self.deliver is not None:
            self.deliver(message)

    async def history(self, client: object, channel: str, after: str) -> list[ChatMessage]:
        self.asked.append((channel, after))
        ids = [m.id for m in self.said]
        start = ids.index(after) + 1 if after in ids else 0
        return [m for m in self.said[start:] if m.channel == channel]

    async def post(self, client: object, channel: str, text: str, *, thread: str = "") -> str:
        self.posted.append((channel, text, thread))
        return "9.9"

    async def create_channel(self, client: object, name: str, *, topic: str = "") -> Channel:
        raise NotImplementedError


def _feed(console: Console, fake: FakeChat) -> chat.ChatFeed:
    return chat.ChatFeed(
        console,
        refresh_seconds=0.05,
        make_listener=lambda _console, _via: fake,
        make_service=lambda _console, _via: fake,  # type: ignore[arg-type,return-value]
    )


def _texts(console: Console, incident_id: str) -> list[str]:
    console.catch_up()
    return [e.text for e in console.view(incident_id).entries if e.category == "chat"]


def test_a_feed_that_comes_back_asks_for_what_was_said_after_the_last_message(
    console: Console, incident_id: str
) -> None:
    _connect(console)
    _give_channel(console, incident_id)
    fake = FakeChat()
    feed = _feed(console, fake)
    feed.start()
    try:
        wait_until(lambda: fake.deliver is not None and fake.asked, 5)
        assert fake.asked == [("C0123", "")]  # a new channel: its whole history
        assert fake.channels is not None and fake.channels() == frozenset({"C0123"})
        fake.say(_said("first", id="1.1"))
        wait_until(lambda: _texts(console, incident_id) == ["sam: first"], 5)
    finally:
        feed.stop()
    assert fake.deliver is None
    fake.say(_said("said while nobody listened", id="1.2"))

    again = _feed(console, fake)
    again.start()
    try:
        wait_until(lambda: len(fake.asked) == 2, 5)
        assert fake.asked[1] == ("C0123", "1.1")
        wait_until(lambda: _texts(console, incident_id) == ["sam: first", "sam: said while nobody listened"], 5)
    finally:
        again.stop()


def test_a_feed_declares_from_the_declare_channel_and_replies_in_the_thread(console: Console) -> None:
    _connect(console, declare_channel=DECLARE)
    fake = FakeChat()
    feed = _feed(console, fake)
    feed.start()
    try:
        wait_until(lambda: fake.deliver is not None, 5)
        assert fake.channels is not None and fake.channels() == frozenset({DECLARE})
        assert fake.asked == []  # the declare channel's past is not replayed
        fake.say(_said("@commander declare SEV3 search slow", channel=DECLARE, id="7.7"))
        wait_until(lambda: fake.posted, 5)
    finally:
        feed.stop()
    console.catch_up()
    [summary] = console.incidents()
    assert fake.posted == [(DECLARE, f"Declared {summary.reference}: SEV3 search slow", "7.7")]


def test_a_bad_message_does_not_stop_the_feed(console: Console, incident_id: str) -> None:
    _connect(console)
    _give_channel(console, incident_id)
    fake = FakeChat()
    feed = _feed(console, fake)
    feed.start()
    try:
        wait_until(lambda: fake.deliver is not None, 5)
        fake.say(_said("x", id=""))  # no id: records nothing
        fake.say(_said("after it", id="5.5"))
        wait_until(lambda: _texts(console, incident_id) == ["sam: after it"], 5)
    finally:
        feed.stop()


def test_a_connection_without_a_secret_here_is_not_listened_to_saying_so(console: Console, incident_id: str) -> None:
    _connect(console)
    _give_channel(console, incident_id)
    console.secrets.delete(f"chat:{VIA}")
    logged: list[str] = []
    feed = chat.ChatFeed(console, log=logged.append, refresh_seconds=0.05)
    feed.start()
    try:
        wait_until(lambda: any("not listening" in line for line in logged), 5)
    finally:
        feed.stop()
    [line] = [line for line in logged if "not listening" in line]
    assert "commander chat secret 'team-slack'" in line
    with pytest.raises(DomainError, match="no secret"):
        chat.service(console, VIA)


def test_slack_socket_mode_reaches_the_timeline(console: Console, incident_id: str, slack: SlackFake) -> None:
    channel = slack.add_channel("inc-checkout")
    sam = slack.add_user("sam@example.com", display_name="Sam")
    _connect(console, slack)
    _give_channel(console, incident_id, channel)
    feed = chat.ChatFeed(console, refresh_seconds=0.1)
    feed.start()
    try:
        wait_until(lambda: slack.connected >= 1, 10)
        ts = slack.say(channel, sam, "rolled back v2.31")
        wait_until(lambda: _texts(console, incident_id) == ["Sam: rolled back v2.31"], 10)
        slack.pin(channel, ts, sam)
        wait_until(lambda: [e.pinned for e in console.view(incident_id).entries if e.category == "chat"] == [True], 10)
    finally:
        feed.stop()


def test_an_ack_in_the_thread_of_a_page_heard_in_the_channel_acknowledges_it(console: Console) -> None:
    oncall.import_yaml(console, PAYMENTS_ONCALL)
    declaration = Declaration(title="Checkout API returning 502s", severity="SEV1", services=("payments",))
    incident_id = incident.declare(console, declaration).id
    _connect(console)
    _give_channel(console, incident_id)
    fake = PagerDutyFake()
    with serve(fake) as server:
        add_pagerduty(console, "PagerDuty", server)
        page = page_payments(console, incident_id)
        root = f"<@U0SAM>: you are paged. Reply ack in this thread when you are on it (page {page.id[:8]})."
        chat.record_heard(console, VIA, _said(root, id="8.1", author_name="Commander"))
        assert chat.acknowledge_reply(console, VIA, _said("ack", id="8.2")) is None  # not in a thread
        assert chat.acknowledge_reply(console, VIA, _said("ack", id="8.3", thread="0.0")) is None  # not a page's
        dispatch = chat.acknowledge_reply(console, VIA, _said(" ACK ", id="8.4", thread="8.1", author_name="Sam"))
        assert dispatch is not None and [job.action for job in dispatch.jobs] == ["acknowledge"]
        paging.run(console, dispatch)
        assert fake.alert(page.dedup_key).status == "acknowledged"
    assert paging.pages(console, incident_id)[0].acknowledged_by == "Sam"


def test_a_message_stamped_in_the_future_is_placed_when_heard(console: Console, incident_id: str) -> None:
    _connect(console)
    _give_channel(console, incident_id)
    before = console.now() - timedelta(milliseconds=1)  # events keep milliseconds
    [event] = chat.record_heard(console, VIA, _said(at=datetime(2199, 1, 1, tzinfo=UTC)))
    assert before <= event.occurred_at <= console.now()


def test_one_connection_that_cannot_start_keeps_no_other_unheard(console: Console, incident_id: str) -> None:
    _connect(console)
    _give_channel(console, incident_id)
    chat.add(console, "matrix", "broken", {"homeserver": "https://matrix.example.org"}, "tok", console.secrets)
    console.perform(
        incident_id, lambda s: [channel_created(incident_id, "broken", "matrix", "!room:x", "inc", "https://x.org/r")]
    )
    fake = FakeChat()

    def make_listener(_console: Console, via: str) -> FakeChat:
        if via == "broken":
            raise RuntimeError("a bug")
        return fake

    feed = chat.ChatFeed(console, refresh_seconds=0.05, make_listener=make_listener, make_service=lambda c, v: fake)  # type: ignore[arg-type,return-value]
    feed.start()
    try:
        wait_until(lambda: fake.deliver is not None, 5)
        fake.say(_said("still heard", id="6.6"))
        wait_until(lambda: _texts(console, incident_id) == ["sam: still heard"], 5)
    finally:
        feed.stop()


def test_a_feed_posts_a_reply_it_owed_once_the_shared_store_is_back(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    _connect(console, declare_channel=DECLARE)
    real = claims.claim
    online = threading.Event()

    def claim(on: Console, key: str) -> claims.Claim:
        if not online.is_set():
            raise claims.Offline("the shared store cannot be reached")
        return real(on, key)

    monkeypatch.setattr(claims, "claim", claim)
    fake = FakeChat()
    feed = _feed(console, fake)
    feed.start()
    try:
        wait_until(lambda: fake.deliver is not None, 5)
        fake.say(_said("@commander declare SEV2 payments down", channel=DECLARE, id="4.2"))
        wait_until(lambda: feed.handled == 1, 5)
        assert fake.posted == [] and [s.title for s in console.incidents()] == ["payments down"]
        online.set()
        wait_until(lambda: fake.posted, 5)
    finally:
        feed.stop()
    [(channel, text, thread)] = fake.posted
    assert (channel, thread) == (DECLARE, "4.2") and text.startswith("Declared INC-")
