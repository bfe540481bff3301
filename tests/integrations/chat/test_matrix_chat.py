"""The Matrix chat service and listener against a real Synapse on loopback (tests/helpers/synapse.py): rooms with
aliases, topics, invitations, threads, idempotent sends, leaving, history, and /sync heard back as posts, edits,
reactions, pins and redactions. What happened is read back from the homeserver itself.

Without Synapse installed the module skips with the reason (CI installs it: there it fails instead)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar
from urllib.parse import quote

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
from commander.integrations.chat.matrix import MatrixChat, MatrixListener, alias_local
from tests.helpers import synapse as shared
from tests.helpers.waiting import wait_until

synapse = shared.synapse
T = TypeVar("T")
SERVER = shared.SERVER_NAME


class Person:
    """A registered user and what they do, through the client-server API."""

    def __init__(self, server: shared.RunningSynapse, token: str) -> None:
        self.server, self.token = server, token
        self.id = self.get("/account/whoami")["user_id"]

    def request(self, method: str, path: str, body: object = None, **params: Any) -> dict[str, Any]:
        answer = httpx.request(
            method,
            f"{self.server.url}/_matrix/client/v3{path}",
            json=body,
            params=params,
            headers={"authorization": f"Bearer {self.token}"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        return self.request("GET", path, **params)

    def send(self, room: str, content: dict[str, Any], kind: str = "m.room.message") -> str:
        path = f"/rooms/{quote(room)}/send/{kind}/{uuid.uuid4().hex}"
        return str(self.request("PUT", path, content)["event_id"])

    def say(self, room: str, text: str) -> str:
        return self.send(room, {"msgtype": "m.text", "body": text})

    def join(self, room: str) -> None:
        self.request("POST", f"/rooms/{quote(room)}/join", {})

    def state(self, room: str, kind: str, key: str = "") -> dict[str, Any]:
        return self.get(f"/rooms/{quote(room)}/state/{kind}/{quote(key)}")


def register_admin(server: shared.RunningSynapse, name: str) -> str:
    """A server admin (the shared-secret registration with `admin`): only admins may look up an email."""
    nonce = httpx.get(f"{server.url}/_synapse/admin/v1/register", timeout=10).json()["nonce"]
    password = uuid.uuid4().hex
    mac = hmac.new(
        shared.SHARED_SECRET.encode(), b"\x00".join(p.encode() for p in (nonce, name, password, "admin")), hashlib.sha1
    ).hexdigest()
    body = {"nonce": nonce, "username": name, "password": password, "admin": True, "mac": mac}
    answer = httpx.post(f"{server.url}/_synapse/admin/v1/register", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


class World:
    """One test's people: an admin bot (no rate limit on it or them) and Alice."""

    def __init__(self, server: shared.RunningSynapse) -> None:
        suffix = uuid.uuid4().hex[:8]
        self.server = server
        self.bot = Person(server, register_admin(server, f"bot-{suffix}"))
        self.alice = Person(server, server.register(f"alice-{suffix}"))
        for person in (self.bot, self.alice):  # the helper's rate limit is for the destination's tests
            self.admin("POST", f"/v1/users/{quote(person.id)}/override_ratelimit", {"messages_per_second": 0})
        made = chat.make("matrix", "Ops", {"homeserver": server.url}, self.bot.token)
        assert isinstance(made, MatrixChat)
        self.chat = made

    def admin(self, method: str, path: str, body: object) -> None:
        answer = httpx.request(
            method,
            f"{self.server.url}/_synapse/admin{path}",
            json=body,
            headers={"authorization": f"Bearer {self.bot.token}"},
            timeout=10,
        )
        assert answer.status_code in (200, 201), answer.text

    def room_with_alice(self, name: str) -> str:
        room = run(lambda c: self.chat.create_channel(c, name)).id
        assert run(lambda c: self.chat.invite(c, room, [self.alice.id])) == []
        self.alice.join(room)
        return room


def run(call: Callable[[httpx.AsyncClient], Coroutine[Any, Any, T]]) -> T:
    async def go() -> T:
        async with httpx.AsyncClient(timeout=10) as client:
            return await call(client)

    return asyncio.run(go())


@pytest.fixture
def world(synapse: shared.RunningSynapse) -> World:
    return World(synapse)


# --- rooms -----------------------------------------------------------------------------------------------


def test_a_title_becomes_an_alias_local_part() -> None:
    assert alias_local("INC-42 SEV1: Café / Checkout — 502s") == "inc-42-sev1-cafe-checkout-502s"
    assert alias_local("決済") == "incident"


