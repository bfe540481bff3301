"""Cheap per event under load (issue 15): a round pulls many events in one local transaction, the console
takes them in one catch-up (one transaction, one fold per touched incident, one call to each listener),
and the wake-ups of a burst share rounds instead of running one round each."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.console import Console
from commander.domain.core.events import Event
from commander.domain.incident.decisions import Declaration
from commander.domain.timeline.entries import IncidentView
from commander.store.database import Database
from commander.sync.replicator import Replicator
from tests.helpers.waiting import wait_until

Make = Callable[..., tuple[Console, Replicator]]


def count_writes(database: Database) -> list[int]:
    """Count the write transactions `database` opens from now on: [count]."""
    opened = [0]
    original = database.write

    @contextmanager
    def counting() -> Iterator[sa.Connection]:
        opened[0] += 1
        with original() as conn:
            yield conn

    database.write = counting  # type: ignore[method-assign]
    return opened


def test_events_pulled_in_one_round_make_one_transaction_one_fold_each_and_one_call(
    console_on: Make, shared_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    alex, sam = console_on("Alex", shared_url), console_on("Sam", shared_url)
    first = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    second = app_incident.declare(alex[0], Declaration(title="Search slow", severity="SEV3")).id
    alex[1].run_once()
    while sam[1].run_once().more:  # joined: from here on a round only pulls what is new
        pass
    sam[0].catch_up()
    before = {i: sam[0].view(i).state.event_count for i in (first, second)}  # both open, as in a window's tabs
    for number in range(60):
        timeline.add_note(alex[0], first if number % 3 else second, f"note {number}")
    assert alex[1].run_once().pushed == 60  # one push for the lot

    pulled_calls: list[int] = []
    sam[1].on_pulled = pulled_calls.append
    local_writes = count_writes(sam[1].local)
    assert sam[1].run_once().pulled == 60
    assert pulled_calls == [60]
    assert local_writes == [1]

    heard: list[list[Event]] = []
    sam[0].subscribe(heard.append)
    folds: Counter[str] = Counter()
    apply = IncidentView.apply

    def counted(view: IncidentView, events: object) -> object:
        folds[view.incident_id] += 1
        return apply(view, events)  # type: ignore[arg-type]

    monkeypatch.setattr(IncidentView, "apply", counted)
    console_writes = count_writes(sam[0].database)
    caught = sam[0].catch_up()
    assert len(caught) == 60
    assert [len(batch) for batch in heard] == [60]  # one call to the listener for the whole batch
    assert console_writes == [1]
    assert folds == {first: 1, second: 1}  # one fold step per touched incident, however many events
    assert sam[0].view(first).state.event_count == before[first] + 40
    assert sam[0].view(second).state.event_count == before[second] + 20
    assert sam[0].catch_up() == []  # nothing twice


@pytest.mark.postgres
def test_the_wake_ups_of_a_burst_share_rounds(console_on: Make, pg_url: str) -> None:
    Database(pg_url).upgrade()
    alex, sam = console_on("Alex", pg_url), console_on("Sam", pg_url)
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    alex[1].run_once()
    lock = threading.Lock()
    seen: Counter[str] = Counter()
    calls = [0]

    def pulled(_count: int) -> None:  # as the window's bridge does: catch up on every report
        with lock:
            calls[0] += 1
            for event in sam[0].catch_up():
                seen[event.id] += 1

    sam[1].on_pulled = pulled
    sam[1].poll_seconds = 30
    sam[1].burst_gap = 1.0  # long enough that the pushes below all land within one gap
    sam[1].start()
    wait_until(lambda: incident in seen or any(s.id == incident for s in sam[0].incidents()), 10)
    with lock:
        calls[0] = 0
    written: list[str] = []
    for number in range(20):  # twenty pushes, twenty NOTIFYs
        [event] = timeline.add_note(alex[0], incident, f"note {number}")
        written.append(event.id)
        alex[1].run_once()
    wait_until(lambda: all(seen[i] for i in written), 15, message="the burst did not all arrive")
    assert all(seen[i] == 1 for i in written), "an event was applied twice"
    assert calls[0] <= 4, f"{calls[0]} rounds for one burst of twenty pushes: the wake-ups did not coalesce"
    assert sam[0].view(incident).state.event_count == alex[0].view(incident).state.event_count


def _nudges(replicator: Replicator) -> Callable[[list[Event]], None]:
    return lambda events: replicator.nudge()


def test_a_burst_from_two_consoles_loses_and_duplicates_nothing(console_on: Make, shared_url: str) -> None:
    alex, kim, sam = (console_on(name, shared_url) for name in ("Alex", "Kim", "Sam"))
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    alex[1].run_once()
    for console, replicator in (kim, sam):
        replicator.run_once()
        console.catch_up()
    lock = threading.Lock()
    seen: Counter[str] = Counter()

    def pulled(_count: int) -> None:
        with lock:
            for event in sam[0].catch_up():
                seen[event.id] += 1

    sam[1].on_pulled = pulled
    for console, replicator in (alex, kim, sam):
        replicator.poll_seconds = 0.2  # a shared SQLite file is polled
        if replicator is not sam[1]:
            console.subscribe(_nudges(replicator))
        replicator.start()
    written: list[str] = []

    def write(console: Console, name: str) -> None:
        for number in range(100):
            [event] = timeline.add_note(console, incident, f"{name} {number}")
            written.append(event.id)

    writers = [threading.Thread(target=write, args=(c, n)) for c, n in ((alex[0], "Alex"), (kim[0], "Kim"))]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    wait_until(lambda: all(seen[i] for i in written), 30, message="the burst did not all reach the observer")
    assert len(written) == 200
    assert all(seen[i] == 1 for i in written), "an event was applied twice"
    wait_until(lambda: alex[1].waiting() == 0 and kim[1].waiting() == 0, 15)
    shared = Database(shared_url)
    try:
        with shared.read() as conn:
            ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM events"))]
    finally:
        shared.dispose()
    assert len(ids) == len(set(ids))
    assert set(written) <= set(ids)
    assert sam[0].view(incident).state.event_count == len(ids)  # every event of the store, each once
