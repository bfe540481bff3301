"""Matrix, through the client-server API (spec v1.x, /_matrix/client/v3), as a bot account's access token.

The message is `PUT /rooms/{roomId}/send/m.room.message/{txnId}`, and the homeserver answers a repeated
transaction id (same token, same path) with the first event's id instead of posting again: the txnId is the
update's delivery id, so a retry, or a resend after Commander was closed mid-send, cannot post twice. An
alias (#room:server) is resolved first with `GET /directory/room/{roomAlias}`.

Errors are JSON `{"errcode": "M_…", "error": "…"}`: M_LIMIT_EXCEEDED (429) with `retry_after_ms` or, since
v1.10, Retry-After; M_UNKNOWN_TOKEN (401) for an expired or revoked token; M_FORBIDDEN (403) when the bot
is not in the room; M_NOT_FOUND for an unknown alias; M_TOO_LARGE (413) for an event past 65,536 bytes.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from commander.domain.core import graphemes
from commander.domain.core.errors import DomainError
from commander.domain.updates.destinations import matrix_room
from commander.integrations.destinations.base import (
    JSON_CONTENT_TYPE,
    RETRYABLE,
    Outcome,
    Update,
    classify,
    quoted,
    retry_after,
)

# Limits: "The complete event MUST NOT be larger than 65536 bytes, when formatted with the federation event
# format, including any signatures, and encoded as Canonical JSON"
# (https://spec.matrix.org/v1.16/client-server-api/#size-limits). The content gets what the rest of the event
# leaves: at most 20 prev_events and 10 auth_events of 44 bytes each, room_id and sender of at most 255 bytes
# each, hashes, one server's signature, depth and timestamps come to under 2,500 bytes, so 4,096 is kept for
# them. The text goes twice (body and formatted_body): when both do not fit, the formatted copy is left out
# (clients show `body`), and only when the body alone does not fit is it cut, saying so.
EVENT_LIMIT = 65_536
ENVELOPE = 4_096
CONTENT_LIMIT = EVENT_LIMIT - ENVELOPE
SHORTENED = "\n\n(shortened)"
MATRIX_HINTS = {
    "M_FORBIDDEN": "the bot's account may not post there: invite it to the room and let it join (or give it "
    "the power level to send messages)",
    "M_UNKNOWN_TOKEN": "the access token has expired or was revoked (the bot was logged out): make a new one "
    "and set it again",
    "M_MISSING_TOKEN": "no access token was sent: set the destination's secret again",
    "M_NOT_FOUND": "there is no such room: check the room setting (the room's id !…, or an alias #…:server)",
    "M_TOO_LARGE": "the update is too large for this homeserver: shorten it",
    "M_UNRECOGNIZED": "the homeserver does not know this request: check that the homeserver setting is the "
    "address of its client API (what https://<server>/.well-known/matrix/client names)",
}


def content(update: Update, text: str, *, formatted: bool = True) -> dict[str, str]:
    """The update as an m.text message: plain body, and (when `formatted`) HTML with the heading in bold for
    clients that show formatting. Everything from the update is escaped, so it stays text."""
    heading = f"{update.severity} {update.title}"
    context = f"{update.reference} · {update.status}"
    message = {"msgtype": "m.text", "body": f"{heading}\n{context}\n\n{text}"}
    if not formatted:
        return message
    lines = html.escape(text, quote=False).replace("\n", "<br>")
    return message | {
        "format": "org.matrix.custom.html",
        "formatted_body": f"<b>{html.escape(heading, quote=False)}</b><br>"
        f"{html.escape(context, quote=False)}<br><br>{lines}",
    }


def canonical(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def fitted(update: Update) -> tuple[dict[str, str], tuple[int, int] | None]:
    """The message within CONTENT_LIMIT bytes: with its HTML copy when both fit, else the plain body alone,
    cut on a grapheme boundary if even that does not fit; and (characters sent, characters) when cut."""
    for formatted in (True, False):
        whole = content(update, update.text, formatted=formatted)
        if len(canonical(whole)) <= CONTENT_LIMIT:
            return whole, None
    text = graphemes.fit(
        update.text,
        note=SHORTENED,
        fits=lambda text: len(canonical(content(update, text, formatted=False))) <= CONTENT_LIMIT,
    )
    return content(update, text.text, formatted=False), text.shortened


def refusal(response: httpx.Response, name: str) -> Outcome:
    """A homeserver's error, read: rate limits retried when it says, the errcodes a person can act on
    explained, an answer that is not a homeserver's said to be one."""
    error = _json(response)
    errcode, message = str(error.get("errcode", "")), str(error.get("error", ""))[:300]
    if errcode == "M_LIMIT_EXCEEDED" or response.status_code == 429:
        # retry_after_ms is exact; Retry-After (added in v1.10) is the same wait rounded up to seconds
        milliseconds = error.get("retry_after_ms")
        wait = (
            max(0.0, milliseconds / 1000)
            if isinstance(milliseconds, int | float) and not isinstance(milliseconds, bool)
            else retry_after(response)
        )
        return Outcome("retry", f"{name} is rate limiting the bot" + (f" ({message})" if message else ""), wait)
    if response.status_code in RETRYABLE:
        return classify(response, name)
    if not errcode:
        said = quoted(response, 200)
        return Outcome(
            "failed",
            f"{name} answered {response.status_code} {said}, not as a Matrix homeserver does: "
            f"check that the homeserver setting is the address of its client API.",
        )
    if errcode in MATRIX_HINTS:
        return Outcome("failed", f"{name} refused the update ({errcode}: {message}): {MATRIX_HINTS[errcode]}.")
    return classify(response, name)