def test_a_room_is_made_with_its_alias_name_and_topic(world: World) -> None:
    made = run(lambda c: world.chat.create_channel(c, "INC-42 SEV1: Checkout 502s", topic="SEV1 · investigating"))
    assert made.id.startswith("!") and made.name == f"#inc-42-sev1-checkout-502s:{SERVER}"
    assert made.url == f"https://matrix.to/#/#inc-42-sev1-checkout-502s:{SERVER}"
    assert world.bot.state(made.id, "m.room.name")["name"] == "INC-42 SEV1: Checkout 502s"
    assert world.bot.state(made.id, "m.room.topic")["topic"] == "SEV1 · investigating"
    assert world.bot.state(made.id, "m.room.join_rules")["join_rule"] == "invite"  # private_chat
    resolved = world.bot.get(f"/directory/room/{quote(made.name)}")
    assert resolved["room_id"] == made.id
    run(lambda c: world.chat.set_topic(c, made.id, "SEV1 · mitigated"))
    assert world.bot.state(made.id, "m.room.topic")["topic"] == "SEV1 · mitigated"


def test_a_taken_alias_gets_the_next_suffix(world: World) -> None:
    name = f"INC {uuid.uuid4().hex[:6]} checkout"
    first = run(lambda c: world.chat.create_channel(c, name))
    second = run(lambda c: world.chat.create_channel(c, name))
    assert second.name == first.name.replace(":", "-2:", 1) and second.id != first.id


def test_a_long_title_still_makes_an_alias_within_255_bytes(world: World) -> None:
    made = run(lambda c: world.chat.create_channel(c, "Checkout " * 60))
    assert made.name.startswith("#checkout-") and len(made.name.encode()) <= 255


# --- people ----------------------------------------------------------------------------------------------


def test_an_admin_bot_finds_people_by_email(world: World) -> None:
    world.admin(
        "PUT",
        f"/v2/users/{quote(world.alice.id)}",
        {"threepids": [{"medium": "email", "address": "alice@example.com"}]},
    )
    assert run(lambda c: world.chat.find_user(c, "Alice@Example.com")) == world.alice.id
    assert run(lambda c: world.chat.find_user(c, "nobody@example.com")) is None
    assert run(lambda c: world.chat.find_user(c, world.alice.id)) == world.alice.id  # an id is taken as it is


def test_a_bot_that_is_not_an_admin_finds_nobody_by_email(world: World, synapse: shared.RunningSynapse) -> None:
    plain = chat.make("matrix", "Ops", {"homeserver": synapse.url}, world.alice.token)
    assert run(lambda c: plain.find_user(c, "alice@example.com")) is None


def test_people_are_invited_once(world: World) -> None:
    room = world.room_with_alice("INC invite")
    stranger = Person(world.server, world.server.register(f"carol-{uuid.uuid4().hex[:6]}"))
    failed = run(lambda c: world.chat.invite(c, room, [world.alice.id, stranger.id, "carol", world.bot.id]))
    assert failed == ["carol"]  # Alice and the bot are in already: no error
    assert world.bot.state(room, "m.room.member", stranger.id)["membership"] == "invite"


# --- posting ---------------------------------------------------------------------------------------------


def test_posts_are_plain_text_threaded_and_sent_once_per_key(world: World) -> None:
    room = run(lambda c: world.chat.create_channel(c, "INC posts")).id
    root = run(lambda c: world.chat.post(c, room, "Rolled back <b>v2.31</b> @room", key="update-1"))
    again = run(lambda c: world.chat.post(c, room, "Rolled back <b>v2.31</b> @room", key="update-1"))
    reply = run(lambda c: world.chat.post(c, room, "Error rate falling", thread=root))
    assert again == root
    messages = {m["event_id"]: m for m in world.server.messages(world.bot.token, room)}
    assert len(messages) == 2
    assert messages[root]["content"] == {
        "msgtype": "m.text",
        "body": "Rolled back <b>v2.31</b> @room",
        "m.mentions": {},
    }
    relation = messages[reply]["content"]["m.relates_to"]
    assert (relation["rel_type"], relation["event_id"]) == ("m.thread", root)


def test_a_long_post_fits_one_event(world: World) -> None:
    room = run(lambda c: world.chat.create_channel(c, "INC long")).id
    run(lambda c: world.chat.post(c, room, "決済エラー 🇪🇺\n" * 8_000))  # 120 KB: the homeserver refuses > 64 KiB
    (message,) = world.server.messages(world.bot.token, room)
    assert message["content"]["body"].endswith("(shortened)")


