"""What every chat service shares: the channel it makes, the messages it hears, the problem it reports.

A `ChatService` is called from a worker thread with an `httpx.AsyncClient` (one per send, as the update
destinations are); a `ChatListener` runs on a thread of its own and blocks until told to stop. Everything a
service answers is outside text: bounded here before it goes further (TEXT_MAX, NAME_MAX)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

TEXT_MAX = 4_000  # characters of a heard message kept; longer ones are cut, saying so
NAME_MAX = 200  # characters of an author's name or a channel's name

# What happened to a message in the channel.
POSTED, EDITED, DELETED, PINNED, UNPINNED, REACTED = "posted", "edited", "deleted", "pinned", "unpinned", "reacted"
CHANGES = (POSTED, EDITED, DELETED, PINNED, UNPINNED, REACTED)


@dataclass(frozen=True)
class Channel:
    """A channel the service made: its id there, its name as the service took it, and a link people open."""

    id: str
    name: str
    url: str = ""


@dataclass(frozen=True)
class ChatMessage:
    """One thing heard in a channel. `id` is the service's id of the message (Slack's `ts`, a Mattermost
    post id, a Matrix event id); an edit, a deletion, a pin or a reaction carries the id of the message it
    is about, and `version` tells one edit of it from another (the edit's own ts or event id)."""

    channel: str  # the service's channel id
    id: str
    change: str  # one of CHANGES
    author_id: str = ""  # the service's user id
    author_name: str = ""  # as the service shows it (display name, else user name)
    author_email: str = ""  # when the service tells it: maps the author to a person on the role board
    text: str = ""
    url: str = ""  # a link to the message, when the service has one
    at: datetime | None = None  # when it happened, UTC
    thread: str = ""  # the id of the message this replies to, when in a thread
    reaction: str = ""  # REACTED: the reaction's name (Slack's "pushpin", a Matrix emoji key)
    version: str = ""  # EDITED: what tells this edit from another


class ChatProblem(Exception):
    """A service refused or failed: `str()` says what happened and what to do, in words for people.
    `transient` is true when trying again later may work (rate limits, the service's own trouble)."""

    def __init__(self, message: str, *, transient: bool = False, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


class ChatService(Protocol):
    kind: str  # "slack", "mattermost", "matrix"
    name: str  # the connection's name

    async def create_channel(self, client: httpx.AsyncClient, name: str, *, topic: str = "") -> Channel:
        """A new channel named after `name`, made to fit the service's rules (Slack: lower case, no spaces or
        periods, at most 80 characters); a name already taken gets a suffix (-2, -3 …)."""
        ...

    async def set_topic(self, client: httpx.AsyncClient, channel: str, topic: str) -> None: ...

    async def find_user(self, client: httpx.AsyncClient, email: str) -> str | None:
        """The service's user id for an email address, or None when nobody has it."""
        ...

    async def invite(self, client: httpx.AsyncClient, channel: str, users: Sequence[str]) -> list[str]:
        """Invite users (the service's ids) into the channel; returns the ids that could not be invited
        (with no error for those already in it)."""
        ...

    async def post(self, client: httpx.AsyncClient, channel: str, text: str, *, thread: str = "", key: str = "") -> str:
        """Post plain text (escaped for the service's markup); returns the new message's id. `key`, the same
        for a retry of the same message, lets a service that can (Matrix's txnId, Mattermost's
        pending_post_id) post it once; Slack cannot."""
        ...

    async def archive(self, client: httpx.AsyncClient, channel: str) -> None: ...

    async def history(self, client: httpx.AsyncClient, channel: str, after: str) -> list[ChatMessage]:
        """What was posted in the channel after the message `after` ("" for from the start), oldest first,
        at most a few thousand: what a listener missed while it was away."""
        ...


Deliver = Callable[[ChatMessage], None]


class ChatListener(Protocol):
    def run(self, channels: Callable[[], frozenset[str]], deliver: Deliver, stop: threading.Event) -> None:
        """Hear the channels `channels()` names (asked again as incidents open and close) and hand each
        message to `deliver`, until `stop` is set; reconnects by itself, backing off, and raises ChatProblem
        only when it cannot go on (a token refused). Blocks: run it on a thread of its own."""
        ...
