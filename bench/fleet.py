"""Hundreds of consoles on one PostgreSQL (issue 15, "connections as a budget"): server connections used and
append-to-pulled latency.

Each simulated console is a light client on a thread: the real `SharedStore` (its one session connection
LISTENs between rounds), a note pushed every `--write-every` seconds, a heartbeat and a presence read every
5 s as the replicator does, and a pull after every wake-up. It keeps no local store, so the latency is from
the start of the push on one console to the row pulled by each of the others. Threads are spread over
`--processes` processes so Python's lock is not the limit.

    .venv/bin/python bench/fleet.py [--consoles 200] [--duration 60] [--write-every 10]
    .venv/bin/python bench/fleet.py --temporary-server   # a throwaway cluster sized for the fleet
    .venv/bin/python bench/fleet.py --polling            # as behind a pooler in transaction mode

The server is COMMANDER_BENCH_PG (default the local one as postgres). Its `max_connections` is read
first: when it is below what the fleet needs, say --temporary-server (initdb in a temporary folder,
started on another port with max_connections sized for the fleet, stopped and deleted at the end), so the
local server's configuration is never changed. Makes a fresh database and drops it at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import json
import multiprocessing
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _common import Figure, print_table

SERVER = os.environ.get("COMMANDER_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NAME = "commander fleet"  # the application_name the consoles' connections carry
HEARTBEAT_SECONDS = 5.0  # as the replicator (PRESENCE_SECONDS)
SLACK = 10  # the target: connections at most consoles + 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--consoles", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of writing (after all joined)")
    parser.add_argument("--write-every", type=float, default=10.0)
    parser.add_argument("--processes", type=int, default=8)
    parser.add_argument("--poll-seconds", type=float, default=2.0, help="with --polling")
    parser.add_argument("--polling", action="store_true", help="no LISTEN: every console polls the sequence")
    parser.add_argument("--temporary-server", action="store_true")
    parser.add_argument(
        "--burst-gap", type=float, default=0.03, help="as the replicator: a round after one that moved waits this long"
    )
    parser.add_argument("--no-heartbeat", action="store_true", help="diagnosis: leave presence out")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        server = SERVER
        if args.temporary_server:
            server = stack.enter_context(temporary_server(args.consoles + SLACK + 30))
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        stack.callback(admin.dispose)
        with admin.connect() as conn:
            limit = int(conn.exec_driver_sql("SHOW max_connections").scalar_one())
            reserved = int(conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one())
            buffers = str(conn.exec_driver_sql("SHOW shared_buffers").scalar_one())
        print(f"server: max_connections {limit} ({reserved} reserved for superusers), shared_buffers {buffers}")
        if limit - reserved < args.consoles + 5:
            print(
                f"This server allows {limit - reserved} ordinary connections; {args.consoles} consoles need at "
                f"least {args.consoles + 5}. Run with --temporary-server (a throwaway cluster sized for the "
                f"fleet), point COMMANDER_BENCH_PG at a bigger server, or use fewer --consoles."
            )
            return 2
        name = f"commander_fleet_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        stack.callback(_drop, admin, name)
        url = sa.make_url(server).set(database=name).render_as_string(hide_password=False)
        from commander.store.database import Database

        database = Database(url)
        database.upgrade()
        database.dispose()
        server_before, client_before = _server_cpu(admin), _client_cpu()
        result = run_fleet(url, admin, name, args)
        result["server_cpu"] = _server_cpu(admin) - server_before
        result["client_cpu"] = _client_cpu() - client_before
    figures = [
        Figure("server connections (peak)", result["peak"], "", args.consoles + SLACK + 1, "pg_stat_activity"),
        Figure("server connections (idle fleet)", result["idle"], "", args.consoles + SLACK + 1),
        Figure("append to pulled, p50", result["p50"] * 1000, "ms"),
        Figure("append to pulled, p99", result["p99"] * 1000, "ms", 500),
        Figure("events pushed", result["pushed"], ""),
        Figure("writes refused busy (tried again)", result["busy"], "", None, "lock wait past 5 s"),
        Figure("deliveries lost", result["lost"], "", 1, "every other console must pull every event"),
    ]
    mode = f"polling every {args.poll_seconds:g} s" if args.polling else "LISTEN"
    print_table(f"{args.consoles} consoles, a note each every {args.write_every:g} s, {mode}", figures)
    print(f"connections by application_name at the peak: {result['by_name']}")
    wall = args.duration + args.write_every / 2
    print(
        f"CPU over the run: PostgreSQL {result['server_cpu']:.1f} s, the simulated consoles "
        f"{result['client_cpu']:.1f} s, in about {wall:.0f} s on {os.cpu_count()} cores (the server figure counts "
        f"every session of that server, not only the fleet's; NaN where its process is not readable)"
    )
    return 0 if all(f.verdict != "MISS" for f in figures) else 1


def run_fleet(url: str, admin: sa.Engine, name: str, args: argparse.Namespace) -> dict[str, Any]:
    ready = multiprocessing.Event()
    start_at = multiprocessing.Value("d", 0.0)
    results: multiprocessing.Queue[dict[str, Any]] = multiprocessing.Queue()
    joined = multiprocessing.Value("i", 0)
    groups = [list(range(n, args.consoles, args.processes)) for n in range(args.processes)]
    workers = [
        multiprocessing.Process(target=_group, args=(url, group, args, ready, start_at, joined, results))
        for group in groups
        if group
    ]
    for worker in workers:
        worker.start()
    while joined.value < args.consoles:  # noqa: ASYNC110  (a plain loop: the bench has no event loop)
        time.sleep(0.2)
        if not any(worker.is_alive() for worker in workers):
            raise SystemExit("the simulated consoles exited before joining; see the errors above")
    time.sleep(1.0)  # every console is now in its wait: what an idle fleet holds
    idle = _connections(admin, name)[0]
    start_at.value = time.time() + 1.0
    ready.set()
    peak, by_name = 0, {}
    deadline = start_at.value + args.duration
    while time.time() < deadline:
        count, names = _connections(admin, name)
        if count > peak:
            peak, by_name = count, names
        time.sleep(0.25)
    gathered = [results.get(timeout=args.duration + 120) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for g in gathered for x in g["latencies"])
    pushed = sum(g["pushed"] for g in gathered)
    received = sum(g["received"] for g in gathered)
    return {
        "peak": peak,
        "idle": idle,
        "by_name": by_name,
        "p50": _percentile(latencies, 0.50),
        "p99": _percentile(latencies, 0.99),
        "pushed": pushed,
        "busy": sum(g["busy"] for g in gathered),
        "lost": pushed * (args.consoles - 1) - received,
    }


def _group(
    url: str,
    consoles: list[int],
    args: argparse.Namespace,
    ready: Any,
    start_at: Any,
    joined: Any,
    results: Any,
) -> None:
    from commander.sync.shared import SharedStore

    stores = []
    for number in consoles:
        store = SharedStore(url, application_name=NAME)
        store.poll_seconds = args.poll_seconds
        if args.polling:
            store.listening = False
        store.wait(0, _never())  # connect and LISTEN now, as a console does when it opens
        stores.append((number, store))
        with joined.get_lock():
            joined.value += 1
    ready.wait()
    lock = threading.Lock()
    totals: dict[str, Any] = {"latencies": [], "pushed": 0, "received": 0, "busy": 0}
    threads = [
        threading.Thread(target=_console, args=(number, store, args, start_at.value, lock, totals))
        for number, store in stores
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(totals)


def _console(
    number: int, store: Any, args: argparse.Namespace, start: float, lock: threading.Lock, totals: dict[str, Any]
) -> None:
    from commander.domain.core.events import Actor, Event
    from commander.store.errors import StoreError

    origin = f"fleet-{number}"
    actor = Actor(origin, f"Responder {number}")
    wake = _never()
    end = start + args.duration
    cursor = store.latest()
    next_write = start + random.uniform(0, args.write_every)
    next_beat = start + random.uniform(0, HEARTBEAT_SECONDS)
    mine: list[float] = []
    pushed = received = busy = 0
    busy_until = 0.0
    while True:
        now = time.time()
        if now >= end:
            break
        if now >= next_write:
            at = datetime.now(UTC)
            event = Event(
                str(uuid.uuid4()), "incident:fleet", "note.added", {"text": f"{time.time():.6f}", "pinned": False},
                actor, int(at.timestamp() * 1000) << 16, at, at, origin,
            )  # fmt: skip
            try:
                store.push([event])
                pushed += 1
            except StoreError:  # busy: as the replicator, the console keeps it and tries again next time
                busy += 1
                continue
            next_write += args.write_every
        if now >= next_beat and not args.no_heartbeat:
            next_beat += HEARTBEAT_SECONDS
            try:
                store.heartbeat(origin, actor.name, None, int(now * 1000))
                store.present(int(now * 1000) - 20_000)
            except StoreError:
                busy += 1
        store.wait(max(0.0, min(next_write, next_beat, end) - time.time()), wake)
        time.sleep(max(0.0, busy_until - time.time()))  # the notifications meanwhile share one pull
        cursor, got = _pull(store, cursor, origin, mine)
        received += got
        busy_until = time.time() + args.burst_gap if got else 0.0
    time.sleep(max(0.0, args.write_every / 2))  # the last pushes of the others reach the store
    while True:
        cursor, got = _pull(store, cursor, origin, mine)
        received += got
        if not got:
            break
    store.close()
    with lock:
        totals["latencies"].extend(mine)
        totals["pushed"] += pushed
        totals["received"] += received
        totals["busy"] += busy


def _pull(store: Any, cursor: int, origin: str, latencies: list[float]) -> tuple[int, int]:
    rows, last = store.pull(cursor, 2000)
    now = time.time()
    got = 0
    for _seq, row in rows:
        if row[9] == origin:  # EVENT_COLUMNS: origin
            continue
        payload = row[3] if isinstance(row[3], dict) else json.loads(row[3])
        latencies.append(now - float(payload["text"]))
        got += 1
    return last, got


def _never() -> int:
    """A descriptor that never becomes readable: nothing nudges a light client."""
    read, _write = os.pipe()
    _never.keep.append(_write)  # type: ignore[attr-defined]
    return read


_never.keep = []  # type: ignore[attr-defined]


def _connections(admin: sa.Engine, name: str) -> tuple[int, dict[str, int]]:
    with admin.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT application_name, count(*) FROM pg_stat_activity WHERE datname = :d GROUP BY 1"),
            {"d": name},
        ).all()
    by_name = {str(app): int(count) for app, count in rows}
    return sum(by_name.values()), by_name


def _server_cpu(admin: sa.Engine) -> float:
    """CPU seconds the server's processes used so far: the postmaster's own and its finished children's
    (each connection is a child; its time is added when it exits). NaN when this process cannot read it."""
    try:
        with admin.connect() as conn:
            folder = str(conn.exec_driver_sql("SHOW data_directory").scalar_one())
        pid = Path(folder, "postmaster.pid").read_text().split()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError, sa.exc.DBAPIError):
        return float("nan")
    return sum(int(fields[n]) for n in (11, 12, 13, 14)) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime


def _client_cpu() -> float:
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return children.ru_utime + children.ru_stime


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(share * len(values)))]


def _drop(admin: sa.Engine, name: str) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped the bench database {name}")


@contextlib.contextmanager
def temporary_server(max_connections: int) -> Iterator[str]:
    """A throwaway PostgreSQL cluster on a free port, trusted on 127.0.0.1, deleted afterwards."""
    found = shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)
    if found is None:
        raise SystemExit("--temporary-server needs PostgreSQL's initdb (Debian: the postgresql package).")
    bindir = Path(found).parent
    folder = Path(tempfile.mkdtemp(prefix="commander-fleet-pg-"))
    data = folder / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as the postgres account
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    options = (
        f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={folder} "
        f"-c max_connections={max_connections} -c shared_buffers=256MB -c fsync=on"
    )
    subprocess.run([*run, "-o", options, "-l", str(folder / "log"), "-w", "start"], check=True, capture_output=True)
    print(f"temporary server on 127.0.0.1:{port} with max_connections {max_connections}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
