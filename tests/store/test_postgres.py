"""The same store code on PostgreSQL (the shared store): schema, idempotent append, ordered streams."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commander.domain.core.events import incident_stream
from commander.domain.incident import decisions
from commander.store.database import Database
from commander.store.repository import EventLog, IncidentList
from tests.helpers.replica import INCIDENT_ID, Replica, default_policy

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_database(pg_url: str) -> Iterator[Database]:
    """A throwaway database on the local server (tests/helpers/pg.py), with Commander's schema."""
    database = Database(pg_url)
    try:
        database.open()
        yield database
    finally:
        database.dispose()


def test_schema_append_and_stream_on_postgresql(pg_database: Database) -> None:
    policy = default_policy()
    alex, sam = Replica(1, policy, name="Alex"), Replica(2, policy, name="Sam")
    events = alex.declare()
    sam.receive(events)
    events += sam.act(lambda s: decisions.add_note(s, 'שגיאה 502 🔥 "quoted"', now=sam.now()))
    assert pg_database.check_schema() == "current"
    with pg_database.write() as conn:
        assert EventLog(conn).append(events + events[:1]) == events
    with pg_database.write() as conn:
        assert EventLog(conn).append(events) == []
        IncidentList(conn).save(sam.state())
    with pg_database.read() as conn:
        # The database, not the client, records who wrote each row: the login of the connection.
        assert EventLog(conn).stream(incident_stream(INCIDENT_ID)) == [
            e._replace(login="postgres") for e in sorted(events, key=lambda e: e.order)
        ]
        assert EventLog(conn).max_hlc() == max(e.hlc for e in events)
        (summary,) = IncidentList(conn).summaries()
    assert summary.title == "Checkout API returning 502s" and summary.event_count == len(events)
