"""`commander remote` and `commander sync` against a shared SQLite file, in-process."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from commander.store.database import Database
from tests.cli.conftest import Run
from tests.helpers.keyring_memory import MemoryKeyring


def test_remote_set_show_sync_and_clear(run: Run, tmp_path: Path) -> None:
    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    Database(shared).upgrade()
    other = tmp_path / "other.db"
    assert run("remote", "show").out.startswith("No shared store")
    assert run("sync").code == 1
    assert run("remote", "set", shared).code == 0
    assert run("remote", "set", shared, store=other).code == 0
    ref = run("declare", "--title", "Checkout 502s", "--severity", "SEV1").out.strip()
    run("note", ref, "from the first console")
    assert "Changes waiting to be sent: 3" in run("remote", "show").out
    assert run("sync").out.strip() == "Sent 3, received 0; 0 waiting."
    assert run("sync", store=other).out.strip() == "Sent 0, received 3; 0 waiting."
    shown = run("show", ref, store=other).out
    assert "from the first console" in shown
    assert run("remote", "clear").out.startswith("No longer syncing")
    assert run("remote", "show").out.startswith("No shared store")


def test_a_password_goes_to_the_keyring_never_to_the_store(run: Run, db: Path, memory_keyring: MemoryKeyring) -> None:
    url = "postgresql+psycopg://alex:s3cret-pw@db.internal:5432/commander?sslmode=verify-full"
    result = run("remote", "set", url)
    assert result.code == 0 and "s3cret-pw" not in result.out + result.err
    assert "s3cret-pw" not in run("remote", "show").out
    assert memory_keyring.items == {
        ("commander", "postgresql+psycopg://alex@db.internal:5432/commander?sslmode=verify-full"): "s3cret-pw"
    }
    for part in (db, db.with_name(db.name + "-wal")):  # the log too: recent writes live there first
        assert not part.exists() or b"s3cret-pw" not in part.read_bytes()
    with sqlite3.connect(db) as conn:
        assert all("s3cret" not in str(value) for (value,) in conn.execute("SELECT value FROM meta"))
    run("remote", "clear")
    assert memory_keyring.items == {}


def test_a_password_from_standard_input(run: Run, memory_keyring: MemoryKeyring) -> None:
    assert (
        run("remote", "set", "postgresql://alex@db.internal/commander", "--password-stdin", stdin="from-stdin\n").code
        == 0
    )
    assert list(memory_keyring.items.values()) == ["from-stdin"]


def test_an_unknown_kind_of_store_is_refused(run: Run) -> None:
    result = run("remote", "set", "mysql://db/commander")
    assert result.code == 1 and "postgresql+psycopg://" in result.err
