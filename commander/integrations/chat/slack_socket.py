"""Hearing an incident's Slack channels live through Socket Mode, with the app-level token (xapp-…, scope
connections:write): POST apps.connections.open answers a WebSocket URL ("wss://wss-….slack.com/link/?ticket=…",
https://docs.slack.dev/reference/methods/apps.connections.open; Tier 3, "For this method, you will need to pass
this token in the HTTP Authorization header"), and over that socket
(https://docs.slack.dev/apis/events-api/using-socket-mode):

- Slack first sends `{"type": "hello", "num_connections": 1, "connection_info": {"app_id": …}, "debug_info": …}`.
- Each event comes in an envelope `{"type": "events_api", "envelope_id": …, "payload": {"event_id": …, "event":
  {…}}, "accepts_response_payload": false, "retry_attempt": 0, "retry_reason": ""}`. The app must answer
  `{"envelope_id": …}` at once (within 3 seconds), or Slack sends the envelope again: it is acknowledged
  before it is read, and an event id already heard (a retry) is not handed on twice.
- `{"type": "disconnect", "reason": "warning" | "refresh_requested" | "link_disabled"}` says the socket is about
  to close (Slack refreshes them every few hours): Commander opens a new one at once. A socket that drops
  without one is opened again after a pause that doubles up to a minute. Only a token Slack refuses
  (apps.connections.open's invalid_auth, not_allowed_token_type …) stops the listener, with a ChatProblem.

The events (bot events to subscribe to: message.channels, message.groups, pin_added, pin_removed,
reaction_added, which need channels:history, groups:history, pins:read and reactions:read;
https://docs.slack.dev/reference/events): a `message` is POSTED; its subtype `message_changed`
(https://docs.slack.dev/reference/events/message/message_changed) is EDITED when the message carries `edited`
(an unfurl or a thread's reply count changes it too, and those are not edits), its version the edit's ts;
`message_deleted` is DELETED; `pin_added`/`pin_removed` are PINNED/UNPINNED; `reaction_added` is REACTED with the
reaction's name. Events of channels that `channels()` does not name are acknowledged and dropped.

Authors: users.info (Tier 4, users:read; the email needs users:read.email) gives the display name, else the
real name, else the user name, kept for AUTHORS_MAX people. https://docs.slack.dev/reference/methods/users.info
Bounds: a frame is at most FRAME_MAX bytes (websockets' max_size closes the socket past it), text TEXT_MAX
characters, names NAME_MAX."""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import connect
from websockets.sync.connection import Connection

from commander.integrations.chat.base import (
    DELETED,
    EDITED,
    PINNED,
    REACTED,
    UNPINNED,
    ChatMessage,
    ChatProblem,
    Deliver,
)
from commander.integrations.chat.slack_web import (
    API_URL,
    ID,
    TS,
    answer,
    author,
    bounded,
    message_url,
    moment,
    plain,
    posted,
    said,
    thread_of,
)
from commander.integrations.destinations.base import tls_context

log = logging.getLogger(__name__)

FRAME_MAX = 1_048_576  # bytes of one frame from Slack
AUTHORS_MAX = 500  # people whose names are kept
SEEN_MAX = 2_000  # event ids kept to tell Slack's retries from new events
ENVELOPE_ID_MAX = 200  # characters of an envelope id echoed back
FIRST_WAIT = 1.0  # seconds before opening a socket again after it dropped
LONGEST_WAIT = 60.0
POLL = 0.5  # seconds a read waits before looking at `stop` again
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# apps.connections.open's errors are about the app-level token, not the bot token.
APP_FIXES = {
    "invalid_auth": "the app-level token is not accepted: make one with the connections:write scope (Basic "
    "Information > App-Level Tokens) and set it after the bot token in the connection's secret",
    "not_authed": "no app-level token was sent: set it after the bot token in the connection's secret (xapp-…)",
    "not_allowed_token_type": "the second token in the secret is not an app-level token: set the xapp-… token "
    "from Basic Information > App-Level Tokens",
    "missing_scope": "the app-level token lacks the connections:write scope: make a new one with it and set it",
    "forbidden_team": "this workspace cannot use Socket Mode: ask a Slack admin",
    "token_revoked": "the app-level token was revoked: make a new one and set it",
    "account_inactive": "the app was removed from the workspace: install it again and set its new tokens",
}


