"""The real `commander` command, run as a separate process against a store in a temporary folder."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).with_name("commander")  # the console script pip installed beside python
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def commander(*argv: str, stdin: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed console script; the environment (private home, TZ, offscreen Qt) is inherited."""
    assert SCRIPT.exists(), f"{SCRIPT} is missing: install the package with pip install -e '.[test]'"
    return subprocess.run(
        [str(SCRIPT), *argv],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ.copy(),
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def test_declare_note_severity_status_show_export_list(tmp_path: Path) -> None:
    db = str(tmp_path / "commander.db")
    ref = ok(
        commander(
            "--db",
            db,
            "declare",
            "--title",
            "Checkout API returning 502s",
            "--severity",
            "SEV2",
            "--service",
            "checkout-api",
            "--detected-at",
            "20m ago",
        )
    ).strip()
    assert ref.startswith("INC-") and len(ref) == 12
    note_id = ok(commander("--db", db, "note", ref[4:10].lower(), "-", stdin="Rolled back v2.31\n502s falling\n"))
    ok(commander("--db", db, "--as", "Sam", "note", ref, "pods OOMKilled", "--pin"))
    assert (
        ok(commander("--db", db, "severity", ref, "SEV1", "--reason", "all regions"))
        == f"{ref}  Severity raised SEV2 → SEV1: all regions\n"
    )
    ok(commander("--db", db, "milestone", ref, "acknowledged", "15m ago"))
    ok(commander("--db", db, "status", ref, "mitigated", "--at", "1m ago", "--reason", "rolled back"))

    document = json.loads(ok(commander("--db", db, "show", ref, "--json")))
    assert document["incident"]["severity"] == "SEV1" and document["incident"]["status"] == "mitigated"
    notes = {e["event_id"]: e for e in document["timeline"] if e["kind"] == "note.added"}
    assert notes[note_id.strip()]["text"] == "Rolled back v2.31\n502s falling"
    assert [e["actor"] for e in notes.values() if e["pinned"]] == ["Sam"]
    assert "Rolled back v2.31" in ok(commander("--db", db, "show", ref))

    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("md", "json", "csv"):
        ok(commander("--db", db, "export", ref, "--format", fmt, "--out", str(out / f"incident.{fmt}")))
    markdown = (out / "incident.md").read_text(encoding="utf-8")
    assert markdown.startswith(f"# {ref}: Checkout API returning 502s")
    assert json.loads((out / "incident.json").read_text(encoding="utf-8"))["incident"]["reference"] == ref
    rows = list(csv.DictReader(io.StringIO((out / "incident.csv").read_text(encoding="utf-8"), newline="")))
    assert {row["text"] for row in rows} >= {"Rolled back v2.31\n502s falling", "pods OOMKilled"}
    assert sorted(p.name for p in out.iterdir()) == ["incident.csv", "incident.json", "incident.md"]

    listed = ok(commander("--db", db, "list")).splitlines()
    assert listed[1].split()[:3] == [ref, "SEV1", "mitigated"]


def test_python_dash_m_and_exit_statuses(tmp_path: Path) -> None:
    version = subprocess.run(
        [sys.executable, "-m", "commander", "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert (version.returncode, version.stdout.strip()) == (0, "commander 0.1.0")
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("not a database\n" * 100)
    refused = commander("--db", str(not_a_db), "list")
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.startswith("commander: ") and "Traceback" not in refused.stderr
    usage = commander("--db", str(tmp_path / "c.db"), "severity")
    assert usage.returncode == 2 and "usage: commander severity" in usage.stderr


WRITER = """
import sys
from commander.cli.main import main

db, ref = sys.argv[1], sys.argv[2]
number = 0
while True:
    number += 1
    if main(["--db", db, "note", ref, f"note {number}"]) != 0:
        sys.exit(1)
    sys.stdout.flush()  # the id is printed only after the note's transaction has committed
"""


def test_a_note_reported_saved_survives_a_kill(tmp_path: Path) -> None:
    """A writer appends notes in a loop, printing each id once `note` returns; SIGKILL it mid-run."""
    db = str(tmp_path / "commander.db")
    ref = ok(commander("--db", db, "declare", "--title", "Durability", "--severity", "SEV3")).strip()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, db, ref],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    reported: list[str] = []
    try:
        assert writer.stdout is not None
        deadline = time.monotonic() + 60
        while len(reported) < 40 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            reported.append(line.strip())
    finally:
        writer.send_signal(signal.SIGKILL)  # mid-run: it is already writing the next note
        rest, errors = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL, errors
    reported += [line for line in rest.split("\n")[:-1] if line]  # whole lines only: those were reported
    assert len(reported) >= 40, errors
    document = json.loads(ok(commander("--db", db, "show", ref, "--json")))
    stored = {e["id"] for e in document["events"] if e["kind"] == "note.added"}
    assert [note for note in reported if note not in stored] == []
    assert len(stored) in (len(reported), len(reported) + 1)  # at most the one being written when killed


def test_gui_screenshot_writes_a_png(tmp_path: Path) -> None:
    db = str(tmp_path / "commander.db")
    ok(commander("--db", db, "demo"))
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [str(SCRIPT), "--db", db, "gui", "--screenshot", str(shot), "--theme", "dark"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
