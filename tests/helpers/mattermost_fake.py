"""A fake Mattermost on 127.0.0.1: the REST API v4 calls Commander makes, answered with Mattermost's status codes
and AppError bodies (`{"id", "message", "detailed_error", "request_id", "status_code"}`), and its WebSocket
(`websockets.sync.server`) with the authentication challenge and events in Mattermost's shape.

Usage:

    with MattermostFake() as fake:
        chat = mattermost.make("Ops", {"url": fake.url, "team": fake.team_id}, fake.token)
        alice = fake.add_user("alice", "alice@example.com")
        post = fake.say(channel_id, "Rolled back v2.31", user=alice)   # stored, and broadcast as `posted`
        fake.edit(post["id"], "Rolled back v2.30"); fake.pin(post["id"]); fake.react(post["id"], "+1", alice)
        fake.rate_limit(2)          # the next two API requests get 429 with Retry-After
        fake.drop_sockets()         # every WebSocket closes, as a server restart does

What it checks is what the server checks (model/channel.go, model/post.go; sources in
commander/integrations/chat/mattermost.py): channel names, display names, headers, purposes and posts past their
limits are refused as Mattermost refuses them; a taken name gets `store.sql_channel.save_channel.exists.app_error`.
A refused token at the WebSocket gets no answer: the socket is closed, as Mattermost's router does.
"""

from __future__ import annotations

import base64
import http.server
import json
import re
import socket
import socketserver
import threading
import time
import uuid
from contextlib import ExitStack, suppress
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from tests.helpers.fakes import Reply, Request

NAME = re.compile(r"^[a-z0-9]+([a-z\-_0-9]+|(__)?)[a-z0-9]*$")  # validSimpleAlphaNum
LIMITS = {"name": 64, "display_name": 64, "header": 1_024, "purpose": 250}
POST_LIMIT = 16_383
PER_PAGE_MAX = 200


def new_id() -> str:
    """A Mattermost id: 26 characters of lower-case base32."""
    return base64.b32encode(uuid.uuid4().bytes).decode().lower().rstrip("=")


def app_error(status: int, error_id: str, message: str) -> Reply:
    body = {"id": error_id, "message": message, "detailed_error": "", "request_id": new_id(), "status_code": status}
    return Reply(status, json.dumps(body), {"content-type": "application/json"})


def ok(status: int, body: object) -> Reply:
    return Reply(status, json.dumps(body), {"content-type": "application/json"})


