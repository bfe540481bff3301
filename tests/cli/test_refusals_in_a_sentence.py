"""Stores and input the console cannot use are refused in one sentence that says what to do, never with
a traceback: a damaged store file, an in-memory or MySQL store, bytes that are not UTF-8 (in a reference
or on standard input), and `db grant-roles` on a database that has no Commander schema yet."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Run, refused


def _stdin_bytes(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """Standard input as a real one is: bytes behind a text layer (POSIX locale: surrogateescape)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape"))


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_store_file_is_refused_and_left_as_it_is(
    run: Run, declare: Callable[..., str], db: Path, damage: str
) -> None:
    reference = declare("Checkout API returning 502s")
    for sidecar in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        assert not sidecar.exists()  # everything is in the file itself once the command has ended
    data = bytearray(db.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 2]
    else:
        data[100:4096] = b"\x5a" * (4096 - 100)  # the first page's b-tree, past its 100-byte header
    db.write_bytes(bytes(data))
    for argv in (("list",), ("show", reference), ("declare", "--title", "another one")):
        refused(
            run(*argv),
            f"{db} is damaged",
            "changed nothing",
            "restore it from a backup",
            "choose another store with --db",
        )
    assert db.read_bytes() == bytes(data)


def test_an_in_memory_store_is_refused_because_the_console_needs_a_file(run: Run) -> None:
    for url in ("sqlite:///:memory:", "sqlite://", "sqlite:///file::memory:?uri=true"):
        refused(
            run("declare", "--title", "lost at once", store=url),
            "the console needs a store that lasts",
            "give a file path",
        )


def test_a_mysql_store_is_refused_naming_the_two_that_work(run: Run) -> None:
    refused(
        run("list", store="mysql://ops:s3cret@127.0.0.1/commander"),
        "cannot open mysql://ops:***@127.0.0.1/commander: it is a MySQL database",
        "SQLite or PostgreSQL only",
        "postgresql+psycopg://host/db",
    )
    assert "s3cret" not in run("list", store="mysql+pymysql://ops:s3cret@127.0.0.1/commander").err


def test_a_reference_that_is_not_utf8_is_refused(run: Run, declare: Callable[..., str]) -> None:
    declare()
    not_utf8 = b"INC-\xff".decode("utf-8", "surrogateescape")  # as Python hands such an argument over
    refused(run("show", not_utf8), "The reference 'INC-\\xff' is not UTF-8 text", "commander list")
    refused(run("note", not_utf8, "a note"), "is not UTF-8 text")


def test_a_secret_on_standard_input_that_is_not_utf8_is_refused(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    _stdin_bytes(monkeypatch, b"t\xffken\n")
    refused(
        run("alerts", "source", "add", "alertmanager", "prod", "--url", "https://am.example", "--auth", "bearer"),
        "The secret is not UTF-8 text",
        "type or paste it again",
    )
    assert "No alert sources yet" in run("alerts", "source", "list").out
    _stdin_bytes(monkeypatch, b"pa\xfe\xffss\n")
    refused(
        run("remote", "set", "postgresql+psycopg://ops@127.0.0.1:9/commander", "--password-stdin"),
        "What was typed or piped in is not UTF-8 text (byte 0xfe cannot be read)",
    )


def test_grant_roles_on_a_database_without_the_schema_says_to_upgrade_first(run: Run, pg_url: str) -> None:
    refused(
        run("db", "grant-roles", "--url", pg_url, "--responder", "bob"),
        "has no Commander schema yet",
        f"Run `commander db upgrade --url {pg_url}` first",
    )
    assert run("db", "upgrade", "--url", pg_url).code == 0
    granted = run("db", "grant-roles", "--url", pg_url)
    assert granted.code == 0, granted.err
