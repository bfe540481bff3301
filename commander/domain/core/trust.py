"""What a console checks before it takes in an event someone else wrote.

The shared store is input, not truth: any responder can INSERT rows, and a buggy console can write
nonsense. Every event pulled from it passes `check` before it is stored here or folded; one that fails
is set aside (quarantined) with the reason, and never stops the rows after it. The payload's own shape
is checked per kind by `commander.domain.core.events.validate_payload`; this module checks the envelope
around it: identifiers, sizes, the clock stamp and the times.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from commander.domain.core.clock import COUNTER_BITS, STORE_MAX, to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Actor, Event, validate_payload

EARLIEST_MS = 0  # 1970-01-01: no event in Commander's world happened before it
PAYLOAD_BYTES = 1_000_000  # a runbook version is the largest payload Commander writes (a few hundred kB)

# The store's column sizes (commander/store/tables.py): PostgreSQL enforces them, a SQLite file does not.
_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,30}(\.[a-z][a-z0-9_]{0,30}){1,2}$")
_STREAM = re.compile(r"^[a-z][a-z_]{0,19}:[A-Za-z0-9_.:@-]{1,59}$")
_UUID_STREAMS = ("incident", "runbook", "postmortem")  # their entity is an id the folds parse as a UUID
_ORIGIN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_ACTOR_NAME = 200
_ACTOR_ID = 64


class Untrusted(DomainError):
    """An event from outside that this console will not store or fold; the message says why."""


class Ahead(Untrusted):
    """An event fine but for its clock stamp, which is ahead of ours by more than the allowed drift. It
    may be taken in once our clock is within the drift of it: at `release_ms` (UTC milliseconds)."""

    def __init__(self, message: str, release_ms: int) -> None:
        super().__init__(message)
        self.release_ms = release_ms


def check(event: Event, *, limit_hlc: int, now_ms: int, max_ahead_ms: int) -> None:
    """Raise Untrusted when the event must not be taken in. `limit_hlc` is the largest clock stamp this
    console accepts now (HybridClock.limit), `now_ms` its wall clock."""
    if not isinstance(event.id, str) or not _ID.match(event.id):
        raise Untrusted(f"its id {_show(event.id)} is not a UUID")
    if not isinstance(event.kind, str) or not _KIND.match(event.kind):
        raise Untrusted(f"its kind {_show(event.kind)} is not an event kind")
    check_stream(event.stream)
    if not isinstance(event.origin, str) or not _ORIGIN.match(event.origin):
        raise Untrusted(f"its console id {_show(event.origin)} is not one")
    check_actor(event.actor)
    if type(event.hlc) is not int or event.hlc < 0 or event.hlc > STORE_MAX:
        raise Untrusted(f"its clock stamp {_show(event.hlc)} is out of range")
    for name, moment in (("time it happened", event.occurred_at), ("time it was recorded", event.recorded_at)):
        if not isinstance(moment, datetime) or moment.tzinfo is None:
            raise Untrusted(f"its {name} is not a time")
        if to_ms(moment) < EARLIEST_MS:
            raise Untrusted(f"its {name} ({moment:%Y-%m-%d %H:%M} UTC) is before 1970")
    validate_payload(event.kind, event.payload)
    # Last, so that a row held back for its clock alone is otherwise sound and can be taken in later.
    wall = event.hlc >> COUNTER_BITS
    latest = max(wall, to_ms(event.occurred_at), to_ms(event.recorded_at))
    if event.hlc > limit_hlc or latest > now_ms + max_ahead_ms:
        ahead = (latest - now_ms) / 60_000
        raise Ahead(
            f"its clock stamp is {_span(ahead)} ahead of this computer's clock (more than the "
            f"{max_ahead_ms // 60_000} minutes allowed): a console with a wrong clock, or a forged row. "
            f"It is taken in if this computer's clock catches up",
            latest - max_ahead_ms,
        )


def check_stream(stream: object) -> None:
    if not isinstance(stream, str) or not _STREAM.match(stream):
        raise Untrusted(f"its stream {_show(stream)} is not one Commander writes")
    kind, _, entity = stream.partition(":")
    if kind in _UUID_STREAMS and not _ID.match(entity):
        raise Untrusted(f"its stream {_show(stream)} does not name a {kind} by its id")
    if kind in _UUID_STREAMS:
        uuid.UUID(entity)  # the pattern guarantees it parses; the folds rely on that


def check_actor(actor: object) -> None:
    if not isinstance(actor, Actor) or not isinstance(actor.id, str) or not isinstance(actor.name, str):
        raise Untrusted("its author is not a person")
    if not 0 < len(actor.id) <= _ACTOR_ID or not 0 < len(actor.name) <= _ACTOR_NAME:
        raise Untrusted("its author's id or name is empty or too long")
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in actor.name):
        raise Untrusted("its author's name holds control characters")


def login_differs(actor: Actor, login: str | None) -> bool:
    """True when the database login that wrote a row is not plainly the person it claims as author:
    neither their id nor their name, and no word of the login ("alex" in "alex.kim" or "alex_ops") is a
    word of their name (any case). Shown beside the author then. A login that shares a word with the
    name it claims passes: the store's administrator names logins, so that takes their collusion."""
    if not login:
        return False
    wanted = login.casefold()
    name = actor.name.casefold()
    if wanted in {actor.id.casefold(), name, name.replace(" ", "")}:
        return False
    words = {w for w in re.split(r"[\W\d_]+", name) if len(w) >= 2}
    return not words & {w for w in re.split(r"[\W\d_]+", wanted) if len(w) >= 2}


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _span(minutes: float) -> str:
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    if minutes < 2 * 24 * 60:
        return f"{minutes / 60:.0f} hours"
    if minutes < 2 * 365 * 24 * 60:
        return f"{minutes / (24 * 60):.0f} days"
    return "years"
