"""The quarantine on a local store: rows pulled before the checks existed are swept out when the store
is upgraded, and a row held back only for its clock stamp is taken in once our clock catches up."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.bootstrap import build_console
from commander.domain.core.clock import to_ms
from commander.domain.incident.decisions import Declaration
from commander.store.database import Database
from commander.store.migrate import upgrade
from commander.store.quarantine import Quarantine
from commander.sync.replicator import Replicator
from commander.sync.shared import SharedStore


def _row(stream: str, kind: str, payload: object, *, hlc: int | None = None, at: datetime | None = None) -> dict:
    ms = to_ms(at or datetime.now(UTC))
    return {
        "id": str(uuid.uuid4()),
        "stream": stream,
        "kind": kind,
        "payload": payload if isinstance(payload, str) else json.dumps(payload),
        "actor_id": "m",
        "actor_name": "Mallory",
        "hlc": ms << 16 if hlc is None else hlc,
        "occurred_at": ms,
        "recorded_at": ms,
        "origin": "elsewhere",
    }


def _insert(engine: sa.Engine, row: dict) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)


def test_upgrading_a_poisoned_local_store_sweeps_the_poison_out(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "poisoned.db"
    console = build_console(str(path))
    incident = app_incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1")).id
    console.close()
    database = Database(f"sqlite:///{path}")
    with database.engine.begin() as conn:  # back to the schema a poisoned console had
        conn.execute(sa.text("DROP TABLE quarantine"))
        conn.execute(sa.text("DROP TABLE claims"))  # 0005's
        conn.execute(sa.text("ALTER TABLE events DROP COLUMN login"))
        conn.execute(sa.text("ALTER TABLE presence DROP COLUMN login"))
        conn.execute(sa.text("DELETE FROM meta WHERE key = 'projected_rowid'"))
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0003'"))
    # What the old version pulled and kept: the end of time, and a payload that is not an object.
    _insert(
        database.engine,
        _row(
            f"incident:{incident}",
            "severity.changed",
            {"severity": "SEV4", "previous": "SEV1", "reason": "x"},
            hlc=(1 << 63) - 1,
        ),
    )
    _insert(database.engine, _row(f"incident:{incident}", "note.added", "[]"))
    database.dispose()

    console = build_console(str(path))  # upgrades to 0004: the sweep runs once
    try:
        assert console.state(incident).severity == "SEV1"
        timeline.add_note(console, incident, "writes work again")  # the clock is sane: no overflow
        assert [s.severity for s in console.incidents()] == ["SEV1"]
        with console.database.read() as conn:
            kept = Quarantine(conn).listed()
        assert len(kept) == 2 and {k.source for k in kept} == {"local"}
    finally:
        console.close()
    from commander.cli.main import main

    capsys.readouterr()
    assert main(["--db", str(path), "sync", "--quarantine"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2 rows were set aside")
    assert "its payload is a JSON list, not an object" in out and "years ahead" in out


def test_a_row_held_back_for_its_clock_is_taken_in_when_our_clock_catches_up(tmp_path: Path) -> None:
    shared_url = f"sqlite:///{tmp_path / 'shared.db'}"
    Database(shared_url).upgrade()
    console = build_console(str(tmp_path / "local.db"))
    incident = app_incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1")).id
    shared = SharedStore(shared_url)
    now = [datetime.now(UTC)]
    console.clock.physical = lambda: to_ms(now[0])
    replicator = Replicator(console.database, shared, console.console_id, "Alex", clock=console.clock)
    try:
        replicator.run_once()
        ahead = now[0] + timedelta(minutes=25)  # a laptop whose clock runs 25 minutes fast
        _insert(
            shared.database.engine,
            _row(f"incident:{incident}", "note.added", {"text": "from a fast clock", "pinned": False}, at=ahead),
        )
        replicator.run_once()
        console.catch_up()
        assert replicator.set_aside == 1
        assert "from a fast clock" not in [e.text for e in console.view(incident).entries]
        now[0] += timedelta(minutes=16)  # our clock is within the drift of it now
        replicator.run_once()
        console.catch_up()
        assert replicator.set_aside == 0
        assert "from a fast clock" in [e.text for e in console.view(incident).entries]
    finally:
        replicator.stop()
        console.close()


def test_upgrade_marks_an_unpoisoned_store_as_projected(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    database = Database(url)
    upgrade(database.engine, "0003")
    database.upgrade()
    with database.read() as conn:
        assert conn.execute(sa.text("SELECT value FROM meta WHERE key = 'projected_rowid'")).scalar_one() == "0"
    database.dispose()
