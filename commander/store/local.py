"""Reading a local SQLite store with the standard library's driver.

Start-up must show the window in under twice the time of a bare Qt window, and importing SQLAlchemy
alone takes longer than that. So the console reads its local SQLite file through `sqlite3` directly
(the incident list, an incident's events, the rowid watermark) and brings in SQLAlchemy only for
writes, migrations and the shared store, after the window is on screen. Reads here are plain SELECTs
in autocommit mode: each sees everything committed before it, and none holds a transaction open.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from commander.domain.core.events import Actor, Event
from commander.store.errors import StoreError, describe
from commander.store.records import (
    EVENT_COLUMNS,
    INCIDENT_COLUMNS,
    STREAM_COLUMNS,
    IncidentSummary,
    row_to_event,
    stream_from_rows,
    summary_from_row,
)

log = logging.getLogger(__name__)
_INCIDENTS = f"SELECT {', '.join(INCIDENT_COLUMNS)} FROM incidents"


class LocalReader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        with self._guard():
            self._conn = sqlite3.connect(str(path), isolation_level=None, timeout=5, check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
        self._table_cache: set[str] | None = None

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as error:
            known = describe(error, self.where)
            if known is None:
                raise
            raise known from error

    def table_names(self) -> set[str]:
        with self._guard():
            return {row[0] for row in self._conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def schema_version(self) -> str | None:
        if "alembic_version" not in self.table_names():
            return None
        with self._guard():
            row = self._conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None

    def setting(self, key: str) -> str | None:
        with self._guard():
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def max_hlc(self) -> int:
        with self._guard():
            return int(self._conn.execute("SELECT coalesce(max(hlc), 0) FROM events").fetchone()[0])

    def max_rowid(self) -> int:
        with self._guard():
            return int(self._conn.execute("SELECT coalesce(max(rowid), 0) FROM events").fetchone()[0])

    def projected_rowid(self) -> int | None:
        """The last rowid the projections include (the console writes it with them), when marked."""
        if "meta" not in self._tables():
            return None
        value = self.setting("projected_rowid")
        return int(value) if value is not None and value.isdigit() else None

    def summaries(self, *, include_closed: bool = True) -> list[IncidentSummary]:
        where = "" if include_closed else " WHERE is_open"
        with self._guard():
            rows = self._conn.execute(f"{_INCIDENTS}{where} ORDER BY declared_at DESC").fetchall()
        return [summary_from_row(row) for row in rows]

    def by_reference_prefix(self, prefix: str) -> list[IncidentSummary]:
        return self._match("reference", prefix)

    def by_id_prefix(self, prefix: str) -> list[IncidentSummary]:
        return self._match("id", prefix.lower())

    def _match(self, column: str, prefix: str) -> list[IncidentSummary]:
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._guard():
            rows = self._conn.execute(f"{_INCIDENTS} WHERE {column} LIKE ? ESCAPE '\\'", (pattern,)).fetchall()
        # LIKE ignores case; references and ids are matched exactly as normalised.
        return [summary_from_row(row) for row in rows if row[column].startswith(prefix)]

    def stream(self, stream: str) -> list[Event]:
        with self._guard():
            cursor = self._conn.cursor()
            cursor.row_factory = None  # plain tuples: the fastest rows sqlite3 makes
            rows = cursor.execute(
                f"SELECT {', '.join(STREAM_COLUMNS)} FROM events WHERE stream = ? ORDER BY hlc", (stream,)
            ).fetchall()
        return stream_from_rows(stream, rows)

    def of_kinds(self, kinds: Sequence[str]) -> list[Event]:
        """Every event of these kinds, across streams, in log order (a scan: for rare questions such as
        "which updates were interrupted")."""
        with self._guard():
            cursor = self._conn.cursor()
            cursor.row_factory = None
            rows = cursor.execute(
                f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE kind IN "
                f"({', '.join('?' for _ in kinds)}) ORDER BY hlc",
                tuple(kinds),
            ).fetchall()
        actors: dict[tuple[str, str], Actor] = {}
        return [row_to_event(row, actors) for row in rows]

    # -- snapshots of long incidents (a cache: see commander.domain.incident.snapshot) ----------------------

    _AFTER = "hlc >= ? AND (hlc > ? OR origin > ? OR (origin = ? AND id > ?))"
    _THROUGH = "hlc <= ? AND (hlc < ? OR origin < ? OR (origin = ? AND id <= ?))"

    def snapshot(self, stream: str) -> str | None:
        if "snapshots" not in self._tables():
            return None
        with self._guard():
            row = self._conn.execute("SELECT data FROM snapshots WHERE stream = ?", (stream,)).fetchone()
        return row[0] if row else None

    def count_through(self, stream: str, order: tuple[int, str, str]) -> int:
        hlc, origin, event_id = order
        with self._guard():
            return int(
                self._conn.execute(
                    f"SELECT count(*) FROM events WHERE stream = ? AND {self._THROUGH}",
                    (stream, hlc, hlc, origin, origin, event_id),
                ).fetchone()[0]
            )

    def stream_after(self, stream: str, order: tuple[int, str, str]) -> list[Event]:
        hlc, origin, event_id = order
        with self._guard():
            cursor = self._conn.cursor()
            cursor.row_factory = None
            rows = cursor.execute(
                f"SELECT {', '.join(STREAM_COLUMNS)} FROM events WHERE stream = ? AND {self._AFTER} ORDER BY hlc",
                (stream, hlc, hlc, origin, origin, event_id),
            ).fetchall()
        return stream_from_rows(stream, rows)

    def save_snapshot(self, stream: str, through_hlc: int, event_count: int, data: str) -> None:
        """Keep a snapshot. Only a cache: a store that cannot take it (read-only, full) just goes without."""
        if "snapshots" not in self._tables():
            return
        try:
            with self._guard():
                self._conn.execute(
                    "INSERT OR REPLACE INTO snapshots (stream, through_hlc, event_count, data) VALUES (?, ?, ?, ?)",
                    (stream, through_hlc, event_count, data),
                )
        except StoreError as error:
            log.info("snapshot of %s not kept: %s", stream, error)

    def _tables(self) -> set[str]:
        if self._table_cache is None or "snapshots" not in self._table_cache or "meta" not in self._table_cache:
            self._table_cache = self.table_names()
        return self._table_cache

    def after_rowid(self, rowid: int) -> list[Event]:
        with self._guard():
            cursor = self._conn.cursor()
            cursor.row_factory = None
            rows = cursor.execute(
                f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE rowid > ? ORDER BY rowid", (rowid,)
            ).fetchall()
        actors: dict[tuple[str, str], Actor] = {}
        return [row_to_event(row, actors) for row in rows]

    def close(self) -> None:
        self._conn.close()
