"""Consoles replicating through a shared store, on a shared SQLite file and on PostgreSQL alike."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from commander.app import incident as app_incident
from commander.app import roles, timeline
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.store.database import Database, SchemaTooNew, StoreError, StoreUnreachable
from commander.store.records import row_to_event
from commander.sync.replicator import Replicator
from commander.sync.shared import SharedStore
from tests.helpers.replica import canonical, timeline_dump
from tests.helpers.waiting import wait_until

Make = Callable[..., tuple[Console, Replicator]]


def settle(*pairs: tuple[Console, Replicator]) -> None:
    """Rounds until nothing moves: every console pushed and pulled everything, then caught up."""
    for _ in range(4):
        for console, replicator in pairs:
            replicator.run_once()
            console.catch_up()


def wait_for_listener(pg_url: str) -> None:
    """Until a replicator's LISTEN connection is up in the database: it issues LISTEN as its idle wait begins."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def listening() -> bool:
        with admin.connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
                    )
                ).scalar_one()
            )

    try:
        wait_until(listening, 10, message="the replicator never began to LISTEN")
    finally:
        admin.dispose()


def test_a_note_on_one_console_reaches_the_others(console_on: Make, shared_url: str) -> None:
    alex, sam, kim = console_on("Alex", shared_url), console_on("Sam", shared_url), console_on("Kim", shared_url)
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
    timeline.add_note(alex[0], incident.id, "Rolled back v2.31")
    settle(alex, sam, kim)
    timeline.add_note(sam[0], incident.id, "502 rate falling")
    roles.assign(kim[0], incident.id, "scribe", "Kim")
    settle(alex, sam, kim)
    views = [c.view(incident.id) for c, _ in (alex, sam, kim)]
    assert [e.text for e in views[0].entries if e.category == "note"] == ["Rolled back v2.31", "502 rate falling"]
    assert all(canonical(v.state) == canonical(views[0].state) for v in views)
    assert all(timeline_dump(v.entries) == timeline_dump(views[0].entries) for v in views)
    assert [s.reference for s in sam[0].incidents()] == [incident.reference]  # the projection too
    assert all(r.waiting() == 0 for _, r in (alex, sam, kim))


def test_edits_made_apart_merge_by_the_documented_rule(console_on: Make, shared_url: str) -> None:
    alex, sam = console_on("Alex", shared_url), console_on("Sam", shared_url)
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV2"))
    settle(alex, sam)
    # Apart: both change the severity and add notes; neither syncs.
    first = app_incident.change_severity(alex[0], incident.id, "SEV1", "all regions")[0]
    timeline.add_note(alex[0], incident.id, "Alex, offline")
    second = app_incident.change_severity(sam[0], incident.id, "SEV3", "contained")[0]
    timeline.add_note(sam[0], incident.id, "Sam, offline")
    settle(alex, sam)
    winner = max(first, second, key=lambda e: e.order)
    for console, _ in (alex, sam):
        view = console.view(incident.id)
        assert view.state.severity == winner.payload["severity"]  # last writer by the hybrid clock
        texts = [e.text for e in view.entries]
        assert "Alex, offline" in texts and "Sam, offline" in texts  # both edits stay visible
        assert sum(t.startswith("Severity ") for t in texts) == 2
    assert canonical(alex[0].view(incident.id).state) == canonical(sam[0].view(incident.id).state)


def test_replaying_a_push_sends_nothing_twice(console_on: Make, shared_url: str) -> None:
    alex, sam = console_on("Alex", shared_url), console_on("Sam", shared_url)
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV2"))
    written = timeline.add_note(alex[0], incident.id, "once")
    alex[1].run_once()
    # A crash between the shared store's commit and the outbox's: the same events are pushed again.
    assert alex[1].shared.push(written) == 0
    settle(alex, sam)
    assert [e.text for e in sam[0].view(incident.id).entries].count("once") == 1
    shared = SharedStore(shared_url)
    assert len(shared.pull(0, 100)[0]) == 3
    shared.close()


def test_a_store_from_a_newer_commander_is_refused(shared_url: str) -> None:
    database = Database(shared_url)
    with database.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    database.dispose()
    shared = SharedStore(shared_url)
    with pytest.raises(SchemaTooNew, match="Update Commander"):
        shared.check()
    shared.close()


@pytest.mark.postgres
def test_offline_work_waits_and_flows_when_the_store_returns(console_on: Make, pg_url: str) -> None:
    Database(pg_url).upgrade()
    alex, sam = console_on("Alex", pg_url), console_on("Sam", pg_url)
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
    settle(alex, sam)
    real = alex[1].shared
    alex[1].shared = SharedStore(pg_url.replace("127.0.0.1:5432", "127.0.0.1:1"))  # the network is gone
    for number in range(37):
        timeline.add_note(alex[0], incident.id, f"offline note {number}")
    with pytest.raises(StoreUnreachable, match="cannot be reached"):
        alex[1].run_once()
    assert alex[1].waiting() == 37 + 0  # nothing lost, all waiting
    alex[1].shared.close()
    alex[1].shared = real
    settle(alex, sam)
    assert alex[1].waiting() == 0
    notes = [e.text for e in sam[0].view(incident.id).entries if e.category == "note"]
    assert notes == [f"offline note {number}" for number in range(37)]


