"""The Mattermost chat service and listener against the fake Mattermost (tests/helpers/mattermost_fake.py), which
refuses what the real server refuses (names, lengths, a taken name, a refused token) with its AppError bodies, and
speaks its WebSocket: the authentication challenge, then `posted`, `post_edited`, `post_deleted`, `reaction_added`."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import httpx
import pytest

from commander.domain.core.errors import DomainError
from commander.integrations import chat
from commander.integrations.chat.base import (
    DELETED,
    EDITED,
    PINNED,
    POSTED,
    REACTED,
    TEXT_MAX,
    UNPINNED,
    ChatMessage,
    ChatProblem,
)
from commander.integrations.chat.mattermost import MattermostChat, MattermostListener, channel_handle
from commander.integrations.destinations.mattermost import POST_LIMIT
from tests.helpers.mattermost_fake import MattermostFake, new_id
from tests.helpers.waiting import wait_until

T = TypeVar("T")


@pytest.fixture
def fake() -> Iterator[MattermostFake]:
    with MattermostFake() as running:
        yield running


def service(fake: MattermostFake, **options: str) -> MattermostChat:
    made = chat.make("mattermost", "Ops", {"url": fake.url, "team": fake.team_id, **options}, fake.token)
    assert isinstance(made, MattermostChat)
    return made


def run(call: Callable[[httpx.AsyncClient], Coroutine[Any, Any, T]]) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(timeout=5) as client:
            return await call(client)

    return asyncio.run(go())


# --- names -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "handle"),
    [
        ("SEV1: Checkout API — 502s / EU", "sev1-checkout-api-502s-eu"),
        ("Café crème: paiements échoués", "cafe-creme-paiements-echoues"),
        ("__db_primary__ down", "db_primary__-down"),
        ("決済エラー", "incident"),  # nothing Mattermost accepts is left
        ("x" * 100, "x" * 64),
    ],
)
def test_a_title_becomes_a_name_mattermost_accepts(title: str, handle: str) -> None:
    assert channel_handle(title) == handle


def test_a_channel_is_made_with_the_title_shown_and_the_topic_as_header(fake: MattermostFake) -> None:
    made = run(
        lambda c: service(fake).create_channel(c, "INC-42 SEV1: Checkout API 502s", topic="SEV1 · investigating")
    )
    stored = fake.channels[made.id]
    assert (made.name, stored["display_name"], stored["type"]) == (
        "inc-42-sev1-checkout-api-502s",
        "INC-42 SEV1: Checkout API 502s",
        "O",
    )
    assert stored["header"] == stored["purpose"] == "SEV1 · investigating"
    assert made.url == f"{fake.url}/ops/channels/inc-42-sev1-checkout-api-502s"


def test_a_taken_name_gets_the_next_suffix(fake: MattermostFake) -> None:
    fake.make_channel("inc-42-checkout")
    fake.make_channel("inc-42-checkout-2")
    made = run(lambda c: service(fake, private="yes").create_channel(c, "INC-42 Checkout"))
    assert made.name == "inc-42-checkout-3" and fake.channels[made.id]["type"] == "P"


def test_long_titles_and_topics_fit_every_limit(fake: MattermostFake) -> None:
    title, topic = "Checkout " * 30, "Status *investigating* " * 100
    made = run(lambda c: service(fake).create_channel(c, title, topic=topic))  # the fake refuses any field too long
    stored = fake.channels[made.id]
    assert len(made.name) <= 64 and len(stored["display_name"]) <= 64
    assert len(stored["header"]) <= 1_024 and len(stored["purpose"]) <= 250 and stored["purpose"].endswith("…")
    run(lambda c: service(fake).set_topic(c, made.id, "SEV2 · mitigated " * 200))
    assert fake.channels[made.id]["header"].startswith("SEV2 · mitigated")


def test_the_team_may_be_named_by_its_url_name(fake: MattermostFake) -> None:
    made = run(lambda c: service(fake, team="ops").create_channel(c, "inc-7"))
    assert fake.channels[made.id]["team_id"] == fake.team_id


# --- people ----------------------------------------------------------------------------------------------


def test_people_are_found_by_email_and_added(fake: MattermostFake) -> None:
    alice = fake.add_user("alice", "alice@example.com")
    chat_service = service(fake)
    made = run(lambda c: chat_service.create_channel(c, "inc-1"))
    assert run(lambda c: chat_service.find_user(c, "Alice@Example.com")) == alice
    assert run(lambda c: chat_service.find_user(c, "nobody@example.com")) is None
    gone = new_id()  # nobody has it
    failed = run(lambda c: chat_service.invite(c, made.id, [alice, gone, "not-an-id"]))
    assert failed == [gone, "not-an-id"] and alice in fake.members[made.id]
    assert run(lambda c: chat_service.invite(c, made.id, [alice])) == []  # already in: no error


def test_hidden_emails_are_said_to_be_a_permission(fake: MattermostFake) -> None:
    fake.hide_emails = True
    with pytest.raises(ChatProblem, match=r"refused to look up a@example.com \(403 .*permission") as refused:
        run(lambda c: service(fake).find_user(c, "a@example.com"))
    assert not refused.value.transient


# --- posting ---------------------------------------------------------------------------------------------


def test_a_post_is_plain_text_in_its_thread(fake: MattermostFake) -> None:
    chat_service = service(fake)
    made = run(lambda c: chat_service.create_channel(c, "inc-2"))
    root = run(lambda c: chat_service.post(c, made.id, "Rolled back *v2.31* @channel"))
    reply = run(lambda c: chat_service.post(c, made.id, "Error rate falling", thread=root))
    assert fake.posts[root]["message"] == "Rolled back \\*v2.31\\* @\u200dchannel"  # no italics, nobody paged
    assert fake.posts[reply]["root_id"] == root


def test_a_post_with_the_same_key_lands_once(fake: MattermostFake) -> None:
    chat_service = service(fake)
    made = run(lambda c: chat_service.create_channel(c, "inc-3"))
    first = run(lambda c: chat_service.post(c, made.id, "Update 1", key="delivery-1"))
    again = run(lambda c: chat_service.post(c, made.id, "Update 1", key="delivery-1"))
    assert first == again and [p["message"] for p in fake.posts.values()] == ["Update 1"]


def test_a_long_post_is_cut_to_one_post_saying_so(fake: MattermostFake) -> None:
    chat_service = service(fake)
    made = run(lambda c: chat_service.create_channel(c, "inc-4"))
    posted = run(lambda c: chat_service.post(c, made.id, "line 🇪🇺\n" * 5_000))  # the fake refuses > 16,383
    message = fake.posts[posted]["message"]
    assert len(message) <= POST_LIMIT and message.endswith("(cut by Commander)") and "🇪🇺…" not in message[:-30]


def test_archiving_twice_is_not_an_error(fake: MattermostFake) -> None:
    chat_service = service(fake)
    made = run(lambda c: chat_service.create_channel(c, "inc-5"))
    run(lambda c: chat_service.archive(c, made.id))
    run(lambda c: chat_service.archive(c, made.id))
    assert fake.channels[made.id]["delete_at"]
    with pytest.raises(ChatProblem, match="deleted channel"):
        run(lambda c: chat_service.post(c, made.id, "too late"))


def test_history_reads_every_page_oldest_first(fake: MattermostFake) -> None:
    channel = fake.make_channel("inc-6")
    posts = [fake.say(channel, f"message {n}") for n in range(450)]
    fake.delete(posts[10]["id"])
    after = run(lambda c: service(fake).history(c, channel, posts[99]["id"]))
    assert [m.text for m in after] == [f"message {n}" for n in range(100, 450)]
    whole = run(lambda c: service(fake).history(c, channel, ""))
    assert len(whole) == 449 and whole[0].text == "message 0" and whole[-1].text == "message 449"
    assert whole[0].url == f"{fake.url}/ops/pl/{posts[0]['id']}" and whole[0].change == POSTED


# --- refusals --------------------------------------------------------------------------------------------


def test_a_refused_token_says_to_set_it_again(fake: MattermostFake) -> None:
    fake.tokens.clear()
    with pytest.raises(ChatProblem, match="token was refused.*set it again") as refused:
        run(lambda c: service(fake).create_channel(c, "inc-8"))
    assert not refused.value.transient


def test_a_rate_limit_is_transient_with_its_wait(fake: MattermostFake) -> None:
    fake.rate_limit(1)
    with pytest.raises(ChatProblem, match="rate limiting") as limited:
        run(lambda c: service(fake).create_channel(c, "inc-9"))
    assert limited.value.transient and limited.value.retry_after == 1.0


def test_something_that_is_not_mattermost_is_named(fake: MattermostFake) -> None:
    broken = MattermostChat("Ops", fake.url + "/not-here", fake.team_id, fake.token)
    with pytest.raises(ChatProblem, match="HTML page titled '404 Not Found'.*not as Mattermost does"):
        run(lambda c: broken.create_channel(c, "inc-10"))


def test_an_unreachable_server_is_transient() -> None:
    nowhere = MattermostChat("Ops", "http://127.0.0.1:9", "a" * 26, "token")
    with pytest.raises(ChatProblem, match="could not be reached") as failed:
        run(lambda c: nowhere.post(c, "b" * 26, "hello"))
    assert failed.value.transient


# --- listening -------------------------------------------------------------------------------------------


class Listening:
    """A listener on its own thread, and what it delivered."""

    def __init__(self, listener: MattermostListener, channels: set[str]) -> None:
        self.heard: list[ChatMessage] = []
        self.channels = channels
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        listener.backoff = (0.05,)
        self.thread = threading.Thread(target=self._run, args=(listener,), daemon=True)
        self.thread.start()

    def _run(self, listener: MattermostListener) -> None:
        try:
            listener.run(lambda: frozenset(self.channels), self.heard.append, self.stop)
        except BaseException as error:  # the test reads it
            self.failure = error

    def changes(self) -> list[tuple[str, str]]:
        return [(m.change, m.text or m.reaction) for m in self.heard]

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        assert not self.thread.is_alive(), "the listener did not stop within 5 s of being told"


@pytest.fixture
def listening(fake: MattermostFake) -> Iterator[Callable[..., Listening]]:
    started: list[Listening] = []

    def start(*channels: str, token: str = "") -> Listening:
        made = chat.listener("mattermost", "Ops", {"url": fake.url, "team": fake.team_id}, token or fake.token)
        assert isinstance(made, MattermostListener)
        started.append(Listening(made, set(channels)))
        if not token:
            wait_until(lambda: fake.sockets, 5, message="the listener never connected")
        return started[-1]

    yield start
    for each in started:
        each.close()


def test_what_is_said_edited_pinned_and_deleted_is_heard(
    fake: MattermostFake, listening: Callable[..., Listening]
) -> None:
    channel, elsewhere = fake.make_channel("inc-11"), fake.make_channel("random")
    alice = fake.add_user("alice", "alice@example.com", first="Alice", last="Ng")
    heard = listening(channel)
    post = fake.say(channel, "Rolled back v2.31", user=alice)
    fake.say(elsewhere, "lunch?", user=alice)
    fake.edit(post["id"], "Rolled back v2.30")
    fake.pin(post["id"])
    fake.pin(post["id"], pinned=False)
    fake.react(post["id"], "+1", alice)
    fake.delete(post["id"])
    wait_until(lambda: len(heard.heard) >= 6, 5, message=f"heard only {heard.changes()}")
    assert heard.changes() == [
        (POSTED, "Rolled back v2.31"),
        (EDITED, "Rolled back v2.30"),
        (PINNED, ""),
        (UNPINNED, ""),
        (REACTED, "+1"),
        (DELETED, ""),
    ]
    first = heard.heard[0]
    assert (first.author_id, first.author_name, first.author_email) == (alice, "Alice Ng", "alice@example.com")
    assert first.url == f"{fake.url}/ops/pl/{post['id']}" and first.channel == channel and first.at is not None
    assert heard.heard[1].version == str(fake.posts[post["id"]]["edit_at"])


def test_a_pin_of_a_post_heard_before_the_listener_started_is_a_pin(
    fake: MattermostFake, listening: Callable[..., Listening]
) -> None:
    channel = fake.make_channel("inc-12")
    post = fake.say(channel, "Root cause: expired certificate")  # before anyone listened
    heard = listening(channel)
    fake.pin(post["id"])
    wait_until(lambda: heard.heard, 5)
    assert heard.changes() == [(PINNED, "")]


def test_bad_frames_and_long_messages_do_not_stop_the_listener(
    fake: MattermostFake, listening: Callable[..., Listening]
) -> None:
    channel = fake.make_channel("inc-13")
    heard = listening(channel)
    fake.send_raw("not json")
    fake.send_raw(json.dumps({"event": "posted", "data": {"post": "{broken"}, "broadcast": {"channel_id": channel}}))
    fake.send_raw('["a list"]')
    fake.say(channel, "x" * 10_000)
    wait_until(lambda: heard.heard, 5)
    assert len(heard.heard[0].text) <= TEXT_MAX and heard.heard[0].text.endswith("(cut by Commander)")


def test_the_listener_comes_back_after_the_connection_drops(
    fake: MattermostFake, listening: Callable[..., Listening]
) -> None:
    channel = fake.make_channel("inc-14")
    heard = listening(channel)
    fake.drop_sockets()
    wait_until(lambda: fake.sockets, 5, message="the listener did not reconnect")
    fake.say(channel, "after the restart")
    wait_until(lambda: heard.heard, 5)
    assert heard.changes() == [(POSTED, "after the restart")]


def test_channels_are_asked_again_as_incidents_open(fake: MattermostFake, listening: Callable[..., Listening]) -> None:
    first, second = fake.make_channel("inc-15"), fake.make_channel("inc-16")
    heard = listening(first)
    fake.say(second, "not yet")
    fake.say(first, "marker")  # heard once what came before it was read
    wait_until(lambda: heard.heard, 5)
    heard.channels.add(second)
    fake.say(second, "now")
    wait_until(lambda: len(heard.heard) == 2, 5)
    assert heard.changes() == [(POSTED, "marker"), (POSTED, "now")]


def test_a_refused_token_stops_the_listener_with_a_problem(
    fake: MattermostFake, listening: Callable[..., Listening]
) -> None:
    heard = listening(fake.make_channel("inc-17"), token="revoked")
    heard.thread.join(5)
    assert isinstance(heard.failure, ChatProblem) and "token was refused" in str(heard.failure)


def test_a_token_revoked_while_listening_stops_it_after_the_socket_closes(
    fake: MattermostFake, listening: Callable[..., Listening]
) -> None:
    heard = listening(fake.make_channel("inc-18"))
    fake.tokens.clear()
    fake.drop_sockets()
    heard.thread.join(5)
    assert isinstance(heard.failure, ChatProblem) and fake.refused_sockets == 0  # told by REST, not by retrying


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"url": "chat.example.com", "team": "ops"}, "use the address people open Mattermost at"),
        ({"url": "https://chat.example.com"}, "needs its team"),
    ],
)
def test_a_connection_missing_its_server_or_team_is_refused_with_what_to_do(options: dict[str, str], said: str) -> None:
    with pytest.raises(DomainError, match=said):
        chat.make("mattermost", "Ops", options, "token")
