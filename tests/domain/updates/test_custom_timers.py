"""Custom timers: set, cancelled, snoozed, and expired once whichever console notices, kept in snapshots."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event
from commander.domain.core.when import iso
from commander.domain.incident import decisions, snapshot
from commander.domain.incident.state import IncidentState
from commander.domain.timeline.entries import IncidentView
from commander.domain.updates import timers
from tests.helpers.replica import INCIDENT_ID, NOW, Replica, default_policy, timeline_dump

POLICY = default_policy()
MIN = timedelta(minutes=1)


def _set(r: Replica, label: str = "check the rollback", minutes: float = 10) -> str:
    [event] = r.act(lambda s: timers.set_timer(s, label, minutes=minutes, now=r.now()))
    return event.id


def _view(events: list[Event]) -> IncidentView:
    view = IncidentView(INCIDENT_ID, POLICY, iso)
    view.load(events)
    return view


def _texts(r: Replica) -> list[str]:
    return [e.text for e in _view(list(r.known.values())).entries if e.category == "timer"]


def test_a_timer_runs_until_it_expires_and_shows_until_dismissed(declared: Replica) -> None:
    r = declared
    timer_id = _set(r)
    [timer] = r.state().shown_timers()
    assert (timer.id, timer.label, timer.due, timer.set_by.name) == (
        timer_id,
        "check the rollback",
        NOW + 10 * MIN,
        "Alex",
    )
    assert timer.running and r.act(lambda s: timers.record_expired(s, now=r.now())) == []
    r.tick(11 * MIN)
    [expired] = r.act(lambda s: timers.record_expired(s, now=r.now()))
    assert expired.occurred_at == NOW + 10 * MIN  # on the timeline at its due time, not when noticed
    [timer] = r.state().shown_timers()
    assert not timer.running and timer.expired_at == NOW + 10 * MIN
    assert r.act(lambda s: timers.record_expired(s, now=r.now())) == []  # once
    r.act(lambda s: timers.cancel_timer(s, timer_id))
    assert r.state().shown_timers() == [] and r.state().timers[timer_id].dismissed
    assert _texts(r) == [
        "Timer set: check the rollback (due 2026-11-28T09:40:00Z)",
        "Timer expired: check the rollback",
        "Timer dismissed: check the rollback",
    ]


def test_a_cancelled_timer_never_expires(declared: Replica) -> None:
    r = declared
    timer_id = _set(r, "ask the vendor for an ETA", 5)
    r.act(lambda s: timers.cancel_timer(s, timer_id[:13]))  # an unambiguous start of the id will do
    r.tick(6 * MIN)
    assert r.act(lambda s: timers.record_expired(s, now=r.now())) == []
    state = r.state()
    assert state.shown_timers() == [] and state.timers[timer_id].cancelled_by == "Alex"
    assert _texts(r)[-1] == "Timer cancelled: ask the vendor for an ETA"
    with pytest.raises(DomainError, match="already cancelled by Alex"):
        r.act(lambda s: timers.cancel_timer(s, timer_id))


def test_two_consoles_noticing_the_expiry_write_one_event() -> None:
    alex, sam = Replica(1, POLICY, name="Alex"), Replica(2, POLICY, name="Sam")
    alex.declare()
    timer_id = _set(alex, "check the rollback", 2)
    sam.receive(alex.known.values())
    alex.tick(3 * MIN)
    sam.tick(3 * MIN + timedelta(seconds=7))
    [from_alex] = alex.act(lambda s: timers.record_expired(s, now=alex.now()))
    [from_sam] = sam.act(lambda s: timers.record_expired(s, now=sam.now()))
    assert from_alex.id == from_sam.id and from_alex.occurred_at == from_sam.occurred_at
    alex.receive(sam.known.values())
    sam.receive(alex.known.values())
    assert alex.state().timers[timer_id].expired_at == sam.state().timers[timer_id].expired_at
    expired = [e for e in alex.known.values() if e.kind == "timer.expired"]
    assert len(expired) == 1 and _texts(alex).count("Timer expired: check the rollback") == 1


def test_a_cancellation_racing_the_expiry_ends_the_timer_once(declared: Replica) -> None:
    """Sam cancels while Alex's console records the expiry: whichever comes first in the log wins, and
    every replica folds the same answer."""
    alex = declared
    timer_id = _set(alex, "check the rollback", 1)
    sam = Replica(2, POLICY, name="Sam")
    sam.receive(alex.known.values())
    alex.tick(2 * MIN)
    sam.tick(2 * MIN)
    alex.act(lambda s: timers.record_expired(s, now=alex.now()))
    sam.act(lambda s: timers.cancel_timer(s, timer_id))
    alex.receive(sam.known.values())
    sam.receive(alex.known.values())
    mine, theirs = alex.state().timers[timer_id], sam.state().timers[timer_id]
    assert (mine.expired_at, mine.cancelled_by) == (theirs.expired_at, theirs.cancelled_by)
    assert not mine.running and not mine.shown


def test_snoozing_cancels_and_sets_again_five_minutes_later(declared: Replica) -> None:
    r = declared
    first = _set(r, "check the rollback", 10)
    cancelled, again = r.act(lambda s: timers.snooze_timer(s, first, 5, now=r.now()))
    assert (cancelled.kind, again.kind) == ("timer.cancelled", "timer.set")
    [timer] = r.state().shown_timers()
    assert timer.id == again.id and timer.label == "check the rollback" and timer.due == NOW + 15 * MIN
    r.tick(20 * MIN)
    r.act(lambda s: timers.record_expired(s, now=r.now()))
    r.act(lambda s: timers.snooze_timer(s, again.id, 5, now=r.now()))  # an expired one: 5 minutes from now
    [timer] = r.state().shown_timers()
    assert timer.due == NOW + 25 * MIN and timer.running


@pytest.mark.parametrize(
    ("label", "minutes", "message"),
    [
        ("   ", 10, "label is empty"),
        ("check the rollback", 0.5, "1 minute to 24 hours"),
        ("check the rollback", 24 * 60 + 1, "1 minute to 24 hours"),
    ],
)
def test_a_timer_needs_a_label_and_1_minute_to_24_hours(
    declared: Replica, label: str, minutes: float, message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        declared.act(lambda s: timers.set_timer(s, label, minutes=minutes, now=declared.now()))


def test_a_timer_may_be_given_a_due_time_instead(declared: Replica) -> None:
    r = declared
    r.act(lambda s: timers.set_timer(s, "standup with the vendor", due=NOW + 24 * 60 * MIN, now=r.now()))
    assert r.state().shown_timers()[0].due == NOW + 24 * 60 * MIN
    with pytest.raises(DomainError, match="either a number of minutes or a due time"):
        r.act(lambda s: timers.set_timer(s, "both", minutes=5, due=NOW + 5 * MIN, now=r.now()))


def test_a_closed_incident_takes_no_timers(declared: Replica) -> None:
    r = declared
    r.act(lambda s: decisions.change_status(s, "resolved", now=r.now()))
    _set(r, "watch the error rate", 30)  # a resolved incident may still want watching
    r.act(lambda s: decisions.change_status(s, "closed", now=r.now()))
    with pytest.raises(DomainError, match="is closed, so it takes no timers"):
        _set(r)


def test_an_unknown_or_ambiguous_timer_id_is_refused(declared: Replica) -> None:
    r = declared
    first, second = _set(r, "one"), _set(r, "two")
    common = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
    with pytest.raises(DomainError, match="matches 2 timers"):
        timers.find_timer(r.state(), first[:common])
    with pytest.raises(DomainError, match="has no timer 'nope'"):
        timers.find_timer(r.state(), "nope")
    assert timers.find_timer(r.state(), second.upper()).label == "two"


def _timers(state: IncidentState) -> list[tuple[object, ...]]:
    return [
        (t.id, t.label, t.due, t.set_by, t.set_at, t.expired_at, t.cancelled_by, t.cancelled_at)
        for t in state.timers.values()
    ]


def test_timers_survive_a_snapshot_round_trip(declared: Replica) -> None:
    r = declared
    cancelled, expired = _set(r, "cancelled one", 3), _set(r, "expires", 2)
    _set(r, "still running", 60)
    r.act(lambda s: timers.cancel_timer(s, cancelled))
    r.tick(3 * MIN)
    r.act(lambda s: timers.record_expired(s, now=r.now()))
    view = _view(list(r.known.values()))
    assert view.state.timers[expired].expired_at is not None
    saved = json.loads(json.dumps(snapshot.dump(view)))
    restored = snapshot.restore(INCIDENT_ID, saved, POLICY, iso, lambda: list(r.known.values()))
    assert restored is not None
    assert _timers(restored.state) == _timers(view.state)
    assert timeline_dump(restored.entries) == timeline_dump(view.entries)
    later = r.act(lambda s: timers.cancel_timer(s, expired))  # keeps folding after the restore
    restored.apply(later)
    assert [t.label for t in restored.state.shown_timers()] == ["still running"]
    assert restored.entries[-1].text == "Timer dismissed: expires"
