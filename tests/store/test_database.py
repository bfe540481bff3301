"""The database wrapper: durable settings, writers that never deadlock, errors a person can act on."""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from commander.domain.core.events import Actor, Event
from commander.store.database import Database, StoreError, describe
from commander.store.repository import EventLog

WHERE = "/home/alex/.local/share/Commander/commander.db"


def test_wal_and_full_sync_are_on_for_every_connection(database: Database) -> None:
    for _ in range(2):
        with database.read() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1


def test_a_write_takes_the_lock_up_front(database: Database, db_path: Path) -> None:
    """BEGIN IMMEDIATE: while one writer is inside write(), another connection cannot start writing."""
    probe = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    with database.write(), pytest.raises(sqlite3.OperationalError, match="locked"):
        probe.execute("BEGIN IMMEDIATE")
    probe.execute("BEGIN IMMEDIATE")
    probe.execute("ROLLBACK")
    probe.close()


def test_a_failed_write_rolls_back_everything(database: Database) -> None:
    with pytest.raises(RuntimeError), database.write() as conn:
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('half', 'done')"))
        raise RuntimeError("the command failed half way")
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta WHERE key = 'half'")).scalar_one() == 0


def _event(n: int, writer: int) -> Event:
    moment = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
    return Event(
        id=f"00000000-0000-7000-8000-{writer:04d}{n:08d}",
        stream="incident:x",
        kind="note.added",
        payload={"text": f"{writer}/{n}", "pinned": False},
        actor=Actor("a", "Alex"),
        hlc=n,
        occurred_at=moment,
        recorded_at=moment,
        origin=f"console-{writer}",
    )


def test_two_databases_on_one_file_write_from_threads_without_deadlock(database: Database, db_path: Path) -> None:
    """Each write reads (which ids exist) then inserts: with deferred BEGIN two such writers deadlock."""
    others = [Database(f"sqlite:///{db_path}") for _ in range(2)]
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(db: Database, number: int) -> None:
        try:
            start.wait()
            for n in range(40):
                with db.write() as conn:
                    log = EventLog(conn)
                    log.count()
                    log.append([_event(n, number)])
        except BaseException as error:  # noqa: BLE001 - collected and reported by the test below
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(db, i % 2)) for i, db in enumerate(others * 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a writer is stuck"
    assert failures == []
    with database.read() as conn:
        assert EventLog(conn).count() == 2 * 40  # the same two writer ids twice: replays are no-ops
    for db in others:
        db.dispose()


# -- errors a person can act on -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (sqlite3.OperationalError("database or disk is full"), f"The disk holding {WHERE} is full"),
        (sqlite3.OperationalError("disk I/O error: no space left on device"), "is full; the last change was not saved"),
        (sqlite3.OperationalError("attempt to write a readonly database"), f"{WHERE} is read-only"),
        (sqlite3.OperationalError("database is locked"), f"{WHERE} is busy"),
        (sqlite3.OperationalError("unable to open database file"), f"Cannot open {WHERE}. Check that the folder"),
        (sqlite3.DatabaseError("file is not a database"), f"{WHERE} is not a Commander database"),
    ],
)
def test_known_driver_errors_become_sentences(error: sqlite3.Error, says: str) -> None:
    described = describe(error, WHERE)
    assert isinstance(described, StoreError)
    assert says in str(described)
    wrapped = OperationalError("INSERT INTO events ...", {}, error)  # as SQLAlchemy raises it
    assert str(describe(wrapped, WHERE)) == str(described)


def test_read_only_and_full_say_what_was_kept_and_what_to_do() -> None:
    read_only = str(describe(sqlite3.OperationalError("attempt to write a readonly database"), WHERE))
    assert "Everything already saved is intact" in read_only and "writable" in read_only
    full = str(describe(sqlite3.OperationalError("database or disk is full"), WHERE))
    assert "Free some space and try again" in full and "Everything saved before is intact" in full


def test_unknown_errors_are_bugs_not_sentences() -> None:
    assert describe(sqlite3.OperationalError("no such table: incidents"), WHERE) is None
    assert describe(ValueError("boom"), WHERE) is None


def test_a_write_to_a_read_only_store_raises_the_sentence(database: Database, db_path: Path) -> None:
    read_only = Database(f"sqlite:///file:{db_path}?mode=ro&uri=true")
    with read_only.read() as conn:
        assert EventLog(conn).count() == 0  # reading still works
    refused = pytest.raises(StoreError, match="is read-only, so nothing new can be saved")
    with refused, read_only.write() as conn:
        EventLog(conn).append([_event(1, 1)])
    read_only.dispose()


def test_a_full_disk_inside_a_write_raises_the_sentence(database: Database, db_path: Path) -> None:
    with pytest.raises(StoreError) as caught, database.write():
        raise sqlite3.OperationalError("database or disk is full")
    assert str(caught.value).startswith(f"The disk holding {db_path} is full")
    assert isinstance(caught.value.__cause__, sqlite3.OperationalError)


def test_a_bug_keeps_its_own_exception(database: Database) -> None:
    with database.write() as conn:
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('k', 'v')"))
    with pytest.raises(IntegrityError), database.write() as conn:
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('k', 'again')"))


def test_where_names_the_file_or_hides_the_password() -> None:
    assert Database("sqlite:////tmp/x/commander.db").where == "/tmp/x/commander.db"
    shared = Database("postgresql+psycopg://ic:s3cret@127.0.0.1:5432/commander")
    assert "s3cret" not in shared.where and "127.0.0.1" in shared.where
    assert not shared.is_sqlite
    shared.dispose()
