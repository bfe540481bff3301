"""The quarantine: rows from outside that this console will not store or fold, kept with the reason.

A row lands here when it fails `commander.domain.core.trust.check` (a clock stamp far ahead, a payload that
is not its kind's, a forged sequence number...). It is kept (bounded), counted in the status bar and
listed by `commander sync --quarantine`, and it never stops the rows after it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from commander.domain.core.clock import MAX_AHEAD_MS, pack, to_ms
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.core.trust import Ahead, check
from commander.store.records import EVENT_COLUMNS, untrusted_row_to_event
from commander.store.tables import quarantine

RAW_KEPT = 16_384  # characters of a set-aside row kept for a person to look at; the rest is counted
LOCAL = "local"  # the source named for rows swept out of this store itself


@dataclass(frozen=True)
class SetAside:
    source: str
    seq: int
    event_id: str | None
    kind: str | None
    login: str | None
    reason: str
    raw: str
    seen_at: datetime


class Quarantine:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, source: str, seq: int, row: Sequence[Any], refusal: Refusal, now_ms: int) -> None:
        """Keep one row (in EVENT_COLUMNS order) with the reason; a row already kept stays as it was. A row
        held back only for its clock is kept whole (it passed the size checks), to be taken in later."""
        values = dict(zip(EVENT_COLUMNS, row, strict=False))
        raw = json.dumps(
            {k: v if isinstance(v, (str, int, float, type(None))) else repr(v) for k, v in values.items()},
            ensure_ascii=False,
            default=str,
        )
        if len(raw) > RAW_KEPT and refusal.release_at is None:
            raw = raw[:RAW_KEPT] + f"... ({len(raw) - RAW_KEPT} more characters not kept)"
        record = {
            "source": source[:200],
            "seq": seq,
            "event_id": _text(values.get("id"), 80),
            "kind": _text(values.get("kind"), 80),
            "login": _text(values.get("login"), 64),
            "reason": refusal.reason,
            "raw": raw,
            "seen_at": now_ms,
            "release_at": refusal.release_at,
        }
        if self.conn.dialect.name == "sqlite":
            self.conn.execute(sqlite_insert(quarantine).on_conflict_do_nothing(), [record])
        else:
            from sqlalchemy.dialects.postgresql import insert

            self.conn.execute(insert(quarantine).on_conflict_do_nothing(), [record])

    def due(self, now_ms: int) -> list[tuple[str, int, tuple[Any, ...]]]:
        """Rows held back for their clock whose time has come: (source, seq, row) to check again."""
        rows = self.conn.execute(
            select(quarantine.c.source, quarantine.c.seq, quarantine.c.raw).where(quarantine.c.release_at <= now_ms)
        ).all()
        found = []
        for source, seq, raw in rows:
            values = json.loads(raw)
            found.append((source, seq, tuple(values.get(column) for column in EVENT_COLUMNS)))
        return found

    def release(self, source: str, seq: int) -> None:
        self.conn.execute(quarantine.delete().where((quarantine.c.source == source) & (quarantine.c.seq == seq)))

    def count(self) -> int:
        return int(self.conn.scalar(select(func.count()).select_from(quarantine)) or 0)

    def listed(self, limit: int = 200) -> list[SetAside]:
        rows = self.conn.execute(
            select(quarantine).order_by(quarantine.c.seen_at.desc(), quarantine.c.seq).limit(limit)
        ).all()
        return [
            SetAside(
                r.source,
                r.seq,
                r.event_id,
                r.kind,
                r.login,
                r.reason,
                r.raw,
                datetime.fromtimestamp(r.seen_at / 1000, UTC),
            )
            for r in rows
        ]


def sweep(conn: Connection, *, max_ahead_ms: int = MAX_AHEAD_MS, now: datetime | None = None) -> int:
    """Move the events of this (local SQLite) store that fail today's checks into the quarantine:
    rows a version without them pulled from a shared store. Returns how many were moved."""
    now_ms = to_ms(now or datetime.now(UTC))
    limit = pack(now_ms + max_ahead_ms, (1 << 16) - 1)
    doomed: list[int] = []
    last = 0
    columns = ", ".join(EVENT_COLUMNS)
    while True:
        rows = conn.execute(
            text(f"SELECT rowid, {columns} FROM events WHERE rowid > :last ORDER BY rowid LIMIT 5000"), {"last": last}
        ).all()
        if not rows:
            break
        for row in rows:
            refusal = problem(row[1:], limit_hlc=limit, now_ms=now_ms, max_ahead_ms=max_ahead_ms)
            if refusal is not None:
                Quarantine(conn).add(LOCAL, row[0], row[1:], refusal, now_ms)
                doomed.append(row[0])
        last = rows[-1][0]
    for start in range(0, len(doomed), 500):
        chunk = doomed[start : start + 500]
        conn.execute(
            text(
                f"DELETE FROM outbox WHERE event_id IN (SELECT id FROM events WHERE rowid IN "
                f"({', '.join(str(r) for r in chunk)}))"
            )
        )
        conn.execute(text(f"DELETE FROM events WHERE rowid IN ({', '.join(str(r) for r in chunk)})"))
    return len(doomed)


@dataclass(frozen=True)
class Refusal:
    reason: str
    release_at: int | None = None  # UTC ms: held back only for its clock stamp, check again then


def problem(row: Sequence[Any], *, limit_hlc: int, now_ms: int, max_ahead_ms: int) -> Refusal | None:
    """Why a row (EVENT_COLUMNS order) must be set aside; None when it may be taken in."""
    found = parse(row, limit_hlc=limit_hlc, now_ms=now_ms, max_ahead_ms=max_ahead_ms)
    return found if isinstance(found, Refusal) else None


def parse(row: Sequence[Any], *, limit_hlc: int, now_ms: int, max_ahead_ms: int) -> Event | Refusal:
    """The event a row holds, or why it must be set aside."""
    try:
        event = untrusted_row_to_event(row)
        check(event, limit_hlc=limit_hlc, now_ms=now_ms, max_ahead_ms=max_ahead_ms)
    except Ahead as error:
        return Refusal(str(error), error.release_ms)
    except DomainError as error:
        return Refusal(str(error))
    except (TypeError, ValueError, OverflowError) as error:  # a shape no check foresaw: still only input
        return Refusal(f"it cannot be read ({type(error).__name__})")
    return event


def _text(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


__all__ = ["LOCAL", "Quarantine", "Refusal", "SetAside", "parse", "problem", "sweep"]
