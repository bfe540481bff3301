"""`commander timer`: set, list (table and JSON), cancel by a short id."""

from __future__ import annotations

from collections.abc import Callable

from tests.cli.conftest import Run, refused


def test_set_list_and_cancel(run: Run, declare: Callable[..., str]) -> None:
    ref = declare()
    first = run("timer", "set", ref, "10", "check", "the", "rollback")
    assert first.code == 0 and f"{ref}  timer " in first.out and "set: check the rollback, due " in first.out
    assert "(in 9m)" in first.out or "(in 10m)" in first.out
    assert run("timer", "set", ref, "45", "ask the vendor for an ETA").code == 0
    listed = run("timer", "list", ref)
    header, *rows = listed.out.splitlines()
    assert header.split() == ["ID", "DUE", "STATE", "SET", "BY", "LABEL"]
    assert len(rows) == 2 and "running, 9m left" in rows[0] and rows[0].endswith("check the rollback")
    short_id = rows[0].split()[0]
    timers = run("timer", "list", ref, "--json").json()
    assert [t["label"] for t in timers] == ["check the rollback", "ask the vendor for an ETA"]
    assert timers[0]["id"].startswith(short_id) and timers[0]["running"] and timers[0]["ended"] is None
    cancelled = run("timer", "cancel", ref, short_id)
    assert cancelled.code == 0 and cancelled.out == f"{ref}  timer cancelled: check the rollback\n"
    again = run("timer", "list", ref, "--json").json()
    assert again[0]["ended"] == "cancelled" and not again[0]["running"]
    assert "Timer cancelled: check the rollback" in run("show", ref).out


def test_refusals_say_what_to_do(run: Run, declare: Callable[..., str]) -> None:
    ref = declare()
    refused(run("timer", "set", ref, "0", "too soon"), "1 minute to 24 hours")
    refused(run("timer", "set", ref, "1441", "too late"), "1 minute to 24 hours")
    refused(run("timer", "cancel", ref, "nope"), "has no timer 'nope'", f"commander timer list {ref}")
    assert run("timer", "set", ref, "ten", "minutes").code == 2  # not a number: a usage error
    assert "no timers" in run("timer", "list", ref).out
