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
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import NullPool

# The errors and schema constants live apart from SQLAlchemy, so reading a store never waits for it.
from commander.store.errors import (  # noqa: E402  (re-exported: callers import them from here too)
    SCHEMA_HEAD,
    SCHEMA_ORDER,
    SchemaTooNew,
    StoreDenied,
    StoreError,
    StoreUnreachable,
    describe,
)

__all__ = [
    "SCHEMA_HEAD",
    "SCHEMA_ORDER",
    "Database",
    "SchemaTooNew",
    "StoreDenied",
    "StoreError",
    "StoreUnreachable",
    "describe",
]


class Database:
    """Owns the engine. `write()` is one short transaction for one user action; `read()` a snapshot.

    `pool` matters for PostgreSQL only, where each connection is a server process out of a budget of
    `max_connections` (docs/deployment.md): "default" keeps up to five; "session" keeps one long-lived
    connection and closes any extra one as soon as it is returned; "none" opens a connection per use and
    closes it after. `application_name` is what pg_stat_activity shows for these connections."""

    def __init__(self, url: str, *, pool: str = "default", application_name: str = "commander") -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError:
            raise StoreError(
                "The store URL is not one Commander can read. Give a file path, or a URL such "
                "as sqlite:///path/to/commander.db or postgresql+psycopg://host/db."
            ) from None
        backend = parsed.get_backend_name()
        self.is_sqlite = backend == "sqlite"
        self.where = (
            parsed.database if self.is_sqlite and parsed.database else parsed.render_as_string(hide_password=True)
        )
        if backend not in ("sqlite", "postgresql"):
            # Migrations, triggers and roles are written for these two; any other driver fails half-way.
            known = {"mysql": "MySQL", "mariadb": "MariaDB", "oracle": "Oracle", "mssql": "SQL Server"}.get(backend)
            what = f"it is a {known} database, and " if known else ""
            raise StoreError(
                f"Commander cannot open {self.where}: {what}Commander keeps its store in SQLite or "
                f"PostgreSQL only. Give a file path, sqlite:///path/to/commander.db or "
                f"postgresql+psycopg://host/db."
            )
        if self.is_sqlite and _in_memory(parsed.database or "", parsed.query):
            # Each connection to :memory: is a new, empty database, and everything is gone when the command
            # ends: the console reads and writes through several connections and must keep what it writes.
            raise StoreError(
                "The console needs a store that lasts: an in-memory SQLite database is empty for "
                "every connection and gone when the command ends. Give a file path or "
                "sqlite:///path/to/commander.db."
            )
        # A `file:` URI (`?uri=true`, e.g. `mode=ro`) is not a path: making its "parent" would create a
        # folder literally named `file:` in the working directory.
        if (
            self.is_sqlite
            and parsed.database
            and parsed.database != ":memory:"
            and not parsed.database.startswith("file:")
        ):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = _make_engine(url, self.is_sqlite, pool, application_name)
        except ArgumentError as error:  # an unknown database kind or driver (NoSuchModuleError)
            raise StoreError(
                f"Commander cannot open {self.where}: {error}. Use a sqlite:/// or "
                f"postgresql+psycopg:// URL, or a file path."
            ) from error

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
                    raise StoreError(
                        f"{self.where} has Commander tables but no schema version. "
                        f"It was not made by Commander; choose another store with --db."
                    )
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
        raise SchemaTooNew(
            f"{self.where} was written by a newer Commander (schema {version}; this version "
            f"knows up to {SCHEMA_HEAD}). Update Commander to open it. Nothing was changed."
        )

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


def _in_memory(database: str, query: Any) -> bool:
    """`sqlite://`, `sqlite:///:memory:` and the URI forms `file::memory:` or `?mode=memory`."""
    return (
        database in ("", ":memory:")
        or database.startswith("file::memory:")
        or "mode=memory" in database
        or query.get("mode") == "memory"
    )


def _make_engine(url: str, is_sqlite: bool, pool: str = "default", application_name: str = "commander") -> Engine:
    if not is_sqlite:
        # A dead server must fail fast: the replicator backs off and retries, the person keeps working.
        connect_args: dict[str, Any] = {"connect_timeout": 5}
        if "application_name" not in make_url(url).query:  # a name in the URL wins (an operator's choice)
            connect_args["application_name"] = application_name[:63]  # PostgreSQL keeps 63 bytes
        if pool == "none":
            return create_engine(url, poolclass=NullPool, connect_args=connect_args)
        # "session": one connection kept (the replicator's, which also LISTENs); up to two more for a moment,
        # closed on return, so a console never holds more than one connection while it is idle.
        # No ping before each use there: it would double the round trips of a console that pulls at every
        # notification; a connection found dead fails that round, is dropped, and the next one reconnects.
        if pool == "session":
            return create_engine(url, pool_size=1, max_overflow=2, connect_args=connect_args)
        return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
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
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("commander_write") else "BEGIN")

    return engine
