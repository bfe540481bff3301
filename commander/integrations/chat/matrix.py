"""Matrix as an incident's chat workspace, through the client-server API (https://spec.matrix.org/v1.16/client-server-api/,
paths under /_matrix/client/v3) with a bot account's access token (`Authorization: Bearer`). Option: `homeserver`
(the client API's base URL, what https://<server>/.well-known/matrix/client names).

Requests:
- POST /createRoom {name, topic, preset "private_chat", room_alias_name} (#post_matrixclientv3createroom): the room
  gets the alias #<name>:<server> when it is free; a taken one is refused 400 M_ROOM_IN_USE and the next suffix
  (-2, -3 …) is tried; after that, or when the server refuses the alias itself (M_INVALID_PARAM, M_UNKNOWN), the room
  is made without one. A room alias is at most 255 bytes with its sigil and server (#room-aliases in the appendices;
  Synapse's MAX_ALIAS_LENGTH); its local part is kept to a-z, 0-9, ".", "_", "=", "-".
- PUT /rooms/{roomId}/state/m.room.topic/ {topic} (#mroomtopic): the topic.
- find_user: Matrix keeps email addresses (3PIDs) private to the account and to identity servers, so a homeserver
  says who has one only to its admins: Synapse's admin API GET /_synapse/admin/v1/threepid/email/users/{address}
  (https://element-hq.github.io/synapse/latest/admin_api/user_admin_api.html, "Find a user based on their third
  party ID") when the bot is a server admin; else POST /user_directory/search {search_term, limit}
  (#post_matrixclientv3user_directorysearch), taking only a user whose id or display name is the address; else None.
  A Matrix user id (@name:server) given instead of an address is taken as it is.
- POST /rooms/{roomId}/invite {user_id} (#post_matrixclientv3roomsroomidinvite): 403 when the user is already in the
  room (among other reasons), so the joined members (GET /rooms/{roomId}/joined_members) are left out first.
- PUT /rooms/{roomId}/send/m.room.message/{txnId} (#put_matrixclientv3roomsroomidsendeventtypetxnid): an m.text
  `body` with `m.mentions: {}` (#user-and-room-mentions: it pings nobody, whatever the text says); in a thread,
  `m.relates_to` {rel_type "m.thread", event_id, is_falling_back, m.in_reply_to} (#threading). The txnId is the
  caller's key: the homeserver answers a repeated txnId (same token and device) with the first event's id, so a
  retry with the same key cannot post twice. Without a key each call is a new message.
- "Archive" is POST /rooms/{roomId}/leave (#post_matrixclientv3roomsroomidleave): Matrix has no archived state, so
  the bot leaves and the room stays, read-only for nobody, with its history, for the people still in it.
- history: GET /rooms/{roomId}/context/{eventId}?limit=0 for the point after a message, then GET
  /rooms/{roomId}/messages?dir=f&from=… page by page (#get_matrixclientv3roomsroomidmessages); the last page has no
  `end`. At most HISTORY_MAX messages.

Limits: an event is at most 65,536 bytes as canonical JSON (#size-limits); the text is cut to fit what the rest of
the event leaves (commander/integrations/destinations/matrix.py: CONTENT_LIMIT), saying so. Errors are JSON
`{"errcode", "error"}`: M_LIMIT_EXCEEDED (429, retry_after_ms, or Retry-After since v1.10) is transient; so are 5xx;
M_UNKNOWN_TOKEN / M_MISSING_TOKEN (401) mean the token is refused.

The listener long-polls GET /sync (#get_matrixclientv3sync) with `since` and an inline filter limited to the rooms
asked for (#filtering). It starts from now (its first sync only takes `next_batch`). In the timeline: m.room.message
is POSTED, or EDITED when it replaces another (m.relates_to rel_type "m.replace", #event-replacements, text from
`m.new_content`); m.room.redaction is DELETED (the redacted id in `content.redacts`, room version 11 on, or at the
top level before; a redacted reaction is not a deletion); m.reaction (rel_type "m.annotation", #event-annotations-
and-reactions) is REACTED with its key; an m.room.pinned_events state change (#mroompinned_events) is PINNED or
UNPINNED for each id added or removed (against `unsigned.prev_content`, else what the listener saw last).
Encrypted rooms (m.room.encrypted) cannot be read by this bot and are skipped; the rooms it makes are not encrypted.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

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
from commander.integrations.destinations.matrix import CONTENT_LIMIT, SHORTENED, canonical

log = logging.getLogger(__name__)

ALIAS_MAX = 255  # bytes of a whole alias, #local:server
ROOM_NAME_MAX = 255  # characters of the room's name (what Commander gives it)
TOPIC_MAX = 4_000
SUFFIXES = 20
HISTORY_MAX = 2_000
PAGE = 100  # events a /messages page
POLL_MS = 5_000  # how long one /sync waits for something to happen: also how soon `stop` is noticed
TIMELINE = 100  # events of one room a /sync returns at most
REMEMBERED = 5_000
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
CUT_NOTE = "… (cut by Commander)"
_NOT_ALLOWED = re.compile(r"[^a-z0-9._=-]+")
_USER = re.compile(r"^@[^:\s]+:[^\s]+$")
TAKEN, REFUSED_ALIAS = "M_ROOM_IN_USE", ("M_INVALID_PARAM", "M_UNKNOWN", "M_BAD_JSON")
TOKEN_REFUSED = ("M_UNKNOWN_TOKEN", "M_MISSING_TOKEN")
CHECK = "the homeserver setting"  # what to look at when the homeserver cannot be reached


def alias_local(name: str) -> str:
    """A room alias's local part from any title: accents dropped, lower case, anything else a hyphen."""
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"-{2,}", "-", _NOT_ALLOWED.sub("-", ascii_only)).strip("-._=") or "incident"


