"""Repositories: they take a connection from the caller's transaction and never commit on their own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from commander.domain.core.clock import to_ms
from commander.domain.core.events import Event
from commander.domain.incident.state import IncidentState
from commander.store.database import Database
from commander.store.records import (  # re-exported for callers that read rows with SQLAlchemy
    EVENT_COLUMNS,
    STREAM_COLUMNS,
    IncidentSummary,
    event_to_row,
    row_to_event,
    stream_from_rows,
    summary_from_row,
)
from commander.store.tables import events, incidents, meta, outbox

__all__ = ["EventLog", "IncidentList", "IncidentSummary", "Outbox", "Settings", "event_to_row", "row_to_event"]

_EVENT_COLUMNS = tuple(events.c[name] for name in EVENT_COLUMNS)
_STREAM_COLUMNS = tuple(events.c[name] for name in STREAM_COLUMNS)


def _pg_insert() -> Any:
    # Imported on first use: the PostgreSQL dialect adds ~80 ms to every start on a SQLite store.
    from sqlalchemy.dialects.postgresql import insert

    return insert


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
            maker = sqlite_insert if dialect == "sqlite" else (_pg_insert() if dialect == "postgresql" else None)
            stmt = maker(events).on_conflict_do_nothing(index_elements=["id"]) if maker else insert(events)
            self.conn.execute(stmt, [event_to_row(e) for e in new])
        return new

    def stream(self, stream: str) -> list[Event]:
        rows = self.conn.execute(select(*_STREAM_COLUMNS).where(events.c.stream == stream).order_by(events.c.hlc)).all()
        return stream_from_rows(stream, rows)

    def streams(self, prefix: str) -> list[str]:
        return list(self.conn.scalars(select(events.c.stream).where(events.c.stream.startswith(prefix)).distinct()))

    def set_login(self, event_ids: Sequence[str], login: str) -> None:
        """Record the login the shared store recorded for events this console wrote (local store only)."""
        for start in range(0, len(event_ids), 500):
            self.conn.execute(
                update(events)
                .where(events.c.id.in_(event_ids[start : start + 500]))
                .where(events.c.login.is_(None))
                .values(login=login)
            )

    def max_rowid(self) -> int:
        """SQLite only: the newest row's rowid (rowids only grow), to pick up other processes' writes."""
        return int(self.conn.execute(text("SELECT coalesce(max(rowid), 0) FROM events")).scalar_one())

    def after_rowid(self, rowid: int) -> list[Event]:
        """SQLite only: events other processes appended after `rowid`, in the order they were written."""
        rows = self.conn.execute(
            select(*_EVENT_COLUMNS).where(text("rowid > :seen")).order_by(text("rowid")), {"seen": rowid}
        ).all()
        actors: dict[tuple[str, str], Any] = {}
        return [row_to_event(row, actors) for row in rows]

    def max_hlc(self) -> int:
        return int(self.conn.scalar(select(func.max(events.c.hlc))) or 0)

    def of_kinds(self, kinds: Sequence[str]) -> list[Event]:
        """Every event of these kinds, across streams, in log order."""
        rows = self.conn.execute(
            select(*_EVENT_COLUMNS).where(events.c.kind.in_(list(kinds))).order_by(events.c.hlc)
        ).all()
        actors: dict[tuple[str, str], Any] = {}
        return [row_to_event(row, actors) for row in rows]

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(events)) or 0)


class IncidentList:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def save(self, state: IncidentState) -> None:
        m = {name: to_ms(moment) for name, moment in state.milestones.items()}
        ic = state.roles.get("incident_commander")
        values = {
            "reference": state.reference,
            "title": state.title,
            "severity": state.severity,
            "status": state.status.value,
            "is_open": state.is_open,
            "drill": state.drill,
            "services": json.dumps(state.services, ensure_ascii=False),
            "commander": ic.holder if ic else None,
            "detected_at": m.get("detected"),
            "declared_at": m.get("declared"),
            "mitigated_at": m.get("mitigated"),
            "resolved_at": m.get("resolved"),
            "closed_at": m.get("closed"),
            "event_count": state.event_count,
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
        return [summary_from_row(dict(row)) for row in self.conn.execute(query).mappings()]

    def by_reference_prefix(self, prefix: str) -> list[IncidentSummary]:
        """`prefix` is normalised (INC-XXXX); also matches a raw id prefix."""
        rows = self.conn.execute(select(incidents).where(incidents.c.reference.startswith(prefix))).mappings()
        return [summary_from_row(dict(row)) for row in rows]

    def by_id_prefix(self, prefix: str) -> list[IncidentSummary]:
        rows = self.conn.execute(select(incidents).where(incidents.c.id.startswith(prefix.lower()))).mappings()
        return [summary_from_row(dict(row)) for row in rows]


class Settings:
    """The store's own key/value settings."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, key: str) -> str | None:
        return self.conn.scalar(select(meta.c.value).where(meta.c.key == key))

    def put(self, key: str, value: str) -> None:
        if self.conn.execute(update(meta).where(meta.c.key == key).values(value=value)).rowcount == 0:
            self.conn.execute(insert(meta).values(key=key, value=value))

    def delete(self, key: str) -> None:
        self.conn.execute(meta.delete().where(meta.c.key == key))


class DatabaseReads:
    """The console's reads through SQLAlchemy, for stores that are not a local SQLite file."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def summaries(self, *, include_closed: bool = True) -> list[IncidentSummary]:
        with self.database.read() as conn:
            return IncidentList(conn).summaries(include_closed=include_closed)

    def by_reference_prefix(self, prefix: str) -> list[IncidentSummary]:
        with self.database.read() as conn:
            return IncidentList(conn).by_reference_prefix(prefix)

    def by_id_prefix(self, prefix: str) -> list[IncidentSummary]:
        with self.database.read() as conn:
            return IncidentList(conn).by_id_prefix(prefix)

    def stream(self, stream: str) -> list[Event]:
        with self.database.read() as conn:
            return EventLog(conn).stream(stream)

    def of_kinds(self, kinds: Sequence[str]) -> list[Event]:
        with self.database.read() as conn:
            return EventLog(conn).of_kinds(kinds)

    def projected_rowid(self) -> int | None:
        if not self.database.is_sqlite:
            return None
        with self.database.read() as conn:
            value = Settings(conn).get("projected_rowid")
        return int(value) if value is not None and value.isdigit() else None

    def max_rowid(self) -> int:
        if not self.database.is_sqlite:
            return 0
        with self.database.read() as conn:
            return EventLog(conn).max_rowid()


class Outbox:
    """Local events the shared store has not acknowledged: pushed by the replicator, oldest first."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, written: Sequence[Event]) -> None:
        if written:
            self.conn.execute(insert(outbox), [{"event_id": e.id} for e in written])

    def batch(self, limit: int) -> list[Event]:
        rows = self.conn.execute(
            select(*_EVENT_COLUMNS).join(outbox, outbox.c.event_id == events.c.id).order_by(events.c.hlc).limit(limit)
        ).all()
        actors: dict[tuple[str, str], Any] = {}
        return [row_to_event(row, actors) for row in rows]

    def acknowledge(self, event_ids: Sequence[str]) -> None:
        for start in range(0, len(event_ids), 500):
            self.conn.execute(outbox.delete().where(outbox.c.event_id.in_(event_ids[start : start + 500])))

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(outbox)) or 0)
