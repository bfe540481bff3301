"""What every destination shares: the update it is given, the outcome it reports, and how an HTTP
answer becomes an outcome (delivered, retry later, or failed for a reason a person can act on)."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Protocol

import httpx

RETRYABLE = {420, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Update:
    """One stakeholder update, rendered, as every destination receives it."""

    reference: str
    severity: str
    status: str
    title: str
    text: str


@dataclass(frozen=True)
class Outcome:
    state: str                       # "delivered", "retry", "failed"
    detail: str = ""                 # for people: what happened and what to do
    retry_after: float | None = None  # seconds, when the service said how long to wait
    remote_id: str | None = None     # the service's id for what was posted, when it gives one

    @property
    def final(self) -> bool:
        return self.state != "retry"


class Destination(Protocol):
    kind: str
    name: str

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome: ...


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, from either form the header takes (seconds, or an HTTP date)."""
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else None


def classify(response: httpx.Response, name: str) -> Outcome:
    """The common reading of an HTTP answer; destinations refine it with their own error formats."""
    if 200 <= response.status_code < 300:
        return Outcome("delivered")
    body = response.text.strip()[:300]
    if response.status_code in RETRYABLE:
        return Outcome("retry", f"{name} answered {response.status_code} {body}".strip(), retry_after(response))
    hint = {401: "the token or webhook URL is not accepted: set it again",
            403: "not allowed: check the token's permissions or the channel",
            404: "not found: the webhook URL or channel no longer exists",
            410: "gone: the channel was archived or the webhook removed",
            413: "the update is too large for it: shorten it"}.get(response.status_code, "check its settings")
    said = f"{response.status_code} {body}" if body else str(response.status_code)
    return Outcome("failed", f"{name} refused the update ({said}): {hint}.")
