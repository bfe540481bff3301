"""A new console joining a big shared store (PostgreSQL): how soon it is usable, and how much it keeps.

For each size (0.5 M, 1 M and 2 M events by default) the bench makes a database, seeds it with COPY,
then starts a new console process on it with an empty local store and times, from the process start:
the first round of the join (settings, runbooks, schedules, and the open incidents' full logs), the
console's catch-up, and the open SEV incident folded (`Console.view`: what the window shows). It also
compares the local file's size then with the shared store's (the events table with its indexes).

    .venv/bin/python bench/join.py [--sizes 500000,1000000,2000000] [--today 500000]

`--today N` also times, at N events, the pull as it was before the join (the whole log in sequence
order, then the catch-up), as the baseline. The store: incidents spread over two years (10,000 at 2 M,
the same rate per day at the other sizes, so the last 90 days hold the same), 20 of them open, made by
the real domain rules (bench/seed.py's simulation) as a pool of templates, each copied with fresh ids
and its times moved; the team's templates, on-call schedules and 200 runbooks written by a real console.
Every row passes the trust checks. Needs the PostgreSQL on 127.0.0.1:5432 (COMMANDER_BENCH_PG
overrides); makes and drops its own databases.

Figures on the 2-core bench host (2026-12-08, other benchmarks running beside it), process start to the
open incident folded, and the local file against the shared events table with its indexes:
- before the join (the whole log in sequence order, then the catch-up), 0.5 M events: 128.5 s (101 s
  pulling, 27 s catching up), local 243 MB = 75% of the shared store's 325 MB. About 4 minutes at 1 M
  and 8 at 2 M by the same rate.
- with the join: 2.4 s at 0.5 M, 2.4 s at 1 M, 2.7 s at 2 M (1.2-1.4 s of it is the process start,
  build_console and the schema check); local 3.2 MB (1.0%, 0.5%, 0.2%). The first round holds 4,223
  events: the team's settings, 200 runbooks and the 20 open incidents.
- what grows: choosing the first streams (`join.plan`) reads every incident's declaration and status
  changes, 0.17 s, 0.36 s, 0.71 s at 0.5, 1 and 2 M (about 70 us an incident). At 10 M events (50,000
  incidents) that is about 3.5 s and the join would near 5 s: the next step is a table of each
  incident's status kept by the shared store's trigger, so the plan reads only the open ones.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import Figure, print_table, quiet_environment

SERVER = os.environ.get("COMMANDER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
COLUMNS = ("id", "stream", "kind", "payload", "actor_id", "actor_name", "hlc", "occurred_at", "recorded_at", "origin")
EVENTS_AN_INCIDENT = 200  # 2 M events over 10,000 incidents
OPEN = 20
POOL = 300  # closed incidents simulated once, then copied
CHUNK = 1_000  # incidents a COPY transaction
DAYS_AT_2M = 730
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?\+00:00")


# -- the store --------------------------------------------------------------------------------------


def _simulate(count: int, *, closed: bool, rng: random.Random, start: datetime) -> list[Any]:
    from seed import SERVICES, TITLES, IncidentSimulation, sizes

    from commander.app.setup.resources import load_policy

    policy = load_policy()
    made = []
    for number, size in enumerate(sizes(rng, count, EVENTS_AN_INCIDENT * count)):
        at = start + timedelta(hours=6 * number)
        sim = IncidentSimulation(rng, policy, at, gap_seconds=rng.uniform(20, 240))
        services = rng.sample(SERVICES, rng.randint(1, 3))
        severity = rng.choice(["SEV2", "SEV3", "SEV4"]) if closed else "SEV2"
        sim.declare(rng.choice(TITLES).format(s=services[0]), severity, services)
        sim.run(size, end_status="closed" if closed else rng.choice(["identified", "mitigated"]))
        made.append(sim)
    return made


def _rows(sim: Any) -> list[tuple[Any, ...]]:
    from commander.store.records import event_to_row

    return [tuple(event_to_row(e)[c] for c in COLUMNS) for e in sim.events]


def _team_settings(folder: Path) -> list[tuple[Any, ...]]:
    """What a team's console writes outside incidents: templates, on-call, runbooks (real app calls)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from runbooks import make_folder

    from commander.app import oncall
    from commander.app.bootstrap import build_console
    from commander.app.runbooks import library
    from commander.app.updates.templates import save_template

    console = build_console(str(folder / "team.db"), user="Alex")
    for n in range(20):
        save_template(console, f"update-{n}", name=f"Update {n}", body=f"We are on it ({n}). Next update soon.")
    oncall.import_yaml(console, ONCALL)
    library.import_paths(console, [make_folder(folder, 200, 0, random.Random(3))])
    with console.database.read() as conn:
        rows = conn.execute(sa.text(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY rowid")).all()
    console.close()
    return [tuple(r) for r in rows]


ONCALL = """\
schedules:
  - name: Payments primary
    time_zone: Europe/Berlin
    layers:
      - {name: Weekly, rotation: weekly, handoff: "09:00", handoff_day: monday, start: 2026-01-05,
         participants: [Alex, Sam]}
escalation_policies:
  - name: Payments
    levels:
      - {delay_minutes: 15, targets: [{schedule: Payments primary}]}
services:
  payments: Payments
"""


def _copy_of(rows: list[tuple[Any, ...]], shift_ms: int) -> list[tuple[Any, ...]]:
    """The template's rows with fresh ids (every id inside them mapped alike) and times moved."""
    fresh: dict[str, str] = {}

    def new(match: re.Match[str]) -> str:
        found = match.group(0)
        if found not in fresh:
            fresh[found] = str(uuid.uuid4())
        return fresh[found]

    def moved(match: re.Match[str]) -> str:
        return (datetime.fromisoformat(match.group(0)) + timedelta(milliseconds=shift_ms)).isoformat()

    out = []
    for event_id, stream, kind, payload, actor_id, actor_name, hlc, occurred, recorded, origin in rows:
        if "T" in payload:
            payload = ISO.sub(moved, payload)
        out.append(
            (
                UUID.sub(new, event_id),
                UUID.sub(new, stream),
                kind,
                UUID.sub(new, payload),
                actor_id,
                actor_name,
                hlc + (shift_ms << 16),
                occurred + shift_ms,
                recorded + shift_ms,
                UUID.sub(new, origin),
            )
        )
    return out


def _wait_for(raw: str) -> None:
    import psycopg

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            psycopg.connect(raw, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            time.sleep(0.5)  # the server is restarting
    raise SystemExit("The PostgreSQL server did not come back within a minute.")


def seed(url: str, events: int, folder: Path) -> dict[str, Any]:
    rng = random.Random(2026)
    now = datetime.now(UTC).replace(microsecond=0)
    incidents = max(OPEN + 1, events // EVENTS_AN_INCIDENT)
    days = DAYS_AT_2M * incidents / 10_000  # the same incidents a day at every size
    first = now - timedelta(days=days)
    began = time.perf_counter()
    template_start = datetime(2020, 1, 1, tzinfo=UTC)
    pool = [_rows(s) for s in _simulate(POOL, closed=True, rng=rng, start=template_start)]
    opened = _simulate(OPEN, closed=False, rng=rng, start=now - timedelta(days=7))
    team = _team_settings(folder)
    simulated = time.perf_counter() - began
    from commander.domain.core.clock import to_ms

    raw = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    import psycopg

    closed = incidents - OPEN
    wanted = events - sum(len(s.events) for s in opened)
    plan: list[tuple[list[tuple[Any, ...]], int]] = [(team, 0)]  # (rows, shift in ms), in the store's order
    written = len(team)
    for number in range(closed):  # whole incidents only: a cut one would look open
        template = pool[number % POOL]
        if written + len(template) > wanted:
            break
        at = first + timedelta(days=days * number / incidents, minutes=rng.randint(0, 600))
        plan.append((template, to_ms(at) - template[0][7]))
        written += len(template)
    plan += [(_rows(sim), 0) for sim in opened]
    start = 0
    while start < len(plan):  # a transaction every CHUNK incidents: a server restart costs one chunk
        chunk = plan[start : start + CHUNK]
        try:
            with psycopg.connect(raw) as conn, conn.cursor() as cursor:
                with cursor.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for rows, shift in chunk:
                        for row in _copy_of(rows, shift) if shift else rows:
                            copy.write_row(row)
                conn.commit()
        except psycopg.OperationalError as error:  # another run restarted the server: wait, then again
            print(f"  the server went away ({str(error).splitlines()[0]}); copying that part again", flush=True)
            _wait_for(raw)
            continue
        start += CHUNK
    with psycopg.connect(raw, autocommit=True) as conn:
        conn.execute("ANALYZE events")
        size = conn.execute("SELECT pg_total_relation_size('events'), count(*) FROM events").fetchone()
    big = max(opened, key=lambda s: len(s.events))
    return {
        "events": int(size[1]) if size else 0,
        "incidents": len(plan) - 1,
        "simulate_s": simulated,
        "seed_s": time.perf_counter() - began,
        "shared_bytes": int(size[0]) if size else 0,
        "open_id": big.id,
        "open_events": len(big.events),
    }


# -- the new console --------------------------------------------------------------------------------


def child(url: str, folder: str, open_id: str, mode: str, started: float) -> None:
    """A new console process: join (or, for `today`, pull the whole log in order), then open the incident."""
    from commander.app.bootstrap import build_console
    from commander.app.setup import remote as remotes
    from commander.integrations.secrets import SecretStore

    console = build_console(str(Path(folder) / f"{mode}.db"), user="Newcomer")
    remote, _ = remotes.set_remote(console, url, SecretStore())
    replicator = remotes.replicator(console, remote, SecretStore())
    replicator.check()
    entered = time.time() - started
    if mode == "join":
        replicator.run_once()
    else:
        while replicator._pull()[1]:  # the pull as it was before the join: every row in sequence order
            pass
    pulled = time.time() - started
    console.catch_up()
    view = console.view(open_id)
    ready = time.time() - started
    assert view.state.is_open and view.state.event_count > 0, "the open incident must fold"
    local = sum(p.stat().st_size for p in Path(folder).glob(f"{mode}.db*"))
    with console.database.read() as conn:
        held = int(conn.execute(sa.text("SELECT count(*) FROM events")).scalar_one())
    figures: dict[str, Any] = {"set_up_s": entered, "pulled_s": pulled, "ready_s": ready}
    figures |= {"local_bytes": local, "held": held}
    figures |= {"set_aside": replicator.set_aside, "folded": view.state.event_count, "history": replicator.history}
    if mode == "join":  # where the first round's time goes (timed again, after the figure above)
        from commander.sync import join

        for name, work in (
            ("mark_s", lambda: join.visible_max(replicator.shared)),
            ("streams_s", lambda: join.distinct_streams(replicator.shared)),
            ("plan_s", lambda: join.plan(replicator.shared, join.visible_max(replicator.shared), datetime.now(UTC))),
        ):
            began = time.perf_counter()
            work()
            figures[name] = time.perf_counter() - began
    print(json.dumps(figures))
    replicator.stop()
    console.close()


def join_once(url: str, open_id: str, mode: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="commander-join-") as folder:
        started = time.time()
        done = subprocess.run(
            [sys.executable, __file__, "--child", url, folder, open_id, mode, repr(started)],
            capture_output=True,
            text=True,
            env={**os.environ, **quiet_environment(Path(folder))},
            timeout=3600,
        )
        if done.returncode:
            raise SystemExit(f"the console failed:\n{done.stderr[-3000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _database(admin: sa.Engine) -> tuple[str, str]:
    name = f"commander_join_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    from commander.store.database import Database

    database = Database(url)
    database.upgrade()
    database.dispose()
    return url, name


def _drop(admin: sa.Engine, name: str) -> None:
    """Drop the bench's database, waiting up to a minute for a server that another run restarted."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except sa.exc.OperationalError:
            if time.monotonic() > deadline:
                print(f"Could not drop {name}: drop it by hand (DROP DATABASE ... WITH (FORCE)).", file=sys.stderr)
                return
            time.sleep(1)  # the server is restarting: try again


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500000,1000000,2000000", help="events in the store, comma-separated")
    parser.add_argument("--today", type=int, default=0, help="also time the whole-log pull at this size")
    parser.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        url, folder, open_id, mode, started = args.child
        child(url, folder, open_id, mode, float(started))
        return 0
    sizes = sorted({int(s) for s in args.sizes.split(",")} | ({args.today} if args.today else set()))
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    figures: list[Figure] = []
    readies: list[float] = []
    try:
        for size in sizes:
            url, name = _database(admin)
            try:
                with tempfile.TemporaryDirectory(prefix="commander-join-seed-") as folder:
                    store = seed(url, size, Path(folder))
                print(
                    f"seeded {store['events']:,} events ({store['incidents']:,} incidents, {OPEN} open) in "
                    f"{store['seed_s']:.1f} s ({store['simulate_s']:.1f} s simulating); shared events table "
                    f"{store['shared_bytes'] / 1e6:,.0f} MB",
                    flush=True,
                )
                if size == args.today:
                    old = join_once(url, store["open_id"], "today")
                    print(f"  before the join: {json.dumps(old)}", flush=True)
                    figures.append(Figure(f"{size / 1e6:g} M, whole log first (before)", old["ready_s"], "s", 5))
                    share = 100 * old["local_bytes"] / store["shared_bytes"]
                    figures.append(Figure(f"{size / 1e6:g} M, local store (before)", share, "%", 10))
                if size in {int(s) for s in args.sizes.split(",")}:
                    new = join_once(url, store["open_id"], "join")
                    print(f"  joining: {json.dumps(new)}", flush=True)
                    readies.append(new["ready_s"])
                    note = f"{new['held']:,} held, {new['set_aside']} set aside; open one: {new['folded']:,} events"
                    figures.append(Figure(f"{size / 1e6:g} M: start to open incident folded", new["ready_s"], "s", 5,
                                          note))  # fmt: skip
                    share = 100 * new["local_bytes"] / store["shared_bytes"]
                    figures.append(Figure(f"{size / 1e6:g} M: local store / shared", share, "%", 10))
            finally:
                _drop(admin, name)
    finally:
        admin.dispose()
    if len(readies) > 1:
        growth = 100 * (readies[-1] / readies[0] - 1)
        figures.append(Figure("growth of the time, smallest to largest store", max(0.0, growth), "%", 25,
                              "flat: under 25% over a 4x larger store"))  # fmt: skip
    print_table("A new console joining a shared store", figures)
    return 0 if all(f.verdict != "MISS" for f in figures) else 1


if __name__ == "__main__":
    raise SystemExit(main())