def test_leaving_is_the_archive_and_may_be_done_twice(world: World) -> None:
    room = world.room_with_alice("INC leave")
    run(lambda c: world.chat.archive(c, room))
    run(lambda c: world.chat.archive(c, room))
    assert world.bot.id not in world.alice.get(f"/rooms/{quote(room)}/joined_members")["joined"]
    with pytest.raises(ChatProblem, match="M_FORBIDDEN"):
        run(lambda c: world.chat.post(c, room, "too late"))


def test_history_reads_every_page_after_a_message(world: World) -> None:
    room = world.room_with_alice("INC history")
    ids = [world.alice.say(room, f"message {n}") for n in range(105)]
    world.alice.send(
        room,
        {
            "msgtype": "m.text",
            "body": "* changed",
            "m.new_content": {"msgtype": "m.text", "body": "changed"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": ids[0]},
        },
    )
    after = run(lambda c: world.chat.history(c, room, ids[9]))
    assert [m.text for m in after] == [f"message {n}" for n in range(10, 105)]  # an edit is not a new message
    whole = run(lambda c: world.chat.history(c, room, ""))
    assert [m.text for m in whole] == [f"message {n}" for n in range(105)]
    assert whole[0].author_id == world.alice.id and whole[0].change == POSTED and whole[0].at is not None


# --- refusals --------------------------------------------------------------------------------------------


def test_a_refused_token_says_to_make_a_new_one(synapse: shared.RunningSynapse) -> None:
    revoked = chat.make("matrix", "Ops", {"homeserver": synapse.url}, "syt_not_a_token")
    with pytest.raises(ChatProblem, match="M_UNKNOWN_TOKEN.*make a new one") as refused:
        run(lambda c: revoked.create_channel(c, "INC no"))
    assert not refused.value.transient


def test_a_rate_limit_is_transient_with_the_servers_wait(synapse: shared.RunningSynapse) -> None:
    token = synapse.register(f"busy-{uuid.uuid4().hex[:6]}")  # the helper's limit: a burst of 3, 2 a second
    busy = chat.make("matrix", "Ops", {"homeserver": synapse.url}, token)
    room = run(lambda c: busy.create_channel(c, "INC busy")).id

    async def flood(client: httpx.AsyncClient) -> ChatProblem | None:
        for n in range(20):
            try:
                await busy.post(client, room, f"message {n}")
            except ChatProblem as limited:
                return limited
        return None

    limited = run(flood)
    assert limited is not None and limited.transient and limited.retry_after is not None and limited.retry_after > 0


def test_something_that_is_not_a_homeserver_is_named(synapse: shared.RunningSynapse) -> None:
    wrong = chat.make("matrix", "Ops", {"homeserver": synapse.url + "/nothing"}, "token")
    with pytest.raises(ChatProblem, match="not as a Matrix homeserver does"):
        run(lambda c: wrong.create_channel(c, "INC"))


# --- listening -------------------------------------------------------------------------------------------


class Listening:
    def __init__(self, listener: MatrixListener, channels: set[str]) -> None:
        self.heard: list[ChatMessage] = []
        self.channels, self.stop = channels, threading.Event()
        self.failure: BaseException | None = None
        listener.poll_ms, listener.backoff = 300, (0.05,)
        self.thread = threading.Thread(target=self._run, args=(listener,), daemon=True)
        self.thread.start()

    def _run(self, listener: MatrixListener) -> None:
        try:
            listener.run(lambda: frozenset(self.channels), self.heard.append, self.stop)
        except BaseException as error:  # the test reads it
            self.failure = error

    def changes(self) -> list[tuple[str, str]]:
        return [(m.change, m.text or m.reaction) for m in self.heard]


@pytest.fixture
def listening(synapse: shared.RunningSynapse) -> Iterator[Callable[..., Listening]]:
    started: list[Listening] = []

    def start(token: str, *rooms: str) -> Listening:
        made = chat.listener("matrix", "Ops", {"homeserver": synapse.url}, token)
        assert isinstance(made, MatrixListener)
        started.append(Listening(made, set(rooms)))
        return started[-1]

    yield start
    for each in started:
        each.stop.set()
        each.thread.join(5)
        assert not each.thread.is_alive(), "the listener did not stop within 5 s of being told"


def heard_marker(heard: Listening, person: Person, room: str) -> None:
    """Post a marker and wait until it is heard: the listener has then passed everything before it."""
    marker = f"marker {uuid.uuid4().hex[:6]}"
    person.say(room, marker)
    wait_until(lambda: any(m.text == marker for m in heard.heard), 15, message=f"heard only {heard.changes()}")
    heard.heard[:] = [m for m in heard.heard if m.text != marker]


def test_posts_edits_reactions_pins_and_redactions_are_heard(world: World, listening: Callable[..., Listening]) -> None:
    room, elsewhere = world.room_with_alice("INC listen"), world.room_with_alice("INC elsewhere")
    heard = listening(world.bot.token, room)
    heard_marker(heard, world.alice, room)  # the listener is past its first sync
    first = world.alice.say(room, "Rolled back v2.31")
    world.alice.say(elsewhere, "not this room")
    thread_reply = world.alice.send(
        room,
        {"msgtype": "m.text", "body": "in the thread", "m.relates_to": {"rel_type": "m.thread", "event_id": first}},
    )
    edit = world.alice.send(
        room,
        {
            "msgtype": "m.text",
            "body": "* Rolled back v2.30",
            "m.new_content": {"msgtype": "m.text", "body": "Rolled back v2.30"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": first},
        },
    )
    reaction = world.alice.send(
        room, {"m.relates_to": {"rel_type": "m.annotation", "event_id": first, "key": "👍"}}, "m.reaction"
    )
    world.bot.request("PUT", f"/rooms/{quote(room)}/state/m.room.pinned_events/", {"pinned": [first]})
    world.bot.request("PUT", f"/rooms/{quote(room)}/state/m.room.pinned_events/", {"pinned": []})
    world.alice.request("PUT", f"/rooms/{quote(room)}/redact/{quote(reaction)}/{uuid.uuid4().hex}", {})  # taken back
    world.alice.request(
        "PUT", f"/rooms/{quote(room)}/redact/{quote(thread_reply)}/{uuid.uuid4().hex}", {"reason": "typo"}
    )
    heard_marker(heard, world.alice, room)
    assert heard.changes() == [
        (POSTED, "Rolled back v2.31"),
        (POSTED, "in the thread"),
        (EDITED, "Rolled back v2.30"),
        (REACTED, "👍"),
        (PINNED, ""),
        (UNPINNED, ""),
        (DELETED, ""),
    ]
    posted, in_thread, edited = heard.heard[0], heard.heard[1], heard.heard[2]
    assert (posted.id, posted.channel, posted.author_id) == (first, room, world.alice.id)
    assert posted.author_name == world.alice.id.split(":")[0][1:]  # Synapse's default display name: the local part
    assert in_thread.thread == first and (edited.id, edited.version) == (first, edit)
    assert [m.id for m in heard.heard[3:]] == [first, first, first, thread_reply]


def test_malformed_events_and_long_messages_do_not_stop_the_listener(
    world: World, listening: Callable[..., Listening]
) -> None:
    room = world.room_with_alice("INC odd")
    heard = listening(world.bot.token, room)
    heard_marker(heard, world.alice, room)
    first = world.alice.say(room, "first")
    world.alice.send(
        room,
        {
            "msgtype": "m.text",
            "body": "* odd",
            "m.new_content": "not content",
            "m.relates_to": {"rel_type": "m.replace", "event_id": first},
        },
    )
    world.alice.send(room, {"m.relates_to": "nonsense"}, "m.reaction")
    world.alice.say(room, "x" * 30_000)
    wait_until(lambda: len(heard.heard) >= 2, 15)
    first_heard, message = heard.heard
    assert first_heard.text == "first" and len(message.text) <= TEXT_MAX and message.text.endswith("(cut by Commander)")


def test_rooms_are_asked_again_as_incidents_open(world: World, listening: Callable[..., Listening]) -> None:
    first, second = world.room_with_alice("INC first"), world.room_with_alice("INC second")
    heard = listening(world.bot.token, first)
    heard_marker(heard, world.alice, first)
    world.alice.say(second, "not asked for")
    heard_marker(heard, world.alice, first)
    heard.channels.add(second)
    heard_marker(heard, world.alice, first)  # a sync with the new filter has happened
    world.alice.say(second, "asked for")
    heard_marker(heard, world.alice, second)
    assert heard.changes() == [(POSTED, "asked for")]


def test_a_refused_token_stops_the_listener(
    synapse: shared.RunningSynapse, listening: Callable[..., Listening]
) -> None:
    heard = listening("syt_revoked", "!nowhere:commander.test")
    heard.thread.join(10)
    assert isinstance(heard.failure, ChatProblem) and "M_UNKNOWN_TOKEN" in str(heard.failure)


def test_a_homeserver_that_is_not_an_address_is_refused_with_what_to_do() -> None:
    with pytest.raises(DomainError, match="use the address of its client API"):
        chat.make("matrix", "Ops", {"homeserver": "matrix.example.com"}, "token")
    with pytest.raises(DomainError, match="use the address of its client API"):
        chat.listener("matrix", "Ops", {"homeserver": ""}, "token")
