"""Console use cases end to end on a SQLite file: commands in, events out, listeners told once."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import timedelta

import pytest

from commander.app import incident, roles, timeline
from commander.app.console import Console, NotADecision
from commander.app.setup import identity
from commander.app.updates import timers
from commander.domain.core.errors import DomainError
from commander.domain.core.events import EventDraft, incident_stream
from commander.domain.incident import decisions
from commander.domain.incident.decisions import Declaration
from commander.domain.incident.state import Status
from commander.store.database import StoreError
from commander.store.repository import EventLog
from tests.app.conftest import Heard
from tests.helpers.replica import canonical, timeline_dump


def test_declare_lists_the_incident_and_names_the_commander(console: Console) -> None:
    state = incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s",
            severity="sev1",
            services=("checkout", "payments"),
            summary="EU users see 502s",
        ),
    )
    assert state.declared and state.severity == "SEV1" and state.status is Status.INVESTIGATING
    assert state.roles["incident_commander"].holder == "Alex"  # COMMANDER_USER in the test environment
    (summary,) = console.incidents()
    assert (summary.id, summary.reference, summary.title, summary.commander) == (
        state.id,
        state.reference,
        "Checkout API returning 502s",
        "Alex",
    )
    assert summary.services == ["checkout", "payments"] and summary.event_count == 2


def test_every_use_case_end_to_end(console: Console, incident_id: str) -> None:
    now = console.now().replace(microsecond=0)  # milestones are kept to the second
    (note,) = timeline.add_note(console, incident_id, "Error rate 40% on checkout")
    timeline.add_note(console, incident_id, "Deploy v2.31 went out", at=now - timedelta(minutes=20), pinned=True)
    incident.change_severity(console, incident_id, "SEV1", "all regions")
    roles.assign(console, incident_id, "tl", "Sam")
    roles.add_role(console, incident_id, "Customer Liaison", "Talks to Acme")
    roles.assign(console, incident_id, "customer liaison", "Noor")
    timeline.pin(console, incident_id, note.id)
    timeline.edit_note(console, incident_id, note.id, "Error rate 45% on checkout")
    timeline.delete_note(console, incident_id, note.id)
    timeline.restore_note(console, incident_id, note.id)
    incident.edit_details(console, incident_id, title="Checkout 502s (EU)", services=["checkout", "cart"])
    incident.set_milestone(console, incident_id, "detected", now - timedelta(minutes=30))
    incident.change_status(console, incident_id, "mitigated", reason="rolled back")
    incident.change_status(console, incident_id, "resolved")

    state = console.state(incident_id)
    assert (state.title, state.severity, state.status) == ("Checkout 502s (EU)", "SEV1", Status.RESOLVED)
    assert state.services == ["checkout", "cart"]
    assert state.roles["technical_lead"].holder == "Sam" and state.roles["customer_liaison"].holder == "Noor"
    assert state.notes[note.id].text == "Error rate 45% on checkout" and not state.notes[note.id].deleted
    assert state.is_pinned(note.id)
    assert state.milestones["detected"] == now - timedelta(minutes=30)
    (summary,) = console.incidents()
    assert (summary.status, summary.is_open, summary.title) == ("resolved", False, "Checkout 502s (EU)")
    assert console.incidents(include_closed=False) == []
    with console.database.read() as conn:
        assert EventLog(conn).count() == state.event_count == 16


def test_the_cached_view_equals_a_fresh_one_read_from_the_store(
    console: Console, incident_id: str, open_console: Callable[..., Console]
) -> None:
    """What a running console shows must equal what a console started now would show."""
    (note,) = timeline.add_note(console, incident_id, "first")
    timeline.edit_note(console, incident_id, note.id, "first, edited")
    roles.assign(console, incident_id, "ic", "Kim")
    incident.change_status(console, incident_id, "mitigated")
    live = console.view(incident_id)
    fresh = open_console().view(incident_id)
    assert canonical(live.state) == canonical(fresh.state)
    assert timeline_dump(live.entries) == timeline_dump(fresh.entries)


def test_listeners_are_told_once_per_append_with_exactly_the_new_events(
    console: Console, heard: Heard, incident_id: str
) -> None:
    declared = heard.calls.pop()
    assert [e.kind for e in declared] == ["incident.declared", "role.assigned"]
    first = timeline.add_note(console, incident_id, "one")
    second = incident.change_severity(console, incident_id, "SEV1")
    assert heard.calls == [first, second]
    assert timeline.pin(console, incident_id, first[0].id, False) == []  # nothing to record: nobody is told
    with pytest.raises(DomainError):
        incident.change_severity(console, incident_id, "SEV1")
    assert heard.calls == [first, second]


def test_unsubscribe_stops_the_calls(console: Console, incident_id: str) -> None:
    listener = Heard()
    unsubscribe = console.subscribe(listener)
    timeline.add_note(console, incident_id, "told")
    unsubscribe()
    timeline.add_note(console, incident_id, "not told")
    assert [e.payload["text"] for e in listener.events] == ["told"]


def test_a_refused_change_writes_nothing(console: Console, incident_id: str) -> None:
    with console.database.read() as conn:
        before = EventLog(conn).count()
    for refused in (
        lambda: timeline.add_note(console, incident_id, "   "),
        lambda: incident.change_status(console, incident_id, "resolved", at=console.now() + timedelta(hours=1)),
        lambda: roles.assign(console, incident_id, "janitor", "Sam"),
    ):
        with pytest.raises(DomainError):
            refused()
    with console.database.read() as conn:
        assert EventLog(conn).count() == before


def test_a_failed_write_is_a_sentence_and_leaves_the_view_consistent(
    console: Console, heard: Heard, incident_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline.add_note(console, incident_id, "saved")
    heard.calls.clear()

    def disk_full(self: EventLog, batch: object) -> list[object]:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as patch:
        patch.setattr(EventLog, "append", disk_full)
        with pytest.raises(StoreError, match="is full; the last change was not saved"):
            timeline.add_note(console, incident_id, "lost")
    assert heard.calls == []
    assert [n.text for n in console.state(incident_id).notes.values()] == ["saved"]
    timeline.add_note(console, incident_id, "after the disk was freed")
    notes = console.state(incident_id).notes.values()
    assert [n.text for n in notes] == ["saved", "after the disk was freed"]


def test_rebuild_reproduces_the_projection_exactly(console: Console, incident_id: str) -> None:
    timeline.add_note(console, incident_id, "note")
    incident.change_status(console, incident_id, "resolved")
    second = incident.declare(console, Declaration(title="Search slow", severity="SEV3", drill=True)).id
    roles.assign(console, second, "ic", "Kim")
    before = console.incidents()
    with console.database.write() as conn:  # a damaged read model: rows gone, one wrong
        conn.exec_driver_sql("DELETE FROM incidents WHERE id = ?", (incident_id,))
        conn.exec_driver_sql("UPDATE incidents SET title = 'wrong', event_count = 0")
    assert console.incidents() != before
    assert console.rebuild() == 2
    assert console.incidents() == before


def test_resolve_by_reference_prefix_or_id(console: Console, incident_id: str) -> None:
    reference = console.state(incident_id).reference
    assert console.resolve(reference).id == incident_id
    assert console.resolve(reference.lower()).id == incident_id
    assert console.resolve(reference.removeprefix("INC-")[:5]).id == incident_id
    assert console.resolve(incident_id).id == incident_id
    assert console.resolve(incident_id[:13].upper()).id == incident_id


def test_resolve_an_ambiguous_prefix_names_the_candidates(console: Console, incident_id: str) -> None:
    other = incident.declare(console, Declaration(title="Search slow", severity="SEV3"))
    shared = next(n for n in range(len(incident_id), 0, -1) if incident_id[:n] == other.id[:n])
    assert shared >= 4, "uuid7 ids made in the same minute share their time prefix"
    with pytest.raises(DomainError) as caught:
        console.resolve(incident_id[:4])
    message = str(caught.value)
    assert message.startswith(f"'{incident_id[:4]}' matches 2 incidents: ")
    assert "Checkout API returning 502s" in message and "Search slow" in message
    assert message.endswith("Type more of the reference.")
    with pytest.raises(DomainError, match="matches 2 incidents"):
        console.resolve("INC-")


def test_resolve_unknown_and_empty(console: Console, incident_id: str) -> None:
    with pytest.raises(DomainError) as caught:
        console.resolve("ZZZZ9")
    assert str(caught.value) == "No incident matches 'ZZZZ9'. `commander list --all` shows every incident."
    with pytest.raises(DomainError, match=r"^No incident reference given\. `commander list` shows them\.$"):
        console.resolve("  ")


def test_ingest_takes_events_from_elsewhere_on_the_same_path(
    console: Console, heard: Heard, incident_id: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from commander.app.bootstrap import build_console

    elsewhere = build_console(str(tmp_path_factory.mktemp("elsewhere") / "other.db"))
    try:
        foreign_state = incident.declare(elsewhere, Declaration(title="Queue backlog", severity="SEV2"))
        foreign = timeline.add_note(elsewhere, foreign_state.id, "from another office")
        with elsewhere.database.read() as conn:
            everything = EventLog(conn).stream(f"incident:{foreign_state.id}")
    finally:
        elsewhere.close()
    heard.calls.clear()
    assert console.ingest(everything) == everything
    assert console.ingest(everything) == []  # replayed: nothing new, nobody told
    assert heard.calls == [everything]
    assert console.resolve(foreign_state.reference).title == "Queue backlog"
    (mine,) = timeline.add_note(console, foreign_state.id, "answered here")
    assert mine.order > foreign[0].order


def test_ingest_refuses_a_malformed_payload(console: Console, incident_id: str) -> None:
    (note,) = timeline.add_note(console, incident_id, "x")
    broken = note._replace(id="00000000-0000-7000-8000-00000000beef", payload={"text": 5})
    with pytest.raises(DomainError, match="note.added event's payload is missing a valid 'text'"):
        console.ingest([broken])


def test_rename_me_is_kept_and_used(console: Console, incident_id: str, open_console: Callable[..., Console]) -> None:
    identity.rename_me(console, "  Alex  Kim ")
    (note,) = timeline.add_note(console, incident_id, "signed")
    assert note.actor.name == "Alex Kim"
    assert open_console().me.name == "Alex Kim"
    with pytest.raises(DomainError, match="Your name is empty"):
        identity.rename_me(console, " ")


def test_an_incident_event_is_written_only_through_a_decision(console: Console, incident_id: str) -> None:
    """`record` is for settings and declarations: an incident's other events go through `perform`."""
    stream = incident_stream(incident_id)
    before = len(console.view(incident_id).events)
    with pytest.raises(NotADecision, match="note.added in incident:"):
        console.record([EventDraft(stream, "note.added", {"text": "skipped the decisions", "pinned": False})])
    assert len(console.view(incident_id).events) == before
    (setting,) = console.record(
        [EventDraft("settings:alerts", "alert_source.removed", {"name": "nothing"})]
    )  # a settings stream: as before
    assert setting.stream == "settings:alerts"
    another = incident_stream("01900000-0000-7000-8000-000000000001")
    written = console.record(
        decisions.declare(
            another.removeprefix("incident:"),
            Declaration("Search slow", "SEV3"),
            me="Sam",
            policy=console.policy,
            now=console.now(),
        )
    )
    assert written[0].kind == "incident.declared" and {e.stream for e in written} == {another}


def test_update_timers_through_the_console(console: Console, incident_id: str) -> None:
    due = timers.next_update(console, incident_id)
    assert due.due is not None and due.cadence is not None
    timers.record_update(console, incident_id, "#incidents", "Investigating elevated 502s")
    after = timers.next_update(console, incident_id)
    assert after.due is not None and after.due > due.due
    timers.snooze_updates(console, incident_id, 10, "waiting for the vendor's answer")
    assert timers.next_update(console, incident_id).snoozed
    assert timers.note_overdue(console, incident_id) == []  # nothing overdue yet: nothing written
    texts = [e.text for e in console.view(incident_id).entries if e.category == "update"]
    assert texts[0] == "Update sent to #incidents: Investigating elevated 502s"
    assert texts[1].startswith("Next update snoozed to ") and texts[1].endswith("waiting for the vendor's answer")
