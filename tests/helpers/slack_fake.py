"""A fake Slack workspace on 127.0.0.1: the Web API methods Commander calls and a Socket Mode WebSocket, answering
as Slack does (HTTP 200 with `{"ok": false, "error": …}`, 429 with Retry-After, `missing_scope` with `needed`).

    with slack_fake() as slack:
        alex = slack.add_user("alex@example.com", display_name="Alex")
        service = chat.make("slack", "acme", slack.options, slack.secret)   # api_url points here
        ...                                   # create_channel, invite, post, history … through the Web API
        slack.say(channel_id, alex, "rolled back")   # someone writes in Slack: stored, and sent over Socket Mode
        wait_until(lambda: not slack.unacked() and slack.acked, 5)

What a test can do:
- people and channels: `add_user(email, …) -> user id`, `add_channel(name, members) -> channel id`, and read
  `channels[id]` (name, topic, members, messages, pins, archived) and `users`;
- people acting in Slack, each stored (history sees it) and sent as an `events_api` envelope to the newest live
  Socket Mode connection (kept until one is there): `say`, `edit`, `delete`, `pin`, `unpin`, `react`;
- trouble: `fail(method, error, status=…, retry_after=…, needed=…, times=…)` answers the next calls of a method
  with that error; `drop()` cuts every socket without a close frame; `disconnect(reason)` sends Slack's
  `disconnect` frame; `raw(frame)` sends anything; a token other than `bot_token`/`app_token` is refused as
  Slack refuses it; `email_scope = False` leaves emails out of users.info as Slack does without
  users:read.email;
- what happened: `calls` (method, params) in order, `opened` (apps.connections.open answers), `connected`
  (sockets accepted), `envelopes` (envelope id -> event id), `acked` (envelope ids acknowledged) and
  `unacked()` (event ids sent but never acknowledged, which go again, with retry_attempt, on the next socket).
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

NAME_LIMIT = 80
TOPIC_LIMIT = 250
TEXT_LIMIT = 40_000
INVITE_LIMIT = 1_000
TEAM = "T0FAKE001"
APP = "A0FAKE001"


@dataclass
class FakeChannel:
    id: str
    name: str
    topic: str = ""
    members: set[str] = field(default_factory=set)
    messages: list[dict[str, Any]] = field(default_factory=list)  # oldest first, thread replies included
    pins: set[str] = field(default_factory=set)
    archived: bool = False


@dataclass
class Failure:
    error: str
    status: int = 200
    retry_after: float | None = None
    needed: str = ""
    times: int = 1


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.extra = error, extra


class SlackFake:
    bot_token = "xoxb-fake-bot-token"
    app_token = "xapp-fake-app-token"
    bot_user = "U0BOT0001"
    bot_id = "B0BOT0001"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.channels: dict[str, FakeChannel] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.failures: dict[str, list[Failure]] = {}
        self.opened = 0
        self.connected = 0
        self.envelopes: dict[str, str] = {}  # envelope id -> event id
        self.acked: list[str] = []
        self.retries: dict[str, int] = {}  # event id -> times sent
        self.pending: list[dict[str, Any]] = []  # events waiting for a socket
        self.events: dict[str, dict[str, Any]] = {}  # event id -> its payload, for retries
        self.sockets: list[ServerConnection] = []
        self.tickets: set[str] = set()
        self.email_scope = True  # users.info shows emails (the token has users:read.email)
        self._last_ts = 0.0
        self._ids = 0
        self.http: ThreadingHTTPServer | None = None
        self.ws: Server | None = None

    # -- set-up --------------------------------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        assert self.http is not None
        return f"http://127.0.0.1:{self.http.server_address[1]}/api"

    @property
    def secret(self) -> str:
        return f"{self.bot_token} {self.app_token}"

    @property
    def options(self) -> dict[str, str]:
        return {"api_url": self.api_url, "workspace_url": "https://fake.slack.com"}

    def add_user(self, email: str, *, display_name: str = "", real_name: str = "", name: str = "") -> str:
        with self.lock:
            user = self._new_id("U")
            handle = name or email.split("@")[0]
            profile = {"display_name": display_name, "real_name": real_name or display_name or handle, "email": email}
            self.users[user] = {"id": user, "team_id": TEAM, "name": handle, "deleted": False, "profile": profile}
            return user

    def add_channel(self, name: str, members: tuple[str, ...] | list[str] = ()) -> str:
        with self.lock:
            channel = FakeChannel(self._new_id("C"), name, members={self.bot_user, *members})
            self.channels[channel.id] = channel
            return channel.id

    def fail(
        self,
        method: str,
        error: str,
        *,
        status: int = 200,
        retry_after: float | None = None,
        needed: str = "",
        times: int = 1,
    ) -> None:
        with self.lock:
            self.failures.setdefault(method, []).append(Failure(error, status, retry_after, needed, times))

    # -- people acting in Slack ----------------------------------------------------------------------------------

    def say(self, channel: str, user: str, text: str, *, thread: str = "") -> str:
        with self.lock:
            message = {"type": "message", "user": user, "text": text, "ts": self._ts(), "team": TEAM}
            if thread:
                message["thread_ts"] = thread
            self.channels[channel].messages.append(message)
            self._emit({**message, "channel": channel, "event_ts": message["ts"], "channel_type": "channel"})
            return str(message["ts"])

    def edit(self, channel: str, ts: str, text: str) -> str:
        with self.lock:
            message = self._message(channel, ts)
            previous = dict(message)
            edit_ts = self._ts()
            message["text"] = text
            message["edited"] = {"user": message.get("user", ""), "ts": edit_ts}
            self._emit(
                {
                    "type": "message",
                    "subtype": "message_changed",
                    "hidden": True,
                    "channel": channel,
                    "message": dict(message),
                    "previous_message": previous,
                    "ts": edit_ts,
                    "event_ts": edit_ts,
                }
            )
            return edit_ts

    def delete(self, channel: str, ts: str) -> None:
        with self.lock:
            message = self._message(channel, ts)
            self.channels[channel].messages.remove(message)
            now = self._ts()
            self._emit(
                {
                    "type": "message",
                    "subtype": "message_deleted",
                    "hidden": True,
                    "channel": channel,
                    "ts": now,
                    "deleted_ts": ts,
                    "event_ts": now,
                    "previous_message": message,
                }
            )

    def pin(self, channel: str, ts: str, user: str, *, added: bool = True) -> None:
        with self.lock:
            message = self._message(channel, ts)
            pins = self.channels[channel].pins
            pins.add(ts) if added else pins.discard(ts)
            now = self._ts()
            item = {
                "type": "message",
                "channel": channel,
                "message": dict(message),
                "created": int(float(now)),
                "created_by": user,
            }
            self._emit(
                {
                    "type": "pin_added" if added else "pin_removed",
                    "user": user,
                    "channel_id": channel,
                    "item": item,
                    "item_user": message.get("user", ""),
                    "pin_count": len(pins),
                    "event_ts": now,
                    **({} if added else {"has_pins": bool(pins)}),
                }
            )

    def unpin(self, channel: str, ts: str, user: str) -> None:
        self.pin(channel, ts, user, added=False)

    def react(self, channel: str, ts: str, user: str, reaction: str) -> None:
        with self.lock:
            message = self._message(channel, ts)
            self._emit(
                {
                    "type": "reaction_added",
                    "user": user,
                    "reaction": reaction,
                    "item_user": message.get("user", ""),
                    "item": {"type": "message", "channel": channel, "ts": ts},
                    "event_ts": self._ts(),
                }
            )

    # -- Socket Mode trouble and what was acknowledged -----------------------------------------------------------

    def drop(self) -> None:
        """Cut every socket as a network failure does: no close frame."""
        with self.lock:
            sockets, self.sockets = list(self.sockets), []
        for connection in sockets:
            with suppress(OSError):
                connection.socket.shutdown(socket.SHUT_RDWR)

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Slack's word that it is about to close the sockets."""
        frame = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "fake"}})
        for connection in list(self.sockets):
            with suppress(ConnectionClosed):
                connection.send(frame)

    def raw(self, frame: str) -> None:
        """Send any frame as it is to the newest socket: what a broken or newer Slack might send."""
        with self.lock:
            self.sockets[-1].send(frame)

    def unacked(self) -> list[str]:
        """Event ids sent over a socket that no acknowledgement answered yet."""
        with self.lock:
            answered = {self.envelopes[envelope] for envelope in self.acked if envelope in self.envelopes}
            return [event for event in dict.fromkeys(self.envelopes.values()) if event not in answered]

    # -- internals -----------------------------------------------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}0FAKE{self._ids:04d}"

    def _ts(self) -> str:
        self._last_ts = max(round(time.time(), 6), round(self._last_ts + 0.000001, 6))
        return f"{self._last_ts:.6f}"

    def _message(self, channel: str, ts: str) -> dict[str, Any]:
        return next(message for message in self.channels[channel].messages if message["ts"] == ts)

    def _emit(self, event: dict[str, Any]) -> None:
        event_id = f"Ev{secrets.token_hex(5).upper()}"
        self.events[event_id] = {
            "token": "fake-verification",
            "team_id": TEAM,
            "api_app_id": APP,
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(float(event.get("event_ts", time.time()))),
        }
        self.pending.append(self.events[event_id])
        self._flush()

    def _flush(self) -> None:
        with self.lock:
            while self.pending and self.sockets:
                payload = self.pending[0]
                attempt = self.retries.get(payload["event_id"], 0)
                envelope_id = secrets.token_hex(8)
                envelope = {
                    "envelope_id": envelope_id,
                    "payload": payload,
                    "type": "events_api",
                    "accepts_response_payload": False,
                    "retry_attempt": attempt,
                    "retry_reason": "timeout" if attempt else "",
                }
                try:
                    self.sockets[-1].send(json.dumps(envelope))
                except ConnectionClosed:
                    self.sockets.pop()
                    continue
                self.envelopes[envelope_id] = payload["event_id"]
                self.retries[payload["event_id"]] = attempt + 1
                self.pending.pop(0)

    def _socket(self, connection: ServerConnection) -> None:
        with self.lock:
            self.connected += 1
            connection.send(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": 1,
                        "debug_info": {"host": "fake", "approximate_connection_time": 18060},
                        "connection_info": {"app_id": APP},
                    }
                )
            )
            self.sockets.append(connection)
            # What was sent and never acknowledged goes again, as Slack retries it.
            waiting = {payload["event_id"] for payload in self.pending}
            again = [self.events[event] for event in self.unacked() if event not in waiting]
            self.pending[:0] = again
            self._flush()
        try:
            for frame in connection:
                answer = json.loads(frame)
                with self.lock:
                    if isinstance(answer, dict) and answer.get("envelope_id") in self.envelopes:
                        self.acked.append(answer["envelope_id"])
        except (ConnectionClosed, ValueError):
            pass
        finally:
            with self.lock:
                if connection in self.sockets:
                    self.sockets.remove(connection)

    def _ticket(self, connection: ServerConnection, request: Request) -> Response | None:
        ticket = dict(parse_qsl(urlsplit(request.path).query)).get("ticket", "")
        with self.lock:
            if ticket not in self.tickets:
                return connection.respond(HTTPStatus.FORBIDDEN, "unknown ticket\n")
            self.tickets.discard(ticket)  # a Socket Mode URL is good for one connection
        return None

    # -- the Web API ---------------------------------------------------------------------------------------------

    def handle(
        self, method: str, params: dict[str, Any], token: str, json_body: bool
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self.lock:
            self.calls.append((method, params))
            queue = self.failures.get(method)
            if queue:
                failure = queue[0]
                failure.times -= 1
                if failure.times <= 0:
                    queue.pop(0)
                body: dict[str, Any] = {"ok": False, "error": failure.error}
                if failure.needed:
                    body |= {"needed": failure.needed, "provided": "chat:write"}
                headers = {"Retry-After": f"{failure.retry_after:g}"} if failure.retry_after is not None else {}
                return failure.status, body, headers
            try:
                self._authorize(method, token)
                found = getattr(self, "_" + method.replace(".", "_"), None)
                if found is None:
                    raise SlackError("unknown_method")
                return 200, {"ok": True, **found(params, json_body)}, {}
            except SlackError as refused:
                return 200, {"ok": False, "error": refused.error, **refused.extra}, {}

    def _authorize(self, method: str, token: str) -> None:
        wanted = self.app_token if method == "apps.connections.open" else self.bot_token
        if not token:
            raise SlackError("not_authed")
        if token != wanted:
            raise SlackError("not_allowed_token_type" if token in (self.app_token, self.bot_token) else "invalid_auth")

    def _channel(self, params: dict[str, Any], *, member: bool = True) -> FakeChannel:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.archived:
            raise SlackError("is_archived")
        if member and self.bot_user not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _apps_connections_open(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        assert self.ws is not None
        self.opened += 1
        ticket = secrets.token_hex(8)
        self.tickets.add(ticket)
        port = self.ws.socket.getsockname()[1]
        return {"url": f"ws://127.0.0.1:{port}/link/?ticket={ticket}&app_id={APP}"}

    def _conversations_create(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        name = str(params.get("name", ""))
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > NAME_LIMIT:
            raise SlackError("invalid_name_maxlength")
        if any(not (char.isascii() and (char.islower() or char.isdigit() or char in "-_")) for char in name):
            raise SlackError("invalid_name_specials")
        if not any(char.isalnum() for char in name):
            raise SlackError("invalid_name_punctuation")
        if any(channel.name == name for channel in self.channels.values()):
            raise SlackError("name_taken")
        made = self.channels[self.add_channel(name)]
        return {
            "channel": {
                "id": made.id,
                "name": made.name,
                "is_channel": True,
                "created": int(time.time()),
                "creator": self.bot_user,
                "is_archived": False,
                "name_normalized": made.name,
                "is_member": True,
                "is_private": bool(params.get("is_private")),
                "topic": {"value": "", "creator": "", "last_set": 0},
            }
        }

    def _conversations_setTopic(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        channel = self._channel(params)
        topic = str(params.get("topic", ""))
        if len(topic) > TOPIC_LIMIT:
            raise SlackError("too_long")
        channel.topic = topic
        return {"channel": {"id": channel.id, "topic": {"value": topic, "creator": self.bot_user}}}

    def _users_lookupByEmail(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        if json_body:
            raise SlackError("invalid_arguments")  # "This method does not currently accept application/json"
        email = str(params.get("email", "")).lower()
        found = next((user for user in self.users.values() if user["profile"]["email"].lower() == email), None)
        if found is None or found["deleted"]:
            raise SlackError("users_not_found")
        return {"user": found}

    def _users_info(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        user = self.users.get(str(params.get("user", "")))
        if user is None:
            raise SlackError("user_not_found")
        if not self.email_scope:
            user = {**user, "profile": {k: v for k, v in user["profile"].items() if k != "email"}}
        return {"user": user}

    def _conversations_invite(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        channel = self._channel(params)
        users = [user for user in str(params.get("users", "")).split(",") if user]
        if not users or len(users) > INVITE_LIMIT:
            raise SlackError("invalid_arguments")
        errors = []
        for user in users:
            error = (
                "cant_invite_self"
                if user == self.bot_user
                else "user_not_found"
                if user not in self.users
                else "already_in_channel"
                if user in channel.members
                else ""
            )
            if error:
                errors.append({"user": user, "ok": False, "error": error})
        if not errors or params.get("force") in (True, "true", "1"):
            channel.members.update(user for user in users if user in self.users)
        if errors:
            raise SlackError(str(errors[0]["error"]), errors=errors)
        return {"channel": {"id": channel.id, "name": channel.name}}

    def _chat_postMessage(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        channel = self._channel(params)
        text = str(params.get("text", ""))
        if not text:
            raise SlackError("no_text")
        if len(text) > TEXT_LIMIT:
            raise SlackError("msg_too_long")
        message = {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": self.bot_id,
            "user": self.bot_user,
            "username": "Commander",
            "text": text,
            "ts": self._ts(),
            "team": TEAM,
        }
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        channel.messages.append(message)
        self._emit({**message, "channel": channel.id, "event_ts": message["ts"]})
        return {"channel": channel.id, "ts": message["ts"], "message": message}

    def _conversations_archive(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        channel = self.channels.get(str(params.get("channel", "")))
        if channel is None:
            raise SlackError("channel_not_found")
        if channel.archived:
            raise SlackError("already_archived")
        channel.archived = True
        return {}

    def _conversations_history(self, params: dict[str, Any], json_body: bool) -> dict[str, Any]:
        channel = self._channel(params)
        oldest = float(params.get("oldest") or 0)
        inclusive = str(params.get("inclusive", "")).lower() in ("true", "1")
        limit = max(1, min(int(params.get("limit") or 100), 999))
        start = int(base64.b64decode(params["cursor"]).decode().split(":")[1]) if params.get("cursor") else 0
        shown = [
            message
            for message in reversed(channel.messages)  # newest first
            if (float(message["ts"]) > oldest or (inclusive and float(message["ts"]) == oldest))
            and (
                "thread_ts" not in message
                or message["thread_ts"] == message["ts"]
                or message.get("subtype") == "thread_broadcast"
            )
        ]
        page = shown[start : start + limit]
        more = start + limit < len(shown)
        cursor = base64.b64encode(f"offset:{start + limit}".encode()).decode() if more else ""
        return {
            "messages": page,
            "has_more": more,
            "pin_count": len(channel.pins),
            "response_metadata": {"next_cursor": cursor},
        }

    def start(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self) -> None:
                parts = urlsplit(self.path)
                method = parts.path.removeprefix("/api/")
                params: dict[str, Any] = dict(parse_qsl(parts.query))
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                json_body = "json" in (self.headers.get("content-type") or "")
                if raw and json_body:
                    params |= json.loads(raw)
                elif raw:
                    params |= dict(parse_qsl(raw.decode()))
                token = (self.headers.get("authorization") or "").removeprefix("Bearer ") or params.pop("token", "")
                status, body, headers = fake.handle(method, params, token, json_body)
                payload = json.dumps(body).encode()
                self.send_response(status)
                for name, value in {"content-type": "application/json; charset=utf-8", **headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = answer  # noqa: N815 - the http.server names

            def log_message(self, *args: object) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.ws = serve(self._socket, "127.0.0.1", 0, process_request=self._ticket, ping_interval=None)
        http = self.http
        threading.Thread(target=lambda: http.serve_forever(poll_interval=0.02), name="slack-fake", daemon=True).start()
        threading.Thread(target=self.ws.serve_forever, name="slack-fake-socket", daemon=True).start()

    def close(self) -> None:
        self.drop()
        if self.ws is not None:
            self.ws.shutdown()
        if self.http is not None:
            self.http.shutdown()
            self.http.server_close()


@contextmanager
def slack_fake() -> Iterator[SlackFake]:
    """A fake Slack for the length of the block (see the module's docstring)."""
    fake = SlackFake()
    fake.start()
    try:
        yield fake
    finally:
        fake.close()
