"""Three consoles with their own local stores and one shared store: random edits, partitions and
reconnections, then everyone syncs: every console shows the same incident and the same timeline."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commander.app import incident as app_incident
from commander.app import roles, timeline
from commander.app.bootstrap import build_console
from commander.app.console import Console, utc_now
from commander.app.setup import remote as remotes
from commander.domain.core.clock import to_ms
from commander.domain.core.errors import DomainError
from commander.domain.incident.decisions import Declaration
from commander.integrations.secrets import SecretStore
from commander.store.database import Database
from commander.sync.replicator import Replicator
from tests.helpers.keyring_memory import MemoryKeyring
from tests.helpers.replica import canonical, timeline_dump

TEXTS = ["Error rate up", "Rolled back v2.31", "שגיאה 502", "Cache warm 🔥"]


def _act(data: st.DataObject, console: Console, incident_id: str) -> None:
    action = data.draw(st.sampled_from(["note", "note", "severity", "status", "assign", "edit", "pin"]))
    view = console.view(incident_id)
    notes = sorted(n for n, note in view.state.notes.items() if not note.deleted)
    try:
        if action == "note":
            timeline.add_note(console, incident_id, data.draw(st.sampled_from(TEXTS)))
        elif action == "severity":
            app_incident.change_severity(console, incident_id, data.draw(st.sampled_from(["SEV1", "SEV2", "SEV3"])), "")
        elif action == "status":
            app_incident.change_status(
                console, incident_id, data.draw(st.sampled_from(["identified", "mitigated", "investigating"]))
            )
        elif action == "assign":
            roles.assign(
                console,
                incident_id,
                data.draw(st.sampled_from(["tl", "comms", "scribe"])),
                data.draw(st.sampled_from(["Alex", "Sam", "Kim"])),
            )
        elif action == "edit" and notes:
            timeline.edit_note(
                console, incident_id, data.draw(st.sampled_from(notes)), data.draw(st.sampled_from(TEXTS))
            )
        elif action == "pin" and view.entries:
            timeline.pin(
                console, incident_id, data.draw(st.sampled_from(view.entries)).event_id, data.draw(st.booleans())
            )
    except DomainError:
        pass  # refused by the rules, as it would be in the app: nothing written


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_three_consoles_converge_through_a_shared_store(tmp_path_factory, data: st.DataObject) -> None:  # type: ignore[no-untyped-def]
    folder: Path = tmp_path_factory.mktemp("converge")
    shared = f"sqlite:///{folder / 'shared.db'}"
    Database(shared).upgrade()
    secrets = SecretStore(MemoryKeyring())
    pairs: list[tuple[Console, Replicator]] = []
    for name in ("Alex", "Sam", "Kim"):
        console = build_console(str(folder / f"{name}.db"), user=name)
        remote, _ = remotes.set_remote(console, shared, secrets)
        pairs.append((console, remotes.replicator(console, remote, secrets)))
    try:
        incident = app_incident.declare(pairs[0][0], Declaration(title="Checkout 502s", severity="SEV2")).id
        pairs[0][1].run_once()
        online = [True, True, True]
        for _ in range(data.draw(st.integers(5, 25), label="steps")):
            who = data.draw(st.integers(0, 2))
            console, replicator = pairs[who]
            step = data.draw(st.sampled_from(["act", "act", "sync", "partition", "skew"]))
            if step == "partition":
                online[who] = not online[who]
            elif step == "skew":  # laptops disagree by minutes (within the drift each console allows)
                offset = timedelta(seconds=data.draw(st.integers(-290, 290)))
                console.wall = lambda o=offset: utc_now() + o  # type: ignore[misc]
                console.clock.physical = lambda wall=console.wall: to_ms(wall())  # type: ignore[misc]
            elif step == "sync" and online[who]:
                replicator.run_once()
                console.catch_up()
            elif step == "act" and incident in {s.id for s in console.incidents()}:
                _act(data, console, incident)
        for _ in range(2):  # the network is back for everyone
            for console, replicator in pairs:
                replicator.run_once()
                console.catch_up()
        views = [console.view(incident) for console, _ in pairs]
        for view in views[1:]:
            assert canonical(view.state) == canonical(views[0].state)
            assert timeline_dump(view.entries) == timeline_dump(views[0].entries)
    finally:
        for console, replicator in pairs:
            replicator.shared.close()
            console.close()
