"""What every destination shares: the update it is given, the outcome it reports, and how an HTTP
answer becomes an outcome (delivered, retry later, or failed for a reason a person can act on).

Every JSON body goes out as UTF-8 with `Content-Type: application/json; charset=utf-8` (`json_request`):
Slack warns `missing_charset` without the charset (https://docs.slack.dev/apis/web-api/#posting_json), and
no receiver then has to guess. An answer from something that is not the service (a proxy's or a load
balancer's HTML error page) is quoted as one line, its status and the page's <title> (`quoted`)."""

from __future__ import annotations

import asyncio
import email.utils
import html
import json
import re
import ssl
import threading
import time
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol

import certifi
import httpx

from commander.domain.core import graphemes

RETRYABLE = {420, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Update:
    """One stakeholder update, rendered, as every destination receives it."""

    reference: str
    severity: str
    status: str  # ours: investigating, identified, mitigated, resolved, closed
    title: str
    text: str
    delivery: str = ""  # the id of this delivery's update.queued event: the same across retries and
    # restarts, so it is an idempotency key (Matrix txnId, webhook delivery header)
    remote_id: str | None = None  # what this destination created for this incident before (a status
    # page's incident id), so the next update updates it
    services: tuple[str, ...] = ()  # affected services, for status pages' component mapping
    resumed: bool = False  # sent again after Commander was closed mid-send: check before creating
    summary: str = ""  # the incident's impact summary


@dataclass(frozen=True)
class Outcome:
    state: str  # "delivered", "retry", "failed"
    detail: str = ""  # for people: what happened and what to do
    retry_after: float | None = None  # seconds, when the service said how long to wait
    remote_id: str | None = None  # the service's id for what was posted, when it gives one
    shortened: tuple[int, int] | None = None  # (characters sent, characters in the update) when it was cut

    @property
    def final(self) -> bool:
        return self.state != "retry"

    @property
    def shortened_words(self) -> str:
        """ "shortened to 16,938 of 20,000 characters", or "" when the whole update went."""
        if not self.shortened:
            return ""
        return f"shortened to {self.shortened[0]:,} of {self.shortened[1]:,} characters"


class Destination(Protocol):
    kind: str
    name: str
    # True when sending the same Update (same `delivery`) twice cannot post twice: the service
    # deduplicates (Matrix txnId) or the destination checks what is there first (status pages).
    resumable: bool

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome: ...


_TLS: list[ssl.SSLContext] = []
_TLS_LOCK = threading.Lock()


def client(timeout: float) -> httpx.AsyncClient:
    """An HTTP client for one send. The TLS context (certifi's CAs, as httpx uses by default; verification
    on) is made once per process: making it costs tens of milliseconds, every time, before a byte leaves."""
    return httpx.AsyncClient(timeout=timeout, verify=tls_context())


def tls_context() -> ssl.SSLContext:
    with _TLS_LOCK:
        if not _TLS:
            _TLS.append(ssl.create_default_context(cafile=certifi.where()))
        return _TLS[0]


def warm_up() -> None:
    """Make the TLS context on a background thread (a window about to send calls it), so the click
    that sends does not wait for it."""
    threading.Thread(target=tls_context, name="commander-tls-warm-up", daemon=True).start()


@dataclass
class _Pacer:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_slot: dict[str, float] = field(default_factory=dict)


_PACER = _Pacer()


PREVIEWING: ContextVar[bool] = ContextVar("previewing", default=False)
"""Set while a send is only being shown (nothing leaves the machine): pacing then takes no slot."""


async def pace(key: str, interval: float) -> None:
    """Wait for this key's next slot: at most one request per `interval` seconds per key, across every
    send in this process (each send runs its own event loop on a worker thread, hence the thread lock).
    Slack allows a webhook about one message a second; Statuspage one request a second per token."""
    if PREVIEWING.get():
        return
    with _PACER.lock:
        now = time.monotonic()
        slot = max(now, _PACER.next_slot.get(key, 0.0))
        _PACER.next_slot[key] = slot + interval
    if slot > now:
        await asyncio.sleep(slot - now)


def shorten(text: str, limit: int) -> str:
    """Text cut to `limit` characters on a grapheme boundary, with an ellipsis when cut."""
    return text if len(text) <= limit else graphemes.fit(text, limit, note="…").text


def chunks(text: str, limit: int, unit: graphemes.Unit = "chars") -> list[str]:
    """Text split into pieces of at most `limit` (measured in `unit`), at line breaks where it can be, and
    never inside a grapheme cluster (a flag or a ZWJ emoji stays whole)."""
    pieces: list[str] = []
    while graphemes.size(text, unit) > limit:
        fits = len(graphemes.cut(text, limit, unit)) or 1  # a single cluster past the limit goes on its own
        cut = text.rfind("\n", 0, fits)
        cut = cut if cut > fits // 2 else fits
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text or not pieces:
        pieces.append(text)
    return pieces


JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_request(payload: object, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`content` and `headers` for an httpx request that carries `payload` as UTF-8 JSON, charset said."""
    kept = {name: value for name, value in (headers or {}).items() if name.lower() != "content-type"}
    return {
        "content": json.dumps(payload, ensure_ascii=False).encode(),
        "headers": {**kept, "content-type": JSON_CONTENT_TYPE},
    }


_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HTML = re.compile(r"^\s*(<!doctype\s+html|<html|<head|<body|<\?xml|<!--|<h1|<center)", re.IGNORECASE)


def is_html(response: httpx.Response) -> bool:
    """An HTML page. Slack's webhooks label their one-word errors (`no_service`) text/html, so the label
    alone does not make a page: it must have markup too."""
    start = response.text[:500]
    return bool(_HTML.match(start)) or ("html" in response.headers.get("content-type", "").lower() and "<" in start)


def quoted(response: httpx.Response, limit: int = 300) -> str:
    """What the answer said, as one line a person can read: the service's own words (its body, spaces
    collapsed, cut to `limit`), or, for an HTML page from something in between (a proxy, a captive portal,
    a load balancer), "an HTML page titled '502 Bad Gateway'" and never the page itself."""
    if is_html(response):
        found = _TITLE.search(response.text)
        title = " ".join(_TAGS.sub(" ", html.unescape(found.group(1))).split()) if found else ""
        title = graphemes.fit(title, 120, note="…").text if title else ""
        return f"an HTML page titled '{title}'" if title else "an HTML page without a title"
    words = " ".join(response.text.split())
    return graphemes.fit(words, limit, note="…").text if words else ""


_TAGS = re.compile(r"<[^>]*>")


PAGE_STATUS = {
    "investigating": "investigating",
    "identified": "identified",
    "mitigated": "monitoring",
    "resolved": "resolved",
    "closed": "resolved",
}
"""Our status as status pages name theirs (Statuspage, Instatus and Cachet use these four words)."""

COMPONENT_STATUS = {
    "SEV1": "major_outage",
    "SEV2": "partial_outage",
    "SEV3": "degraded_performance",
    "SEV4": "degraded_performance",
}
"""An affected component's status on a status page, from the incident's severity; `operational` once
the incident is resolved."""


def component_status(update: Update) -> str:
    return (
        "operational"
        if PAGE_STATUS.get(update.status) == "resolved"
        else COMPONENT_STATUS.get(update.severity, "degraded_performance")
    )


def mapping(option: str) -> dict[str, str]:
    """`payments=abc123, checkout=def456` as {"payments": "abc123", "checkout": "def456"}."""
    found: dict[str, str] = {}
    for item in option.split(","):
        key, sep, value = item.partition("=")
        if sep and key.strip() and value.strip():
            found[key.strip()] = value.strip()
    return found


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
    body = quoted(response)
    if response.status_code in RETRYABLE:
        return Outcome("retry", f"{name} answered {response.status_code} {body}".strip(), retry_after(response))
    hint = {
        401: "the token or webhook URL is not accepted: set it again",
        403: "not allowed: check the token's permissions or the channel",
        404: "not found: the webhook URL or channel no longer exists",
        410: "gone: the channel was archived or the webhook removed",
        413: "the update is too large for it: shorten it",
    }.get(response.status_code, "check its settings")
    said = f"{response.status_code} {body}" if body else str(response.status_code)
    return Outcome("failed", f"{name} refused the update ({said}): {hint}.")