def suffixed(local: str, attempt: int, server: str) -> str:
    """`local` (then `local-2` …) cut so that #local:server stays within 255 bytes."""
    suffix = "" if attempt == 1 else f"-{attempt}"
    room = ALIAS_MAX - len(f"#:{server}".encode()) - len(suffix)
    return local[: max(room, 1)].rstrip("-._=") + suffix


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _text(value: object, limit: int = 255) -> str:
    return value if isinstance(value, str) and len(value) <= limit else ""


def _relation(content: Mapping[str, Any]) -> dict[str, Any]:
    relation = content.get("m.relates_to")
    return relation if isinstance(relation, dict) else {}


def problem(response: httpx.Response, label: str, doing: str) -> ChatProblem:
    error = _json(response)
    errcode, said = str(error.get("errcode", "")), str(error.get("error", ""))[:300]
    if errcode == "M_LIMIT_EXCEEDED" or response.status_code == 429:
        milliseconds = error.get("retry_after_ms")
        wait = (
            max(0.0, milliseconds / 1000)
            if isinstance(milliseconds, int | float) and not isinstance(milliseconds, bool)
            else retry_after(response)
        )
        return ChatProblem(f"{label} is rate limiting the bot ({said or errcode}).", transient=True, retry_after=wait)
    if response.status_code >= 500:
        return ChatProblem(
            f"{label} could not {doing} ({response.status_code} {said or quoted(response, 200)}): Commander will "
            f"try again.",
            transient=True,
            retry_after=retry_after(response),
        )
    if not errcode:
        return ChatProblem(
            f"{label} answered {response.status_code} {quoted(response, 200)}, not as a Matrix homeserver does: check "
            f"that the homeserver setting is the address of its client API."
        )
    hint = {
        "M_UNKNOWN_TOKEN": "the access token was refused (expired, or the bot was logged out): make a new one and "
        "set it again",
        "M_MISSING_TOKEN": "no access token was sent: set the connection's secret again",
        "M_FORBIDDEN": "the bot may not: check it is in the room with the power level to do this",
        "M_NOT_FOUND": "the homeserver knows no such room or user",
    }.get(errcode, "check the connection's settings")
    return ChatProblem(f"{label} refused to {doing} ({errcode}: {said}): {hint}.")


def link(room: str, event: str = "") -> str:
    """A matrix.to link people can open in any client."""
    return "https://matrix.to/#/" + quote(room, safe="!#@:") + (f"/{quote(event, safe='$')}" if event else "")


def fitted_body(text: str) -> str:
    """The text as a message body within what an event may hold, cut on a grapheme boundary, saying so."""

    def fits(candidate: str) -> bool:
        return len(canonical({"msgtype": "m.text", "body": candidate, "m.mentions": {}})) <= CONTENT_LIMIT

    return graphemes.fit(text, note=SHORTENED, fits=fits).text


