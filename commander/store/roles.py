"""Least privilege on a PostgreSQL shared store: a responder role that reads and appends, a viewer role
that reads. UPDATE, DELETE and TRUNCATE on events are not granted to either, and a trigger (migration
0002) refuses them for everyone, so a buggy or hostile console cannot rewrite history."""

from __future__ import annotations

import re

from sqlalchemy import text

from commander.store.database import Database
from commander.store.errors import StoreError

RESPONDER = "commander_responder"
VIEWER = "commander_viewer"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def grant_roles(database: Database, *, responders: tuple[str, ...] = (), viewers: tuple[str, ...] = ()) -> list[str]:
    """Create (or refresh) both roles and make the given login users members. Returns what was done."""
    if database.is_sqlite:
        raise StoreError("Roles are a PostgreSQL feature; a shared SQLite file is protected by file permissions.")
    for name in [*responders, *viewers]:
        if not _NAME.match(name):
            raise StoreError(f"'{name}' is not a plain PostgreSQL role name (letters, digits, underscores).")
    if database.check_schema() == "missing":  # the grants name Commander's tables: they must exist first
        url = "URL" if "***" in database.where else database.where  # never a masked password to copy
        raise StoreError(
            f"{database.where} has no Commander schema yet, so there is nothing to grant. Run "
            f"`commander db upgrade --url {url}` first, then grant the roles."
        )
    done = []
    with database.write() as conn:
        for role in (RESPONDER, VIEWER):
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
            if not exists:
                conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
                done.append(f"created role {role}")
        db_name = conn.execute(text("SELECT current_database()")).scalar_one()
        for role in (RESPONDER, VIEWER):
            conn.execute(text(f'GRANT CONNECT ON DATABASE "{db_name}" TO "{role}"'))
            conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
            conn.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"'))
            conn.execute(text(f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public FROM "{role}"'))
        conn.execute(text(f'GRANT INSERT ON events TO "{RESPONDER}"'))
        conn.execute(text(f'GRANT INSERT, UPDATE ON presence TO "{RESPONDER}"'))
        done.append(f"{RESPONDER}: read everything, append events, keep presence")
        done.append(f"{VIEWER}: read everything")
        for name, role in [*((n, RESPONDER) for n in responders), *((n, VIEWER) for n in viewers)]:
            conn.execute(text(f'GRANT "{role}" TO "{name}"'))
            done.append(f"{name} is a member of {role}")
    return done
