"""The fold and the timeline view: what a person reads, and that live updates equal a fresh fold."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from commander.domain.core.events import Actor, Event
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import Status, fold
from commander.domain.timeline.entries import IncidentView
from tests.helpers.replica import INCIDENT_ID, NOW, Replica, canonical, timeline_dump

MIN = timedelta(minutes=1)


def view_of(events: list[Event], policy: Policy) -> IncidentView:
    view = IncidentView(INCIDENT_ID, policy)
    view.load(events)
    return view


def texts(view: IncidentView) -> list[str]:
    return [entry.text for entry in view.entries]


def busy_incident(replica: Replica, policy: Policy) -> list[Event]:
    """A short incident touching every kind of event, written by one console."""
    r = replica
    events = r.declare(detected_at=NOW - 10 * MIN)
    steps = [
        lambda s: decisions.add_note(s, "Error rate 40% on checkout", now=r.now()),
        lambda s: decisions.assign_role(s, "tl", "Sam", policy=policy),
        lambda s: decisions.change_severity(s, "SEV1", reason="all regions", policy=policy),
        lambda s: decisions.add_role(s, "Customer Liaison", "Talks to Acme"),
        lambda s: decisions.add_note(s, "Deploy v2.31 went out at 09:05", now=r.now(), at=NOW - 25 * MIN),
        lambda s: decisions.change_status(s, "identified", now=r.now()),
        lambda s: decisions.assign_role(s, "ic", "Kim", policy=policy),
        lambda s: decisions.edit_note(s, next(iter(s.notes)), "Error rate 45% on checkout"),
        lambda s: decisions.pin(s, next(iter(s.notes)), True),
        lambda s: decisions.change_status(s, "mitigated", now=r.now()),
        lambda s: decisions.delete_note(s, list(s.notes)[1]),
        lambda s: decisions.edit_details(s, title="Checkout 502s (EU)"),
        lambda s: decisions.change_severity(s, "SEV3", reason="contained", policy=policy),
        lambda s: decisions.change_status(s, "resolved", now=r.now()),
    ]
    for step in steps:
        r.tick(3 * MIN)
        events += r.act(step)
    return events


def test_the_timeline_reads_like_what_happened(alex: Replica, policy: Policy) -> None:
    view = view_of(busy_incident(alex, policy), policy)
    assert texts(view) == [
        "Deploy v2.31 went out at 09:05",
        "Detected time set to 2026-11-28T09:20:00Z",  # the entry sits at the time it names
        "SEV2 declared: Checkout API returning 502s",
        "Alex is Incident Commander",
        "Error rate 45% on checkout",
        "Sam is Technical Lead",
        "Severity raised SEV2 → SEV1: all regions",
        "Role added: Customer Liaison (Talks to Acme)",
        "Status investigating → identified",
        "Alex handed Incident Commander to Kim after 21m",
        "Status identified → mitigated",
        "Details changed: title is now “Checkout 502s (EU)”",
        "Severity lowered SEV1 → SEV3: contained",
        "Status mitigated → resolved",
    ]
    assert [e.category for e in view.entries][:4] == ["note", "milestone", "incident", "role"]


def test_a_backdated_entry_sits_at_its_time_and_is_marked(alex: Replica, policy: Policy) -> None:
    view = view_of(busy_incident(alex, policy), policy)
    first = view.entries[0]
    assert first.text.startswith("Deploy v2.31") and first.at == NOW - 25 * MIN
    assert first.backdated
    detected = view.entries[1]
    assert detected.kind == "milestone.set" and detected.at == NOW - 10 * MIN and detected.backdated
    assert not view.entries[2].backdated
    assert [e.sort_key for e in view.entries] == sorted(e.sort_key for e in view.entries)


def test_edits_deletes_and_pins_change_the_entry_and_keep_history(alex: Replica, policy: Policy) -> None:
    events = busy_incident(alex, policy)
    view = view_of(events, policy)
    state = view.state
    first_note, backdated_note = list(state.notes)
    edited = view.entry(first_note)
    assert edited is not None
    assert edited.text == "Error rate 45% on checkout" and edited.edited_by == "Alex" and edited.pinned
    changes = [h.split(": ", 1)[1] for h in edited.history]
    assert changes == ["edited (was: Error rate 40% on checkout)", "pinned"]
    assert edited.history[0].startswith("2026-11-28T")
    deleted = view.entry(backdated_note)
    assert deleted is not None and deleted.deleted_by == "Alex"
    assert deleted.text == "Deploy v2.31 went out at 09:05"  # still there, marked
    assert state.notes[backdated_note].deleted
    assert len(view.entries) == 14  # modifiers add no rows
    assert len(view.events) == len(events)


def test_handoff_durations_and_stepping_down(declared: Replica, policy: Policy) -> None:
    declared.tick(2 * 60 * MIN + 5 * MIN)
    declared.act(lambda s: decisions.assign_role(s, "ic", "Sam", policy=policy))
    declared.tick(42 * MIN)
    declared.act(lambda s: decisions.assign_role(s, "ic", None, policy=policy))
    declared.act(lambda s: decisions.assign_role(s, "scribe", "Noor", policy=policy))
    declared.act(lambda s: decisions.assign_role(s, "scribe", None, policy=policy))
    view = view_of(list(declared.known.values()), policy)
    assert texts(view)[-4:] == [
        "Alex handed Incident Commander to Sam after 2h 05m",
        "Sam stepped down as Incident Commander after 42m; the role is unfilled",
        "Noor is Scribe",
        "Noor stepped down as Scribe after 0s; the role is unfilled",
    ]


def test_pinning_any_entry_and_a_note_added_pinned(declared: Replica, policy: Policy) -> None:
    (note,) = declared.act(lambda s: decisions.add_note(s, "Rollback done", now=declared.now(), pinned=True))
    declared_event = next(e for e in declared.known.values() if e.kind == "incident.declared")
    declared.act(lambda s: decisions.pin(s, declared_event.id, True))
    view = view_of(list(declared.known.values()), policy)
    assert [e.event_id for e in view.entries if e.pinned] == [declared_event.id, note.id]
    declared.act(lambda s: decisions.pin(s, note.id, False))
    view = view_of(list(declared.known.values()), policy)
    assert [e.event_id for e in view.entries if e.pinned] == [declared_event.id]


def test_incremental_apply_equals_a_fresh_fold(alex: Replica, policy: Policy) -> None:
    events = busy_incident(alex, policy)
    live = IncidentView(INCIDENT_ID, policy)
    changes = [live.apply([event]) for event in sorted(events, key=lambda e: e.order)]
    fresh = view_of(events, policy)
    assert canonical(live.state) == canonical(fresh.state) == canonical(fold(INCIDENT_ID, events, policy))
    assert timeline_dump(live.entries) == timeline_dump(fresh.entries)
    assert live.generation == 0, "in-order arrival must never rebuild"
    assert not any(change.reset for change in changes)
    inserted = sum(len(change.inserted) for change in changes)
    updated = sum(len(change.updated) for change in changes)
    assert (inserted, updated) == (14, 3)


def test_apply_reports_what_it_inserted_and_updated(declared: Replica, policy: Policy) -> None:
    view = view_of(list(declared.known.values()), policy)
    (note,) = declared.act(lambda s: decisions.add_note(s, "first", now=declared.now()))
    change = view.apply([note])
    assert [e.event_id for e in change.inserted] == [note.id] and change.updated == () and not change.reset
    assert view.row_of(note.id) == len(view.entries) - 1
    edits = declared.act(lambda s: decisions.edit_note(s, note.id, "second"))
    change = view.apply(edits)
    assert change.inserted == () and change.updated == (note.id,)
    assert view.apply(edits) == view.apply([])  # replay is a no-op


def test_generation_bumps_when_an_older_event_arrives_late(policy: Policy) -> None:
    alex, sam = Replica(1, policy, name="Alex"), Replica(2, policy, name="Sam", skew=-2 * MIN)
    declared = alex.declare()
    sam.receive(declared)
    sam_note = sam.act(lambda s: decisions.add_note(s, "From Sam, offline", now=sam.now()))
    alex.tick(MIN)
    alex_note = alex.act(lambda s: decisions.add_note(s, "From Alex", now=alex.now()))
    assert sam_note[0].order < alex_note[0].order

    view = IncidentView(INCIDENT_ID, policy)
    view.apply(declared + alex_note)
    assert view.generation == 0
    change = view.apply(sam_note)  # sorts before something already applied
    assert change.reset
    assert view.generation == 1
    everything = declared + sam_note + alex_note
    assert timeline_dump(view.entries) == timeline_dump(view_of(everything, policy).entries)
    assert canonical(view.state) == canonical(fold(INCIDENT_ID, everything, policy))


@pytest.mark.parametrize("seed", range(5))
def test_any_arrival_order_gives_the_same_view(alex: Replica, policy: Policy, seed: int) -> None:
    events = busy_incident(alex, policy)
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    view = IncidentView(INCIDENT_ID, policy)
    while shuffled:
        size = random.Random(seed + len(shuffled)).randint(1, 4)
        batch, shuffled = shuffled[:size], shuffled[size:]
        view.apply(batch)
    fresh = view_of(events, policy)
    assert canonical(view.state) == canonical(fresh.state)
    assert timeline_dump(view.entries) == timeline_dump(fresh.entries)


def test_a_batch_holding_the_same_event_twice_counts_it_once(declared: Replica, policy: Policy) -> None:
    view = view_of(list(declared.known.values()), policy)
    (note,) = declared.act(lambda s: decisions.add_note(s, "once", now=declared.now()))
    change = view.apply([note, note])
    assert len(change.inserted) == 1
    assert texts(view).count("once") == 1
    assert view.state.event_count == len(declared.known)


def _foreign(kind: str, payload: dict[str, object], hlc: int) -> Event:
    return Event(
        id=f"foreign-{hlc}",
        stream=f"incident:{INCIDENT_ID}",
        kind=kind,
        payload=payload,
        actor=Actor("p9", "Newer Console"),
        hlc=hlc,
        occurred_at=NOW,
        recorded_at=NOW,
        origin="z",
    )


def test_the_fold_takes_what_it_does_not_know_without_failing(declared: Replica, policy: Policy) -> None:
    last = max(e.hlc for e in declared.known.values())
    extra = [
        _foreign("checklist.step_checked", {"step": "s1"}, last + 1),
        _foreign("status.changed", {"status": "monitoring", "previous": "investigating", "reason": ""}, last + 2),
        _foreign("role.assigned", {"role": "on_call_dba", "person": "Ola", "previous": None}, last + 3),
        _foreign("milestone.set", {"milestone": "triaged", "at": "2026-11-28T09:00:00Z"}, last + 4),
        _foreign("note.edited", {"note": "missing", "text": "?"}, last + 5),
    ]
    view = view_of(list(declared.known.values()) + extra, policy)
    state = view.state
    assert state.status is Status.INVESTIGATING
    assert state.roles["on_call_dba"].holder == "Ola" and state.roles["on_call_dba"].name == "On Call Dba"
    assert "triaged" not in state.milestones
    assert state.event_count == len(declared.known) + len(extra)
    assert "checklist.step_checked" not in [e.kind for e in view.entries]


def test_people_lists_everyone_who_held_a_role_or_wrote(declared: Replica, policy: Policy) -> None:
    declared.act(lambda s: decisions.assign_role(s, "tl", "sam", policy=policy))
    declared.act(lambda s: decisions.assign_role(s, "scribe", "Noor", policy=policy))
    assert declared.state().people() == ["Alex", "Noor", "sam"]
