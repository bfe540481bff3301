"""Consoles as separate `commander` processes on one PostgreSQL shared store: they stay in step, and a
console killed mid-push loses nothing and sends nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.e2e.test_commander_process import SCRIPT, commander, ok
from tests.helpers.waiting import wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _events(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM events"))]
    engine.dispose()
    return ids


def test_three_commander_processes_stay_in_step(tmp_path: Path, pg_url: str) -> None:
    ok(commander("db", "upgrade", "--url", pg_url))
    stores = [str(tmp_path / f"{name}.db") for name in ("alex", "sam", "kim")]
    for store in stores:
        ok(commander("--db", store, "remote", "set", pg_url, "--no-password"))
    ref = ok(commander("--db", stores[0], "declare", "--title", "Checkout 502s", "--severity", "SEV1")).strip()
    ok(commander("--db", stores[0], "sync"))
    for number, store in enumerate(stores[1:], start=1):
        ok(commander("--db", store, "sync"))
        ok(commander("--db", store, "--as", f"Person {number}", "note", ref, f"from console {number}"))
        ok(commander("--db", store, "sync"))
    for store in stores:
        ok(commander("--db", store, "sync"))
    shown = [ok(commander("--db", store, "show", ref)) for store in stores]
    assert "from console 1" in shown[0] and "from console 2" in shown[0]
    timelines = [text[text.index("Timeline") :] if "Timeline" in text else text for text in shown]
    assert timelines[0] == timelines[1] == timelines[2]


def test_a_console_killed_mid_push_loses_nothing_and_sends_nothing_twice(tmp_path: Path, pg_url: str) -> None:
    ok(commander("db", "upgrade", "--url", pg_url))
    store = str(tmp_path / "alex.db")
    ok(commander("--db", store, "remote", "set", pg_url, "--no-password"))
    ref = ok(commander("--db", store, "declare", "--title", "Offline work", "--severity", "SEV2")).strip()
    # Work done while offline: thousands of events waiting in the outbox.
    code = (
        "from commander.app import timeline\n"
        "from commander.app.bootstrap import build_console\n"
        f"c = build_console({store!r}); i = c.resolve({ref!r}).id\n"
        "for n in range(4000): timeline.add_note(c, i, f'offline note {n}')\n"
        "c.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300, env=os.environ.copy())
    pushing = subprocess.Popen(
        [str(SCRIPT), "--db", store, "sync"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(lambda: _events(pg_url), 60, 0.01, message="the sync never pushed its first batch")
    pushing.send_signal(signal.SIGKILL)  # mid-push: some batches are in, the outbox still holds others
    pushing.wait(timeout=30)
    partial = len(_events(pg_url))
    assert 0 < partial < 4002, "the push was not interrupted midway; the test proves nothing"
    out = ok(commander("--db", store, "sync"))
    assert out.strip().endswith("0 waiting.")
    ids = _events(pg_url)
    assert len(ids) == len(set(ids)) == 4002  # every event there, none twice
