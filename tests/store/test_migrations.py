"""Schema: Alembic is the only way it changes, a newer store is refused, a foreign file is left alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from commander.store import migrate
from commander.store.database import SCHEMA_HEAD, SCHEMA_ORDER, Database, SchemaTooNew, StoreError
from commander.store.tables import Base


def fingerprint(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_alembic_head_is_the_schema_this_version_knows() -> None:
    assert migrate.head() == SCHEMA_HEAD
    revisions = [script.revision for script in ScriptDirectory.from_config(migrate.config()).walk_revisions()]
    assert sorted(revisions) == sorted(SCHEMA_ORDER), "SCHEMA_ORDER must list every migration"
    assert SCHEMA_ORDER[-1] == SCHEMA_HEAD


def test_open_creates_every_table_from_an_empty_file(database: Database) -> None:
    assert database.check_schema() == "current"
    with database.read() as conn:
        assert set(sa.inspect(conn).get_table_names()) == {
            "alembic_version",
            "events",
            "incidents",
            "meta",
            "snapshots",
            "outbox",
            "presence",
            "quarantine",
            "claims",
        }
        indexes = {ix["name"] for ix in sa.inspect(conn).get_indexes("events")}
        assert {"ix_events_stream_hlc", "ix_events_hlc"} <= indexes


def test_the_migrated_schema_matches_the_tables_the_code_uses(database: Database) -> None:
    with database.engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert differences == [], "a table changed without a migration (or the reverse)"


def test_open_is_idempotent_and_keeps_data(database: Database, db_path: Path) -> None:
    with database.write() as conn:
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('k', 'v')"))
    again = Database(f"sqlite:///{db_path}")
    again.open()
    with again.read() as conn:
        assert conn.execute(sa.text("SELECT value FROM meta WHERE key = 'k'")).scalar_one() == "v"
    again.dispose()


def test_the_migrations_go_down_and_up_again(database: Database) -> None:
    cfg = migrate.config()
    with database.engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
        conn.commit()
    with database.read() as conn:
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
    assert database.check_schema() in ("missing", "older")
    database.open()
    assert database.check_schema() == "current"


def test_a_store_written_by_a_newer_commander_is_refused(database: Database, db_path: Path) -> None:
    with database.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
    database.dispose()
    newer = Database(f"sqlite:///{db_path}")
    with pytest.raises(SchemaTooNew) as caught:
        newer.open()
    message = str(caught.value)
    assert "update commander" in message.lower()
    assert "0099" in message and SCHEMA_HEAD in message and str(db_path) in message
    assert isinstance(caught.value, StoreError)
    with newer.read() as conn:  # refused before anything was touched
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one() == "0099"
    newer.dispose()


@pytest.mark.parametrize(
    "content",
    [
        b"Quarterly report\nThis is a text file, not a database.\n" * 200,
        bytes(range(256)) * 64,
        b"SQLite format 3\x00" + b"\xff" * 4080,  # the right magic, a damaged header
    ],
)
def test_a_file_that_is_not_a_database_is_named_and_left_unchanged(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = fingerprint(path)
    database = Database(f"sqlite:///{path}")
    with pytest.raises(StoreError) as caught:
        database.open()
    database.dispose()
    message = str(caught.value)
    assert f"{path} is not a Commander database" in message
    assert "Nothing was changed" in message and "--db" in message
    assert fingerprint(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"], "no -wal/-shm files left beside it"


def test_a_sqlite_file_with_foreign_tables_named_events_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT)"))
    engine.dispose()
    database = Database(f"sqlite:///{path}")
    with pytest.raises(StoreError, match="has Commander tables but no schema version"):
        database.open()
    database.dispose()


def test_open_makes_the_folder_it_needs(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "commander.db"
    database = Database(f"sqlite:///{path}")
    database.open()
    database.dispose()
    assert path.is_file()
