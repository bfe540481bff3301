"""Rows to domain records and back, with no SQLAlchemy: shared by the repositories, by the standard
library reader that serves the start-up path, and by the replicator."""

from __future__ import annotations

import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from commander.domain.core.clock import to_ms
from commander.domain.core.events import Actor, Event
from commander.domain.core.trust import PAYLOAD_BYTES as PAYLOAD_CHARS
from commander.domain.core.trust import Untrusted

EVENT_COLUMNS = (
    "id",
    "stream",
    "kind",
    "payload",
    "actor_id",
    "actor_name",
    "hlc",
    "occurred_at",
    "recorded_at",
    "origin",
    "login",
)
# What a stream read selects: every row shares the stream, so not selecting it saves making 50,000
# copies of one string for a long incident.
STREAM_COLUMNS = tuple(column for column in EVENT_COLUMNS if column != "stream")
INCIDENT_COLUMNS = (
    "id",
    "reference",
    "title",
    "severity",
    "status",
    "is_open",
    "drill",
    "services",
    "commander",
    "detected_at",
    "declared_at",
    "resolved_at",
    "event_count",
)

log_order = operator.attrgetter("hlc", "origin", "id")
_loads = json.loads


def from_ms(ms: int, _fromtimestamp: Any = datetime.fromtimestamp, _utc: Any = UTC) -> datetime:
    moment: datetime = _fromtimestamp(ms / 1000, _utc)  # bound defaults: this runs 100,000 times an open
    return moment


def event_to_row(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "stream": event.stream,
        "kind": event.kind,
        "payload": json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")),
        "actor_id": event.actor.id,
        "actor_name": event.actor.name,
        "hlc": event.hlc,
        "occurred_at": to_ms(event.occurred_at),
        "recorded_at": to_ms(event.recorded_at),
        "origin": event.origin,
        "login": event.login,
    }


def row_to_event(row: Sequence[Any], actors: dict[tuple[str, str], Actor] | None = None) -> Event:
    """A row in EVENT_COLUMNS order. Pass one `actors` dict for a batch: one Actor per person."""
    key = (row[4], row[5])
    actor = Actor(*key) if actors is None else actors.get(key) or actors.setdefault(key, Actor(*key))
    return Event(
        row[0], row[1], row[2], _loads(row[3]), actor, row[6], from_ms(row[7]), from_ms(row[8]), row[9], row[10]
    )


_MAX_MS = 7_258_118_400_000  # 2200-01-01: past it a time is nonsense (and year 10000 breaks datetime)


def untrusted_row_to_event(row: Sequence[Any]) -> Event:
    """A row in EVENT_COLUMNS order written by someone else (the shared store). Raises Untrusted, with
    the reason in words, where `row_to_event` would raise or build an event no fold can use; the
    envelope and payload rules themselves are `commander.domain.core.trust.check`'s."""
    event_id, stream, kind, payload, actor_id, actor_name, hlc, occurred, recorded, origin, login = row
    if not isinstance(payload, str) or len(payload) > PAYLOAD_CHARS:
        raise Untrusted("its payload is missing or larger than 1 MB")
    try:
        parsed = _loads(payload)
    except (ValueError, RecursionError):
        raise Untrusted("its payload is not JSON") from None
    if not isinstance(parsed, dict):
        raise Untrusted(f"its payload is a JSON {type(parsed).__name__}, not an object")
    for name, value in (("time it happened", occurred), ("time it was recorded", recorded)):
        if type(value) is not int or not 0 <= value <= _MAX_MS:
            raise Untrusted(f"its {name} is out of range")
    for name, value in (
        ("id", event_id),
        ("stream", stream),
        ("kind", kind),
        ("author id", actor_id),
        ("author name", actor_name),
        ("console id", origin),
    ):
        if not isinstance(value, str):
            raise Untrusted(f"its {name} is not text")
    if login is not None and not isinstance(login, str):
        raise Untrusted("its login is not text")
    return Event(
        event_id,
        stream,
        kind,
        parsed,
        Actor(actor_id, actor_name),
        hlc,
        from_ms(occurred),
        from_ms(recorded),
        origin,
        login,
    )


def stream_from_rows(stream: str, rows: Sequence[Sequence[Any]]) -> list[Event]:
    """Events of one stream from rows in STREAM_COLUMNS order, sorted in log order."""
    if not rows:
        return []
    # One json.loads over all payloads at once: a long incident's load spends most of its time in
    # per-call overhead otherwise (50,000 small objects: ~4x faster).
    payloads = _loads("[" + ",".join(row[2] for row in rows) + "]")
    actors: dict[tuple[str, str], Actor] = {}
    found = []
    for (event_id, kind, _, actor_id, actor_name, hlc, occurred_ms, recorded_ms, origin, login), payload in zip(
        rows, payloads, strict=True
    ):
        key = (actor_id, actor_name)
        actor = actors.get(key) or actors.setdefault(key, Actor(*key))
        recorded = from_ms(recorded_ms)
        # Happened when recorded unless backdated: share the one datetime then.
        occurred = recorded if occurred_ms == recorded_ms else from_ms(occurred_ms)
        found.append(Event(event_id, stream, kind, payload, actor, hlc, occurred, recorded, origin, login))
    # Sorted here rather than in SQL: the (stream, hlc) index already gives nearly the final order,
    # and Python's sort on nearly-sorted input is cheaper than SQLite's temporary B-tree.
    found.sort(key=log_order)
    return found


@dataclass(frozen=True)
class IncidentSummary:
    """One row of the incident list."""

    id: str
    reference: str
    title: str
    severity: str
    status: str
    is_open: bool
    drill: bool
    services: list[str]
    commander: str | None
    started_at_ms: int | None
    resolved_at_ms: int | None
    event_count: int


def summary_from_row(row: Mapping[str, Any]) -> IncidentSummary:
    return IncidentSummary(
        id=row["id"],
        reference=row["reference"],
        title=row["title"],
        severity=row["severity"],
        status=row["status"],
        is_open=bool(row["is_open"]),
        drill=bool(row["drill"]),
        services=json.loads(row["services"]),
        commander=row["commander"],
        started_at_ms=row["detected_at"] or row["declared_at"],
        resolved_at_ms=row["resolved_at"],
        event_count=row["event_count"],
    )
