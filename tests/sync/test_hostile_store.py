"""A hostile responder on the shared store (PostgreSQL): whatever rows they insert, the honest consoles
keep syncing, writing and opening; nothing forged is folded; every forged row is set aside or shown
with the login that really wrote it. Each case was reproduced on the version before these checks."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.app.setup import remote as remotes
from commander.cli.main import main
from commander.domain.core.clock import to_ms
from commander.domain.incident.decisions import Declaration
from commander.integrations.secrets import SecretStore
from commander.store.database import Database
from commander.store.errors import StoreBusy
from commander.store.quarantine import Quarantine
from commander.sync.replicator import Replicator
from commander.sync.shared import SharedStore
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.postgres

Pair = tuple[Console, Replicator]
BIG = (1 << 63) - 1


class Team:
    """A shared store with three logins: two honest responders and a hostile one, plus a viewer."""

    def __init__(self, url: str, folder: Path, secrets: SecretStore) -> None:
        self.url, self.folder, self.secrets = url, folder, secrets
        suffix = uuid.uuid4().hex[:8]
        self.logins = {name: f"{name}_{suffix}" for name in ("alex", "sam", "kim", "mallory", "viewer")}
        self.admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            for login in self.logins.values():
                conn.execute(sa.text(f'CREATE ROLE "{login}" LOGIN'))
        responders = [login for name, login in self.logins.items() if name != "viewer"]
        assert (
            main(
                [
                    "db",
                    "grant-roles",
                    "--url",
                    url,
                    *sum((["--responder", r] for r in responders), []),
                    "--viewer",
                    self.logins["viewer"],
                ]
            )
            == 0
        )
        self.pairs: list[Pair] = []
        self.engines: list[sa.Engine] = []

    def as_login(self, name: str) -> str:
        return self.url.replace("//postgres@", f"//{self.logins[name]}@")

    def console(self, name: str) -> Pair:
        console = build_console(str(self.folder / f"{name}.db"), user=name.title())
        remote, _ = remotes.set_remote(console, self.as_login(name), self.secrets)
        pair = (console, remotes.replicator(console, remote, self.secrets))
        pair[1].check()
        self.pairs.append(pair)
        return pair

    def engine(self, name: str) -> sa.Engine:
        engine = sa.create_engine(self.as_login(name))
        self.engines.append(engine)
        return engine

    def insert(self, name: str, **row: Any) -> None:
        """A row as `psql` would insert it: every column chosen by the writer."""
        with self.engine(name).begin() as conn:
            conn.execute(
                sa.text(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row
            )

    def close(self) -> None:
        for console, replicator in self.pairs:
            replicator.stop()
            console.close()
        for engine in self.engines:
            engine.dispose()
        with self.admin.connect() as conn:
            for login in self.logins.values():
                conn.execute(
                    sa.text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{login}'")
                )
                conn.execute(sa.text(f'REASSIGN OWNED BY "{login}" TO postgres'))
                conn.execute(sa.text(f'DROP OWNED BY "{login}"'))
                conn.execute(sa.text(f'DROP ROLE "{login}"'))
        self.admin.dispose()


@pytest.fixture
def team(pg_url: str, tmp_path: Path, memory_keyring: Any) -> Iterator[Team]:
    Database(pg_url).upgrade()
    made = Team(pg_url, tmp_path, SecretStore(memory_keyring))
    yield made
    made.close()


def settle(*pairs: Pair) -> None:
    for _ in range(3):
        for console, replicator in pairs:
            replicator.run_once()
            console.catch_up()


def forged(
    stream: str,
    kind: str,
    payload: Any,
    *,
    actor: tuple[str, str] = ("mallory", "Mallory"),
    hlc: int | None = None,
    at_ms: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    now = at_ms if at_ms is not None else to_ms(_now())
    return {
        "id": str(uuid.uuid4()),
        "stream": stream,
        "kind": kind,
        "payload": payload if isinstance(payload, str) else json.dumps(payload),
        "actor_id": actor[0],
        "actor_name": actor[1],
        "hlc": hlc if hlc is not None else (now << 16),
        "occurred_at": now,
        "recorded_at": now,
        "origin": "mallory-console",
        **extra,
    }


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_a_clock_stamp_at_the_end_of_time_is_set_aside_and_the_clock_stays_sane(team: Team) -> None:
    alex, sam = team.console("alex"), team.console("sam")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    settle(alex, sam)
    team.insert(
        "mallory",
        **forged(
            f"incident:{incident}",
            "severity.changed",
            {"severity": "SEV4", "previous": "SEV1", "reason": "forged"},
            hlc=BIG,
        ),
    )
    settle(alex, sam)
    for console, _ in (alex, sam):
        assert console.state(incident).severity == "SEV1"  # never folded
        assert console.clock.now() < (to_ms(_now()) + 60_000) << 16  # not dragged to the end of time
    app_incident.change_severity(sam[0], incident, "SEV2", "honest change")  # later writes work and win
    settle(alex, sam)
    assert alex[0].state(incident).severity == "SEV2"
    with alex[0].database.read() as conn:
        (kept,) = Quarantine(conn).listed()
    assert "ahead of this computer's clock" in kept.reason and kept.login == team.logins["mallory"]
    assert alex[1].set_aside == 1


@pytest.mark.parametrize(
    ("kind", "payload", "stream"),
    [
        ("note.added", "not json", "incident"),
        ("note.added", "[]", "incident"),
        ("note.added", "{}", "incident"),
        ("incident.declared", "{}", "new-incident"),
        ("note.added", "1],[2", "incident"),  # broke the joined array stream reads parse in one go
        ("template.saved", {"name": "x", "stage": "update", "audience": "all", "body": "hi"}, "settings:templates"),
        (
            "destination.added",
            {"name": "ops", "kind": "slack", "options": "https://evil.example"},
            "settings:destinations",
        ),
        ("note.added", {"text": "x" * 2_000_000, "pinned": False}, "incident"),
        ("note.added", {"text": "hi", "pinned": False}, "incident:not-a-uuid"),
    ],
)
def test_a_malformed_row_is_set_aside_and_the_rows_after_it_arrive(
    team: Team, kind: str, payload: Any, stream: str
) -> None:
    alex = team.console("alex")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    alex[1].run_once()
    where = {"incident": f"incident:{incident}", "new-incident": f"incident:{uuid.uuid4()}"}.get(stream, stream)
    team.insert("mallory", **forged(where, kind, payload))
    timeline.add_note(alex[0], incident, "after the forged row")
    alex[1].run_once()
    kim = team.console("kim")  # a console joining now receives everything honest
    settle(kim)
    assert [e.text for e in kim[0].view(incident).entries if e.category == "note"] == ["after the forged row"]
    assert kim[1].set_aside == 1
    assert [s.id for s in kim[0].incidents()] == [incident]
    timeline.add_note(kim[0], incident, "still writing")
    # Everything a person opens still opens (these each failed for one of the rows above).
    db = str(team.folder / "kim.db")
    for command in (
        ["show", incident[:8]],
        ["list"],
        ["update", "templates"],
        ["destination", "list"],
        ["sync", "--quarantine"],
    ):
        assert main(["--db", db, *command]) == 0, command


def test_a_forged_occurred_at_in_year_318857_is_set_aside(team: Team) -> None:
    alex = team.console("alex")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    alex[1].run_once()
    row = forged(f"incident:{incident}", "note.added", {"text": "from the future", "pinned": False})
    row["occurred_at"] = 10_000_000_000_000_000
    team.insert("mallory", **row)
    sam = team.console("sam")
    settle(sam)
    assert [s.id for s in sam[0].incidents()] == [incident] and sam[1].set_aside == 1


def test_the_database_assigns_sequence_numbers_whatever_the_client_sends(team: Team) -> None:
    alex, sam = team.console("alex"), team.console("sam")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    settle(alex, sam)
    row = forged(f"incident:{incident}", "note.added", {"text": "jumping", "pinned": False})
    with team.engine("mallory").begin() as conn:
        conn.execute(
            sa.text(
                f"INSERT INTO events (seq, {', '.join(row)}) OVERRIDING SYSTEM VALUE VALUES "
                f"(9000000000000000000, {', '.join(':' + k for k in row)})"
            ),
            row,
        )
        seq = conn.execute(sa.text("SELECT seq FROM events WHERE id = :id"), {"id": row["id"]}).scalar_one()
    assert seq < 1_000_000
    timeline.add_note(alex[0], incident, "later")
    settle(alex, sam)
    assert [e.text for e in sam[0].view(incident).entries if e.category == "note"] == ["jumping", "later"]


def test_a_console_whose_cursor_was_moved_past_every_row_notices_and_reads_again(team: Team) -> None:
    alex, sam = team.console("alex"), team.console("sam")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    settle(alex, sam)
    with sam[0].database.write() as conn:  # what a forged 9e18 row did to every console before 0004
        from commander.store.repository import Settings

        Settings(conn).put(sam[1].cursor_key, "9000000000000000000")
    timeline.add_note(alex[0], incident, "after the jump")
    alex[1].run_once()
    sam[1].check()
    assert "numbering jumped" in sam[1].notice
    settle(sam)
    assert "after the jump" in [e.text for e in sam[0].view(incident).entries]


def test_forged_rows_from_before_0004_are_renumbered_after_the_real_ones(pg_url: str) -> None:
    database = Database(pg_url)
    from commander.store.migrate import upgrade

    upgrade(database.engine, "0003")
    with database.engine.begin() as conn:
        for _ in range(3):
            conn.execute(
                sa.text(
                    "INSERT INTO events (id, stream, kind, payload, actor_id, actor_name, hlc, "
                    "occurred_at, recorded_at, origin) VALUES (:id, 'settings:x', 'x.y', '{}', 'a', "
                    "'A', 1, 1, 1, 'o')"
                ),
                {"id": str(uuid.uuid4())},
            )
        conn.execute(
            sa.text(
                "INSERT INTO events (seq, id, stream, kind, payload, actor_id, actor_name, hlc, "
                "occurred_at, recorded_at, origin) OVERRIDING SYSTEM VALUE VALUES (9000000000000000000, "
                ":id, 'settings:x', 'x.y', '{}', 'a', 'A', 1, 1, 1, 'o')"
            ),
            {"id": str(uuid.uuid4())},
        )
    database.upgrade()
    shared = SharedStore(pg_url)
    rows, last = shared.pull(0, 100)
    assert [seq for seq, _ in rows] == [1, 2, 3, 4] and last == 4 and shared.latest() == 4
    shared.close()
    database.dispose()


def test_a_forged_author_is_shown_with_the_login_that_wrote_it(team: Team, capsys: Any) -> None:
    alex, sam = team.console("alex"), team.console("sam")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    timeline.add_note(alex[0], incident, "honest note")
    settle(alex, sam)
    team.insert(
        "mallory",
        **forged(
            f"incident:{incident}",
            "note.added",
            {"text": "roll back now", "pinned": False},
            actor=(alex[0].me.id, "Alex"),
            origin=alex[0].console_id,
        ),
    )
    settle(alex, sam)
    entries = {e.text: e for e in sam[0].view(incident).entries}
    assert entries["roll back now"].actor == "Alex"
    assert entries["roll back now"].written_by == team.logins["mallory"]
    assert entries["honest note"].written_by is None  # alex_… writing as Alex is plainly Alex
    mallory = team.logins["mallory"]
    assert entries["roll back now"].author == f"Alex (login {mallory})"
    capsys.readouterr()
    assert main(["--db", str(team.folder / "sam.db"), "show", incident[:8]]) == 0
    (line,) = [line for line in capsys.readouterr().out.splitlines() if "roll back now" in line]
    assert f"Alex (login {mallory})" in line


def test_presence_cannot_be_renamed_or_flooded_by_another_login(team: Team) -> None:
    alex, sam = team.console("alex"), team.console("sam")
    alex[1].heartbeat()
    engine = team.engine("mallory")
    with engine.begin() as conn:
        changed = conn.execute(sa.text("UPDATE presence SET user_name = 'Mallory was here'")).rowcount
        assert changed == 0  # row-level security: not hers
        for n in range(200):
            conn.execute(
                sa.text("INSERT INTO presence (console_id, user_name, seen_at) VALUES (:c, 'Ghost', :t)"),
                {"c": f"ghost-{n}", "t": to_ms(_now())},
            )
        # Squatting Alex's console id makes a row of her own, not his.
        conn.execute(
            sa.text("INSERT INTO presence (console_id, user_name, seen_at) VALUES (:c, 'Alex', :t)"),
            {"c": alex[0].console_id, "t": to_ms(_now())},
        )
    alex[1].heartbeat()  # still works
    others = sam[1].heartbeat()
    names = [person for person, _ in others]
    assert "Alex" in names
    assert sum(1 for n in names if n.startswith("Ghost")) <= 49
    assert f"Alex (login {team.logins['mallory']})" in names  # the squatter shows as who she is


def test_an_advisory_lock_held_by_a_viewer_stalls_nothing(team: Team) -> None:
    alex = team.console("alex")
    viewer = team.engine("viewer").connect()
    try:
        viewer.execute(sa.text("SELECT pg_advisory_lock(1131375981)"))  # the old push lock's key
        with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
            viewer.execute(sa.text("SELECT * FROM commander_sequencer FOR UPDATE"))
        viewer.rollback()
        app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
        started = time.monotonic()
        assert alex[1].run_once().pushed >= 1
        assert time.monotonic() - started < 3
    finally:
        viewer.close()


def test_a_responder_holding_the_write_lock_makes_the_store_busy_not_stuck(team: Team) -> None:
    alex = team.console("alex")
    hold = team.engine("mallory").connect()
    try:
        row = forged("settings:templates", "template.removed", {"key": "nothing"})
        hold.execute(
            sa.text(f"INSERT INTO events ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row
        )  # and never commits
        app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="busy"):
            alex[1].run_once()
        assert time.monotonic() - started < 10
        statuses: list[str] = []
        alex[1].on_status = lambda status: statuses.append(status.state)
        alex[1].start()
        wait_until(lambda: "busy" in statuses, 20, 0.1, message="the replicator never reported the store busy")
        hold.rollback()

        def all_sent() -> bool:
            if alex[1].waiting() == 0:
                return True
            alex[1].nudge()
            return False

        wait_until(all_sent, 20, 0.2, message="the outbox kept its events after the lock was freed")
    finally:
        hold.close()


def test_a_first_sync_killed_before_its_catch_up_is_projected_at_the_next_start(team: Team) -> None:
    alex = team.console("alex")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    alex[1].run_once()
    kim_console, kim_replicator = team.console("kim")
    kim_replicator.run_once()  # pulled and committed; the process dies before the console caught up
    team.pairs.remove((kim_console, kim_replicator))
    kim_replicator.stop()
    kim_console.close()
    again = build_console(str(team.folder / "kim.db"))
    try:
        assert [s.id for s in again.incidents()] == [incident]
    finally:
        again.close()


@pytest.mark.qt_log_ignore(r"This plugin does not support propagateSizeHints\(\)")  # the offscreen platform's
def test_two_honest_consoles_ride_out_every_forgery_at_once(team: Team, qtbot: Any) -> None:
    """The acceptance case: while a hostile responder inserts each forged row, two honest consoles keep
    syncing, writing and opening the window, and nothing forged is folded."""
    alex, sam = team.console("alex"), team.console("sam")
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1")).id
    settle(alex, sam)
    stream = f"incident:{incident}"
    rows = [
        forged(stream, "severity.changed", {"severity": "SEV4", "previous": "SEV1", "reason": "x"}, hlc=BIG),
        forged(stream, "note.added", "[]"),
        forged(
            stream,
            "status.changed",
            {"status": "resolved", "previous": "investigating", "reason": "x"},
            at_ms=to_ms(_now()) + 3_600_000,
        ),
        forged("settings:templates", "template.saved", {"name": "broken"}),
        forged("settings:destinations", "destination.added", {"name": "ops", "kind": "slack", "options": "x"}),
        forged(stream, "note.added", {"text": "forged by mallory", "pinned": False}, actor=(sam[0].me.id, "Sam")),
    ]
    stop = threading.Event()

    def hostile() -> None:
        for row in rows:
            team.insert("mallory", **row)
            if stop.wait(0.05):
                return

    attacker = threading.Thread(target=hostile)
    attacker.start()
    for n in range(6):
        timeline.add_note(alex[0], incident, f"alex {n}")
        timeline.add_note(sam[0], incident, f"sam {n}")
        settle(alex, sam)
    attacker.join()
    settle(alex, sam)
    for console, replicator in (alex, sam):
        state = console.state(incident)
        assert state.severity == "SEV1" and state.status.value == "investigating"
        notes = [e for e in console.view(incident).entries if e.category == "note"]
        assert len([e for e in notes if e.text.startswith(("alex", "sam"))]) == 12
        (forgery,) = [e for e in notes if e.text == "forged by mallory"]
        assert forgery.written_by == team.logins["mallory"]
        assert replicator.set_aside == 5
    # A connection re-added by the hostile login, pointing at her listener: no token reaches it.
    from commander.app.updates import publishing
    from tests.helpers.fakes import serve
    from tests.integrations.test_teams_matrix import ROOM, TOKEN, Homeserver

    publishing.add(
        alex[0], "matrix", "Ops room", {"homeserver": "https://matrix.legit.example", "room": ROOM}, TOKEN, team.secrets
    )
    settle(alex, sam)
    with serve(Homeserver()) as listener:
        team.insert("mallory", **forged("settings:destinations", "destination.removed", {"name": "Ops room"}))
        team.insert(
            "mallory",
            **forged(
                "settings:destinations",
                "destination.added",
                {"name": "Ops room", "kind": "matrix", "options": {"homeserver": listener.base, "room": ROOM}},
            ),
        )
        settle(alex, sam)
        assert publishing.destinations(alex[0])["Ops room"].options["homeserver"] == listener.base
        outcome = publishing.send_update(alex[0], incident, "initial", ["Ops room"], team.secrets)["Ops room"]
        assert outcome.state == "failed" and "settings of Ops room changed" in outcome.detail
        assert listener.requests == []
    from commander.ui.shell.main_window import MainWindow
    from commander.ui.shell.settings import UiSettings

    window = MainWindow(alex[0], UiSettings(team.folder / "ui.ini"))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    assert window.isVisible()
