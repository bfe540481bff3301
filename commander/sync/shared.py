"""The shared store as the replicator sees it: push events, pull by sequence, wait for news, presence.

PostgreSQL orders pulls by `seq`, a shared SQLite file by its rowid. On PostgreSQL the database assigns
`seq` and the row's login itself (a trigger, migration 0004), whatever the client sends, and the same
trigger takes a row lock before it draws the number, so numbers become visible in commit order and a
puller that has read up to N never misses a smaller number committed later. A push waits for that lock
at most LOCK_WAIT; past it the store is reported busy and the push is tried again later.

Connections are a budget (PostgreSQL's `max_connections`, 100 by default, each a server process; see
docs/deployment.md). A console keeps one long-lived connection: the replicator's, which LISTENs between
rounds and runs the rounds' pulls, pushes and heartbeats too; a second one is opened only for a moment and
closed when returned (`Database(pool="session")`). Claims, made from other threads, open a connection per
claim and close it (`pool="none"`).

Where LISTEN does not reach the server, as behind a connection pooler in transaction mode (PgBouncer:
"LISTEN ... never supported" in that mode, https://www.pgbouncer.org/features.html), the LISTEN statement
may fail or succeed and never deliver. So after LISTEN the console notifies itself on a private channel
from another connection; when that does not arrive within PROBE_SECONDS it polls instead, on the cheapest
query there is (`commander_issued_seq()`, the sequence's last value) every `poll_seconds`, and says so
once in the log and in `notice`. PostgreSQL delivers a notification only between transactions ("if a
listening session receives a notification signal while it is within a transaction, the notification
event will not be delivered until just after the transaction is completed",
https://www.postgresql.org/docs/current/sql-notify.html), so the connection waits outside one.
"""

from __future__ import annotations

import logging
import select
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from commander.domain.core.events import Actor, Event
from commander.domain.core.trust import login_differs
from commander.store.database import Database, SchemaTooNew, StoreError, describe
from commander.store.errors import SCHEMA_COMPATIBLE
from commander.store.records import EVENT_COLUMNS
from commander.store.repository import EventLog

LOCK_WAIT = "5s"  # how long a push waits for another session's write lock before the store counts as busy
_COLUMNS = ", ".join(EVENT_COLUMNS)
Pulled = tuple[int, tuple[Any, ...]]  # (sequence number, row in EVENT_COLUMNS order), not yet trusted
CHANNEL = "commander_events"
PROBE_SECONDS = 2.0  # how long a notification to itself may take before LISTEN counts as not passing through
PROBE_NOTIFY = "SELECT pg_notify(:channel, 'probe')"  # sent from another connection than the listener's
log = logging.getLogger(__name__)


