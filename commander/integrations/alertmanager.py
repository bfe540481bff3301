"""Prometheus Alertmanager's HTTP API v2 (`api/v2/openapi.yaml`): read alerts; create, list and expire
silences.

  GET    /api/v2/alerts?active=&silenced=&inhibited=&filter=name="value"…  gettableAlerts
  GET    /api/v2/silences                gettableSilences (status.state: active, pending, expired)
  POST   /api/v2/silences                postableSilence -> {"silenceID": "…"}
  DELETE /api/v2/silence/{silenceID}     200; an unknown id is 500 "silence not found"

Errors come back as a JSON string (400, 500) or as {"code", "message"} (422, from the OpenAPI validator).
Alertmanager itself has no auth; one behind a proxy or with `--web.config.file` takes basic auth or a
bearer token. Every failure is an `AlertmanagerDown` whose message says what happened and what to do.
An answer is read up to RESPONSE_MAX_BYTES and parsed only when it nests no deeper than MAX_DEPTH (the
OpenAPI spec's gettableAlert nests four levels: list, alert, labels or status, silencedBy), so a proxy
or an impostor cannot exhaust the memory or the stack.
"""

from __future__ import annotations

import json
import socket
import ssl
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import httpx

from commander.domain.alerts.alerts import MAX_DEPTH
from commander.domain.alerts.bounded_json import TooDeep, check_nesting, nesting
from commander.domain.alerts.triage import Matcher
from commander.domain.core.when import iso

ERROR_TEXT_MAX = 200
# 5,000 alerts take about 3.5 MB (bench/triage.py); an answer many times that is not an Alertmanager's.
RESPONSE_MAX_BYTES = 64 * 2**20


class AlertmanagerDown(Exception):
    """The source cannot be read or written now; the message is the reason, in words."""