def heard(event: Mapping[str, Any], room: str, people: Callable[[str], tuple[str, str]]) -> list[ChatMessage]:
    """What one timeline event says, as messages (none for anything else or anything malformed)."""
    kind, event_id, sender = event.get("type"), _text(event.get("event_id")), _text(event.get("sender"))
    content = event.get("content")
    if not event_id or not isinstance(content, dict):
        return []
    at = _when(event.get("origin_server_ts"))
    relation = _relation(content)
    target = _text(relation.get("event_id"))
    if kind == "m.room.message":
        new = content.get("m.new_content")
        if relation.get("rel_type") == "m.replace":  # an edit: its new text, or nothing when that is unreadable
            change, message_id, body, version = (
                EDITED,
                target,
                new.get("body") if isinstance(new, dict) else None,
                event_id,
            )
        else:
            change, message_id, body, version = POSTED, event_id, content.get("body"), ""
        if not isinstance(body, str) or not message_id:
            return []  # redacted, or not a text a person can read
        thread = target if relation.get("rel_type") == "m.thread" else ""
        name, email = people(sender)
        text = graphemes.fit(body, TEXT_MAX, note=CUT_NOTE).text
        return [
            ChatMessage(
                room, message_id, change, sender, name, email, text, link(room, message_id), at, thread, "", version
            )
        ]
    if kind == "m.reaction" and relation.get("rel_type") == "m.annotation" and target:
        name, email = people(sender)
        reaction = graphemes.fit(_text(relation.get("key"), 1_000), NAME_MAX).text
        return [ChatMessage(room, target, REACTED, sender, name, email, "", link(room, target), at, reaction=reaction)]
    if kind == "m.room.redaction":
        redacted = _text(content.get("redacts")) or _text(event.get("redacts"))
        return [ChatMessage(room, redacted, DELETED, sender, *people(sender), at=at)] if redacted else []
    return []


def _when(milliseconds: object) -> datetime | None:
    if isinstance(milliseconds, int) and not isinstance(milliseconds, bool) and 0 < milliseconds < 2**53:
        return datetime.fromtimestamp(milliseconds / 1000, UTC)
    return None