def heard(event: object, workspace_url: str = "") -> ChatMessage | None:
    """An Events API event as a ChatMessage, or None when it is none of the changes Commander hears (a join, an
    unfurl, a reaction to a file) or is malformed."""
    if not isinstance(event, Mapping):
        return None
    kind = event.get("type")
    if kind == "message":
        channel = event.get("channel")
        if not isinstance(channel, str) or not ID.match(channel):
            return None
        subtype = event.get("subtype", "")
        if subtype == "message_changed":
            return _edited(channel, event, workspace_url)
        if subtype == "message_deleted":
            return _deleted(channel, event, workspace_url)
        return posted(channel, event, workspace_url)
    if kind in ("pin_added", "pin_removed"):
        return _pinned(event, workspace_url, PINNED if kind == "pin_added" else UNPINNED)
    if kind == "reaction_added":
        return _reacted(event, workspace_url)
    return None


def _edited(channel: str, event: Mapping[str, Any], workspace_url: str) -> ChatMessage | None:
    message, edit = event.get("message"), None
    if isinstance(message, Mapping):
        edit = message.get("edited")
    if not isinstance(message, Mapping) or not isinstance(edit, Mapping):
        return None  # an unfurl or a reply count changed: not an edit
    ts = message.get("ts")
    if not isinstance(ts, str) or not TS.match(ts):
        return None
    version = edit.get("ts") if isinstance(edit.get("ts"), str) and TS.match(edit["ts"]) else event.get("ts")
    version = version if isinstance(version, str) and TS.match(version) else ""
    return said(channel, message, ts, workspace_url, EDITED, moment(version), version)


def _deleted(channel: str, event: Mapping[str, Any], workspace_url: str) -> ChatMessage | None:
    ts = event.get("deleted_ts")
    if not isinstance(ts, str) or not TS.match(ts):
        return None
    previous = event.get("previous_message")
    previous = previous if isinstance(previous, Mapping) else {}
    user, name = author(previous)
    return ChatMessage(
        channel=channel,
        id=ts,
        change=DELETED,
        author_id=user,
        author_name=name,
        at=moment(event.get("event_ts") or event.get("ts")),
        thread=thread_of(previous, ts),
    )


def _pinned(event: Mapping[str, Any], workspace_url: str, change: str) -> ChatMessage | None:
    item = event.get("item")
    if not isinstance(item, Mapping) or item.get("type") != "message" or not isinstance(item.get("message"), Mapping):
        return None
    message = item["message"]
    channel = event.get("channel_id") or item.get("channel")
    ts = message.get("ts")
    if not isinstance(channel, str) or not ID.match(channel) or not isinstance(ts, str) or not TS.match(ts):
        return None
    user = event.get("user")
    text = message.get("text")
    thread = thread_of(message, ts)
    return ChatMessage(
        channel=channel,
        id=ts,
        change=change,
        author_id=user if isinstance(user, str) and ID.match(user) else "",
        text=plain(text) if isinstance(text, str) else "",
        url=message_url(workspace_url, channel, ts, thread),
        at=moment(event.get("event_ts")),
        thread=thread,
    )


def _reacted(event: Mapping[str, Any], workspace_url: str) -> ChatMessage | None:
    item = event.get("item")
    if not isinstance(item, Mapping) or item.get("type") != "message":
        return None
    channel, ts, reaction = item.get("channel"), item.get("ts"), bounded(event.get("reaction"), 100)
    if not isinstance(channel, str) or not ID.match(channel) or not isinstance(ts, str) or not TS.match(ts):
        return None
    if not reaction:
        return None
    user = event.get("user")
    return ChatMessage(
        channel=channel,
        id=ts,
        change=REACTED,
        author_id=user if isinstance(user, str) and ID.match(user) else "",
        url=message_url(workspace_url, channel, ts),
        at=moment(event.get("event_ts")),
        reaction=reaction,
    )


