"""The shared store as the replicator sees it: push events, pull by sequence, wait for news, presence.

PostgreSQL orders pulls by an identity column (`seq`), a shared SQLite file by its rowid. Pushes on
PostgreSQL hold a transaction-level advisory lock, so sequence numbers become visible in order and a
puller that has read up to N never misses a smaller number committed later.
"""

from __future__ import annotations

import select
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from commander.domain.events import Actor, Event
from commander.store.database import Database, SchemaTooNew, StoreError
from commander.store.errors import SCHEMA_COMPATIBLE
from commander.store.repository import EventLog, row_to_event

_PUSH_LOCK = 0x436F6D6D  # any constant shared by every console: "Comm"
_COLUMNS = "id, stream, kind, payload, actor_id, actor_name, hlc, occurred_at, recorded_at, origin"
CHANNEL = "commander_events"


class SharedStore:
    def __init__(self, url: str, *, password: str | None = None) -> None:
        parsed = make_url(url)
        if password and parsed.get_backend_name() == "postgresql":
            parsed = parsed.set(password=password)
        self.url = parsed.render_as_string(hide_password=False)
        self.display_url = parsed.render_as_string(hide_password=True)
        self.database = Database(self.url)
        self.is_postgres = not self.database.is_sqlite
        self._listener: Any = None

    def check(self) -> None:
        """Refuse a store this version cannot use, with the command that fixes it."""
        state = self.database.check_schema()  # SchemaTooNew: "update Commander"
        if state == "missing":
            raise StoreError(f"The shared store {self.display_url} has no Commander schema yet. Create it with "
                             f"`commander db upgrade --url URL` (once, by whoever administers it).")
        if state == "older" and self.database.schema_version() not in SCHEMA_COMPATIBLE:
            raise StoreError(f"The shared store {self.display_url} has an older schema. Upgrade it with "
                             f"`commander db upgrade --url URL`, then sync again.")

    def push(self, batch: Sequence[Event]) -> int:
        """Append events; ones the store already has are skipped. Returns how many were new there."""
        if not batch:
            return 0
        with self.database.write() as conn:
            if self.is_postgres:
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PUSH_LOCK})
            return len(EventLog(conn).append(batch))

    def pull(self, after: int, limit: int) -> tuple[list[Event], int]:
        """Events with a sequence number above `after`, oldest first, and the last number read."""
        seq = "seq" if self.is_postgres else "rowid"
        with self.database.read() as conn:
            rows = conn.execute(text(f"SELECT {seq}, {_COLUMNS} FROM events WHERE {seq} > :after "
                                     f"ORDER BY {seq} LIMIT :limit"), {"after": after, "limit": limit}).all()
        actors: dict[tuple[str, str], Actor] = {}
        return [row_to_event(row[1:], actors) for row in rows], (rows[-1][0] if rows else after)

    def latest(self) -> int:
        seq = "seq" if self.is_postgres else "rowid"
        with self.database.read() as conn:
            return int(conn.execute(text(f"SELECT coalesce(max({seq}), 0) FROM events")).scalar_one())

    # -- waking up ---------------------------------------------------------------------------------

    def wait(self, timeout: float, wake_fd: int) -> bool:
        """Block until another console pushes (PostgreSQL NOTIFY), `wake_fd` becomes readable, or
        `timeout` passes. True when another console's push woke us. A shared SQLite file has no
        notifications: only the wake descriptor and the timeout count, and the caller polls."""
        watched = [wake_fd]
        listener = self._listen() if self.is_postgres else None
        if listener is not None:
            watched.append(listener.fileno())
        readable, _, _ = select.select(watched, [], [], timeout)
        if listener is None or listener.fileno() not in readable:
            return False
        # Drain every notification already queued: one wake-up covers a whole burst of pushes.
        return any(True for _ in listener.notifies(timeout=0))

    def _listen(self) -> Any:
        if self._listener is None or self._listener.closed:
            import psycopg

            params = make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
            self._listener = psycopg.connect(params, autocommit=True, connect_timeout=5)
            self._listener.execute(f"LISTEN {CHANNEL}")
        return self._listener

    def close_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            finally:
                self._listener = None

    def close(self) -> None:
        self.close_listener()
        self.database.dispose()

    # -- presence ----------------------------------------------------------------------------------

    def heartbeat(self, console_id: str, user_name: str, incident_id: str | None, now_ms: int) -> None:
        with self.database.write() as conn:
            params = {"c": console_id, "u": user_name, "i": incident_id, "t": now_ms}
            changed = conn.execute(text("UPDATE presence SET user_name = :u, incident_id = :i, seen_at = :t "
                                        "WHERE console_id = :c"), params).rowcount
            if not changed:
                conn.execute(text("INSERT INTO presence (console_id, user_name, incident_id, seen_at) "
                                  "VALUES (:c, :u, :i, :t)"), params)

    def present(self, since_ms: int) -> list[tuple[str, str, str | None]]:
        """(console id, person, incident id) of every console seen since `since_ms`."""
        with self.database.read() as conn:
            rows = conn.execute(text("SELECT console_id, user_name, incident_id FROM presence "
                                     "WHERE seen_at >= :t ORDER BY user_name"), {"t": since_ms}).all()
        return [(r[0], r[1], r[2]) for r in rows]


__all__ = ["CHANNEL", "SchemaTooNew", "SharedStore", "StoreError"]
