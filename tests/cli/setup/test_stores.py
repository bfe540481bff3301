"""Stores the command line cannot use, or may only read, and references that never collide."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from commander.app import incident
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from tests.cli.conftest import Run, refused


def test_a_file_that_is_not_a_database_is_left_untouched(run: Run, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"These are my incident notes, not a database.\n" * 200)
    before = notes.read_bytes()
    for argv in (("list",), ("declare", "--title", "x"), ("db", "upgrade")):
        refused(
            run(*argv, store=notes),
            f"{notes} is not a Commander database",
            "nothing was changed",
            "choose another store with --db",
        )
    assert notes.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # no journal or WAL files beside it


def test_a_store_from_a_newer_commander_says_to_update(run: Run, declare: Callable[..., str], db: Path) -> None:
    declare("written before the downgrade")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.close()
    before = db.read_bytes()
    for argv in (("list",), ("note", "INC-", "x"), ("db", "upgrade")):
        refused(run(*argv), "written by a newer commander (schema 9999", "update commander to open it")
    assert db.read_bytes() == before


def test_a_read_only_store_can_be_read_but_refuses_changes(run: Run, declare: Callable[..., str], db: Path) -> None:
    reference = declare("Checkout API returning 502s")
    read_only = f"sqlite:///file:{db}?mode=ro&uri=true"
    listed = run("list", "--json", store=read_only)
    assert listed.code == 0 and listed.json()[0]["reference"] == reference
    refused(
        run("note", reference, "x", store=read_only),
        "is read-only",
        "nothing new can be saved",
        "everything already saved is intact",
    )
    assert [e["kind"] for e in run("show", reference, "--json").json()["events"]] == [
        "incident.declared",
        "role.assigned",
    ]
    assert not any(name.startswith("file:") for name in os.listdir("."))  # no stray folder from the URI


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0,
    reason="root ignores file permissions, so chmod cannot make the store read-only; "
    "the read-only URI test above covers the same refusal",
)
def test_a_store_made_read_only_by_permissions(run: Run, declare: Callable[..., str], db: Path) -> None:
    reference = declare("Checkout API returning 502s")
    db.chmod(0o444)
    db.parent.chmod(0o555)
    try:
        refused(run("note", reference, "x"), "read-only")
    finally:
        db.parent.chmod(0o755)
        db.chmod(0o644)


def test_stores_the_command_line_cannot_open(run: Run, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    refused(run("list", store=blocker / "commander.db"), "cannot open the store", "choose another store with --db")
    refused(run("list", store="nosuchdb://host/x"), "cannot open nosuchdb://host/x", "sqlite:///")
    result = run("list", store="postgresql+nodriver://user:s3cret@host/db")
    refused(result, "cannot open postgresql+nodriver://user:***@host/db")
    assert "s3cret" not in result.err


def test_a_missing_or_broken_policy_is_explained(run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[[severity]\nkey = ")
    monkeypatch.setenv("COMMANDER_POLICY", str(policy))
    refused(run("list"), f"cannot read the policy file {policy}", "unset commander_policy")
    monkeypatch.delenv("COMMANDER_POLICY")

    def missing() -> Path:
        raise FileNotFoundError("Commander's resources folder is missing (looked in: /nowhere). Reinstall Commander.")

    monkeypatch.setattr("commander.app.setup.resources.resources_dir", missing)
    refused(run("list"), "resources folder is missing", "reinstall commander")


def test_a_bug_still_shows_its_traceback(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: Console, *, include_closed: bool = True) -> list[object]:
        raise RuntimeError("a bug, not a refusal")

    monkeypatch.setattr(Console, "incidents", broken)
    with pytest.raises(RuntimeError, match="a bug, not a refusal"):
        run("list")


def test_references_from_two_separate_stores_never_collide(run: Run, tmp_path: Path) -> None:
    """Two consoles apart (no shared store) each declare 500 incidents; merged, all 1,000 differ."""
    stores = [tmp_path / "east.db", tmp_path / "west.db"]
    for store in stores:
        console = build_console(str(store))
        try:
            for number in range(500):
                incident.declare(console, Declaration(title=f"incident {number}", severity="SEV3"))
        finally:
            console.close()
    listed = [run("list", "--all", "--json", store=store).json() for store in stores]
    references = [row["reference"] for rows in listed for row in rows]
    ids = [row["id"] for rows in listed for row in rows]
    assert [len(rows) for rows in listed] == [500, 500]
    assert len(set(references)) == len(references) == 1000
    assert len(set(ids)) == 1000