class Authors:
    """People's names and emails by Slack user id, from users.info, kept for the last AUTHORS_MAX people."""

    def __init__(self, http: httpx.Client, api_url: str, token: str, name: str) -> None:
        self.http, self.api_url, self.token, self.name = http, api_url, token, name
        self.known: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def get(self, user: str) -> tuple[str, str]:
        """(name, email) of a user ("" for what Slack does not tell); bots and apps have none here."""
        if not self.token or user[:1] not in ("U", "W"):
            return "", ""
        if user in self.known:
            self.known.move_to_end(user)
            return self.known[user]
        try:
            response = self.http.get(
                f"{self.api_url}/users.info",
                params={"user": user},
                headers={"authorization": f"Bearer {self.token}"},
                timeout=5.0,  # the next envelopes wait behind it; Slack resends one left 3 s unacknowledged
            )
            found = answer(response, self.name, "users.info", "name a message's author", ("user_not_found",))
        except httpx.HTTPError as error:
            log.info("Slack (%s): users.info for %s failed (%s); tried again next time", self.name, user, error)
            return "", ""
        except ChatProblem as problem:
            log.warning("Slack (%s): authors are shown by id: %s", self.name, problem)
            if problem.transient:
                return "", ""
            found = {}
        self.known[user] = _person(found.get("user"))
        while len(self.known) > AUTHORS_MAX:
            self.known.popitem(last=False)
        return self.known[user]


def _person(user: object) -> tuple[str, str]:
    if not isinstance(user, Mapping):
        return "", ""
    found = user.get("profile")
    profile: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    name = bounded(profile.get("display_name")) or bounded(profile.get("real_name")) or bounded(user.get("name"))
    email = bounded(profile.get("email"), 254)
    return name, email if "@" in email else ""