@dataclass
class MatrixChat:
    name: str
    homeserver: str  # https://matrix-client.example.com
    token: str
    kind: str = "matrix"
    _user: str = field(default="", init=False, repr=False)  # the bot's own id, @bot:server
    _names: dict[str, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)

    @property
    def label(self) -> str:
        return f"Matrix ({self.name})"

    async def _call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        doing: str,
        *,
        body: object = None,
        params: Mapping[str, str | int] | None = None,
        accept: Callable[[httpx.Response], bool] = lambda response: response.status_code == 200,
    ) -> tuple[httpx.Response, dict[str, Any]]:
        url = path if path.startswith("/_synapse/") else f"/_matrix/client/v3{path}"
        response = await common.request(
            client,
            method,
            self.homeserver + url,
            label=self.label,
            doing=doing,
            check=CHECK,
            refused=problem,
            accept=accept,
            content=None if body is None else canonical(body),
            params=params,
            headers={"authorization": f"Bearer {self.token}", "content-type": "application/json"},
        )
        return response, _json(response)

    async def whoami(self, client: httpx.AsyncClient) -> str:
        if not self._user:
            _, found = await self._call(client, "GET", "/account/whoami", "say whose token this is")
            self._user = _text(found.get("user_id"))
            if not _USER.match(self._user):
                raise ChatProblem(f"{self.label} did not say whose token this is: check the homeserver setting.")
        return self._user

    async def create_channel(self, client: httpx.AsyncClient, name: str, *, topic: str = "") -> Channel:
        server = (await self.whoami(client)).split(":", 1)[1]
        local = alias_local(name)
        body: dict[str, Any] = {
            "name": graphemes.fit(" ".join(name.split()), ROOM_NAME_MAX).text or local,
            "preset": "private_chat",
        }
        if topic:
            body["topic"] = graphemes.fit(topic, TOPIC_MAX, note="…").text
        for attempt in [*range(1, SUFFIXES + 1), 0]:  # 0: without an alias
            alias = suffixed(local, attempt, server) if attempt else ""
            response, found = await self._call(
                client,
                "POST",
                "/createRoom",
                "make the incident's room",
                body={**body, "room_alias_name": alias} if alias else body,
                accept=lambda response: response.status_code == 200 or _json(response).get("errcode") == TAKEN,
            )
            if response.status_code != 200:
                continue
            room = _text(found.get("room_id"))
            if not room.startswith("!"):
                raise ChatProblem(f"{self.label} made a room but did not say its id: check the homeserver setting.")
            shown = f"#{alias}:{server}" if alias else room
            return Channel(room, shown, link(shown))
        raise AssertionError("the last attempt has no alias, so it cannot be refused as taken")  # pragma: no cover

    async def set_topic(self, client: httpx.AsyncClient, channel: str, topic: str) -> None:
        body = {"topic": graphemes.fit(topic, TOPIC_MAX, note="…").text}
        await self._call(
            client, "PUT", f"/rooms/{_room(channel)}/state/m.room.topic/", "set the room's topic", body=body
        )

    async def find_user(self, client: httpx.AsyncClient, email: str) -> str | None:
        address = email.strip()
        if _USER.match(address) and len(address.encode()) <= 255:
            return address
        address = address.lower()
        if "@" not in address or len(address) > 254:
            return None
        response, found = await self._call(
            client,
            "GET",
            f"/_synapse/admin/v1/threepid/email/users/{quote(address, safe='@')}",
            f"look up {address}",
            accept=lambda response: response.status_code in (200, 400, 401, 403, 404, 405),
        )
        if response.status_code == 200 and _USER.match(_text(found.get("user_id"))):
            return _text(found.get("user_id"))
        if response.status_code == 404 and found.get("errcode") == "M_NOT_FOUND":
            return None  # the server's admin API says: nobody has it
        if response.status_code == 401 and found.get("errcode") in TOKEN_REFUSED:
            raise problem(response, self.label, f"look up {address}")
        _, found = await self._call(
            client, "POST", "/user_directory/search", f"look up {address}", body={"search_term": address, "limit": 10}
        )
        results = found.get("results")
        for user in results if isinstance(results, list) else []:
            if isinstance(user, dict) and address in (
                str(user.get("user_id", "")).lower(),
                str(user.get("display_name", "")).lower(),
            ):
                return _text(user.get("user_id")) or None
        return None

    async def invite(self, client: httpx.AsyncClient, channel: str, users: Sequence[str]) -> list[str]:
        room = _room(channel)
        _, found = await self._call(client, "GET", f"/rooms/{room}/joined_members", "read who is in the room")
        members = found.get("joined")
        joined: dict[str, Any] = members if isinstance(members, dict) else {}
        failed: list[str] = []
        for user in users:
            if user in joined:
                continue
            if not _USER.match(user):
                failed.append(user)
                continue
            response, _ = await self._call(
                client,
                "POST",
                f"/rooms/{room}/invite",
                "invite people to the room",
                body={"user_id": user},
                accept=lambda response: response.status_code in (200, 400, 403, 404),
            )
            if response.status_code != 200:
                log.info("%s did not invite %s: %s", self.label, user, quoted(response, 200))
                failed.append(user)
        return failed

    async def post(self, client: httpx.AsyncClient, channel: str, text: str, *, thread: str = "", key: str = "") -> str:
        """Post plain text (`body` only, so nothing is read as markup; it mentions nobody). `key` is the txnId:
        the same key again is the same message."""
        content: dict[str, Any] = {"msgtype": "m.text", "body": fitted_body(text), "m.mentions": {}}
        if thread:
            content["m.relates_to"] = {
                "rel_type": "m.thread",
                "event_id": thread,
                "is_falling_back": True,
                "m.in_reply_to": {"event_id": thread},
            }
        transaction = quote(key or uuid.uuid4().hex, safe="")
        path = f"/rooms/{_room(channel)}/send/m.room.message/{transaction}"
        _, found = await self._call(client, "PUT", path, "post in the room", body=content)
        event = _text(found.get("event_id"))
        if not event:
            raise ChatProblem(f"{self.label} took the message but did not say its id: check the homeserver setting.")
        return event

    async def archive(self, client: httpx.AsyncClient, channel: str) -> None:
        """Leave the room: Matrix has no archive (see the module's notes). Leaving a room already left is done."""
        await self._call(
            client,
            "POST",
            f"/rooms/{_room(channel)}/leave",
            "leave the room",
            body={},
            accept=lambda response: (
                response.status_code == 200
                or (response.status_code == 403 and _json(response).get("errcode") == "M_FORBIDDEN")
            ),
        )

    async def history(self, client: httpx.AsyncClient, channel: str, after: str) -> list[ChatMessage]:
        room = _room(channel)
        since = ""
        if after:
            _, found = await self._call(
                client, "GET", f"/rooms/{room}/context/{quote(after, safe='')}", "read the room", params={"limit": 0}
            )
            since = _text(found.get("end"), 1_000)
        events: list[dict[str, Any]] = []
        event_filter = json.dumps({"types": ["m.room.message"], "lazy_load_members": True})
        while len(events) < HISTORY_MAX:
            params: dict[str, str | int] = {"dir": "f", "limit": PAGE, "filter": event_filter}
            if since:
                params["from"] = since
            _, found = await self._call(client, "GET", f"/rooms/{room}/messages", "read the room", params=params)
            chunk = found.get("chunk")
            events += [event for event in chunk if isinstance(event, dict)] if isinstance(chunk, list) else []
            since = _text(found.get("end"), 1_000)
            if not since or not chunk:
                break
        names = {sender: await self.person(client, sender) for sender in {_text(e.get("sender")) for e in events}}
        found_messages = [m for event in events[:HISTORY_MAX] for m in heard(event, room, names.__getitem__)]
        return [message for message in found_messages if message.change == POSTED]

    async def person(self, client: httpx.AsyncClient, user: str) -> tuple[str, str]:
        """(display name, "") of a user, asked once: Matrix tells nobody but admins an address."""
        if user not in self._names and _USER.match(user):
            response, found = await self._call(
                client,
                "GET",
                f"/profile/{quote(user, safe='@:')}/displayname",
                "read a name",
                accept=lambda response: response.status_code in (200, 403, 404),
            )
            name = _text(found.get("displayname"), 10_000) if response.status_code == 200 else ""
            self._names[user] = (graphemes.fit(name, NAME_MAX).text if name else user, "")
        return self._names.get(user, ("", ""))


