"""Claims in a store (the local one, or the shared one through sync/shared.py): the first console to insert
a key holds it; an insert of a key already there does nothing, and everyone reads back who holds it."""

from __future__ import annotations

from sqlalchemy import Connection, text

KEY_MAX = 80
HOLDER_MAX = 64


def claim(conn: Connection, key: str, holder: str, now_ms: int) -> str:
    """Insert the claim unless the key is held; returns the holder (this `holder` when it won)."""
    if not key or len(key) > KEY_MAX or not holder or len(holder) > HOLDER_MAX:
        raise ValueError("a claim's key and holder are 1 to 80 and 1 to 64 characters")
    conn.execute(
        text("INSERT INTO claims (key, holder, claimed_at) VALUES (:k, :h, :t) ON CONFLICT (key) DO NOTHING"),
        {"k": key, "h": holder, "t": now_ms},
    )
    return str(conn.execute(text("SELECT holder FROM claims WHERE key = :k"), {"k": key}).scalar_one())


def holder(conn: Connection, key: str) -> str | None:
    found = conn.execute(text("SELECT holder FROM claims WHERE key = :k"), {"k": key}).scalar_one_or_none()
    return None if found is None else str(found)
