"""Convergence: replicas that hold the same events show the same incident, however the events came.

Hypothesis plays two or three consoles with skewed clocks making random changes, partitioned and
merged at random, then delivers the union of what they wrote to fresh views in random orders and
batches. Every delivery must give the same state and the same timeline, concurrent writes to one
field must resolve to the greatest (hlc, origin, id), and an event written after seeing another must
sort after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentState, Status, fold
from commander.domain.timeline.entries import IncidentView
from tests.helpers.replica import INCIDENT_ID, Replica, canonical, default_policy, timeline_dump

POLICY = default_policy()
PEOPLE = ["Alex", "Sam", "Kim", None]
ROLES = ["ic", "tl", "comms", "scribe", "Customer Liaison"]
TEXTS = ["Error rate up", "Rolled back v2.31", "Paged the DB team", "שגיאה 502", "Cache warm 🔥"]
SKEW = st.integers(min_value=-10 * 60_000, max_value=10 * 60_000)  # up to ten minutes either way

Decide = Callable[[IncidentState], list[EventDraft]]
SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pick(data: st.DataObject, options: list[Any]) -> Any:
    return data.draw(st.sampled_from(options)) if options else None


def draw_decision(data: st.DataObject, replica: Replica, state: IncidentState) -> Decide | None:
    """One random change a person might make on this console, against what it currently shows."""
    now = replica.now()
    minutes_ago = timedelta(minutes=data.draw(st.integers(0, 30)))
    notes = sorted(state.notes)
    action = data.draw(
        st.sampled_from(
            [
                "note",
                "note",
                "edit",
                "delete",
                "severity",
                "status",
                "assign",
                "add_role",
                "pin",
                "details",
                "milestone",
            ]
        )
    )
    if action == "note":
        text, backdate, pinned = _pick(data, TEXTS), data.draw(st.booleans()), data.draw(st.booleans())
        return lambda s: decisions.add_note(s, text, now=now, at=now - minutes_ago if backdate else None, pinned=pinned)
    if action == "edit" and notes:
        note, text = _pick(data, notes), _pick(data, TEXTS) + f" ({replica.origin})"
        return lambda s: decisions.edit_note(s, note, text)
    if action == "delete" and notes:
        note = _pick(data, notes)
        return lambda s: decisions.restore_note(s, note) if s.notes[note].deleted else decisions.delete_note(s, note)
    if action == "severity":
        severity = _pick(data, [s.key for s in POLICY.severities])
        return lambda s: decisions.change_severity(s, severity, reason="", policy=POLICY)
    if action == "status":
        status, backdate = _pick(data, [s.value for s in Status]), data.draw(st.booleans())
        at = now - minutes_ago if backdate else None
        return lambda s: decisions.change_status(s, status, now=now, at=at)
    if action == "assign":
        role, person = _pick(data, ROLES), _pick(data, PEOPLE)
        return lambda s: decisions.assign_role(s, role, person, policy=POLICY)
    if action == "add_role":
        return lambda s: decisions.add_role(s, "Customer Liaison", "Talks to Acme")
    if action == "pin":
        target, pinned = _pick(data, sorted(replica.known)), data.draw(st.booleans())
        return lambda s: decisions.pin(s, target, pinned)
    if action == "details":
        title = _pick(data, ["Checkout 502s", "Checkout 502s (EU)", f"Retitled on {replica.origin}"])
        return lambda s: decisions.edit_details(s, title=title)
    if action == "milestone":
        name = _pick(data, ["detected", "acknowledged", "mitigated"])
        return lambda s: decisions.set_milestone(s, name, now - minutes_ago, now=now)
    return None


def play(data: st.DataObject) -> tuple[list[Replica], list[Event]]:
    """Run a random session; check causality as each event is written. Returns replicas and all events."""
    count = data.draw(st.integers(2, 3), label="replicas")
    replicas = [
        Replica(n, POLICY, name=["Alex", "Sam", "Kim"][n], skew=timedelta(milliseconds=data.draw(SKEW)))
        for n in range(count)
    ]
    declaration = replicas[0].declare()
    for replica in replicas[1:]:
        if data.draw(st.booleans(), label="opens the incident at once"):
            replica.receive(declaration)
    for _ in range(data.draw(st.integers(10, 60), label="steps")):
        step = data.draw(st.sampled_from(["act", "act", "act", "act", "tick", "sync"]))
        replica = _pick(data, replicas)
        if step == "tick":
            replica.tick(timedelta(milliseconds=data.draw(st.integers(0, 120_000))))
        elif step == "sync" and replica.known:
            # A partial merge: some of what one console holds reaches another (a flaky link).
            target = _pick(data, [r for r in replicas if r is not replica])
            ids = data.draw(st.lists(st.sampled_from(sorted(replica.known)), unique=True))
            target.receive(replica.known[i] for i in ids)
        elif step == "act":
            seen = max(e.order for e in replica.known.values()) if replica.known else None
            state = replica.state()
            decide = draw_decision(data, replica, state)
            if decide is None:
                continue
            try:
                written = replica.act(decide)
            except DomainError:
                continue  # the rules refused it, as they would in the app
            orders = [e.order for e in written]
            assert orders == sorted(set(orders))
            if seen is not None and written:
                assert written[0].order > seen, "an event sorted before something its console had seen"
    everything: dict[str, Event] = {}
    for replica in replicas:
        everything.update(replica.known)
    return replicas, list(everything.values())


def deliver(data: st.DataObject, events: list[Event]) -> IncidentView:
    """All events, in a random order and random batches, some batches replaying earlier events."""
    order = data.draw(st.permutations(events))
    view = IncidentView(INCIDENT_ID, POLICY)
    position = 0
    while position < len(order):
        size = data.draw(st.integers(1, 8))
        batch = list(order[position : position + size])
        if position and data.draw(st.booleans()):
            batch += data.draw(st.lists(st.sampled_from(order[:position]), max_size=3))
        view.apply(batch)
        position += size
    return view


def last_writer(events: list[Event], matches: Callable[[Event], bool]) -> Event | None:
    candidates = [e for e in events if matches(e)]
    return max(candidates, key=lambda e: e.order) if candidates else None


def check_last_writer_wins(state: IncidentState, events: list[Event]) -> None:
    title = last_writer(events, lambda e: e.kind in ("incident.declared", "incident.edited") and "title" in e.payload)
    assert title is not None and state.title == title.payload["title"]
    severity = last_writer(events, lambda e: e.kind in ("incident.declared", "severity.changed"))
    assert severity is not None and state.severity == severity.payload["severity"]
    status = last_writer(events, lambda e: e.kind == "status.changed")
    assert state.status.value == (status.payload["status"] if status else "investigating")
    for key, slot in state.roles.items():
        holder = last_writer(events, lambda e, key=key: e.kind == "role.assigned" and e.payload["role"] == key)
        assert slot.holder == (holder.payload["person"] if holder else None), key
    for note_id, note in state.notes.items():
        text = last_writer(
            events, lambda e, n=note_id: e.id == n or (e.kind == "note.edited" and e.payload["note"] == n)
        )
        assert text is not None and note.text == text.payload["text"]
        tomb = last_writer(
            events, lambda e, n=note_id: e.kind in ("note.deleted", "note.restored") and e.payload["note"] == n
        )
        assert note.deleted == (tomb is not None and tomb.kind == "note.deleted")
    for event in events:
        pin = last_writer(
            events,
            lambda e, t=event.id: (
                (e.kind == "entry.pinned" and e.payload["target"] == t)
                or (e.id == t and e.kind == "note.added" and e.payload["pinned"])
            ),
        )
        expected = bool(pin and (pin.payload["pinned"]))
        assert state.is_pinned(event.id) == expected


@SETTINGS
@given(st.data())
def test_every_delivery_converges_to_the_same_incident(data: st.DataObject) -> None:
    replicas, events = play(data)
    reference = IncidentView(INCIDENT_ID, POLICY)
    reference.load(events)
    expected_state, expected_timeline = canonical(reference.state), timeline_dump(reference.entries)
    assert canonical(fold(INCIDENT_ID, reversed(events), POLICY)) == expected_state
    for _ in range(2):
        view = deliver(data, events)
        assert canonical(view.state) == expected_state
        assert timeline_dump(view.entries) == expected_timeline
        assert view.state.event_count == len(events)
    # After a full merge, every console shows the same as any fresh view.
    for replica in replicas:
        for other in replicas:
            replica.receive(other.known.values())
        assert canonical(replica.state()) == expected_state
    check_last_writer_wins(reference.state, events)


@settings(max_examples=60, deadline=None)
@given(skews=st.lists(SKEW, min_size=2, max_size=3), data=st.data())
def test_concurrent_writes_to_one_field_resolve_to_the_greatest_order(skews: list[int], data: st.DataObject) -> None:
    replicas = [Replica(n, POLICY, name=f"Person {n}", skew=timedelta(milliseconds=ms)) for n, ms in enumerate(skews)]
    declared = replicas[0].declare()
    (note,) = replicas[0].act(lambda s: decisions.add_note(s, "original", now=replicas[0].now()))
    for replica in replicas[1:]:
        replica.receive(declared + [note])
    writes: dict[str, list[Event]] = {"title": [], "severity": [], "holder": [], "note": []}
    severities = ["SEV1", "SEV3", "SEV4"]
    for n, replica in enumerate(replicas):  # no syncing in between: every write is concurrent
        replica.tick(timedelta(milliseconds=data.draw(st.integers(0, 5_000))))
        writes["title"] += replica.act(lambda s, n=n: decisions.edit_details(s, title=f"Title from {n}"))
        writes["severity"] += replica.act(
            lambda s, n=n: decisions.change_severity(s, severities[n], reason="", policy=POLICY)
        )
        writes["holder"] += replica.act(lambda s, n=n: decisions.assign_role(s, "ic", f"Holder {n}", policy=POLICY))
        writes["note"] += replica.act(lambda s, n=n: decisions.edit_note(s, note.id, f"Edited on {n}"))
    events = list({e.id: e for r in replicas for e in r.known.values()}.values())
    state = deliver(data, events).state
    winner = {field: max(written, key=lambda e: e.order) for field, written in writes.items()}
    assert state.title == winner["title"].payload["title"]
    assert state.severity == winner["severity"].payload["severity"]
    assert state.roles["incident_commander"].holder == winner["holder"].payload["person"]
    assert state.notes[note.id].text == winner["note"].payload["text"]
    # The handoff history follows the same order: every holder appears once, the winner last.
    history = [t.person for t in state.roles["incident_commander"].history]
    assert history[-1] == winner["holder"].payload["person"]
    assert sorted(history) == sorted(["Person 0"] + [e.payload["person"] for e in writes["holder"]])


@settings(max_examples=60, deadline=None)
@given(
    skews=st.lists(st.integers(-15 * 60_000, 15 * 60_000), min_size=3, max_size=3),
    hops=st.lists(st.integers(0, 2), min_size=1, max_size=12),
)
def test_a_reply_sorts_after_what_it_answers_despite_minutes_of_skew(skews: list[int], hops: list[int]) -> None:
    replicas = [Replica(n, POLICY, skew=timedelta(milliseconds=ms)) for n, ms in enumerate(skews)]
    chain = replicas[0].declare()
    for hop in hops:  # each console reads the last message, then answers it
        replica = replicas[hop]
        replica.receive(chain)
        chain += replica.act(lambda s, r=replica: decisions.add_note(s, "answer", now=r.now()))
    assert [e.order for e in chain] == sorted(e.order for e in chain)
    state = fold(INCIDENT_ID, reversed(chain), POLICY)
    assert state.last_order == chain[-1].order
