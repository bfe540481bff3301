"""Replication through PostgreSQL: latency from an append on console A to the event applied on console B
(beside the raw NOTIFY round trip), catch-up of 10,000 events written offline, and ten consoles
appending together (lost and duplicated events must both be zero).

    .venv/bin/python bench/sync.py [--events 1000] [--offline 10000] [--consoles 10] [--duration 60]

Needs the PostgreSQL on 127.0.0.1:5432 (COMMANDER_BENCH_PG overrides); makes and drops its own database.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from _common import Figure, print_table, quiet_environment

from commander.app import incident as app_incident
from commander.app import timeline

SERVER = os.environ.get("COMMANDER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _database() -> tuple[str, sa.Engine, str]:
    admin = sa.create_engine(SERVER, isolation_level="AUTOCOMMIT")
    name = f"commander_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    from commander.store.database import Database

    Database(url).upgrade()
    return url, admin, name


def _console(folder: Path, name: str, url: str):  # type: ignore[no-untyped-def]
    from commander.app.bootstrap import build_console
    from commander.app.setup import remote as remotes
    from commander.integrations.secrets import SecretStore

    console = build_console(str(folder / f"{name}.db"), user=name)
    remote, _ = remotes.set_remote(console, url, SecretStore(), poll_seconds=1.0)
    return console, remotes.replicator(console, remote, SecretStore())


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def notify_round_trip(url: str, count: int) -> list[float]:
    import psycopg

    plain = sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    listener = psycopg.connect(plain, autocommit=True)
    sender = psycopg.connect(plain, autocommit=True)
    listener.execute("LISTEN bench")
    times = []
    for _ in range(count):
        began = time.perf_counter()
        sender.execute("NOTIFY bench")
        for _ in listener.notifies(timeout=5, stop_after=1):
            pass
        times.append(time.perf_counter() - began)
    listener.close()
    sender.close()
    return times


def latency(url: str, folder: Path, count: int) -> list[float]:
    """A appends notes one at a time; B's replicator pulls on NOTIFY and B applies them."""
    from commander.domain.incident.decisions import Declaration

    (a, ra), (b, rb) = _console(folder, "A", url), _console(folder, "B", url)
    incident = app_incident.declare(a, Declaration(title="Latency", severity="SEV3")).id
    ra.run_once()
    rb.run_once()
    b.catch_up()
    appended: dict[str, float] = {}
    applied: dict[str, float] = {}
    done = threading.Event()
    lock = threading.Lock()

    def pulled(_count: int) -> None:  # B's replicator thread: apply at once, as the window's bridge would
        with lock:
            for event in b.catch_up():
                applied.setdefault(event.id, time.perf_counter())
            if len(applied) >= count:
                done.set()

    rb.on_pulled = pulled
    a.subscribe(lambda events: ra.nudge())
    ra.start()
    rb.start()
    time.sleep(1.0)
    for number in range(count):
        [event] = timeline.add_note(a, incident, f"latency probe {number}")
        appended[event.id] = time.perf_counter()
        time.sleep(0.01)
    done.wait(60)
    ra.stop()
    rb.stop()
    return [applied[i] - appended[i] for i in appended if i in applied]


def catch_up(url: str, folder: Path, count: int) -> tuple[float, float]:
    """A writes `count` events offline, then reconnects; B (known) and C (empty store) catch up."""
    from commander.domain.incident.decisions import Declaration

    (a, ra), (b, rb) = _console(folder, "A2", url), _console(folder, "B2", url)
    incident = app_incident.declare(a, Declaration(title="Offline work", severity="SEV2")).id
    for number in range(count):
        timeline.add_note(a, incident, f"written offline {number}")
    ra.run_once()
    while ra.run_once().more:
        pass
    began = time.perf_counter()
    while True:
        result = rb.run_once()
        if not result.more:
            break
    b.catch_up()
    known = time.perf_counter() - began
    assert b.view(incident).state.event_count == count + 2
    c, rc = _console(folder, "C2", url)
    began = time.perf_counter()
    while rc.run_once().more:
        pass
    c.catch_up()
    empty = time.perf_counter() - began
    assert any(s.id == incident for s in c.incidents())
    for replicator in (ra, rb, rc):
        replicator.stop()
    return known, empty