class SharedStore:
    def __init__(self, url: str, *, password: str | None = None, application_name: str = "commander") -> None:
        parsed = make_url(url)
        if password and parsed.get_backend_name() == "postgresql":
            parsed = parsed.set(password=password)
        self.url = parsed.render_as_string(hide_password=False)
        self.display_url = parsed.render_as_string(hide_password=True)
        self.application_name = application_name
        self.database = Database(self.url, pool="session", application_name=application_name)
        self.is_postgres = not self.database.is_sqlite
        self._claims: Database | None = None  # opened on the first claim; a connection per claim
        self._login: str | None = None
        self.poll_seconds = 2.0  # how often to look for news when notifications do not arrive
        self.listening: bool | None = None  # None: not tried yet; False: polling instead (see the docstring)
        self.notice = ""  # in words, for the sync status: how this console learns of news, when unusual
        self._listened_on: Any = None  # the driver connection that LISTENs (a reconnect forgets LISTEN)
        self._seen = 0  # the highest sequence number pulled: polling compares the store's with it

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
        with self._snapshot() as conn:
            rows = conn.execute(
                text(f"SELECT {seq}, {_COLUMNS} FROM events WHERE {seq} > :after{issued} ORDER BY {seq} LIMIT :limit"),
                {"after": after, "limit": limit},
            ).all()
        last = int(rows[-1][0]) if rows else after
        self._seen = max(self._seen, last)
        return [(int(row[0]), tuple(row[1:])) for row in rows], last

    def latest(self) -> int:
        """The highest sequence number there: on PostgreSQL, the highest the database issued."""
        with self._snapshot() as conn:
            if self.is_postgres:
                return int(conn.execute(text("SELECT commander_issued_seq()")).scalar_one())
            return int(conn.execute(text("SELECT coalesce(max(rowid), 0) FROM events")).scalar_one())

    @contextmanager
    def _snapshot(self) -> Iterator[Connection]:
        """One statement on the session connection without BEGIN and COMMIT around it (PostgreSQL): a
        console pulls at every notification, and each round trip saved is one a few hundred consoles save."""
        if not self.is_postgres:
            with self.database.read() as conn:
                yield conn
            return
        try:
            with self.database.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT")  # until it is back in the pool
                yield conn
        except DBAPIError as error:
            raise describe(error, self.database.where) or error from error

    def claim(self, key: str, holder: str, now_ms: int) -> str:
        """Claim `key` for `holder` unless it is held; returns who holds it (store/claims.py)."""
        from commander.store import claims

        # Claims come from other threads: they never take the replicator's connection.
        with self._claim_database().write() as conn:
            if self.is_postgres:
                conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            return claims.claim(conn, key, holder, now_ms)

    # -- waking up ---------------------------------------------------------------------------------

    def wait(self, timeout: float, wake_fd: int) -> bool:
        """Block until another console pushes (PostgreSQL NOTIFY), `wake_fd` becomes readable, or
        `timeout` passes. True when another console's push woke us. A shared SQLite file has no
        notifications: only the wake descriptor and the timeout count, and the caller polls. Where LISTEN
        does not pass (see the module docstring) this polls the store's sequence every `poll_seconds`."""
        if not self.is_postgres:
            select.select([wake_fd], [], [], timeout)
            return False
        if self.listening is False:
            return self._poll(timeout, wake_fd)
        # The session connection stays checked out while waiting, so nobody runs a transaction on it then.
        with self.database.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")  # until it is back in the pool
            listener: Any = conn.connection.driver_connection
            if listener is self._listened_on or self._listen(conn, listener):
                return self._wait_on(listener, timeout, wake_fd)
        return self._poll(timeout, wake_fd)

    @staticmethod
    def _wait_on(listener: Any, timeout: float, wake_fd: int) -> bool:
        # Notifications that came in during the last round's queries are kept by the driver: one wake-up
        # covers a whole burst of pushes, so drain them all.
        if any(True for _ in listener.notifies(timeout=0)):
            return True
        readable, _, _ = select.select([wake_fd, listener.fileno()], [], [], timeout)
        if listener.fileno() not in readable:
            return False
        return any(True for _ in listener.notifies(timeout=0))

    def _listen(self, conn: Connection, listener: Any) -> bool:
        """LISTEN on this connection and check that notifications reach it; False: they do not (polling)."""
        probe = f"commander_probe_{uuid.uuid4().hex}"
        try:
            conn.exec_driver_sql(f"LISTEN {probe}")
            with self._claim_database().read() as other:
                other.execute(text(PROBE_NOTIFY), {"channel": probe})
            arrived = any(n.channel == probe for n in listener.notifies(timeout=PROBE_SECONDS, stop_after=1))
            conn.exec_driver_sql(f"UNLISTEN {probe}")
            # Last, so pg_stat_activity shows what this connection is for until its first round.
            conn.exec_driver_sql(f"LISTEN {CHANNEL}")
        except DBAPIError as error:
            if error.connection_invalidated or _broken(error):
                raise  # the connection is gone, not LISTEN: the caller polls until the next round reconnects
            return self._fall_back(f"LISTEN failed ({type(error.orig).__name__})")
        if not arrived:
            conn.exec_driver_sql("UNLISTEN *")
            return self._fall_back(f"a notification did not arrive within {PROBE_SECONDS:g} s")
        self._listened_on = listener
        self.listening = True
        return True

    def _fall_back(self, why: str) -> bool:
        self.listening = False
        self.notice = (
            f"The shared store does not pass notifications to this console ({why}), as behind a connection "
            f"pooler in transaction mode: it checks for news every {self.poll_seconds:g} s instead. For "
            f"changes within a blink, connect it directly or through a pooler in session mode."
        )
        log.warning("%s", self.notice)
        return False

    def _poll(self, timeout: float, wake_fd: int) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            readable, _, _ = select.select([wake_fd], [], [], max(0.0, min(self.poll_seconds, remaining)))
            if readable:
                return False
            if self.latest() > self._seen:
                return True
            if time.monotonic() >= deadline:
                return False

    def _claim_database(self) -> Database:
        if self._claims is None:
            self._claims = Database(self.url, pool="none", application_name=f"{self.application_name} claims")
        return self._claims

    def close_listener(self) -> None:
        """Let go of the session connection (it broke): the next wait connects and LISTENs again."""
        self._listened_on = None
        self.database.dispose()

    def close(self) -> None:
        self.close_listener()
        if self._claims is not None:
            self._claims.dispose()

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
        with self._snapshot() as conn:
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


def _broken(error: DBAPIError) -> bool:
    import psycopg

    return isinstance(error.orig, psycopg.OperationalError)


__all__ = ["CHANNEL", "SchemaTooNew", "SharedStore", "StoreError"]
