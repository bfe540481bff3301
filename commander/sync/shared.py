"""The shared store as the replicator sees it: push events, pull by sequence, wait for news, presence.

PostgreSQL orders pulls by `seq`, a shared SQLite file by its rowid. On PostgreSQL the database assigns
`seq` and the row's login itself (a trigger, migration 0004), whatever the client sends, and the same
trigger takes a row lock before it draws the number, so numbers become visible in commit order and a
puller that has read up to N never misses a smaller number committed later. A push waits for that lock
at most LOCK_WAIT; past it the store is reported busy and the push is tried again later.
"""

from __future__ import annotations

import select
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from commander.domain.core.events import Actor, Event
from commander.domain.core.trust import login_differs
from commander.store.database import Database, SchemaTooNew, StoreError
from commander.store.errors import SCHEMA_COMPATIBLE
from commander.store.records import EVENT_COLUMNS
from commander.store.repository import EventLog

LOCK_WAIT = "5s"  # how long a push waits for another session's write lock before the store counts as busy
_COLUMNS = ", ".join(EVENT_COLUMNS)
Pulled = tuple[int, tuple[Any, ...]]  # (sequence number, row in EVENT_COLUMNS order), not yet trusted
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
        self._login: str | None = None

    def check(self) -> None:
        """Refuse a store this version cannot use, with the command that fixes it."""
        state = self.database.check_schema()  # SchemaTooNew: "update Commander"
        if state == "missing":
            raise StoreError(
                f"The shared store {self.display_url} has no Commander schema yet. Create it with "
                f"`commander db upgrade --url URL` (once, by whoever administers it)."
            )
        if state == "older" and self.database.schema_version() not in SCHEMA_COMPATIBLE:
            raise StoreError(
                f"The shared store {self.display_url} has an older schema. Upgrade it with "
                f"`commander db upgrade --url URL`, then sync again."
            )

    def push(self, batch: Sequence[Event]) -> int:
        """Append events; ones the store already has are skipped. Returns how many were new there."""
        if not batch:
            return 0
        with self.database.write() as conn:
            if self.is_postgres:
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            return len(EventLog(conn).append(batch))

    def login(self) -> str | None:
        """The database login this console writes as (PostgreSQL; None for a shared SQLite file): what
        the store's trigger records on every row this console pushes."""
        if not self.is_postgres:
            return None
        if self._login is None:
            with self.database.read() as conn:
                self._login = str(conn.execute(text("SELECT session_user")).scalar_one())
        return self._login

    def pull(self, after: int, limit: int) -> tuple[list[Pulled], int]:
        """Rows with a sequence number above `after`, oldest first, as they are (the caller checks
        them), and the last number read. On PostgreSQL only numbers the database issued are read."""
        seq = "seq" if self.is_postgres else "rowid"
        issued = " AND seq <= commander_issued_seq()" if self.is_postgres else ""
        with self.database.read() as conn:
            rows = conn.execute(
                text(f"SELECT {seq}, {_COLUMNS} FROM events WHERE {seq} > :after{issued} ORDER BY {seq} LIMIT :limit"),
                {"after": after, "limit": limit},
            ).all()
        return [(int(row[0]), tuple(row[1:])) for row in rows], (int(rows[-1][0]) if rows else after)

    def latest(self) -> int:
        """The highest sequence number there: on PostgreSQL, the highest the database issued."""
        with self.database.read() as conn:
            if self.is_postgres:
                return int(conn.execute(text("SELECT commander_issued_seq()")).scalar_one())
            return int(conn.execute(text("SELECT coalesce(max(rowid), 0) FROM events")).scalar_one())

    def claim(self, key: str, holder: str, now_ms: int) -> str:
        """Claim `key` for `holder` unless it is held; returns who holds it (store/claims.py)."""
        from commander.store import claims

        with self.database.write() as conn:
            if self.is_postgres:
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            return claims.claim(conn, key, holder, now_ms)

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
            if self.is_postgres:
                # One row a (login, console): row-level security lets this login write only its own rows,
                # so another login can neither rename this console nor squat its id.
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
                conn.execute(
                    text(
                        "INSERT INTO presence (console_id, user_name, incident_id, seen_at) "
                        "VALUES (:c, :u, :i, :t) ON CONFLICT (login, console_id) DO UPDATE SET "
                        "user_name = excluded.user_name, incident_id = excluded.incident_id, "
                        "seen_at = excluded.seen_at"
                    ),
                    params,
                )
                return
            changed = conn.execute(
                text("UPDATE presence SET user_name = :u, incident_id = :i, seen_at = :t WHERE console_id = :c"), params
            ).rowcount
            if not changed:
                conn.execute(
                    text("INSERT INTO presence (console_id, user_name, incident_id, seen_at) VALUES (:c, :u, :i, :t)"),
                    params,
                )

    def present(self, since_ms: int) -> list[tuple[str, str, str | None]]:
        """(console id, person, incident id) of every console seen since `since_ms`. Where the database
        knows the login and it is not plainly the person named, the person reads "Bob (login mallory)"."""
        with self.database.read() as conn:
            rows = conn.execute(
                text(
                    "SELECT console_id, user_name, incident_id, login FROM presence "
                    "WHERE seen_at >= :t ORDER BY user_name LIMIT 500"
                ),
                {"t": since_ms},
            ).all()
        found = []
        for console_id, name, incident_id, login in rows:
            person = str(name)[:80]
            if login_differs(Actor(str(console_id), person), login):
                person = f"{person} (login {login})"
            found.append((str(console_id), person, incident_id))
        return found


__all__ = ["CHANNEL", "SchemaTooNew", "SharedStore", "StoreError"]
