"""A console joining a shared store: what the window needs first, then the history (commander/sync/join.py).

On PostgreSQL and a shared SQLite file: settings and open incidents arrive in the first round, before
older closed incidents that precede them in the store's order; the console ends with exactly the store's
events; a row that fails the checks is set aside once; and an incident opened on a console that holds
only recent history folds to the same state as on a console that holds everything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from commander.app.console import Console
from commander.app.setup.resources import load_policy
from commander.app.timeline import add_note
from commander.app.updates.templates import save_template
from commander.domain.core.clock import HybridClock, to_ms
from commander.domain.core.events import Actor, Event, EventDraft
from commander.domain.core.ids import new_id
from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import IncidentFold
from commander.sync import join
from commander.sync.replicator import Replicator
from commander.sync.shared import SharedStore
from tests.helpers.waiting import wait_until

Make = Callable[[str, str], tuple[Console, Replicator]]
NOW = datetime.now(UTC).replace(microsecond=0)


def incident(
    policy: Policy, declared: datetime, end: str | None, title: str, notes: int = 5
) -> tuple[str, list[Event]]:
    """An incident written by another console at `declared` (its clock then), walked to `end`."""
    incident_id = new_id(to_ms(declared))
    fold = IncidentFold(incident_id, policy)
    wall = [declared]
    clock = HybridClock(physical=lambda: to_ms(wall[0]))
    origin, actor = str(uuid.uuid4()), Actor("person-kim", "Kim")
    written: list[Event] = []

    def commit(drafts: list[EventDraft]) -> None:
        for draft in drafts:
            event = Event(
                str(uuid.uuid4()), draft.stream, draft.kind, dict(draft.payload), actor, clock.now(),
                draft.occurred_at or wall[0], wall[0], origin,
            )  # fmt: skip
            fold.apply(event)
            written.append(event)
        wall[0] += timedelta(minutes=3)

    form = decisions.Declaration(title=title, severity="SEV2", services=("checkout",), commander="Kim")
    commit(decisions.declare(incident_id, form, me="Kim", policy=policy, now=wall[0]))
    for n in range(notes):
        commit(decisions.add_note(fold.state, f"{title}: note {n}", now=wall[0]))
    for status in ("identified", "mitigated", "resolved", "closed")[: (4 if end == "closed" else 0)]:
        commit(decisions.change_status(fold.state, status, now=wall[0]))
    return incident_id, written


def local_ids(console: Console) -> dict[str, str]:
    with console.database.read() as conn:
        return {str(i): str(s) for i, s in conn.execute(sa.text("SELECT id, stream FROM events")).all()}


def shared_ids(shared: SharedStore) -> dict[str, str]:
    with shared.database.read() as conn:
        return {str(i): str(s) for i, s in conn.execute(sa.text("SELECT id, stream FROM events")).all()}


def seed(url: str, writer: Console, writer_sync: Replicator) -> dict[str, str]:
    """In the store's order: an old closed incident, a recent closed one, an open one declared long ago,
    a bad row in a settings stream, then the team's template. Returns the incident ids by name."""
    policy = load_policy()
    old, old_events = incident(policy, NOW - timedelta(days=400), "closed", "Old outage", notes=40)
    recent, recent_events = incident(policy, NOW - timedelta(days=10), "closed", "Recent outage")
    still, open_events = incident(policy, NOW - timedelta(days=200), None, "Slow leak, still open")
    store = SharedStore(url)
    for batch in (old_events, recent_events, open_events):
        store.push(batch)
    with store.database.write() as conn:  # a row as a careless writer might insert it: set aside, once
        row = {
            "id": str(uuid.uuid4()), "stream": "settings:templates", "kind": "template.saved",
            "payload": '{"nonsense": 1}', "actor_id": "person-mal", "actor_name": "Mal",
            "hlc": HybridClock(physical=lambda: to_ms(NOW)).now(), "occurred_at": to_ms(NOW),
            "recorded_at": to_ms(NOW), "origin": "console-mal",
        }  # fmt: skip
        conn.execute(sa.text(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
    store.close()
    save_template(writer, "short", name="Short update", body="We are looking into it.")
    writer_sync.run_once()
    return {"old": old, "recent": recent, "open": still}


def streams_of(ids: dict[str, str], wanted: str) -> set[str]:
    return {i for i, s in ids.items() if s == wanted}


def test_a_joining_console_gets_settings_and_open_incidents_first_then_exactly_the_store(
    shared_url: str, console_on: Make
) -> None:
    alex, alex_sync = console_on("Alex", shared_url)
    made = seed(shared_url, alex, alex_sync)
    everything = shared_ids(alex_sync.shared)
    bea, bea_sync = console_on("Bea", shared_url)

    bea_sync.run_once()  # the first round: what the window needs
    held = local_ids(bea)
    assert streams_of(everything, f"incident:{made['open']}") <= set(held), "the open incident comes whole"
    sound = streams_of(local_ids(alex), "settings:templates")  # Alex's own: all but the bad row
    assert sound and sound <= set(held), "the team's settings come first"
    assert streams_of(everything, "settings:templates") - sound - set(held), "the bad row is not taken in"
    assert not streams_of(held, f"incident:{made['old']}"), "an old closed incident waits for the history"
    assert not streams_of(held, f"incident:{made['recent']}")
    assert bea_sync.history == "history: 0% fetched"
    with bea.database.read() as conn:
        cursor = int(
            conn.execute(sa.text("SELECT value FROM meta WHERE key = :k"), {"k": bea_sync.cursor_key}).scalar_one()
        )
    assert cursor == join.visible_max(alex_sync.shared), "live rows above the mark come by the normal pull"

    note = add_note(alex, made["open"], "written while Bea joins")[0]
    alex_sync.run_once()
    bea_sync.run_once()  # the second round: incidents declared in the last 90 days, and what is new
    held = local_ids(bea)
    assert streams_of(everything, f"incident:{made['recent']}") <= set(held)
    assert note.id in held
    assert not streams_of(held, f"incident:{made['old']}")

    while bea_sync.run_once().more:
        pass
    final, store = local_ids(bea), shared_ids(alex_sync.shared)
    bad = set(store) - set(final)
    assert len(bad) == 1 and store[bad.pop()] == "settings:templates", "all but the bad row, none twice"
    assert bea_sync.set_aside == 1, "the bad row is set aside once, though read twice"
    assert bea_sync.history == ""
    with bea.database.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM meta WHERE key LIKE 'sync_history:%'")).scalar_one() == 0


def test_an_incident_folds_the_same_on_a_console_with_only_recent_history(shared_url: str, console_on: Make) -> None:
    alex, alex_sync = console_on("Alex", shared_url)
    made = seed(shared_url, alex, alex_sync)
    recent, recent_sync = console_on("Recent", shared_url)
    recent_sync.run_once()
    recent_sync.run_once()  # settings, the open incident, the last 90 days: and no more
    assert not streams_of(local_ids(recent), f"incident:{made['old']}")
    full, full_sync = console_on("Full", shared_url)
    while full_sync.run_once().more:
        pass
    assert streams_of(local_ids(full), f"incident:{made['old']}")
    for console in (recent, full):
        console.catch_up()
    for name in ("open", "recent"):
        a, b = recent.view(made[name]), full.view(made[name])
        assert a.state == b.state
        assert [(e.event_id, e.text) for e in a.entries] == [(e.event_id, e.text) for e in b.entries]
        assert a.state.title.startswith("Slow leak" if name == "open" else "Recent")


def test_the_status_says_how_much_history_is_fetched_while_the_console_runs(
    shared_url: str, console_on: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    alex, alex_sync = console_on("Alex", shared_url)
    seed(shared_url, alex, alex_sync)
    monkeypatch.setattr(join, "HISTORY_BATCH", 20)  # several rounds of history on this small store
    bea, bea_sync = console_on("Bea", shared_url)
    shown: list[str] = []
    bea_sync.on_status = lambda status: shown.append(status.history)
    bea_sync.start()
    store = shared_ids(alex_sync.shared)
    wait_until(lambda: len(store) - len(local_ids(bea)) == 1, 20, message="the history never arrived")
    wait_until(lambda: shown and shown[-1] == "", 10, message="the history words stayed")
    words = [w for w in shown if w]
    assert words[0] == "history: 0% fetched"
    percents = [int(w.split()[1].rstrip("%")) for w in words]
    assert percents == sorted(percents) and len(set(percents)) > 2, percents
