"""Mattermost as an incident's chat workspace: a channel per incident through the REST API v4, and what is said
in it heard back through the WebSocket API. The secret is a bot account's token or a personal access token
(`Authorization: Bearer`); options: `url` (the server, https://chat.example.com), `team` (the team's id, or its
name as in its URL), `private` ("yes" makes private channels; public otherwise).

Requests (https://docs.mattermost.com/api/reference/PAGE, the page named after each; permissions are the bot's):
- POST /api/v4/channels {team_id, name, display_name, type "O"/"P", purpose, header} (create-channel). A taken name
  is refused 400 with the id `store.sql_channel.save_channel.exists.app_error` (the server's
  `store.ChannelExistsError`, archived channels included): the next suffix (-2, -3 …) is tried.
- PUT /api/v4/channels/{id}/patch {header, purpose}: the topic (patch-channel). GET /api/v4/users/email/{email}:
  404 when nobody has it, 403 when the privacy settings hide emails from the bot (get-user-by-email).
- POST /api/v4/channels/{id}/members {user_id} (add-channel-member): one user a request; adding one again is fine.
- POST /api/v4/posts {channel_id, message, root_id, pending_post_id} (create-post). The server treats a repeated
  `pending_post_id` as the same post for a short while (its `deduplicateCreatePost`, a cache of about 30 s), so a
  retry with the same key soon after cannot post twice; later, or without a key, it may.
- DELETE /api/v4/channels/{id}: archives (delete-channel: sets delete_at; an admin can unarchive it; needs
  delete_public_channel or delete_private_channel).
- GET /api/v4/channels/{id}/posts?after=POSTID&per_page=200, or ?page=N&per_page=200 from the newest back
  (https://docs.mattermost.com/api/reference/get-posts-for-channel); `order` lists the page's posts, `posts` maps
  ids to them (and may hold thread roots outside the page, which are skipped). Pages are at most 200 items
  (https://docs.mattermost.com/api/reference/mattermost-api, "Schema & Conventions").
- GET /api/v4/teams/{id} or /api/v4/teams/name/{name}: the team's name, for links (server/TEAM/pl/POSTID is a
  post's permalink, server/TEAM/channels/NAME a channel's).

Limits (server model/channel.go and model/post.go; https://docs.mattermost.com/collaborate/channel-header-purpose.html):
- a channel's name: 1 to 64 characters of a-z, 0-9, "-" and "_", starting with a letter or digit
  (`ChannelNameMaxLength`, `IsValidChannelIdentifier`); its display name at most 64 characters
  (`ChannelDisplayNameMaxRunes`); its header at most 1,024, its purpose at most 250.
- a post's message: 16,383 characters (`PostMessageMaxRunesV2`); longer text is cut, saying so.
- rate limits, when an admin switches them on (https://docs.mattermost.com/configure/rate-limiting-configuration-settings.html):
  429 with Retry-After / X-RateLimit-Reset (seconds); raised as a transient ChatProblem with that wait.

Errors are Mattermost's AppError JSON, `{"id": "…", "message": "…", "detailed_error": "", "status_code": 400}`.

The WebSocket (wss://server/api/v4/websocket, https://developers.mattermost.com/api-documentation/#/#websocket):
the client sends `{"seq": 1, "action": "authentication_challenge", "data": {"token": …}}` and the server answers
`{"status": "OK", "seq_reply": 1}` and a `hello` event; a refused token gets no answer: the server closes the
socket (web_socket_router.go), so after a close the listener asks GET /api/v4/users/me, and only a 401 there stops
it (ChatProblem). Events are `{"event", "data", "broadcast": {"channel_id", …}, "seq"}`; `posted`, `post_edited`
and `post_deleted` carry the post as a JSON string in data.post, `reaction_added` the reaction in data.reaction.
Pinning a post is a `post_edited` whose post has `is_pinned` changed and `edit_at` not moved: the listener
remembers what it saw of each post to tell a pin from an edit (an unpin of a post it never saw is not reported).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

from commander.domain.core import graphemes
from commander.domain.core.errors import DomainError
from commander.integrations.chat import common
from commander.integrations.chat.base import (
    DELETED,
    EDITED,
    NAME_MAX,
    PINNED,
    POSTED,
    REACTED,
    TEXT_MAX,
    UNPINNED,
    Channel,
    ChatMessage,
    ChatProblem,
    Deliver,
)
from commander.integrations.destinations.base import quoted, retry_after, tls_context
from commander.integrations.destinations.mattermost import POST_LIMIT, plain

log = logging.getLogger(__name__)

NAME_LIMIT = 64  # a channel's name (handle)
DISPLAY_LIMIT = 64  # its display name, in characters
HEADER_LIMIT = 1_024
PURPOSE_LIMIT = 250
PER_PAGE = 200  # the API's largest page
HISTORY_MAX = 2_000  # posts read back at most
SUFFIXES = 50  # name-2 … name-50 before giving up
NAME_TAKEN = "store.sql_channel.save_channel.exists.app_error"
ALREADY_ARCHIVED = "api.channel.delete_channel.deleted.app_error"
CUT_NOTE = "… (cut by Commander)"
FRAME_MAX = 1_048_576  # bytes in one WebSocket message
REMEMBERED = 5_000  # posts whose pinned state the listener keeps
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # seconds between reconnections, then 60 s on
_ID = re.compile(r"^[a-z0-9]{26}$")  # Mattermost ids: 26 characters of base32
_NOT_ALLOWED = re.compile(r"[^a-z0-9_-]+")


def channel_handle(name: str) -> str:
    """A channel name Mattermost accepts, from any title: accents dropped, lower case, anything else a hyphen,
    at most 64 characters, starting and ending with a letter or digit."""
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    handle = re.sub(r"-{2,}", "-", _NOT_ALLOWED.sub("-", ascii_only)).strip("-_")
    return handle[:NAME_LIMIT].rstrip("-_") or "incident"


def suffixed(handle: str, attempt: int) -> str:
    """`handle` for the first attempt, then `handle-2`, `handle-3` …, still within 64 characters."""
    if attempt == 1:
        return handle
    suffix = f"-{attempt}"
    return handle[: NAME_LIMIT - len(suffix)].rstrip("-_") + suffix


def bounded(text: str, limit: int, note: str = "") -> str:
    return graphemes.fit(text, limit, note=note).text


def when(milliseconds: object) -> datetime | None:
    if isinstance(milliseconds, int) and not isinstance(milliseconds, bool) and milliseconds > 0:
        try:
            return datetime.fromtimestamp(milliseconds / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _text(value: object, limit: int = 64) -> str:
    """A string field from outside, or "" when it is not one (or is longer than any id)."""
    return value if isinstance(value, str) and len(value) <= limit else ""


def problem(response: httpx.Response, label: str, doing: str) -> ChatProblem:
    """What a refusal means for a person: Mattermost's own message and what to do about it."""
    error = _json(response)
    error = error if isinstance(error, dict) else {}
    said = str(error.get("message") or "")[:300] or quoted(response, 200)
    status = response.status_code
    if status == 429:
        wait = retry_after(response)
        if wait is None:
            try:
                wait = float(response.headers.get("x-ratelimit-reset", ""))
            except ValueError:
                wait = None
        return ChatProblem(f"{label} is rate limiting the bot ({said}).", transient=True, retry_after=wait)
    if status >= 500:
        return ChatProblem(
            f"{label} could not {doing} ({status} {said}): Commander will try again.",
            transient=True,
            retry_after=retry_after(response),
        )
    if not error.get("id"):
        return ChatProblem(
            f"{label} answered {status} {said}, not as Mattermost does: check that the server setting is the "
            f"address people open Mattermost at."
        )
    hint = {
        401: "the token was refused (expired, revoked, or the bot was deactivated): make a new one and set it again",
        403: "the bot's account is not allowed to: give it the permission (or make it a team or channel admin), "
        "and check it is a member of the team",
        404: "Mattermost found nothing there: check the team setting and that the channel still exists",
    }.get(status, "check the connection's settings")
    return ChatProblem(f"{label} refused to {doing} ({status} {said}): {hint}.")


