"""Connections as a budget (issue 15): a replicating console holds one long-lived PostgreSQL connection (the
LISTEN one, which also runs its rounds), claims open one for a moment and close it, and where LISTEN does
not pass (a pooler in transaction mode) the console polls the store's sequence and still gets every event."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from commander.app import claims, timeline
from commander.app import incident as app_incident
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.store.database import Database
from commander.sync import shared as shared_module
from commander.sync.replicator import Replicator
from tests.helpers.pg import postgres_database
from tests.helpers.waiting import wait_until

Make = Callable[..., tuple[Console, Replicator]]


@pytest.fixture
def pg_url() -> Iterator[str]:
    for url in postgres_database():
        database = Database(url)
        database.upgrade()
        database.dispose()
        yield url


@pytest.fixture
def activity(pg_url: str) -> Iterator[Callable[[str], int]]:
    """How many connections to the test's database carry this application_name (this fixture's own excepted)."""
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")

    def count(name: str) -> int:
        with admin.connect() as conn:
            return int(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND application_name = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": name},
                ).scalar_one()
            )

    yield count
    admin.dispose()


def notes(console: Console, incident_id: str) -> list[str]:
    console.catch_up()
    if incident_id not in {summary.id for summary in console.incidents()}:
        return []
    return [entry.text for entry in console.view(incident_id).entries if entry.category == "note"]


def known(console: Console, incident_id: str) -> bool:
    console.catch_up()
    return incident_id in {summary.id for summary in console.incidents()}


def test_a_replicating_console_holds_one_connection_and_claims_close_theirs(
    pg_url: str, console_on: Make, activity: Callable[[str], int]
) -> None:
    (alex, alex_sync), (sam, sam_sync) = console_on("Alex", pg_url), console_on("Sam", pg_url)
    for replicator in (alex_sync, sam_sync):
        replicator.start()
    incident = app_incident.declare(alex, Declaration(title="Checkout 502s", severity="SEV1"))
    alex_sync.nudge()
    wait_until(lambda: known(sam, incident.id), 15, message="Sam never received the incident")
    for n in range(30):  # writes on both sides while they replicate: rounds, pushes, heartbeats
        timeline.add_note(alex if n % 2 else sam, incident.id, f"note {n}")
        (alex_sync if n % 2 else sam_sync).nudge()
    wait_until(lambda: len(notes(sam, incident.id)) == 30, 15, message="Sam never received Alex's notes")
    wait_until(lambda: len(notes(alex, incident.id)) == 30, 15, message="Alex never received Sam's notes")
    assert activity("commander") <= 2 + 2, "at most one connection each, plus one each returning at this moment"
    wait_until(lambda: activity("commander") == 2, 10, message="idle consoles should hold one connection each")

    assert claims.claim(alex, "action-1").won
    assert not claims.claim(sam, "action-1").won
    # The backend leaves pg_stat_activity a moment after the client closes the connection.
    wait_until(lambda: activity("commander claims") == 0, 3, message="a claim's connection stays open")
    wait_until(lambda: activity("commander") == 2, 10, message="claims must not leave a connection behind")
    claims.close(alex)
    claims.close(sam)


@pytest.mark.parametrize("how", ["LISTEN fails", "notifications never arrive"])
def test_without_listen_the_console_polls_and_still_gets_every_event(
    pg_url: str, console_on: Make, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, how: str
) -> None:
    if how == "LISTEN fails":  # as a pooler that refuses it would: the statement errors
        monkeypatch.setattr(shared_module, "CHANNEL", '"not a channel')
    else:  # as a pooler in transaction mode: LISTEN is accepted, and the notification goes elsewhere
        monkeypatch.setattr(shared_module, "PROBE_NOTIFY", "SELECT pg_notify(:channel || '_elsewhere', 'probe')")
        monkeypatch.setattr(shared_module, "PROBE_SECONDS", 0.3)
    caplog.set_level(logging.WARNING, logger="commander.sync.shared")
    (alex, alex_sync), (sam, sam_sync) = console_on("Alex", pg_url), console_on("Sam", pg_url)
    alex_sync.poll_seconds = alex_sync.shared.poll_seconds = 0.2
    notices: list[str] = []
    alex_sync.on_status = lambda status: notices.append(status.notice)
    incident = app_incident.declare(sam, Declaration(title="Checkout 502s", severity="SEV1"))
    sam_sync.run_once()
    alex_sync.start()
    wait_until(lambda: alex_sync.shared.listening is False, 10, message="the console never noticed LISTEN is out")
    for n in range(3):
        timeline.add_note(sam, incident.id, f"note {n}")
        sam_sync.run_once()  # Sam pushes; nothing nudges Alex: only polling can bring these
        # Well within the replicator's own 5 s round, so only the 0.2 s polling can pass this.
        wait_until(lambda: len(notes(alex, incident.id)) == n + 1, 3, message=f"polling missed note {n}")  # noqa: B023

    assert "checks for news every 0.2 s" in alex_sync.shared.notice
    said = [r for r in caplog.records if "does not pass notifications" in r.getMessage()]
    assert len(said) == 1, "said once in the log, not at every poll"
    assert notices[-1] == alex_sync.shared.notice, "and in the sync status the window shows"


def test_the_polling_wait_returns_at_once_for_a_local_write(pg_url: str) -> None:
    import os

    store = shared_module.SharedStore(pg_url, application_name="commander poll test")
    store.listening, store.poll_seconds = False, 30.0
    read, write = os.pipe()
    try:
        os.write(write, b"!")
        assert store.wait(30.0, read) is False  # the wake descriptor, not the 30 s poll interval
    finally:
        os.close(read)
        os.close(write)
        store.close()
