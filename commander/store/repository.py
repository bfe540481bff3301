"""Repositories: they take a connection from the caller's transaction and never commit on their own."""

from __future__ import annotations

import json
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, func, insert, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from commander.domain.clock import to_ms
from commander.domain.events import Actor, Event
from commander.domain.incident import IncidentState
from commander.store.tables import events, incidents, meta

_EVENT_COLUMNS = (events.c.id, events.c.stream, events.c.kind, events.c.payload, events.c.actor_id,
                  events.c.actor_name, events.c.hlc, events.c.occurred_at, events.c.recorded_at, events.c.origin)


_order = operator.attrgetter("hlc", "origin", "id")
# What EventLog.stream reads: every row shares the stream, so not selecting it saves making 50,000
# copies of one string for a long incident.
_STREAM_COLUMNS = tuple(column for column in _EVENT_COLUMNS if column is not events.c.stream)


def event_to_row(event: Event) -> dict[str, Any]:
    return {
        "id": event.id, "stream": event.stream, "kind": event.kind,
        "payload": json.dumps(event.payload, ensure_ascii=False, separators=(",", ":")),
        "actor_id": event.actor.id, "actor_name": event.actor.name, "hlc": event.hlc,
        "occurred_at": to_ms(event.occurred_at), "recorded_at": to_ms(event.recorded_at), "origin": event.origin,
    }


def row_to_event(row: Row[Any] | Sequence[Any], actors: dict[tuple[str, str], Actor] | None = None) -> Event:
    key = (row[4], row[5])
    if actors is None:
        actor = Actor(*key)
    else:  # one Actor per person, not one per event
        actor = actors.get(key) or actors.setdefault(key, Actor(*key))
    return Event(row[0], row[1], row[2], _loads(row[3]), actor, row[6], _from_ms(row[7]), _from_ms(row[8]), row[9])


_loads = json.loads


def _pg_insert() -> Any:
    # Imported on first use: the PostgreSQL dialect adds ~80 ms to every start on a SQLite store.
    from sqlalchemy.dialects.postgresql import insert

    return insert


def _from_ms(ms: int, _fromtimestamp: Any = datetime.fromtimestamp, _utc: Any = UTC) -> datetime:
    return _fromtimestamp(ms / 1000, _utc)


class EventLog:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def append(self, batch: Sequence[Event]) -> list[Event]:
        """Insert events; ones already present (same id) are skipped. Returns the ones that were new."""
        unique = list({e.id: e for e in batch}.values())  # a batch may hold one event twice (a replay)
        if not unique:
            return []
        present = set(self.conn.scalars(select(events.c.id).where(events.c.id.in_([e.id for e in unique]))))
        new = [e for e in unique if e.id not in present]
        if new:
            dialect = self.conn.dialect.name
            maker = sqlite_insert if dialect == "sqlite" else (_pg_insert() if dialect == "postgresql"
                                                                else None)
            stmt = maker(events).on_conflict_do_nothing(index_elements=["id"]) if maker else insert(events)
            self.conn.execute(stmt, [event_to_row(e) for e in new])
        return new

    def stream(self, stream: str) -> list[Event]:
        # Sorted here rather than in SQL: the (stream, hlc) index already gives nearly the final order,
        # and Python's sort on nearly-sorted input is cheaper than SQLite's temporary B-tree.
        result = self.conn.execute(select(*_STREAM_COLUMNS).where(events.c.stream == stream)
                                   .order_by(events.c.hlc)).all()
        if not result:
            return []
        # One json.loads over all payloads at once: a long incident's load spends most of its time in
        # per-call overhead otherwise (50,000 small objects: ~4x faster).
        payloads = _loads("[" + ",".join(row[2] for row in result) + "]")
        actors: dict[tuple[str, str], Actor] = {}
        found = []
        for (event_id, kind, _, actor_id, actor_name, hlc, occurred_ms, recorded_ms, origin), payload in zip(
                result, payloads, strict=True):
            key = (actor_id, actor_name)
            actor = actors.get(key) or actors.setdefault(key, Actor(*key))
            recorded = _from_ms(recorded_ms)
            # Happened when recorded unless backdated: share the one datetime then.
            occurred = recorded if occurred_ms == recorded_ms else _from_ms(occurred_ms)
            found.append(Event(event_id, stream, kind, payload, actor, hlc, occurred, recorded, origin))
        found.sort(key=_order)
        return found

    def streams(self, prefix: str) -> list[str]:
        return list(self.conn.scalars(select(events.c.stream).where(events.c.stream.startswith(prefix))
                                      .distinct()))

    def max_hlc(self) -> int:
        return int(self.conn.scalar(select(func.max(events.c.hlc))) or 0)

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(events)) or 0)


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


class IncidentList:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def save(self, state: IncidentState) -> None:
        m = {name: to_ms(moment) for name, moment in state.milestones.items()}
        ic = state.roles.get("incident_commander")
        values = {
            "reference": state.reference, "title": state.title, "severity": state.severity,
            "status": state.status.value, "is_open": state.is_open, "drill": state.drill,
            "services": json.dumps(state.services, ensure_ascii=False), "commander": ic.holder if ic else None,
            "detected_at": m.get("detected"), "declared_at": m.get("declared"), "mitigated_at": m.get("mitigated"),
            "resolved_at": m.get("resolved"), "closed_at": m.get("closed"), "event_count": state.event_count,
            "last_hlc": state.last_order[0],
        }
        changed = self.conn.execute(update(incidents).where(incidents.c.id == state.id).values(**values))
        if changed.rowcount == 0:
            self.conn.execute(insert(incidents).values(id=state.id, **values))

    def clear(self) -> None:
        self.conn.execute(incidents.delete())

    def summaries(self, *, include_closed: bool = True) -> list[IncidentSummary]:
        query = select(incidents)
        if not include_closed:
            query = query.where(incidents.c.is_open.is_(True))
        query = query.order_by(incidents.c.declared_at.desc())
        return [_summary(row) for row in self.conn.execute(query).mappings()]

    def by_reference_prefix(self, prefix: str) -> list[IncidentSummary]:
        """`prefix` is normalised (INC-XXXX); also matches a raw id prefix."""
        rows = self.conn.execute(select(incidents).where(incidents.c.reference.startswith(prefix))).mappings()
        return [_summary(row) for row in rows]

    def by_id_prefix(self, prefix: str) -> list[IncidentSummary]:
        rows = self.conn.execute(select(incidents).where(incidents.c.id.startswith(prefix.lower()))).mappings()
        return [_summary(row) for row in rows]


def _summary(row: Any) -> IncidentSummary:
    return IncidentSummary(
        id=row["id"], reference=row["reference"], title=row["title"], severity=row["severity"],
        status=row["status"], is_open=bool(row["is_open"]), drill=bool(row["drill"]),
        services=json.loads(row["services"]), commander=row["commander"],
        started_at_ms=row["detected_at"] or row["declared_at"], resolved_at_ms=row["resolved_at"],
        event_count=row["event_count"])


class Settings:
    """The store's own key/value settings."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> str | None:
        return self.conn.scalar(select(meta.c.value).where(meta.c.key == key))

    def put(self, key: str, value: str) -> None:
        if self.conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
            self.conn.execute(insert(meta).values(key=key, value=value))