@dataclass
class MattermostChat:
    name: str
    base: str  # https://chat.example.com
    team: str  # the team's id or name
    token: str
    private: bool = False
    kind: str = "mattermost"
    _team: tuple[str, str] | None = field(default=None, init=False, repr=False)  # (id, name)

    @property
    def label(self) -> str:
        return f"Mattermost ({self.name})"

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    async def _call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        doing: str,
        *,
        body: object = None,
        params: Mapping[str, str | int] | None = None,
        accept: Callable[[httpx.Response], bool] = lambda response: response.status_code in (200, 201),
    ) -> tuple[httpx.Response, Any]:
        response = await common.request(
            client,
            method,
            f"{self.base}/api/v4{path}",
            label=self.label,
            doing=doing,
            check="the server address",
            refused=problem,
            accept=accept,
            json=body,
            params=params,
            headers=self._headers(),
        )
        return response, _json(response)

    async def team_of(self, client: httpx.AsyncClient) -> tuple[str, str]:
        """The team's (id, name), asked once."""
        if self._team is None:
            path = f"/teams/{self.team}" if _ID.match(self.team) else f"/teams/name/{quote(self.team, safe='')}"
            _, found = await self._call(client, "GET", path, f"find the team {self.team}")
            found = found if isinstance(found, dict) else {}
            team_id, team_name = _text(found.get("id")), _text(found.get("name"))
            if not team_id or not team_name:
                raise ChatProblem(f"{self.label} answered without the team's id: check the server setting.")
            self._team = (team_id, team_name)
        return self._team

    async def create_channel(self, client: httpx.AsyncClient, name: str, *, topic: str = "") -> Channel:
        team_id, team_name = await self.team_of(client)
        handle = channel_handle(name)
        display = bounded(" ".join(name.split()), DISPLAY_LIMIT) or handle
        for attempt in range(1, SUFFIXES + 1):
            candidate = suffixed(handle, attempt)
            body = {
                "team_id": team_id,
                "name": candidate,
                "display_name": display,
                "type": "P" if self.private else "O",
                "purpose": _fitted(topic, PURPOSE_LIMIT),
                "header": _fitted(topic, HEADER_LIMIT),
            }
            response, found = await self._call(
                client,
                "POST",
                "/channels",
                "create the incident's channel",
                body=body,
                accept=lambda response: response.status_code == 201 or _error_id(response) == NAME_TAKEN,
            )
            if response.status_code != 201:
                continue  # taken: try the next suffix
            found = found if isinstance(found, dict) else {}
            channel_id, taken = _text(found.get("id")), _text(found.get("name"), NAME_LIMIT) or candidate
            if not channel_id:
                raise ChatProblem(f"{self.label} made the channel but did not say its id: check the server setting.")
            return Channel(channel_id, taken, f"{self.base}/{team_name}/channels/{taken}")
        raise ChatProblem(
            f"{self.label} already has channels named {handle} to {suffixed(handle, SUFFIXES)}: archive old "
            f"incident channels or give the incident another title."
        )

    async def set_topic(self, client: httpx.AsyncClient, channel: str, topic: str) -> None:
        body = {"header": _fitted(topic, HEADER_LIMIT), "purpose": _fitted(topic, PURPOSE_LIMIT)}
        await self._call(client, "PUT", f"/channels/{_checked(channel)}/patch", "set the channel's topic", body=body)

    async def find_user(self, client: httpx.AsyncClient, email: str) -> str | None:
        address = email.strip().lower()
        if "@" not in address or len(address) > 254:
            return None
        response, found = await self._call(
            client,
            "GET",
            f"/users/email/{quote(address, safe='@')}",
            f"look up {address}",
            accept=lambda response: response.status_code in (200, 404),
        )
        if response.status_code == 404 or not isinstance(found, dict) or found.get("delete_at"):
            return None
        return _text(found.get("id")) or None

    async def invite(self, client: httpx.AsyncClient, channel: str, users: Sequence[str]) -> list[str]:
        failed: list[str] = []
        for user in users:
            if not _ID.match(user):
                failed.append(user)
                continue
            response, _ = await self._call(
                client,
                "POST",
                f"/channels/{_checked(channel)}/members",
                "add people to the channel",
                body={"user_id": user},
                accept=lambda response: response.status_code in (200, 201, 400, 403, 404),
            )
            if response.status_code not in (200, 201):
                log.info("%s did not add %s: %s", self.label, user, quoted(response, 200))
                failed.append(user)
        return failed

    async def post(self, client: httpx.AsyncClient, channel: str, text: str, *, thread: str = "", key: str = "") -> str:
        """Post `text` as plain text (Markdown escaped, channel-wide mentions defused), cut to one post. `key`,
        when given, goes as pending_post_id: a retry with the same key soon after does not post twice."""
        body: dict[str, str] = {"channel_id": _checked(channel), "message": _fitted(text, POST_LIMIT, CUT_NOTE)}
        if thread:
            body["root_id"] = _checked(thread)
        if key:
            body["pending_post_id"] = key if len(key) <= 64 else hashlib.sha256(key.encode()).hexdigest()
        _, found = await self._call(client, "POST", "/posts", "post in the channel", body=body)
        post_id = _text(found.get("id")) if isinstance(found, dict) else ""
        if not post_id:
            raise ChatProblem(f"{self.label} took the message but did not say its id: check the server setting.")
        return post_id

    async def archive(self, client: httpx.AsyncClient, channel: str) -> None:
        await self._call(
            client,
            "DELETE",
            f"/channels/{_checked(channel)}",
            "archive the channel",
            accept=lambda response: response.status_code == 200 or _error_id(response) == ALREADY_ARCHIVED,
        )

    async def history(self, client: httpx.AsyncClient, channel: str, after: str) -> list[ChatMessage]:
        channel = _checked(channel)
        _, team_name = await self.team_of(client)
        posts: dict[str, dict[str, Any]] = {}
        cursor, page = after, 0
        while len(posts) < HISTORY_MAX:
            params: dict[str, str | int] = {"per_page": PER_PAGE}
            if after:
                params["after"] = _checked(cursor)
            else:
                params["page"] = page
            _, found = await self._call(client, "GET", f"/channels/{channel}/posts", "read the channel", params=params)
            batch = _page(found)
            posts.update((post["id"], post) for post in batch)
            if len(batch) < PER_PAGE:
                break
            cursor, page = max(batch, key=lambda post: post.get("create_at", 0))["id"], page + 1
        ordered = sorted(posts.values(), key=lambda post: (post.get("create_at", 0), post["id"]))[-HISTORY_MAX:]
        heard = (message_of(post, POSTED, self.base, team_name) for post in ordered if not post.get("delete_at"))
        return [message for message in heard if message is not None]


