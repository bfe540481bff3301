"""The database: engine set-up, transactions, schema checks, and the errors a person can act on.

Known errors (not a database, locked, read-only, disk full, a newer schema) become StoreError with a
sentence that says what to do; anything else is a bug and propagates with its traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

SCHEMA_HEAD = "0001"  # the newest migration this version knows; a test keeps it equal to Alembic's head
SCHEMA_ORDER = ["0001"]


class StoreError(Exception):
    """A problem with the store that a person can fix. The message says what happened and what to do."""


class SchemaTooNew(StoreError):
    pass


class StoreUnreachable(StoreError):
    """The store's server cannot be reached right now: worth retrying later (offline)."""


class StoreDenied(StoreError):
    """Authentication, TLS or privileges: retrying will not help until someone changes something."""


def describe(error: BaseException, where: str) -> StoreError | None:
    """Map a driver error to a StoreError, or None when it is not one we know (a bug)."""
    original = getattr(error, "orig", error)
    message = str(original).lower()
    if isinstance(original, sqlite3.DatabaseError) and "not a database" in message:
        return StoreError(f"{where} is not a Commander database (or it is damaged). Nothing was changed. "
                          f"Move the file away or choose another store with --db.")
    if "readonly" in message or "read-only" in message:
        return StoreError(f"{where} is read-only, so nothing new can be saved. Everything already saved "
                          f"is intact. Make the file and its folder writable, or choose another store with --db.")
    if "disk is full" in message or "database or disk is full" in message or "no space" in message:
        return StoreError(f"The disk holding {where} is full; the last change was not saved. Free some "
                          f"space and try again. Everything saved before is intact.")
    if "database is locked" in message or "busy" in message:
        return StoreError(f"{where} is busy (another program holds a lock). Try again in a moment.")
    if "unable to open database" in message:
        return StoreError(f"Cannot open {where}. Check that the folder exists and is writable, "
                          f"or choose another store with --db.")
    return _describe_server(message, where)


def _describe_server(message: str, where: str) -> StoreError | None:
    """PostgreSQL (psycopg) errors a person can act on."""
    if "password authentication failed" in message or "no password supplied" in message \
            or ("role" in message and "does not exist" in message):
        return StoreDenied(f"{where} refused the login (wrong user or password). Set the password again with "
                           f"`commander remote set URL`, or ask the store's administrator for access.")
    if "ssl" in message or "certificate" in message or "tls" in message:
        return StoreDenied(f"The TLS connection to {where} failed ({message.strip().splitlines()[0][:160]}). "
                           f"Check sslmode and sslrootcert in the URL, and the server's certificate.")
    if "permission denied" in message or "insufficient_privilege" in message or "append-only" in message:
        return StoreDenied(f"{where} refused the change: this login may read but not write there, or tried "
                           f"to rewrite history (events are append-only). Ask for the responder role.")
    if "database" in message and "does not exist" in message:
        return StoreDenied(f"{where} does not exist on that server. Check the database name in the URL.")
    unreachable = ("connection refused", "could not connect", "connection failed", "timeout expired",
                   "timed out", "server closed the connection", "terminating connection", "connection is closed",
                   "the database system is starting up", "the database system is shutting down",
                   "no route to host", "name or service not known", "network is unreachable",
                   "consuming input failed", "connection to server")
    if any(phrase in message for phrase in unreachable):
        return StoreUnreachable(f"{where} cannot be reached right now. Commander keeps working on this "
                                f"computer and sends your changes when it is back.")
    return None


class Database:
    """Owns the engine. `write()` is one short transaction for one user action; `read()` a snapshot."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError("The store URL is not one Commander can read. Give a file path, or a URL such "
                             "as sqlite:///path/to/commander.db or postgresql+psycopg://host/db.") from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.where = parsed.database if self.is_sqlite and parsed.database else parsed.render_as_string(
            hide_password=True)
        # A `file:` URI (`?uri=true`, e.g. `mode=ro`) is not a path: making its "parent" would create a
        # folder literally named `file:` in the working directory.
        if self.is_sqlite and parsed.database and parsed.database != ":memory:" \
                and not parsed.database.startswith("file:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = _make_engine(url, self.is_sqlite)
        except ArgumentError as error:  # an unknown database kind or driver (NoSuchModuleError)
            raise StoreError(f"Commander cannot open {self.where}: {error}. Use a sqlite:/// or "
                             f"postgresql+psycopg:// URL, or a file path.") from error

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as raw:
            conn = raw.execution_options(commander_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._guard(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except (DBAPIError, sqlite3.Error) as error:
            known = describe(error, self.where)
            if known is None:
                raise
            raise known from error

    def schema_version(self) -> str | None:
        with self.read() as conn:
            if not inspect(conn).has_table("alembic_version"):
                if inspect(conn).has_table("events"):
                    raise StoreError(f"{self.where} has Commander tables but no schema version. "
                                     f"It was not made by Commander; choose another store with --db.")
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None

    def check_schema(self) -> str:
        """'current', 'missing' or 'older'; raises SchemaTooNew when a newer Commander wrote this store."""
        version = self.schema_version()
        if version is None:
            return "missing"
        if version == SCHEMA_HEAD:
            return "current"
        if version in SCHEMA_ORDER:
            return "older"
        raise SchemaTooNew(f"{self.where} was written by a newer Commander (schema {version}; this version "
                           f"knows up to {SCHEMA_HEAD}). Update Commander to open it. Nothing was changed.")

    def upgrade(self) -> None:
        from commander.store.migrate import upgrade

        self.check_schema()
        with self._guard():
            upgrade(self.engine)

    def open(self) -> None:
        """Make the store ready: create or upgrade the schema when needed (a newer one is refused)."""
        try:
            state = self.check_schema()
        except (DBAPIError, sqlite3.Error) as error:
            raise describe(error, self.where) or error from error
        if state != "current":
            self.upgrade()

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, is_sqlite: bool) -> Engine:
    if not is_sqlite:
        # A dead server must fail fast: the replicator backs off and retries, the person keeps working.
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    engine = create_engine(url, connect_args={"timeout": 5})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (the pysqlite driver's own transaction handling is off).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            # FULL: a change is on disk when the command returns, even if the machine loses power.
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
        except sqlite3.OperationalError as error:
            if "readonly" not in str(error).lower():
                raise
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two consoles on one file never deadlock upgrading.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("commander_write")
                             else "BEGIN")

    return engine