@pytest.mark.postgres
def test_listen_notify_wakes_the_other_console(console_on: Make, pg_url: str) -> None:
    Database(pg_url).upgrade()
    alex, sam = console_on("Alex", pg_url), console_on("Sam", pg_url)
    heard = threading.Event()
    sam[1].on_pulled = lambda count: heard.set()
    sam[1].poll_seconds = 30  # a poll would be far too late: only NOTIFY can wake it in time
    sam[1].start()
    wait_for_listener(pg_url)  # its idle wait has begun: only a NOTIFY can wake it now
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
    pushed_at = time.monotonic()
    alex[1].run_once()
    # Its idle wait lasts seconds: only a NOTIFY wakes it this soon.
    assert heard.wait(1.5), "the other console was not woken by NOTIFY"
    assert time.monotonic() - pushed_at < 1.5
    sam[0].catch_up()
    assert sam[0].view(incident.id).state.title == "Checkout 502s"


@pytest.mark.postgres
def test_history_cannot_be_rewritten_on_postgresql(pg_url: str) -> None:
    database = Database(pg_url)
    database.upgrade()
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO events (id, stream, kind, payload, actor_id, actor_name, hlc, "
                "occurred_at, recorded_at, origin) VALUES ('e1', 's', 'note.added', '{}', 'a', "
                "'Alex', 1, 1, 1, 'c')"
            )
        )
    for statement in ("UPDATE events SET kind = 'x'", "DELETE FROM events", "TRUNCATE events"):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    engine.dispose()
    database.dispose()


@pytest.mark.postgres
def test_roles_let_a_responder_append_but_never_rewrite_and_a_viewer_only_read(pg_url: str, console_on: Make) -> None:
    import uuid

    from commander.cli.main import main

    Database(pg_url).upgrade()
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    responder, viewer = f"resp_{uuid.uuid4().hex[:8]}", f"view_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE ROLE "{responder}" LOGIN'))
        conn.execute(sa.text(f'CREATE ROLE "{viewer}" LOGIN'))
    try:
        assert main(["db", "grant-roles", "--url", pg_url, "--responder", responder, "--viewer", viewer]) == 0
        as_responder = pg_url.replace("//postgres@", f"//{responder}@")
        as_viewer = pg_url.replace("//postgres@", f"//{viewer}@")
        alex = console_on("Alex", as_responder)
        incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
        alex[1].run_once()  # a responder appends (and keeps presence) through the replicator
        alex[1].heartbeat()
        engine = sa.create_engine(as_responder)
        for statement in ("UPDATE events SET kind = 'x'", "DELETE FROM events"):
            with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
                conn.execute(sa.text(statement))
        engine.dispose()
        sam = console_on("Sam", as_viewer)
        sam[1].shared.check()
        rows, _ = sam[1].shared.pull(0, 100)
        events = [row_to_event(row) for _, row in rows]
        assert {e.stream for e in events} == {f"incident:{incident.id}"}  # a viewer reads
        assert {e.login for e in events} == {responder}  # the database recorded who wrote them
        with pytest.raises(StoreError, match="refused the change"):
            sam[1].shared.push(events[:1] and [events[0]._replace(id=str(uuid.uuid4()))])
    finally:
        with admin.connect() as conn:
            for name in (responder, viewer):
                conn.execute(sa.text(f'REASSIGN OWNED BY "{name}" TO postgres'))
                conn.execute(sa.text(f'DROP OWNED BY "{name}"'))
                conn.execute(sa.text(f'DROP ROLE "{name}"'))
        admin.dispose()


@pytest.mark.postgres
def test_the_replicator_rides_out_a_database_restart(console_on: Make, pg_url: str) -> None:
    """Every connection to the store is cut (what a server restart does to its clients) while a console
    listens; it reconnects by itself, and what is written next still arrives."""
    Database(pg_url).upgrade()
    alex, sam = console_on("Alex", pg_url), console_on("Sam", pg_url)
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
    settle(alex, sam)
    arrived = threading.Event()
    sam[1].on_pulled = lambda count: arrived.set()
    sam[1].poll_seconds = 0.5
    sam[1].start()
    wait_for_listener(pg_url)  # then cut everything
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        cut = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()) AS gone"
            )
        )
        assert cut.scalar_one() >= 1
    admin.dispose()
    timeline.add_note(alex[0], incident.id, "written after the restart")

    def pushed() -> bool:
        try:
            alex[1].run_once()
        except StoreUnreachable:  # the writer's own pooled connections were cut too: its next round reconnects
            return False
        return True

    wait_until(pushed, 5, 0.5, message="the writer did not reconnect after its connections were cut")
    assert arrived.wait(15), "the listening console did not recover from the cut connections"
    sam[1].stop()
    sam[0].catch_up()
    assert [e.text for e in sam[0].view(incident.id).entries][-1] == "written after the restart"


def test_a_store_before_the_trust_schema_asks_for_the_upgrade(shared_url: str) -> None:
    """0004 puts sequence numbers and logins in the database's hands: an older store is not trusted."""
    database = Database(shared_url)
    shared = SharedStore(shared_url)
    shared.check()
    with database.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0003'"))
    database.dispose()
    with pytest.raises(StoreError, match="older schema"):
        shared.check()
    shared.close()