def _room(room: str) -> str:
    if not room.startswith("!") or len(room.encode()) > 255:
        raise ChatProblem(f"'{room[:40]}' is not a Matrix room id (!…): report it as a bug.")
    return quote(room, safe="")


def _homeserver(name: str, options: Mapping[str, str]) -> str:
    url = options.get("homeserver", "").strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise DomainError(
            f"The Matrix connection {name} has homeserver '{url}': use the address of its client API, "
            f"https://matrix.example.com (what https://<server>/.well-known/matrix/client names)."
        )
    return url


def make(name: str, options: Mapping[str, str], secret: str) -> MatrixChat:
    return MatrixChat(name, _homeserver(name, options), secret.strip())


def listener(name: str, options: Mapping[str, str], secret: str) -> MatrixListener:
    return MatrixListener(name, _homeserver(name, options), secret.strip())


@dataclass
class MatrixListener:
    """Long-polls /sync for the rooms asked for, from the moment it starts, until told to stop."""

    name: str
    homeserver: str
    token: str
    poll_ms: int = POLL_MS
    backoff: tuple[float, ...] = BACKOFF
    _pins: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False)
    _reactions: OrderedDict[str, None] = field(default_factory=OrderedDict, init=False, repr=False)
    _names: dict[str, tuple[str, str]] = field(default_factory=dict, init=False, repr=False)

    @property
    def label(self) -> str:
        return f"Matrix ({self.name})"

    def run(self, channels: Callable[[], frozenset[str]], deliver: Deliver, stop: threading.Event) -> None:
        headers = {"authorization": f"Bearer {self.token}"}
        timeout = httpx.Timeout(15, read=self.poll_ms / 1000 + 30)
        with httpx.Client(base_url=self.homeserver, headers=headers, timeout=timeout, verify=tls_context()) as http:
            since, failures = "", 0
            while not stop.is_set():
                wanted = channels()
                try:
                    found = self._sync(http, since, wanted)
                except ChatProblem as trouble:
                    if not trouble.transient:
                        raise
                    failures += 1
                    wait = trouble.retry_after or self.backoff[min(failures, len(self.backoff)) - 1]
                    log.info("%s: %s (trying again in %g s)", self.label, trouble, wait)
                    stop.wait(wait)
                    continue
                failures = 0
                if since:
                    self._hand_over(http, found, wanted, deliver)
                since = _text(found.get("next_batch"), 1_000) or since

    def _sync(self, http: httpx.Client, since: str, wanted: frozenset[str]) -> dict[str, Any]:
        rooms = sorted(wanted) or ["!none:invalid"]  # no room wanted: a filter that matches none
        sync_filter = {
            "presence": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
            "room": {
                "rooms": rooms,
                "timeline": {"limit": TIMELINE if since else 0},
                "state": {"types": ["m.room.pinned_events"]},
                "ephemeral": {"not_types": ["*"]},
                "account_data": {"not_types": ["*"]},
            },
        }
        params: dict[str, str | int] = {"filter": json.dumps(sync_filter), "timeout": self.poll_ms if since else 0}
        if since:
            params["since"] = since
        try:
            response = http.get("/_matrix/client/v3/sync", params=params)
        except httpx.HTTPError as error:
            raise common.unreachable(self.label, "hear the incident rooms", error, CHECK) from error
        if response.status_code != 200:
            trouble = problem(response, self.label, "hear the incident rooms")
            if response.status_code == 401 or _json(response).get("errcode") in TOKEN_REFUSED:
                raise trouble
            raise ChatProblem(str(trouble), transient=True, retry_after=trouble.retry_after)
        return _json(response)

    def _hand_over(self, http: httpx.Client, found: dict[str, Any], wanted: frozenset[str], deliver: Deliver) -> None:
        joined = found.get("rooms", {}).get("join", {}) if isinstance(found.get("rooms"), dict) else {}
        for room, update in joined.items() if isinstance(joined, dict) else []:
            if room not in wanted or not isinstance(update, dict):
                continue
            timeline = update.get("timeline", {}).get("events", []) if isinstance(update.get("timeline"), dict) else []
            for event in timeline if isinstance(timeline, list) else []:
                try:
                    messages = self._read(http, room, event)
                except (ValueError, TypeError, KeyError, AttributeError) as error:
                    log.info("%s: skipped a malformed event in %s (%s)", self.label, room, error)
                    continue
                common.hand_on(self.label, messages, deliver)

    def _read(self, http: httpx.Client, room: str, event: object) -> list[ChatMessage]:
        if not isinstance(event, dict):
            return []
        kind = event.get("type")
        if kind == "m.room.pinned_events" and event.get("state_key") == "":
            return self._pinned(room, event)
        if kind == "m.reaction":
            self._reactions[_text(event.get("event_id"))] = None
            while len(self._reactions) > REMEMBERED:
                self._reactions.popitem(last=False)
        if kind == "m.room.redaction":
            content = event.get("content")
            content = content if isinstance(content, dict) else {}
            if (_text(content.get("redacts")) or _text(event.get("redacts"))) in self._reactions:
                return []  # a reaction taken back, not a message deleted
        return heard(event, room, lambda user: self._person(http, user))

    def _pinned(self, room: str, event: dict[str, Any]) -> list[ChatMessage]:
        def ids(content: object) -> frozenset[str]:
            pinned = content.get("pinned") if isinstance(content, dict) else None
            return frozenset(_text(i) for i in pinned if _text(i)) if isinstance(pinned, list) else frozenset()

        unsigned = event.get("unsigned")
        unsigned = unsigned if isinstance(unsigned, dict) else {}
        now = ids(event.get("content"))
        before = ids(unsigned["prev_content"]) if "prev_content" in unsigned else self._pins.get(room, frozenset())
        self._pins[room] = now
        sender, at = _text(event.get("sender")), _when(event.get("origin_server_ts"))
        changes = [(PINNED, i) for i in sorted(now - before)] + [(UNPINNED, i) for i in sorted(before - now)]
        return [ChatMessage(room, i, change, sender, url=link(room, i), at=at) for change, i in changes]

    def _person(self, http: httpx.Client, user: str) -> tuple[str, str]:
        if user not in self._names and _USER.match(user):
            name = ""
            try:
                response = http.get(f"/_matrix/client/v3/profile/{quote(user, safe='@:')}/displayname")
                name = _text(_json(response).get("displayname"), 10_000) if response.status_code == 200 else ""
            except httpx.HTTPError:
                return user, ""
            if len(self._names) >= REMEMBERED:
                self._names.clear()
            self._names[user] = (graphemes.fit(name, NAME_MAX).text if name else user, "")
        return self._names.get(user, ("", ""))
