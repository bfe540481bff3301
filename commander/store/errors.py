"""Store errors a person can act on, and the schema version this Commander knows.

Nothing here imports SQLAlchemy: the start-up path and the user interface use these without it.
Known errors (not a database, locked, read-only, disk full, a newer schema, a server that refuses or
cannot be reached) become a StoreError with a sentence that says what to do; anything else is a bug
and propagates with its traceback.
"""

from __future__ import annotations

import sqlite3

SCHEMA_HEAD = "0005"  # the newest migration this version knows; a test keeps it equal to Alembic's head
SCHEMA_ORDER = ["0001", "0002", "0003", "0004", "0005"]
# Older schemas this version can share a store with as they are: what came after them adds indexes only.
# A shared store at one of these keeps syncing; `commander db upgrade --url` only makes it faster.
# None today: 0004 moves the sequence numbers and logins into the database's hands (see its migration),
# and a console must not trust a store that leaves them to its clients.
SCHEMA_COMPATIBLE: set[str] = set()


class StoreError(Exception):
    """A problem with the store that a person can fix. The message says what happened and what to do."""


class SchemaTooNew(StoreError):
    pass


class StoreUnreachable(StoreError):
    """The store's server cannot be reached right now: worth retrying later (offline)."""


class StoreBusy(StoreUnreachable):
    """Another session holds the shared store's write lock past our bounded wait: retried like offline."""


class StoreDenied(StoreError):
    """Authentication, TLS or privileges: retrying will not help until someone changes something."""


def describe(error: BaseException, where: str) -> StoreError | None:
    """Map a driver error to a StoreError, or None when it is not one we know (a bug)."""
    original = getattr(error, "orig", error)
    message = str(original).lower()
    if isinstance(original, sqlite3.DatabaseError) and "not a database" in message:
        return StoreError(
            f"{where} is not a Commander database (or it is damaged). Nothing was changed. "
            f"Move the file away or choose another store with --db."
        )
    if isinstance(original, sqlite3.DatabaseError) and "malformed" in message:
        # SQLITE_CORRUPT: a truncated or overwritten file (a full disk, a bad copy, a failing drive).
        return StoreError(
            f"{where} is damaged (cut short or overwritten), so Commander cannot read it and "
            f"changed nothing. Restore it from a backup, or move it away and choose another store "
            f"with --db."
        )
    if "readonly" in message or "read-only" in message:
        return StoreError(
            f"{where} is read-only, so nothing new can be saved. Everything already saved "
            f"is intact. Make the file and its folder writable, or choose another store "
            f"with --db."
        )
    if "disk is full" in message or "database or disk is full" in message or "no space" in message:
        return StoreError(
            f"The disk holding {where} is full; the last change was not saved. Free some "
            f"space and try again. Everything saved before is intact."
        )
    if "database is locked" in message or "busy" in message:
        return StoreError(f"{where} is busy (another program holds a lock). Try again in a moment.")
    if "unable to open database" in message:
        return StoreError(
            f"Cannot open {where}. Check that the folder exists and is writable, or choose another store with --db."
        )
    return _describe_server(message, where)


def _describe_server(message: str, where: str) -> StoreError | None:
    """PostgreSQL (psycopg) errors a person can act on."""
    if "lock timeout" in message or "canceling statement due to lock timeout" in message:
        return StoreBusy(
            f"{where} is busy: another session has held its write lock for more than a few "
            f"seconds. Your changes wait on this computer and are sent when it is free; if "
            f"this lasts, ask the store's administrator to look for a stuck session "
            f"(pg_stat_activity)."
        )
    if (
        "password authentication failed" in message
        or "no password supplied" in message
        or ("role" in message and "does not exist" in message)
    ):
        return StoreDenied(
            f"{where} refused the login (wrong user or password). Set the password again with "
            f"`commander remote set URL`, or ask the store's administrator for access."
        )
    if "ssl" in message or "certificate" in message or "tls" in message:
        return StoreDenied(
            f"The TLS connection to {where} failed ({message.strip().splitlines()[0][:160]}). "
            f"Check sslmode and sslrootcert in the URL, and the server's certificate."
        )
    if "permission denied" in message or "insufficient_privilege" in message or "append-only" in message:
        return StoreDenied(
            f"{where} refused the change: this login may read but not write there, or tried "
            f"to rewrite history (events are append-only). Ask for the responder role."
        )
    if "database" in message and "does not exist" in message:
        return StoreDenied(f"{where} does not exist on that server. Check the database name in the URL.")
    unreachable = (
        "connection refused",
        "could not connect",
        "connection failed",
        "timeout expired",
        "timed out",
        "server closed the connection",
        "terminating connection",
        "connection is closed",
        "the database system is starting up",
        "the database system is shutting down",
        "no route to host",
        "name or service not known",
        "network is unreachable",
        "consuming input failed",
        "connection to server",
    )
    if any(phrase in message for phrase in unreachable):
        return StoreUnreachable(
            f"{where} cannot be reached right now. Commander keeps working on this "
            f"computer and sends your changes when it is back."
        )
    return None
