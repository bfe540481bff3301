"""Who this console writes as: the name every event it writes carries (its id never changes)."""

from __future__ import annotations

from commander.app.console import Console
from commander.domain.core.events import Actor
from commander.domain.core.text import clean_name


def rename_me(console: Console, name: str) -> None:
    """Write as `name` from now on, here and in every later session on this store."""
    from commander.store.repository import Settings  # SQLAlchemy: only when someone renames

    cleaned = clean_name(name, field="your name")
    with console.database.write() as conn:
        Settings(conn).put("user_name", cleaned)
    console.me = Actor(console.me.id, cleaned)