def _fitted(text: str, limit: int, note: str = "…") -> str:
    """Plain text as Mattermost Markdown, cut (before escaping, so no escape is split) to fit `limit`."""
    return plain(graphemes.fit(text, fits=lambda candidate: len(plain(candidate)) <= limit, note=note).text)


def _checked(identifier: str) -> str:
    if not _ID.match(identifier):
        raise ChatProblem(f"'{identifier[:40]}' is not a Mattermost id (26 letters and digits): report it as a bug.")
    return identifier


def _error_id(response: httpx.Response) -> str:
    error = _json(response)
    return str(error.get("id", "")) if isinstance(error, dict) else ""


def _page(found: object) -> list[dict[str, Any]]:
    """The posts a page lists in `order`, each a dict with a string id; anything else is left out."""
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("order"), list)
        or not isinstance(found.get("posts"), dict)
    ):
        return []
    posts = found["posts"]
    return [
        posts[key]
        for key in found["order"]
        if isinstance(key, str) and isinstance(posts.get(key), dict) and _ID.match(str(posts[key].get("id", "")))
    ]


def message_of(post: Mapping[str, Any], change: str, base: str, team_name: str, **extra: str) -> ChatMessage | None:
    """A post as a heard message, or None for what is not a person's message (system posts: joins, header
    changes) or not a post at all."""
    post_id, channel = _text(post.get("id")), _text(post.get("channel_id"))
    if not _ID.match(post_id) or not _ID.match(channel) or str(post.get("type", "")).startswith("system_"):
        return None
    message = post.get("message")
    return ChatMessage(
        channel=channel,
        id=post_id,
        change=change,
        author_id=_text(post.get("user_id")),
        text=bounded(message, TEXT_MAX, CUT_NOTE) if isinstance(message, str) and change in (POSTED, EDITED) else "",
        url=f"{base}/{team_name}/pl/{post_id}" if team_name else "",
        at=when(post.get("edit_at") if change == EDITED else post.get("create_at")),
        thread=_text(post.get("root_id")),
        version=str(post.get("edit_at", "")) if change == EDITED else "",
        **extra,
    )