@dataclass
class MatrixRoom:
    name: str
    homeserver: str  # the client API's base URL, e.g. https://matrix-client.matrix.org
    room: str  # !opaque:server (room versions 1-11), !hash (version 12 on), or #alias:server
    token: str
    kind: str = "matrix"
    resumable: bool = True  # the txnId is the delivery id: the homeserver answers a resend with the same event
    room_id: str | None = field(default=None, init=False, repr=False)  # the alias, once resolved
    # a txnId for an update that has no delivery id (a test message), the same on every retry of it
    spare_transactions: dict[Update, str] = field(default_factory=dict, init=False, repr=False)

    @property
    def label(self) -> str:
        return f"Matrix ({self.name})"

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        headers = {"authorization": f"Bearer {self.token}"}
        room_id = self.room_id or await self._resolve(client, headers)
        if isinstance(room_id, Outcome):
            return room_id
        transaction = update.delivery or self.spare_transactions.setdefault(update, uuid.uuid4().hex)
        url = (
            f"{self.homeserver}/_matrix/client/v3/rooms/{quote(room_id, safe='')}/send/m.room.message/"
            f"{quote(transaction, safe='')}"
        )
        message, shortened = fitted(update)
        response = await client.put(
            url, content=canonical(message), headers={**headers, "content-type": JSON_CONTENT_TYPE}
        )
        if response.status_code != 200:
            return refusal(response, self.label)
        event_id = _field(response, "event_id")
        if not event_id:
            return Outcome(
                "failed",
                f"{self.label} answered without an event id ({quoted(response, 200)}): "
                f"check that the homeserver setting is the address of its client API.",
            )
        return Outcome("delivered", remote_id=event_id, shortened=shortened)

    async def _resolve(self, client: httpx.AsyncClient, headers: dict[str, str]) -> str | Outcome:
        if self.room.startswith("!"):
            self.room_id = self.room
            return self.room
        response = await client.get(
            f"{self.homeserver}/_matrix/client/v3/directory/room/{quote(self.room, safe='')}", headers=headers
        )
        if response.status_code == 404 and _json(response).get("errcode") == "M_NOT_FOUND":
            return Outcome(
                "failed",
                f"{self.label} knows no room called {self.room}: check the room setting "
                f"(the alias as the room's settings show it, or its id !…).",
            )
        if response.status_code != 200:
            return refusal(response, self.label)
        room_id = _field(response, "room_id")
        if not room_id.startswith("!"):
            return Outcome(
                "failed",
                f"{self.label} answered the alias {self.room} without a room id: check that "
                f"the homeserver setting is the address of its client API.",
            )
        self.room_id = room_id
        return room_id


def _json(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object, or {} when it is not one (a proxy's error page, say)."""
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _field(response: httpx.Response, key: str) -> str:
    value = _json(response).get(key)
    return value if isinstance(value, str) else ""


def make(name: str, options: Mapping[str, str], secret: str) -> MatrixRoom:
    room = options["room"].strip()
    if not matrix_room(room):
        raise DomainError(
            f"The Matrix destination {name} has room '{room}': use the room's id (!… as the room's "
            f"settings show it) or an alias (#name:server)."
        )
    return MatrixRoom(name, options["homeserver"].strip().rstrip("/"), room, secret)
