"""What the bridges that call an API share: an OAuth access token kept until shortly before it expires (and
asked for again, once, when the service refuses it early), one request with the network's failures said in
a sentence, a bounded read of the JSON answer, and the service's own trouble (429, 5xx) said the same way."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from commander.integrations.bridges.base import BridgeProblem
from commander.integrations.destinations.base import json_request, retry_after, shorten

ANSWER_MAX = 200_000  # a meeting or a token is a few kilobytes; more is not the service we expect
SAID_MAX = 300  # characters of a service's own message shown to people
MARGIN = 60.0  # seconds before its expiry that a token is no longer used


@dataclass(frozen=True)
class Token:
    value: str
    expires: float  # time.monotonic() past which it is not used


class Tokens:
    """Access tokens by who asked for them (the token endpoint, the client, a digest of the secret), so a
    changed secret or address never reuses one. One per process: each start would otherwise pay a token
    request, and Zoom's token lives an hour."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._kept: dict[str, Token] = {}

    @staticmethod
    def key(*parts: str) -> str:
        return hashlib.sha256("\x00".join(parts).encode()).hexdigest()

    def get(self, key: str) -> str | None:
        found = self._kept.get(key)
        if found is None or found.expires <= self._clock():
            self._kept.pop(key, None)
            return None
        return found.value

    def keep(self, key: str, value: str, lifetime: object) -> None:
        seconds = float(lifetime) if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) else 0.0
        if seconds > MARGIN:
            self._kept[key] = Token(value, self._clock() + min(seconds, 86_400.0) - MARGIN)

    def forget(self, key: str) -> None:
        self._kept.pop(key, None)


TOKENS = Tokens()


async def request(client: httpx.AsyncClient, service: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request; a network failure becomes a transient BridgeProblem that names the service."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as error:
        raise BridgeProblem(f"{service} did not answer in time: try again in a minute.", transient=True) from error
    except httpx.TransportError as error:
        host = httpx.URL(url).host
        raise BridgeProblem(
            f"Could not reach {service} at {host}: check this computer's connection, then try again.",
            transient=True,
        ) from error


def answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object the service answered, or {} (too big, not JSON, not an object)."""
    if len(response.content) > ANSWER_MAX:
        return {}
    try:
        found = json.loads(response.content)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def said(value: object) -> str:
    """A service's own words, on one line and short, or ""."""
    return shorten(" ".join(value.split()), SAID_MAX) if isinstance(value, str) else ""


def busy(service: str, response: httpx.Response) -> BridgeProblem:
    wait = retry_after(response)
    when = f"in {int(wait + 0.999)} s" if wait is not None else "in a minute"
    return BridgeProblem(
        f"{service} is taking too many requests right now (429): try again {when}.",
        transient=True,
        retry_after=wait,
    )


def broken(service: str, response: httpx.Response) -> BridgeProblem:
    return BridgeProblem(
        f"{service} had a problem of its own ({response.status_code}): try again in a minute.",
        transient=True,
        retry_after=retry_after(response),
    )


def overloaded(service: str, response: httpx.Response) -> BridgeProblem | None:
    """`busy` for a 429, `broken` for a 5xx (trying again later may work); None for any other answer."""
    if response.status_code == 429:
        return busy(service, response)
    if response.status_code >= 500:
        return broken(service, response)
    return None


async def access_token(
    client: httpx.AsyncClient,
    service: str,
    tokens: Tokens,
    key: str,
    refused: Callable[[httpx.Response, dict[str, Any]], BridgeProblem],
    url: str,
    **sent: Any,
) -> str:
    """The token kept under `key`, else a new one POSTed for at `url` and kept for its `expires_in`.
    A 429 or 5xx raises `overloaded`'s problem, any other refusal `refused`'s."""
    kept = tokens.get(key)
    if kept:
        return kept
    response = await request(client, service, "POST", url, **sent)
    found = answer(response)
    value = found.get("access_token")
    if response.status_code == 200 and isinstance(value, str) and value:
        tokens.keep(key, value, found.get("expires_in"))
        return value
    raise overloaded(service, response) or refused(response, found)


async def post_with_token(
    client: httpx.AsyncClient,
    service: str,
    url: str,
    body: object,
    *,
    token: Callable[[], Awaitable[str]],
    stale: Callable[[httpx.Response, dict[str, Any]], bool],
    forget: Callable[[], None],
) -> tuple[httpx.Response, dict[str, Any]]:
    """POST `body` as JSON with an access token; the answer and its JSON. When the answer says the token is
    `stale` (revoked, or expired early), `forget` it and send once more with a new one."""
    for attempt in (1, 2):
        headers = {"authorization": f"Bearer {await token()}", "accept": "application/json"}
        response = await request(client, service, "POST", url, **json_request(body, headers))
        found = answer(response)
        if attempt == 1 and stale(response, found):
            forget()
            continue
        return response, found
    raise AssertionError("unreachable: the second attempt returns")
