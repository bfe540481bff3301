"""The next stakeholder update: due times derived from events, the same on every console."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.incident import decisions
from commander.domain.incident.state import fold
from commander.domain.timeline.entries import IncidentView
from commander.domain.updates import timers
from tests.helpers.replica import INCIDENT_ID, NOW, Replica, default_policy

POLICY = default_policy()
MIN = timedelta(minutes=1)


def _due(r: Replica) -> timers.UpdateDue:
    return timers.next_update(r.state(), POLICY, r.now())


def test_the_first_update_is_due_five_minutes_after_declaring() -> None:
    r = Replica(0, POLICY)
    r.declare(severity="SEV1")
    due = _due(r)
    assert due.due == NOW + 5 * MIN and due.cadence == 15 * MIN
    r.tick(6 * MIN)
    assert _due(r).overdue(r.now()) and _due(r).remaining(r.now()) == -MIN


def test_sending_restarts_the_countdown_at_the_severitys_cadence() -> None:
    r = Replica(0, POLICY)
    r.declare(severity="SEV2")
    r.tick(4 * MIN)
    r.act(lambda s: timers.record_update(s, "#incidents", "Investigating", now=r.now()))
    assert _due(r).due == NOW + 4 * MIN + 30 * MIN


def test_raising_the_severity_brings_the_next_update_forward_lowering_does_not_delay_it() -> None:
    r = Replica(0, POLICY)
    r.declare(severity="SEV3")
    r.act(lambda s: timers.record_update(s, "#incidents", "", now=r.now()))
    assert _due(r).due == NOW + 60 * MIN
    r.tick(10 * MIN)
    r.act(lambda s: decisions.change_severity(s, "SEV1", reason="all regions", policy=POLICY))
    assert _due(r).due == NOW + 10 * MIN + 15 * MIN
    r.tick(MIN)
    r.act(lambda s: decisions.change_severity(s, "SEV2", reason="contained", policy=POLICY))
    assert _due(r).due == NOW + 25 * MIN  # the earlier promise stands


def test_no_update_is_due_for_sev4_or_once_resolved() -> None:
    r = Replica(0, POLICY)
    r.declare(severity="SEV4")
    assert _due(r).due is None
    r.act(lambda s: decisions.change_severity(s, "SEV2", reason="", policy=POLICY))
    assert _due(r).due is not None
    r.act(lambda s: decisions.change_status(s, "resolved", now=r.now()))
    assert _due(r).due is None


def test_long_incidents_lengthen_the_cadence() -> None:
    r = Replica(0, POLICY)
    r.declare(severity="SEV1")
    r.tick(130 * MIN)
    r.act(lambda s: timers.record_update(s, "status page", "", now=r.now()))
    assert _due(r).cadence == 30 * MIN and _due(r).due == r.now() + 30 * MIN


def test_a_snooze_moves_the_due_time_until_the_next_update() -> None:
    r = Replica(0, POLICY)
    r.declare(severity="SEV1")
    r.act(lambda s: timers.snooze(s, POLICY, 10, "waiting for the vendor", now=r.now()))
    due = _due(r)
    assert due.due == NOW + 15 * MIN and due.snoozed
    r.tick(12 * MIN)
    r.act(lambda s: timers.record_update(s, "#incidents", "", now=r.now()))
    assert not _due(r).snoozed and _due(r).due == NOW + 12 * MIN + 15 * MIN
    with pytest.raises(DomainError, match="1 to 240"):
        r.act(lambda s: timers.snooze(s, POLICY, 0, "x", now=r.now()))


def test_overdue_is_recorded_once_whichever_console_notices() -> None:
    alex, sam = Replica(0, POLICY), Replica(1, POLICY, name="Sam")
    sam.receive(alex.declare(severity="SEV1"))
    alex.tick(7 * MIN)
    sam.tick(8 * MIN)
    assert timers.record_overdue(alex.state(), POLICY, now=NOW) == []  # not overdue yet
    mine = alex.act(lambda s: timers.record_overdue(s, POLICY, now=alex.now()))
    theirs = sam.act(lambda s: timers.record_overdue(s, POLICY, now=sam.now()))
    assert [e.id for e in mine] == [e.id for e in theirs]  # the same event: the store keeps one
    view = IncidentView(INCIDENT_ID, POLICY)
    view.load({e.id: e for e in [*alex.known.values(), *sam.known.values()]}.values())
    overdue = [e for e in view.entries if e.kind == "update.overdue"]
    assert len(overdue) == 1 and overdue[0].at == NOW + 5 * MIN


def test_every_console_derives_the_same_due_time() -> None:
    alex, sam = Replica(0, POLICY), Replica(1, POLICY, name="Sam", skew=timedelta(minutes=3))
    events = alex.declare(severity="SEV2")
    sam.receive(events)
    events += sam.act(lambda s: timers.record_update(s, "#ops", "Investigating", now=sam.now()))
    assert timers.next_update(fold(INCIDENT_ID, events, POLICY), POLICY, NOW) == timers.next_update(
        fold(INCIDENT_ID, list(reversed(events)), POLICY), POLICY, NOW
    )