class SlackSocket:
    """What hears a Slack workspace's incident channels: one Socket Mode connection, opened again as needed."""

    def __init__(
        self,
        name: str,
        app_token: str,
        bot_token: str,
        *,
        api_url: str = API_URL,
        workspace_url: str = "",
        pin_reaction: str = "pushpin",
        first_wait: float = FIRST_WAIT,
        longest_wait: float = LONGEST_WAIT,
    ) -> None:
        self.name, self.app_token, self.bot_token = name, app_token, bot_token
        self.api_url = api_url.rstrip("/")
        self.workspace_url = workspace_url.rstrip("/")
        self.pin_reaction = pin_reaction
        self.first_wait, self.longest_wait = first_wait, longest_wait
        self.seen: OrderedDict[str, None] = OrderedDict()

    def run(self, channels: Callable[[], frozenset[str]], deliver: Deliver, stop: threading.Event) -> None:
        if not self.app_token:
            raise ChatProblem(
                f"Slack ({self.name}) cannot be heard without an app-level token: turn Socket Mode on for the app, "
                "make a token with the connections:write scope (Basic Information > App-Level Tokens) and set it "
                "after the bot token in the connection's secret (xoxb-… xapp-…)."
            )
        wait = self.first_wait
        with httpx.Client(timeout=15.0, verify=tls_context()) as http:
            authors = Authors(http, self.api_url, self.bot_token, self.name)
            while not stop.is_set():
                pause = wait
                try:
                    ended = self.listen(self.open(http), channels, deliver, stop, authors)
                    if ended != "refused":
                        wait = self.first_wait
                        pause = 0.0 if ended == "disconnect" else wait
                except ChatProblem as problem:
                    if not problem.transient:
                        raise
                    log.warning("%s", problem)
                    pause = max(wait, problem.retry_after or 0.0)
                except (OSError, WebSocketException, httpx.HTTPError) as error:
                    log.warning("Slack (%s): the Socket Mode connection failed (%s); trying again", self.name, error)
                if pause == wait:
                    wait = min(wait * 2, self.longest_wait)
                stop.wait(pause * random.uniform(0.8, 1.2))  # jitter: many consoles do not come back at once

    def open(self, http: httpx.Client) -> str:
        """A fresh Socket Mode URL from apps.connections.open."""
        try:
            response = http.post(
                f"{self.api_url}/apps.connections.open", headers={"authorization": f"Bearer {self.app_token}"}
            )
        except httpx.TransportError as error:
            raise ChatProblem(
                f"Slack ({self.name}) could not be reached to hear the channels ({type(error).__name__}): Commander "
                "will try again.",
                transient=True,
            ) from error
        found = answer(response, self.name, "apps.connections.open", "open a Socket Mode connection", (), APP_FIXES)
        url = found.get("url")
        parts = urlsplit(url) if isinstance(url, str) and len(url) < 4_000 else None
        if parts is None or not (parts.scheme == "wss" or (parts.scheme == "ws" and parts.hostname in LOOPBACK)):
            raise ChatProblem(
                f"Slack ({self.name}) answered apps.connections.open without a secure WebSocket URL: check the "
                "api_url setting.",
                transient=True,
            )
        return str(url)

    def listen(
        self,
        url: str,
        channels: Callable[[], frozenset[str]],
        deliver: Deliver,
        stop: threading.Event,
        authors: Authors,
    ) -> str:
        """Read one socket until it ends: "disconnect" (Slack said it would close it), "dropped" (closed after
        hello), "refused" (closed before hello) or "stopped"."""
        local = urlsplit(url).hostname in LOOPBACK
        with connect(
            url,
            ssl=tls_context() if url.startswith("wss:") else None,
            proxy=None if local else True,
            open_timeout=15,
            close_timeout=2,
            max_size=FRAME_MAX,
        ) as socket:
            hello = False
            while not stop.is_set():
                try:
                    frame = socket.recv(timeout=POLL)
                except TimeoutError:
                    continue
                except ConnectionClosed:
                    return "dropped" if hello else "refused"
                envelope = _envelope(frame)
                kind = envelope.get("type")
                _acknowledge(socket, envelope)
                if kind == "hello":
                    hello = True
                elif kind == "disconnect":
                    log.info("Slack (%s): Socket Mode refresh (%s)", self.name, bounded(envelope.get("reason"), 40))
                    return "disconnect"
                elif kind == "events_api":
                    self.hand_on(envelope.get("payload"), channels, deliver, authors)
            return "stopped"

    def hand_on(
        self, payload: object, channels: Callable[[], frozenset[str]], deliver: Deliver, authors: Authors
    ) -> None:
        """One event's message handed to `deliver`, unless it was heard before or is not about `channels()`."""
        if not isinstance(payload, Mapping):
            return
        event_id = payload.get("event_id")
        if isinstance(event_id, str) and event_id:
            if event_id in self.seen:
                return  # Slack sent it again: heard already
            self.seen[event_id] = None
            while len(self.seen) > SEEN_MAX:
                self.seen.popitem(last=False)
        message = heard(payload.get("event"), self.workspace_url)
        if message is None or message.channel not in channels():
            return
        if message.author_id and not message.author_email:
            name, email = authors.get(message.author_id)
            message = replace(message, author_name=name or message.author_name, author_email=email)
        try:
            deliver(message)
        except Exception:  # a bug in what hears it: logged with its traceback; the next message still goes
            log.exception("Slack (%s): handing on %s %s failed", self.name, message.change, message.id)


def _envelope(frame: str | bytes) -> Mapping[str, Any]:
    try:
        found = json.loads(frame)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _acknowledge(socket: Connection, envelope: Mapping[str, Any]) -> None:
    """Tell Slack the envelope arrived, before reading it, as Socket Mode asks."""
    envelope_id = envelope.get("envelope_id")
    if isinstance(envelope_id, str) and 0 < len(envelope_id) <= ENVELOPE_ID_MAX:
        socket.send(json.dumps({"envelope_id": envelope_id}))