WRITER = """
import json, sys, time
sys.path.insert(0, {bench!r})
from sync import _console
from pathlib import Path
url, folder, name, rate, duration, incident = {args!r}
console, replicator = _console(Path(folder), name, url)
deadline = time.monotonic() + 20
while time.monotonic() < deadline:  # fetch the incident the observer declared
    replicator.run_once()
    console.catch_up()
    if any(s.id == incident for s in console.incidents()):
        break
    time.sleep(0.2)
console.subscribe(lambda events: replicator.nudge())
replicator.start()
written = []
began = time.monotonic()
while time.monotonic() - began < duration:
    [event] = timeline.add_note(console, incident, f"{{name}} {{len(written)}}")
    written.append((event.id, time.time()))
    time.sleep(max(0.0, began + len(written) / rate - time.monotonic()))
deadline = time.monotonic() + 30
while replicator.waiting() and time.monotonic() < deadline:
    time.sleep(0.1)
replicator.stop()
print(json.dumps(written))
"""


def many_writers(url: str, folder: Path, consoles: int, duration: float, rate: float) -> dict[str, object]:
    from commander.domain.incident.decisions import Declaration

    (observer, ro) = _console(folder, "Observer", url)
    incident = app_incident.declare(observer, Declaration(title="Ten consoles", severity="SEV1")).id
    ro.run_once()
    arrived: dict[str, float] = {}
    lock = threading.Lock()

    def pulled(_count: int) -> None:
        with lock:
            for event in observer.catch_up():
                arrived.setdefault(event.id, time.time())

    ro.on_pulled = pulled
    ro.start()
    env = quiet_environment()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER.format(
                    bench=str(Path(__file__).parent), args=(url, str(folder), f"W{n}", rate, duration, incident)
                ),
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for n in range(consoles)
    ]
    written: list[tuple[str, float]] = []
    for proc in procs:
        out, _ = proc.communicate(timeout=duration + 120)
        if proc.returncode != 0:
            raise SystemExit(f"a writer console failed (exit {proc.returncode}); its error is above")
        written += [tuple(pair) for pair in json.loads(out)]  # type: ignore[misc]
    time.sleep(3)
    ro.stop()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ids = [
            row[0]
            for row in conn.execute(sa.text("SELECT id FROM events WHERE stream = :s"), {"s": f"incident:{incident}"})
        ]
    engine.dispose()
    wanted = {event_id for event_id, _ in written}
    latencies = [arrived[i] - t for i, t in written if i in arrived]
    return {
        "written": len(written),
        "lost": len(wanted - set(ids)),
        "duplicates": len(ids) - len(set(ids)),
        "missing_at_observer": len(wanted - set(arrived)),
        "p99": _percentile(latencies, 0.99) if latencies else 0,
        "p50": statistics.median(latencies) if latencies else 0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--offline", type=int, default=10_000)
    parser.add_argument("--consoles", type=int, default=10)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second per console")
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args(argv)
    os.environ.update(quiet_environment())
    url, admin, name = _database()
    folder = Path(tempfile.mkdtemp(prefix="commander-sync-"))
    try:
        raw = notify_round_trip(url, args.events)
        seen = latency(url, folder, args.events)
        known, empty = catch_up(url, folder, args.offline)
        crowd = many_writers(url, folder, args.consoles, args.duration, args.rate)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
    print_table(
        "Replication through PostgreSQL",
        [
            Figure(
                "append on A to applied on B, p50",
                statistics.median(seen) * 1000,
                "ms",
                target=50,
                note=f"{len(seen)} of {args.events} events",
            ),
            Figure("append on A to applied on B, p99", _percentile(seen, 0.99) * 1000, "ms", target=200),
            Figure("raw NOTIFY round trip, p50", statistics.median(raw) * 1000, "ms", note="same server, same run"),
            Figure("raw NOTIFY round trip, p99", _percentile(raw, 0.99) * 1000, "ms"),
            Figure(
                f"catch-up of {args.offline:,} offline events",
                known,
                "s",
                target=3,
                note="a console that was following the incident",
            ),
            Figure("the same, joining with an empty store", empty, "s", target=3),
            Figure(
                f"{args.consoles} consoles x {args.rate:g}/s for {args.duration:g} s: lost",
                float(crowd["lost"]),
                "",
                target=1,
                note=f"{crowd['written']} written",
            ),  # type: ignore[arg-type]
            Figure("  duplicates", float(crowd["duplicates"]), "", target=1),  # type: ignore[arg-type]
            Figure("  not applied at the observer", float(crowd["missing_at_observer"]), "", target=1),  # type: ignore[arg-type]
            Figure("  latency to the observer, p50", float(crowd["p50"]) * 1000, "ms"),  # type: ignore[arg-type]
            Figure("  latency to the observer, p99", float(crowd["p99"]) * 1000, "ms", target=200),  # type: ignore[arg-type]
        ],
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
