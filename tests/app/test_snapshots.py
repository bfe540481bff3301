"""A long incident opens from its snapshot; a snapshot that no longer fits the log is not used."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from commander.app import incident as app_incident
from commander.app import roles, timeline
from commander.app.console import Console
from commander.domain.core.events import incident_stream
from commander.domain.incident import decisions, snapshot
from commander.domain.incident.decisions import Declaration
from commander.domain.timeline.entries import IncidentView
from tests.helpers.replica import canonical, timeline_dump


@pytest.fixture(autouse=True)
def _small_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "WORTH_IT", 10)


def _long_incident(console: Console) -> str:
    incident = app_incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    for number in range(12):
        timeline.add_note(console, incident.id, f"note {number}", pinned=number % 5 == 0)
    roles.assign(console, incident.id, "TL", "Sam")
    timeline.delete_note(console, incident.id, console.view(incident.id).entries[-2].event_id)
    return incident.id


def _fresh(console: Console, incident_id: str) -> IncidentView:
    view = IncidentView(incident_id, console.policy, console.time_format)
    view.load(console.reads.stream(incident_stream(incident_id)))
    return view


def _snapshots(store: Path) -> int:
    with sqlite3.connect(store) as conn:
        return int(conn.execute("SELECT count(*) FROM snapshots").fetchone()[0])


def test_a_long_incident_is_snapshotted_and_reopens_from_it(
    open_console: Callable[..., Console], store_file: Path
) -> None:
    first = open_console()
    incident_id = _long_incident(first)
    first.forget(incident_id)
    first.view(incident_id)  # a full fold of a long incident: its snapshot is kept when it is let go
    assert _snapshots(store_file) == 0
    first.forget(incident_id)
    assert _snapshots(store_file) == 1
    first.view(incident_id)
    timeline.add_note(first, incident_id, "written after the snapshot")
    later = open_console()
    view = later.view(incident_id)
    assert view._events is None  # noqa: SLF001 - it came from the snapshot, not a refold
    fresh = _fresh(later, incident_id)
    assert canonical(view.state) == canonical(fresh.state)
    assert timeline_dump(view.entries) == timeline_dump(fresh.entries)
    assert [e.id for e in view.events] == [e.id for e in fresh.events]  # read on demand (exports)
    timeline.add_note(later, incident_id, "and one more")
    assert view.entries[-1].text == "and one more"


def test_an_event_older_than_the_snapshot_makes_the_console_refold(
    open_console: Callable[..., Console], store_file: Path
) -> None:
    console = open_console()
    incident_id = _long_incident(console)
    console.forget(incident_id)
    console.view(incident_id)
    console.keep_snapshots()
    assert _snapshots(store_file) == 1
    # A console that was offline comes back with a note it wrote before the snapshot's point.
    draft = decisions.add_note(console.state(incident_id), "written while offline", now=console.now())[0]
    early = console.view(incident_id).events[3]
    late = console.stamp(draft)._replace(hlc=early.hlc + 1, origin="an-offline-console")
    console.ingest([late])
    reopened = open_console()
    view = reopened.view(incident_id)
    assert view._events is not None  # noqa: SLF001 - the snapshot no longer fits: refolded from the log
    fresh = _fresh(reopened, incident_id)
    assert any(e.text == "written while offline" for e in view.entries)
    assert canonical(view.state) == canonical(fresh.state)
    assert timeline_dump(view.entries) == timeline_dump(fresh.entries)
