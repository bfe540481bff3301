"""Snapshots: a restored view is the view a fresh fold gives, and keeps folding correctly after."""

from __future__ import annotations

import json
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from commander.domain.core.events import Event
from commander.domain.incident import snapshot
from commander.domain.timeline.entries import IncidentView
from tests.domain.incident.test_convergence import POLICY, SETTINGS, play
from tests.helpers.replica import INCIDENT_ID, canonical, timeline_dump


def _fresh(events: list[Event]) -> IncidentView:
    view = IncidentView(INCIDENT_ID, POLICY)
    view.load(events)
    return view


@SETTINGS
@given(st.data())
def test_a_restored_view_equals_a_fresh_fold_and_keeps_up(data: st.DataObject) -> None:
    _, events = play(data)
    # What this console held when it saved the snapshot: any subset (events arrive in any order).
    held = data.draw(st.lists(st.sampled_from(events), unique_by=lambda e: e.id, min_size=1), label="held")
    saved = json.loads(json.dumps(snapshot.dump(_fresh(held))))  # as stored: through JSON text
    stored = list(held)
    view = snapshot.restore(INCIDENT_ID, saved, POLICY, _iso, lambda: list(stored))
    assert view is not None
    assert canonical(view.state) == canonical(_fresh(held).state)
    assert timeline_dump(view.entries) == timeline_dump(_fresh(held).entries)
    rest = [e for e in data.draw(st.permutations(events)) if e.id not in {h.id for h in held}]
    position = 0
    while position < len(rest):  # later arrivals, some older than the snapshot's point
        size = data.draw(st.integers(1, 6))
        batch = rest[position : position + size]
        view.apply(batch)
        stored.extend(batch)  # committed after the view applied them, as in Console._write
        position += size
    whole = _fresh(events)
    assert canonical(view.state) == canonical(whole.state)
    assert timeline_dump(view.entries) == timeline_dump(whole.entries)
    assert sorted(e.id for e in view.events) == sorted(e.id for e in events)


def _iso(moment: datetime) -> str:
    from commander.domain.core.when import iso

    return iso(moment)


def test_a_snapshot_for_another_policy_or_time_format_is_not_used() -> None:
    from tests.helpers.replica import Replica

    alex = Replica(0, POLICY)
    view = _fresh(alex.declare())
    saved = snapshot.dump(view)
    assert snapshot.restore(INCIDENT_ID, saved, POLICY, view.time_format, list) is not None
    assert snapshot.restore(INCIDENT_ID, saved, POLICY, lambda m: m.strftime("%H:%M"), list) is None
    saved["fingerprint"] = "written-by-an-older-fold"
    assert snapshot.restore(INCIDENT_ID, saved, POLICY, view.time_format, list) is None
