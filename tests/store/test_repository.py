"""Repositories: the event log (append-only, idempotent, ordered), the incident list, settings."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from commander.domain.core.events import Actor, Event, incident_stream
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import fold
from commander.store.database import Database
from commander.store.repository import EventLog, IncidentList, Settings, event_to_row, row_to_event
from tests.helpers.replica import INCIDENT_ID, NOW, Replica, default_policy

MIN = timedelta(minutes=1)
OTHER_ID = "0196f0c3-0b2e-7d11-8a4f-93c1e07b2a7e"  # a reference unlike INCIDENT_ID's


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


def incident_events(policy: Policy, incident_id: str = INCIDENT_ID, *, replica: int = 1) -> list[Event]:
    r = Replica(replica, policy)
    events = r.declare(incident_id=incident_id, detected_at=NOW - 5 * MIN)
    for text in ["Error rate up", "שגיאה 502 🔥", "line one\nline two"]:
        r.tick(MIN)
        events += r.act(lambda s, t=text: decisions.add_note(s, t, now=r.now()), incident_id)
    events += r.act(lambda s: decisions.add_note(s, "seen earlier", now=r.now(), at=r.now() - 4 * MIN), incident_id)
    assert events[-1].occurred_at != events[-1].recorded_at
    return events


def test_an_event_survives_the_round_trip_exactly(policy: Policy) -> None:
    for event in incident_events(policy):
        assert row_to_event(list(event_to_row(event).values())) == event


def test_append_is_idempotent_on_id(database: Database, policy: Policy) -> None:
    events = incident_events(policy)
    with database.write() as conn:
        assert EventLog(conn).append(events) == events
    with database.write() as conn:
        assert EventLog(conn).append(events) == []  # a replay is a no-op
        assert EventLog(conn).append(list(reversed(events[:2]))) == []
    with database.read() as conn:
        assert EventLog(conn).count() == len(events)


def test_append_returns_only_the_new_events_in_the_order_given(database: Database, policy: Policy) -> None:
    events = incident_events(policy)
    with database.write() as conn:
        EventLog(conn).append(events[:3])
    with database.write() as conn:
        fresh = EventLog(conn).append(events[5:] + events[:5])
    assert fresh == events[5:] + events[3:5]


def test_a_batch_holding_an_event_twice_appends_and_returns_it_once(database: Database, policy: Policy) -> None:
    events = incident_events(policy)
    with database.write() as conn:
        fresh = EventLog(conn).append([events[0], events[1], events[0]])
    assert fresh == events[:2]
    with database.read() as conn:
        assert EventLog(conn).count() == 2


def test_a_stream_reads_back_in_log_order_whatever_the_insert_order(database: Database, policy: Policy) -> None:
    mine = incident_events(policy)
    theirs = incident_events(policy, replica=2)  # same hlc values, other console: origin breaks the tie
    everything = mine + theirs
    shuffled = list(everything)
    random.Random(7).shuffle(shuffled)
    with database.write() as conn:
        for event in shuffled:
            EventLog(conn).append([event])
    with database.read() as conn:
        stored = EventLog(conn).stream(incident_stream(INCIDENT_ID))
    assert stored == sorted(everything, key=lambda e: e.order)
    assert [e.order for e in stored] == sorted(e.order for e in stored)


def test_streams_max_hlc_and_count(database: Database, policy: Policy) -> None:
    first, second = incident_events(policy), incident_events(policy, OTHER_ID, replica=2)
    settings_event = Event(
        id="s1",
        stream="settings",
        kind="setting.changed",
        payload={},
        actor=Actor("a", "A"),
        hlc=1,
        occurred_at=NOW,
        recorded_at=NOW,
        origin="c",
    )
    with database.read() as conn:
        assert EventLog(conn).max_hlc() == 0 and EventLog(conn).count() == 0
    with database.write() as conn:
        EventLog(conn).append(first + second + [settings_event])
    with database.read() as conn:
        log = EventLog(conn)
        wanted = [incident_stream(INCIDENT_ID), incident_stream(OTHER_ID)]
        assert sorted(log.streams("incident:")) == sorted(wanted)
        assert log.max_hlc() == max(e.hlc for e in first + second)
        assert log.count() == len(first) + len(second) + 1
        assert log.stream("incident:nothing") == []


def test_the_incident_list_projection(database: Database, policy: Policy) -> None:
    other_id = OTHER_ID
    open_one = fold(INCIDENT_ID, incident_events(policy), policy)
    r = Replica(2, policy, name="Sam", start=NOW + 60 * MIN)
    r.declare("Search slow", "SEV3", incident_id=other_id, services=("search",), drill=True)
    r.tick(10 * MIN)
    r.act(lambda s: decisions.change_status(s, "resolved", now=r.now()), other_id)
    resolved = r.state(other_id)
    with database.write() as conn:
        IncidentList(conn).save(open_one)
        IncidentList(conn).save(resolved)
    with database.read() as conn:
        incidents = IncidentList(conn)
        everything = incidents.summaries()
        assert [s.id for s in everything] == [other_id, INCIDENT_ID]  # newest declared first
        assert [s.id for s in incidents.summaries(include_closed=False)] == [INCIDENT_ID]
        summary = everything[1]
        assert (summary.reference, summary.title, summary.severity, summary.status) == (
            open_one.reference,
            "Checkout API returning 502s",
            "SEV2",
            "investigating",
        )
        assert summary.is_open and not summary.drill and summary.commander == "Alex"
        assert summary.started_at_ms == int((NOW - 5 * MIN).timestamp() * 1000)
        assert summary.event_count == open_one.event_count and summary.resolved_at_ms is None
        search = everything[0]
        assert search.drill and search.services == ["search"] and not search.is_open
        assert search.resolved_at_ms == int((NOW + 70 * MIN).timestamp() * 1000)
        assert incidents.by_reference_prefix(open_one.reference[:6]) == [summary]
        assert incidents.by_id_prefix(other_id[:8].upper()) == [search]


def test_saving_again_updates_the_row(database: Database, policy: Policy) -> None:
    r = Replica(1, policy)
    r.declare()
    with database.write() as conn:
        IncidentList(conn).save(r.state())
    r.act(lambda s: decisions.change_severity(s, "SEV1", reason="", policy=policy))
    with database.write() as conn:
        IncidentList(conn).save(r.state())
    with database.read() as conn:
        (summary,) = IncidentList(conn).summaries()
    assert summary.severity == "SEV1" and summary.event_count == 3
    with database.write() as conn:
        IncidentList(conn).clear()
        assert IncidentList(conn).summaries() == []


def test_settings(database: Database) -> None:
    with database.write() as conn:
        settings = Settings(conn)
        assert settings.get("user_name") is None
        settings.put("user_name", "Alex")
        settings.put("user_name", "Alex Kim")
        settings.put("console_id", "c-1")
    with database.read() as conn:
        assert Settings(conn).get("user_name") == "Alex Kim"
        assert Settings(conn).get("console_id") == "c-1"
