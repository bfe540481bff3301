"""Two consoles on one SQLite file: what one writes, the other picks up through catch_up()."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.console import Console
from commander.domain.core.clock import to_ms
from commander.domain.incident.decisions import Declaration
from tests.app.conftest import Heard
from tests.helpers.replica import canonical, timeline_dump


def test_a_second_console_sees_the_first_ones_events_via_catch_up(
    console: Console, incident_id: str, open_console: Callable[..., Console]
) -> None:
    other = open_console(user="Sam")
    other_view = other.view(incident_id)  # open in both windows
    heard = Heard()
    other.subscribe(heard)
    assert other.catch_up() == [] and heard.calls == []  # nothing new: cheap, silent

    written = timeline.add_note(console, incident_id, "Rolled back v2.31")
    written += app_incident.change_severity(console, incident_id, "SEV1")
    picked_up = other.catch_up()
    assert picked_up == written
    assert heard.calls == [written]
    assert other.catch_up() == [] and len(heard.calls) == 1  # told once
    assert other_view is other.view(incident_id)  # kept current, not reloaded
    assert canonical(other_view.state) == canonical(console.view(incident_id).state)
    assert timeline_dump(other_view.entries) == timeline_dump(console.view(incident_id).entries)
    assert other.incidents() == console.incidents()


def test_a_write_picks_up_what_arrived_meanwhile_in_the_same_call(
    console: Console, incident_id: str, open_console: Callable[..., Console]
) -> None:
    other = open_console(user="Sam")
    heard = Heard()
    other.subscribe(heard)
    theirs = timeline.add_note(console, incident_id, "from Alex")
    mine = timeline.add_note(other, incident_id, "from Sam")  # no catch_up in between
    assert heard.calls == [theirs + mine]
    (later,) = timeline.add_note(other, incident_id, "after reading Alex's note")
    assert later.order > theirs[0].order  # the write observed Alex's stamp: what follows sorts after it
    assert [n.text for n in other.state(incident_id).notes.values()] == [
        "from Alex",
        "from Sam",
        "after reading Alex's note",
    ]
    assert other.catch_up() == []
    console.catch_up()
    assert canonical(console.state(incident_id)) == canonical(other.state(incident_id))


def test_a_new_incident_from_another_console_reaches_the_list(
    console: Console, open_console: Callable[..., Console]
) -> None:
    other = open_console()
    state = app_incident.declare(other, Declaration(title="Search slow", severity="SEV3"))
    assert [e.stream for e in console.catch_up()] == [f"incident:{state.id}"] * 2
    assert [s.title for s in console.incidents()] == ["Search slow"]


def test_a_note_written_by_one_process_is_read_by_a_fresh_console(
    store_file: Path, open_console: Callable[..., Console]
) -> None:
    """Durability: another process writes, exits; a console built afterwards reads it back."""
    script = textwrap.dedent(f"""
        from commander.app import incident as app_incident
        from commander.app import timeline
        from commander.app.bootstrap import build_console
        from commander.domain.incident.decisions import Declaration
        console = build_console({str(store_file)!r}, user="Kim")
        state = app_incident.declare(console, Declaration(title="Disk full on db-3", severity="SEV2"))
        timeline.add_note(console, state.id, "Freed 40 GB; writes resumed")
        print(state.reference)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    reference = done.stdout.strip()
    fresh = open_console()
    summary = fresh.resolve(reference)
    state = fresh.state(summary.id)
    assert [(n.text, n.author.name) for n in state.notes.values()] == [("Freed 40 GB; writes resumed", "Kim")]
    assert state.roles["incident_commander"].holder == "Kim"


def test_a_reply_from_a_console_with_a_slow_clock_sorts_after_what_it_answers(
    open_console: Callable[..., Console],
) -> None:
    fast, slow = open_console(user="Alex"), open_console(user="Sam")
    behind = timedelta(minutes=7)
    slow_wall = lambda: datetime.now(UTC) - behind  # noqa: E731
    slow.wall = slow_wall
    slow.clock.physical = lambda: to_ms(slow_wall())
    incident = app_incident.declare(fast, Declaration(title="Checkout 502s", severity="SEV2"))
    question = timeline.add_note(fast, incident.id, "Sam, is the rollback done?")[0]
    slow.catch_up()
    answer = timeline.add_note(slow, incident.id, "Yes, rolled back")[0]
    assert answer.order > question.order
    assert answer.occurred_at >= question.occurred_at  # not seven minutes before the question
    fast.catch_up()
    for console in (fast, slow):
        texts = [e.text for e in console.view(incident.id).entries if e.category == "note"]
        assert texts == ["Sam, is the rollback done?", "Yes, rolled back"]


def test_a_busy_incident_written_elsewhere_is_not_refolded_for_every_batch(
    open_console: Callable[..., Console], monkeypatch: pytest.MonkeyPatch
) -> None:
    from commander.domain.timeline.entries import IncidentView

    writer, watcher = open_console(user="Sam"), open_console(user="Alex")
    incident = app_incident.declare(writer, Declaration(title="Checkout 502s", severity="SEV2"))
    loads = []
    original = IncidentView.load
    monkeypatch.setattr(IncidentView, "load", lambda self, events: (loads.append(1), original(self, events))[1])
    for number in range(5):
        timeline.add_note(writer, incident.id, f"note {number}")
        watcher.catch_up()  # the incident is not open in the watcher: only its list row is kept current
    assert len(loads) == 1  # folded once, then kept up one batch at a time
    [summary] = watcher.incidents()
    assert summary.event_count == writer.view(incident.id).state.event_count
    assert [e.text for e in watcher.view(incident.id).entries][-1] == "note 4"
    assert len(loads) == 1  # opening it reuses that fold
