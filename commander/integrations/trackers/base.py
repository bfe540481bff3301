"""What every tracker shares: the issue it is given, what it answers, how an HTTP answer is read, and
one retry helper that waits as the service asks (Retry-After) when it is busy. Every JSON body goes as UTF-8
with `Content-Type: application/json; charset=utf-8`, and an error page from something that is not the
tracker (a proxy's HTML) is quoted as one line, never as the page.

Creating an issue is not idempotent in any of these trackers (none takes an idempotency key), so a
create is retried only when the service says it did nothing: 429, 503, or a connection never made. A
timeout or another 5xx after the request went out may have created the issue: that is final, and the
message says to look in the tracker before pushing again.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx

from commander.domain.core.errors import DomainError
from commander.integrations.destinations.base import json_request, quoted, retry_after

T = TypeVar("T")
BACKOFF = (1.0, 2.0, 5.0)
MAX_WAIT = 60.0
ATTEMPTS = 4
READ_RETRYABLE = {429, 500, 502, 503, 504}
CREATE_RETRYABLE = {429, 503}  # the service says it did nothing; other 5xx may have created the issue


@dataclass(frozen=True)
class Issue:
    """An action item as every tracker receives it: a title, plain-text paragraphs, labels."""

    title: str
    paragraphs: tuple[str, ...]
    labels: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Created:
    key: str  # what people call it there: OPS-12, owner/repo#42, ENG-7, an Asana task id
    url: str


@dataclass(frozen=True)
class ExternalStatus:
    name: str  # the tracker's own word: "Done", "closed", "completed"
    done: bool  # finished there (done, closed, completed or cancelled)


class TrackerRefused(DomainError):
    """Final: the tracker refused, or its answer cannot be trusted; the message says what to do."""


class TryLater(Exception):
    """The tracker is busy or out of reach and did nothing: the same request may be sent again."""

    def __init__(self, detail: str, wait: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.wait = wait


class Tracker(Protocol):
    kind: str
    name: str

    async def create(self, client: httpx.AsyncClient, issue: Issue) -> Created: ...
    async def status(self, client: httpx.AsyncClient, key: str) -> ExternalStatus: ...


WaitListener = Callable[[str], None]  # "retrying in 5 s: … answered 429"


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    attempts: int = ATTEMPTS,
    backoff: Sequence[float] = BACKOFF,
    on_wait: WaitListener = lambda detail: None,
) -> T:
    """`call` again while it raises TryLater, waiting what the service asked (else the backoff), up to
    `attempts` in all; then a TrackerRefused that says to try later."""
    for attempt in range(attempts):
        try:
            return await call()
        except TryLater as busy:
            if attempt + 1 == attempts:
                raise TrackerRefused(
                    f"{busy.detail}; gave up after {attempts} attempts. Try again in a few minutes."
                ) from None
            wait = min(MAX_WAIT, busy.wait if busy.wait is not None else backoff[min(attempt, len(backoff) - 1)])
            on_wait(f"retrying in {wait:.0f} s: {busy.detail}")
            await asyncio.sleep(wait)
    raise AssertionError("unreachable: the last attempt returns or raises")


async def request(
    client: httpx.AsyncClient, name: str, method: str, url: str, *, creating: bool, **kwargs: Any
) -> httpx.Response:
    """One HTTP request (`json=` goes as UTF-8 JSON with its charset); transport failures read as TryLater,
    or as final when an issue may exist."""
    if "json" in kwargs:
        kwargs |= json_request(kwargs.pop("json"), kwargs.pop("headers", None))
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        raise TryLater(f"{name} could not be reached ({type(error).__name__})") from error
    except httpx.TransportError as error:
        if creating:
            raise TrackerRefused(
                f"{name} did not answer ({type(error).__name__}); the issue may have been created "
                f"anyway. Look in {name} before pushing again."
            ) from error
        raise TryLater(f"{name} did not answer ({type(error).__name__})") from error


def body_of(response: httpx.Response) -> Any:
    """The answer's JSON, or None when it is not JSON (a proxy's HTML page, an empty body)."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def check(response: httpx.Response, name: str, *, creating: bool, said: str, hints: Mapping[int, str]) -> None:
    """Return on 2xx; otherwise raise TryLater (busy, nothing done) or TrackerRefused with `said` (the
    tracker's own words, from its error body) and the hint for the status."""
    status = response.status_code
    if 200 <= status < 300:
        return
    said = " ".join(said.split())[:300] or quoted(response) or response.reason_phrase
    if status in (CREATE_RETRYABLE if creating else READ_RETRYABLE):
        raise TryLater(f"{name} answered {status} ({said})", retry_after(response))
    if status >= 500 and creating:
        raise TrackerRefused(
            f"{name} answered {status} ({said}); the issue may have been created anyway. Look in "
            f"{name} before pushing again."
        )
    hint = hints.get(status) or _HINTS.get(status) or "check the tracker's settings"
    raise TrackerRefused(f"{name} refused ({status}: {said}): {hint}.")


_HINTS = {
    401: "the token is not accepted: remove the tracker and add it again with a valid token",
    403: "the token is not allowed to do this: give it write access to the project",
    404: "not found: check the tracker's settings (and that the token can see the project)",
    410: "gone: the project or the issue was deleted or archived",
    422: "the issue was not accepted: check the tracker's settings",
}


def unreadable(name: str, what: str, *, creating: bool) -> TrackerRefused:
    """A 2xx answer without what it should carry (a proxy's page, another API version)."""
    if creating:
        return TrackerRefused(
            f"{name} answered without {what}; the issue may have been created. Look in {name} before pushing again."
        )
    return TrackerRefused(f"{name} answered without {what}. Check the tracker's settings (api_url, site).")
