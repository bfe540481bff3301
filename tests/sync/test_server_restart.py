"""A real PostgreSQL restart in the middle of a stream of notes: nothing lost, nothing twice.

It restarts the machine's own server (pg_ctlcluster, as root), so it runs where that is possible (this
project's machines and CI) and skips with the reason elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from commander.app import incident as app_incident
from commander.app import timeline
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.store.database import Database
from commander.sync.replicator import Replicator

pytestmark = pytest.mark.postgres
Make = Callable[..., tuple[Console, Replicator]]


def _cluster() -> list[str]:
    if shutil.which("pg_ctlcluster") is None or os.geteuid() != 0 or not Path("/etc/postgresql").is_dir():
        pytest.skip("restarting the server needs pg_ctlcluster, run as root, on the machine that runs it")
    version = sorted(os.listdir("/etc/postgresql"))[0]
    return ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main"]


def _ensure_up(cluster: list[str]) -> None:
    if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1"], check=False).returncode != 0:
        subprocess.run([*cluster, "start"], check=False, timeout=120)


def test_a_database_restart_mid_stream_loses_nothing(console_on: Make, pg_url: str) -> None:
    cluster = _cluster()
    Database(pg_url).upgrade()
    alex, sam = console_on("Alex", pg_url), console_on("Sam", pg_url)
    incident = app_incident.declare(alex[0], Declaration(title="Checkout 502s", severity="SEV1"))
    alex[1].run_once()
    received = threading.Event()
    lock = threading.Lock()
    seen: set[str] = set()

    def pulled(_count: int) -> None:
        with lock:
            seen.update(e.id for e in sam[0].catch_up() if e.kind == "note.added")
            if len(seen) >= 60:
                received.set()

    sam[1].on_pulled = pulled
    sam[1].poll_seconds = 0.5
    alex[1].poll_seconds = 0.5
    alex[0].subscribe(lambda events: alex[1].nudge())
    alex[1].start()
    sam[1].start()
    try:
        written = []
        for number in range(60):
            written += [e.id for e in timeline.add_note(alex[0], incident.id, f"note {number}")]
            if number == 20:
                subprocess.run([*cluster, "restart"], check=True, timeout=120)  # mid-stream
            time.sleep(0.02)  # paced on purpose: the stream must still be flowing when the server restarts
        assert received.wait(90), f"only {len(seen)} of 60 notes arrived after the restart"
        assert seen == set(written)
        engine = sa.create_engine(pg_url)
        with engine.connect() as conn:
            ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM events"))]
        engine.dispose()
        assert len(ids) == len(set(ids)) == 62  # declared (2 events) + 60 notes, each once
    finally:
        alex[1].stop()
        sam[1].stop()
        _ensure_up(cluster)