def make(name: str, options: Mapping[str, str], secret: str) -> MattermostChat:
    base, team = _server(name, options), options.get("team", "").strip()
    if not team:
        raise DomainError(f"The Mattermost connection {name} needs its team: the team's id or its name in its URL.")
    private = options.get("private", "").strip().lower() in ("yes", "true", "1", "private")
    return MattermostChat(name, base, team, secret.strip(), private)


def _server(name: str, options: Mapping[str, str]) -> str:
    url = options.get("url", "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise DomainError(
            f"The Mattermost connection {name} has server '{url}': use the address people open Mattermost at, "
            f"https://chat.example.com."
        )
    return url


def listener(name: str, options: Mapping[str, str], secret: str) -> MattermostListener:
    return MattermostListener(name, _server(name, options), options.get("team", "").strip(), secret.strip())


@dataclass
class MattermostListener:
    """Hears the WebSocket: one connection, reconnecting with backoff, until told to stop."""

    name: str
    base: str
    team: str
    token: str
    backoff: tuple[float, ...] = BACKOFF
    _pins: OrderedDict[str, bool] = field(default_factory=OrderedDict, init=False, repr=False)
    _people: dict[str, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)
    _team_name: str = field(default="", init=False, repr=False)

    @property
    def label(self) -> str:
        return f"Mattermost ({self.name})"

    def run(self, channels: Callable[[], frozenset[str]], deliver: Deliver, stop: threading.Event) -> None:
        failures = 0
        headers = {"authorization": f"Bearer {self.token}"}
        with httpx.Client(base_url=f"{self.base}/api/v4", headers=headers, timeout=15, verify=tls_context()) as http:
            self._check_token(http)
            while not stop.is_set():
                heard = False
                try:
                    heard = self._listen(http, channels, deliver, stop)
                except (OSError, TimeoutError, WebSocketException) as error:
                    log.info("%s: the WebSocket closed (%s: %s)", self.label, type(error).__name__, error)
                if stop.is_set():
                    return
                self._check_token(http)
                failures = 0 if heard else failures + 1
                stop.wait(self.backoff[min(failures, len(self.backoff) - 1)])

    def _check_token(self, http: httpx.Client) -> None:
        """Raise ChatProblem when Mattermost refuses the token; anything else is left to the next try."""
        try:
            response = http.get("/users/me")
        except httpx.HTTPError:
            return
        if response.status_code == 401:
            raise problem(response, self.label, "let Commander listen")

    def _listen(
        self, http: httpx.Client, channels: Callable[[], frozenset[str]], deliver: Deliver, stop: threading.Event
    ) -> bool:
        """One connection, until it closes or `stop` is set. True when the server took the token."""
        url = "ws" + self.base.removeprefix("http") + "/api/v4/websocket"
        secure = tls_context() if url.startswith("wss:") else None
        authenticated = False
        with connect(url, ssl=secure, open_timeout=15, close_timeout=5, max_size=FRAME_MAX) as socket:
            socket.send(json.dumps({"seq": 1, "action": "authentication_challenge", "data": {"token": self.token}}))
            while not stop.is_set():
                try:
                    raw = socket.recv(timeout=0.5)
                except TimeoutError:
                    continue
                try:
                    frame = json.loads(raw)
                except ValueError:
                    continue
                if not isinstance(frame, dict):
                    continue
                if frame.get("seq_reply") == 1 and frame.get("status") == "OK" or frame.get("event") == "hello":
                    authenticated = True
                    continue
                common.hand_on(self.label, self._messages(http, frame, channels()), deliver)
        return authenticated

    def _messages(self, http: httpx.Client, frame: dict[str, Any], wanted: frozenset[str]) -> list[ChatMessage]:
        """What one event says about the channels wanted; nothing for anything else or anything malformed."""
        broadcast, data = frame.get("broadcast"), frame.get("data")
        if not isinstance(broadcast, dict) or not isinstance(data, dict):
            return []
        if broadcast.get("channel_id") not in wanted:
            return []
        try:
            return self._read(http, str(frame.get("event", "")), data, str(broadcast["channel_id"]))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            log.info("%s: skipped a malformed %s event (%s)", self.label, frame.get("event"), error)
            return []

    def _read(self, http: httpx.Client, event: str, data: dict[str, Any], channel: str) -> list[ChatMessage]:
        if event == "reaction_added":
            reaction = json.loads(data["reaction"])
            post_id, user = _text(reaction.get("post_id")), _text(reaction.get("user_id"))
            if not _ID.match(post_id):
                return []
            name, email = self._person(http, user)
            return [
                ChatMessage(
                    channel=channel,
                    id=post_id,
                    change=REACTED,
                    author_id=user,
                    author_name=name,
                    author_email=email,
                    url=self._link(http, post_id),
                    at=when(reaction.get("create_at")),
                    reaction=_text(reaction.get("emoji_name"), NAME_MAX),
                )
            ]
        if event not in ("posted", "post_edited", "post_deleted"):
            return []
        post = json.loads(data["post"])
        if not isinstance(post, dict):
            return []
        post_id, pinned = _text(post.get("id")), bool(post.get("is_pinned"))
        change = {"posted": POSTED, "post_deleted": DELETED}.get(event) or self._edit_or_pin(post)
        self._pins[post_id] = pinned
        self._pins.move_to_end(post_id)
        while len(self._pins) > REMEMBERED:
            self._pins.popitem(last=False)
        if not change:
            return []
        name, email = self._person(http, _text(post.get("user_id")))
        found = message_of(post, change, self.base, self._team(http), author_name=name, author_email=email)
        return [found] if found else []

    def _edit_or_pin(self, post: Mapping[str, Any]) -> str:
        """EDITED, PINNED or UNPINNED for a post_edited event, or "" when it cannot tell (an unpin, or another
        change, of a post it never saw)."""
        pinned, known = bool(post.get("is_pinned")), self._pins.get(str(post.get("id")))
        edit_at, update_at = post.get("edit_at"), post.get("update_at")
        edited = isinstance(edit_at, int) and isinstance(update_at, int) and edit_at > 0 and update_at - edit_at < 1_000
        if known is not None and known != pinned:
            return PINNED if pinned else UNPINNED
        if edited:
            return EDITED
        return PINNED if pinned and known is None else ""

    def _person(self, http: httpx.Client, user: str) -> tuple[str, str]:
        """(name, email) of a user, asked once each; ("", "") when the server does not say."""
        if not _ID.match(user):
            return "", ""
        if user not in self._people:
            found: object = None
            try:
                response = http.get(f"/users/{user}")
                found = _json(response) if response.status_code == 200 else None
            except httpx.HTTPError:
                return "", ""
            found = found if isinstance(found, dict) else {}
            full = " ".join(str(found.get(part) or "") for part in ("first_name", "last_name")).strip()
            name = bounded(str(found.get("nickname") or full or found.get("username") or ""), NAME_MAX)
            email = _text(found.get("email"), 254)
            if len(self._people) >= REMEMBERED:
                self._people.clear()
            self._people[user] = (name, email)
        return self._people[user]

    def _team(self, http: httpx.Client) -> str:
        """The team's name for links, asked until the server says it."""
        if not self._team_name and self.team:
            path = f"/teams/{self.team}" if _ID.match(self.team) else f"/teams/name/{quote(self.team, safe='')}"
            try:
                response = http.get(path)
            except httpx.HTTPError:
                return ""
            found = _json(response) if response.status_code == 200 else None
            self._team_name = _text(found.get("name")) if isinstance(found, dict) else ""
        return self._team_name

    def _link(self, http: httpx.Client, post_id: str) -> str:
        team = self._team(http)
        return f"{self.base}/{team}/pl/{post_id}" if team else ""