class MattermostFake:
    def __init__(self, *, team_name: str = "ops") -> None:
        self.token = "bot-" + new_id()
        self.tokens = {self.token}
        self.team_id, self.team_name = new_id(), team_name
        self.lock = threading.RLock()  # the REST handler holds it while a post broadcasts
        self.bot = self._user("commander-bot", "bot@example.com")
        self.users: dict[str, dict[str, Any]] = {self.bot["id"]: self.bot}
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: dict[str, set[str]] = {}
        self.posts: dict[str, dict[str, Any]] = {}
        self.pending: dict[str, str] = {}  # pending_post_id -> post id
        self.requests: list[Request] = []
        self.limited = 0  # requests still to answer 429
        self.hide_emails = False  # the privacy setting that hides emails from the bot
        self.sockets: list[ServerConnection] = []
        self.refused_sockets = 0
        self.seq = 0
        self._clock = int(time.time() * 1000)
        self._stack = ExitStack()
        self.url = ""

    # --- running ---

    def __enter__(self) -> MattermostFake:
        # One port for both, as a real server has: each connection's first line says whether it is the
        # WebSocket's upgrade (handed to websockets) or a REST request (handed to http.server).
        spare = socket.socket()
        spare.bind(("127.0.0.1", 0))
        self._stack.callback(spare.close)
        upgrade = serve(self._socket, sock=spare).handler
        handler = _handler(self)

        class Front(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

            def finish_request(self, request: Any, client_address: Any) -> None:
                if _first_line(request).startswith(b"GET /api/v4/websocket"):
                    upgrade(request, client_address)
                else:
                    handler(request, client_address, self)

        front = Front(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        threading.Thread(target=front.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._stack.callback(front.server_close)
        self._stack.callback(front.shutdown)
        self.url = f"http://127.0.0.1:{front.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop_sockets()
        self._stack.close()

    # --- what people do in Mattermost ---

    def add_user(self, username: str, email: str, *, first: str = "", last: str = "") -> str:
        user = self._user(username, email, first, last)
        with self.lock:
            self.users[user["id"]] = user
        return str(user["id"])

    def make_channel(self, name: str) -> str:
        """A channel made outside Commander (to take a name, say)."""
        channel = self._channel(name, name, "O", "", "")
        return str(channel["id"])

    def say(self, channel: str, text: str, *, user: str = "", root_id: str = "") -> dict[str, Any]:
        post = self._post(channel, text, user or self.bot["id"], root_id)
        self.broadcast(
            "posted", {"post": json.dumps(post), "sender_name": "@" + self.users[post["user_id"]]["username"]}, channel
        )
        return post

    def edit(self, post_id: str, text: str) -> None:
        with self.lock:
            post = self.posts[post_id]
            now = self._now()
            post.update(message=text, edit_at=now, update_at=now)
        self.broadcast("post_edited", {"post": json.dumps(post)}, post["channel_id"])

    def pin(self, post_id: str, pinned: bool = True) -> None:
        with self.lock:
            post = self.posts[post_id]
            post.update(is_pinned=pinned, update_at=self._now() + 5_000)  # later than any edit
        self.broadcast("post_edited", {"post": json.dumps(post)}, post["channel_id"])

    def delete(self, post_id: str) -> None:
        with self.lock:
            post = self.posts[post_id]
            post.update(delete_at=self._now())
        self.broadcast("post_deleted", {"post": json.dumps(post)}, post["channel_id"])

    def react(self, post_id: str, emoji: str, user: str) -> None:
        post = self.posts[post_id]
        reaction = {"user_id": user, "post_id": post_id, "emoji_name": emoji, "create_at": self._now()}
        self.broadcast("reaction_added", {"reaction": json.dumps(reaction)}, post["channel_id"])

    def broadcast(self, event: str, data: dict[str, Any], channel: str) -> None:
        with self.lock:
            sockets = list(self.sockets)
            self.seq += 1
            frame = {
                "event": event,
                "data": data,
                "broadcast": {"omit_users": None, "user_id": "", "channel_id": channel, "team_id": ""},
                "seq": self.seq,
            }
        for connection in sockets:
            with suppress(ConnectionClosed):
                connection.send(json.dumps(frame))

    def send_raw(self, text: str) -> None:
        """Something that is not an event, to every socket: what a listener must survive."""
        for connection in list(self.sockets):
            connection.send(text)

    def drop_sockets(self) -> None:
        with self.lock:
            sockets, self.sockets = list(self.sockets), []
        for connection in sockets:
            connection.close()

    def rate_limit(self, requests: int) -> None:
        self.limited = requests

    # --- the WebSocket ---

    def _socket(self, connection: ServerConnection) -> None:
        try:
            challenge = json.loads(connection.recv(timeout=10))
        except (TimeoutError, ConnectionClosed, ValueError):
            return
        token = challenge.get("data", {}).get("token") if isinstance(challenge, dict) else None
        if challenge.get("action") != "authentication_challenge" or token not in self.tokens:
            self.refused_sockets += 1
            return  # Mattermost closes the socket without a word
        connection.send(json.dumps({"status": "OK", "seq_reply": challenge.get("seq", 1)}))
        connection.send(
            json.dumps(
                {
                    "event": "hello",
                    "data": {"server_version": "10.5.0.fake"},
                    "broadcast": {"user_id": self.bot["id"], "channel_id": "", "team_id": ""},
                    "seq": 0,
                }
            )
        )
        with self.lock:
            self.sockets.append(connection)
        try:
            for _ in connection:  # what the client sends after (nothing, here) until it closes
                pass
        except ConnectionClosed:
            pass
        finally:
            with self.lock:
                if connection in self.sockets:
                    self.sockets.remove(connection)

    # --- the REST API ---

    def answer(self, request: Request) -> Reply:
        if self.limited > 0:
            self.limited -= 1
            return Reply(
                429,
                "limit exceeded\n",
                {"retry-after": "1", "x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1"},
            )
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return app_error(
                401, "api.context.session_expired.app_error", "Invalid or expired session, please login again."
            )
        parts = urlsplit(request.path)
        path, query = unquote(parts.path), {k: v[-1] for k, v in parse_qs(parts.query).items()}
        if not path.startswith("/api/v4/"):
            return Reply(404, "<html><head><title>404 Not Found</title></head></html>", {"content-type": "text/html"})
        body = json.loads(request.body) if request.body else {}
        with self.lock:
            return self._route(request.method, path.removeprefix("/api/v4"), query, body)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        segments = path.strip("/").split("/")
        match method, segments:
            case "GET", ["users", "me"]:
                return ok(200, self.bot)
            case "GET", ["users", "email", email]:
                return self._by_email(email)
            case "GET", ["users", user]:
                return ok(200, self._shown(self.users[user])) if user in self.users else self._no_user()
            case "GET", ["teams", team] if team == self.team_id:
                return ok(200, {"id": self.team_id, "name": self.team_name, "display_name": "Ops"})
            case "GET", ["teams", "name", name] if name == self.team_name:
                return ok(200, {"id": self.team_id, "name": self.team_name, "display_name": "Ops"})
            case "GET", ["teams", *_]:
                return app_error(404, "app.team.get.find.app_error", "Unable to find the existing team.")
            case "POST", ["channels"]:
                return self._create_channel(body)
            case "PUT", ["channels", channel, "patch"]:
                return self._patch(channel, body)
            case "POST", ["channels", channel, "members"]:
                return self._add_member(channel, body)
            case "DELETE", ["channels", channel]:
                return self._archive(channel)
            case "GET", ["channels", channel, "posts"]:
                return self._posts(channel, query)
            case "POST", ["posts"]:
                return self._create_post(body)
        return app_error(404, "api.context.404.app_error", "Sorry, we could not find the page.")

    def _by_email(self, email: str) -> Reply:
        if self.hide_emails:
            return app_error(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
        for user in self.users.values():
            if user["email"] == email.lower():
                return ok(200, user)
        return self._no_user()

    def _shown(self, user: dict[str, Any]) -> dict[str, Any]:
        return {**user, "email": ""} if self.hide_emails else user

    def _no_user(self) -> Reply:
        return app_error(404, "app.user.missing_account.const", "Unable to find the user.")

    def _invalid(self, body: dict[str, Any]) -> Reply | None:
        for key, limit in LIMITS.items():
            value = body.get(key, "")
            if len(value) > limit or (key in ("name", "display_name") and not value):
                return app_error(400, f"model.channel.is_valid.{key}.app_error", f"Invalid {key.replace('_', ' ')}.")
        if not NAME.match(body["name"]):
            return app_error(400, "model.channel.is_valid.name.app_error", "Invalid name.")
        return None

    def _create_channel(self, body: dict[str, Any]) -> Reply:
        if body.get("team_id") != self.team_id:
            return app_error(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
        if body.get("type") not in ("O", "P"):
            return app_error(400, "model.channel.is_valid.type.app_error", "Invalid type.")
        refused = self._invalid(body)
        if refused:
            return refused
        if any(channel["name"] == body["name"] for channel in self.channels.values()):
            return app_error(
                400,
                "store.sql_channel.save_channel.exists.app_error",
                "A channel with that name already exists on the same team.",
            )
        channel = self._channel(
            body["name"], body["display_name"], body["type"], body.get("header", ""), body.get("purpose", "")
        )
        self.members[channel["id"]].add(self.bot["id"])
        return ok(201, channel)

    def _patch(self, channel_id: str, body: dict[str, Any]) -> Reply:
        channel = self.channels.get(channel_id)
        if channel is None:
            return app_error(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        refused = self._invalid({**channel, **body})
        if refused:
            return refused
        channel.update({key: body[key] for key in ("header", "purpose", "display_name") if key in body})
        return ok(200, channel)

    def _add_member(self, channel_id: str, body: dict[str, Any]) -> Reply:
        if channel_id not in self.channels:
            return app_error(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        user = body.get("user_id", "")
        if user not in self.users:
            return app_error(400, "api.channel.add_user.to.channel.failed.app_error", "Failed to add user to channel.")
        self.members[channel_id].add(user)
        return ok(201, {"channel_id": channel_id, "user_id": user, "roles": "channel_user"})

    def _archive(self, channel_id: str) -> Reply:
        channel = self.channels.get(channel_id)
        if channel is None:
            return app_error(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        if channel["delete_at"]:
            return app_error(
                400, "api.channel.delete_channel.deleted.app_error", "The channel has been archived or deleted."
            )
        channel["delete_at"] = self._now()
        return ok(200, {"status": "OK"})

    def _create_post(self, body: dict[str, Any]) -> Reply:
        channel = self.channels.get(body.get("channel_id", ""))
        if channel is None:
            return app_error(403, "api.context.permissions.app_error", "You do not have the appropriate permissions.")
        if channel["delete_at"]:
            return app_error(
                400, "api.post.create_post.can_not_post_to_deleted.error", "Can not post to deleted channel."
            )
        if len(body.get("message", "")) > POST_LIMIT:
            return app_error(
                400,
                "model.post.is_valid.message_length.app_error",
                "Message property is longer than the maximum permitted length.",
            )
        root = body.get("root_id", "")
        if root and root not in self.posts:
            return app_error(400, "api.post.create_post.root_id.app_error", "Invalid RootId parameter.")
        pending = body.get("pending_post_id", "")
        if pending and pending in self.pending:
            return ok(201, self.posts[self.pending[pending]])
        post = self._post(channel["id"], body["message"], self.bot["id"], root)
        self.broadcast("posted", {"post": json.dumps(post), "sender_name": "@commander-bot"}, channel["id"])
        if pending:
            self.pending[pending] = post["id"]
        return ok(201, post)

    def _posts(self, channel_id: str, query: dict[str, str]) -> Reply:
        if channel_id not in self.channels:
            return app_error(404, "app.channel.get.existing.app_error", "Unable to find the existing channel.")
        per_page = min(int(query.get("per_page", 60)), PER_PAGE_MAX)
        mine = sorted(
            (p for p in self.posts.values() if p["channel_id"] == channel_id and not p["delete_at"]),
            key=lambda p: p["create_at"],
        )
        if "after" in query:
            start = self.posts[query["after"]]["create_at"]
            page = [p for p in mine if p["create_at"] > start][:per_page]
        else:
            newest_first = mine[::-1]
            number = int(query.get("page", 0))
            page = newest_first[number * per_page : (number + 1) * per_page]
        order = [p["id"] for p in sorted(page, key=lambda p: p["create_at"], reverse=True)]
        return ok(
            200,
            {
                "order": order,
                "posts": {p["id"]: p for p in page},
                "next_post_id": "",
                "prev_post_id": "",
                "has_next": False,
            },
        )

    # --- records ---

    def _now(self) -> int:
        """Milliseconds that always go up, so every post has its own create_at."""
        self._clock = max(self._clock + 1, int(time.time() * 1000))
        return self._clock

    def _user(self, username: str, email: str, first: str = "", last: str = "") -> dict[str, Any]:
        return {
            "id": new_id(),
            "username": username,
            "email": email,
            "first_name": first,
            "last_name": last,
            "nickname": "",
            "delete_at": 0,
        }

    def _channel(self, name: str, display: str, kind: str, header: str, purpose: str) -> dict[str, Any]:
        channel: dict[str, Any] = {
            "id": new_id(),
            "team_id": self.team_id,
            "name": name,
            "display_name": display,
            "type": kind,
            "header": header,
            "purpose": purpose,
            "delete_at": 0,
        }
        with self.lock:
            self.channels[channel["id"]] = channel
            self.members[channel["id"]] = set()
        return channel

    def _post(self, channel: str, text: str, user: str, root_id: str) -> dict[str, Any]:
        with self.lock:
            now = self._now()
            post: dict[str, Any] = {
                "id": new_id(),
                "create_at": now,
                "update_at": now,
                "edit_at": 0,
                "delete_at": 0,
                "is_pinned": False,
                "user_id": user,
                "channel_id": channel,
                "root_id": root_id,
                "message": text,
                "type": "",
                "props": {},
            }
            self.posts[post["id"]] = post
        return post


def _first_line(connection: socket.socket) -> bytes:
    """The request's start, read without taking it from the socket (MSG_PEEK)."""
    connection.settimeout(10)
    seen = b""
    for _ in range(100):
        seen = connection.recv(64, socket.MSG_PEEK)
        if len(seen) >= 30 or b"\n" in seen or not seen:
            break
        time.sleep(0.01)  # the rest of the first line is on its way: peek again
    connection.settimeout(None)
    return seen


def _handler(fake: MattermostFake) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Request(
                self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length)
            )
            fake.requests.append(request)
            reply = fake.answer(request)
            payload = reply.body.encode()
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = answer  # noqa: N815 - the http.server names

        def log_message(self, *args: object) -> None:
            pass

    return Handler