class Alertmanager:
    """One Alertmanager at `url` (its own address: http://alertmanager:9093, or behind a path prefix)."""

    def __init__(
        self, url: str, client: httpx.AsyncClient, *, auth: str = "none", user: str = "", secret: str = ""
    ) -> None:
        self.url = url.rstrip("/")
        self.client = client
        self.headers = {"accept": "application/json"}
        self.auth: httpx.BasicAuth | None = None
        if auth == "basic":
            self.auth = httpx.BasicAuth(user, secret)
        elif auth == "bearer":
            self.headers["authorization"] = f"Bearer {secret}"

    async def alerts(
        self, *, filters: Sequence[Matcher] = (), silenced: bool = False, inhibited: bool = False
    ) -> list[dict[str, Any]]:
        """Firing alerts; silenced and inhibited ones only when asked for."""
        params: list[tuple[str, str]] = [
            ("active", "true"),
            ("silenced", _flag(silenced)),
            ("inhibited", _flag(inhibited)),
        ]
        params += [("filter", str(matcher)) for matcher in filters]
        found = await self._call("GET", "/api/v2/alerts", params=params, array=True)
        if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
            raise AlertmanagerDown(
                f"{self.url} answered, but not with Alertmanager's list of alerts. Check that "
                f"the URL is Alertmanager's own address."
            )
        return found

    async def silences(self) -> list[dict[str, Any]]:
        found = await self._call("GET", "/api/v2/silences")
        if not isinstance(found, list):
            raise AlertmanagerDown(f"{self.url} answered, but not with Alertmanager's list of silences.")
        return [item for item in found if isinstance(item, dict)]

    async def create_silence(
        self, matchers: Sequence[Matcher], starts_at: datetime, ends_at: datetime, *, created_by: str, comment: str
    ) -> str:
        body = {
            "matchers": [m.to_api() for m in matchers],
            "startsAt": iso(starts_at),
            "endsAt": iso(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = await self._call("POST", "/api/v2/silences", json=body)
        silence_id = answer.get("silenceID") if isinstance(answer, dict) else None
        if not isinstance(silence_id, str) or not silence_id:
            raise AlertmanagerDown(
                f"{self.url} accepted the silence but did not say its id. Look for it in Alertmanager's Silences page."
            )
        return silence_id

    async def expire_silence(self, silence_id: str) -> None:
        await self._call("DELETE", f"/api/v2/silence/{silence_id}")

    async def _call(self, method: str, path: str, *, array: bool = False, **kwargs: Any) -> Any:
        """The answer's JSON; `array`: a JSON array, read one item at a time (see `json_array`)."""
        try:
            async with self.client.stream(
                method, self.url + path, headers=self.headers, auth=self.auth or httpx.USE_CLIENT_DEFAULT, **kwargs
            ) as response:
                body = await self._read_body(response, path)
        except httpx.TimeoutException:
            raise AlertmanagerDown(
                f"no answer from {self.url} within {self.client.timeout.read or 0:g} s. Check "
                f"that Alertmanager is running and reachable from here."
            ) from None
        except httpx.ConnectError as error:
            raise AlertmanagerDown(
                f"cannot connect to {self.url} ({_why(error)}). Check the address and that Alertmanager is running."
            ) from None
        except httpx.HTTPError as error:
            raise AlertmanagerDown(
                f"the connection to {self.url} failed ({_why(error)}). Try again; if it "
                f"keeps failing, check the network."
            ) from None
        text = body.decode(response.encoding or "utf-8", errors="replace")
        if response.status_code in (401, 403):
            raise AlertmanagerDown(
                f"{self.url} refused the credentials ({response.status_code}). Give the "
                f"source's password or token again (`commander alerts source secret`)."
            )
        if response.status_code == 404:
            raise AlertmanagerDown(
                f"{self.url} has no Alertmanager API v2 at {path} (404). Check the URL: it "
                f"is Alertmanager's own address, such as http://alertmanager:9093."
            )
        if response.status_code >= 400:
            raise AlertmanagerDown(
                f"Alertmanager refused {method} {path} ({response.status_code}): "
                f"{_message(text, response.reason_phrase)}"
            )
        if not body:
            return None
        try:
            check_nesting(text, MAX_DEPTH)
        except TooDeep:
            raise AlertmanagerDown(
                f"{self.url} answered with JSON nested deeper than {MAX_DEPTH} levels; "
                f"Alertmanager never sends that. Check that the URL is Alertmanager's own "
                f"address."
            ) from None
        try:
            return json_array(text) if array else json.loads(text)
        except ValueError:
            raise AlertmanagerDown(
                f"{self.url} answered with something that is not JSON. Check that the URL is "
                f"Alertmanager's own address, not a login page or a proxy's."
            ) from None

    async def _read_body(self, response: httpx.Response, path: str) -> bytes:
        """The body, refused as soon as it passes RESPONSE_MAX_BYTES: one answer cannot fill the memory."""
        too_big = AlertmanagerDown(
            f"{self.url} answered {path} with more than {RESPONSE_MAX_BYTES / 2**20:g} MB; "
            f"Commander reads at most that. Narrow the source's filter (--filter) so "
            f"fewer alerts match."
        )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > RESPONSE_MAX_BYTES:
            raise too_big
        chunks: list[bytes] = []
        total = 0
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > RESPONSE_MAX_BYTES:
                raise too_big
            chunks.append(chunk)
        return b"".join(chunks)


_DECODER = json.JSONDecoder()
_SPACE = " \t\n\r"


def json_array(text: str) -> Any:
    """JSON whose top level is an array, read one item at a time. `json.loads` reads 5,000 alerts (3.5 MB)
    in one 50 ms call that holds the interpreter lock throughout, and the UI thread stalls as long; item
    by item, the lock changes hands between items. Anything else is read whole; bad JSON: ValueError."""
    position = _skip_space(text, 0)
    if not text.startswith("[", position):
        return json.loads(text)
    position = _skip_space(text, position + 1)
    items: list[Any] = []
    if text.startswith("]", position):
        return items
    while True:
        item, position = _DECODER.raw_decode(text, position)
        items.append(item)
        position = _skip_space(text, position)
        if text.startswith("]", position) and not text[position + 1 :].strip(_SPACE):
            return items
        if not text.startswith(",", position):
            raise ValueError(f"expected ',' or ']' at character {position}")
        position = _skip_space(text, position + 1)


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in _SPACE:
        position += 1
    return position


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _why(error: BaseException) -> str:
    """The cause in a few words: httpx says "All connection attempts failed" over the socket's reason."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, socket.gaierror):
            return "no such host"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed: {cause.reason or cause}"[:ERROR_TEXT_MAX]
        cause = cause.__cause__ or cause.__context__
    return (str(error) or type(error).__name__)[:ERROR_TEXT_MAX]


def _message(text: str, reason: str) -> str:
    """Alertmanager's own words: a JSON string, or {"code", "message"}; else the start of the body."""
    try:
        body = json.loads(text) if nesting(text) <= MAX_DEPTH else None
    except ValueError:
        return text[:ERROR_TEXT_MAX] or reason
    if isinstance(body, dict) and "message" in body:
        return str(body["message"])[:ERROR_TEXT_MAX]
    if isinstance(body, str):
        return body[:ERROR_TEXT_MAX]
    return (json.dumps(body) if body is not None else text)[:ERROR_TEXT_MAX]
