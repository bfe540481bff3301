"""What reaches a terminal carries no control characters, whoever wrote the text; typed times outside
1970 to 2199 are refused; a refusal about your own name reads right."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from commander.app.bootstrap import build_console
from commander.cli.main import main
from commander.domain.core.events import EventDraft, incident_stream
from tests.cli.conftest import Run, refused

HOSTILE = "Rolled back\x1b]0;pwned\x07 v2.31\x1b[2J\x07, ok\rFORGED \x9b31mred\x1b[0m done"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def on_a_terminal(monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str]:
    out, err = Terminal(), Terminal()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    code = main(list(argv))
    return code, out.getvalue() + err.getvalue()


def test_a_peers_note_reaches_the_terminal_without_its_controls(
    declare: Callable[..., str], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = declare("Checkout API returning 502s")
    console = build_console(str(db))
    try:  # as another console (or psql) would have written it: no cleaning on the way in
        [summary] = console.incidents()
        hostile = EventDraft(incident_stream(summary.id), "note.added", {"text": HOSTILE, "pinned": True})
        console.perform(summary.id, lambda state: [hostile])
    finally:
        console.close()
    for argv in (("show", reference), ("export", reference), ("export", reference, "--format", "csv")):
        code, shown = on_a_terminal(monkeypatch, "--db", str(db), *argv)
        assert code == 0, shown
        assert "Rolled back" in shown and "done" in shown, argv
        unsafe = sorted(
            {f"{ord(c):#x}" for c in shown if (ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F}
        )
        assert unsafe == [], (argv, unsafe)
        if argv[0] == "show":  # whole sequences go, not just their ESC (a Markdown export escapes its own text)
            assert "pwned" not in shown and "[2J" not in shown and "31m" not in shown


def test_a_detected_time_before_1970_or_after_2199_is_refused(run: Run) -> None:
    for typed in ("0001-01-01", "1969-12-31T23:00:00Z", "2200-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00"):
        refused(
            run("declare", "--title", "Checkout API", "--detected-at", typed),
            f"'{typed}'",
            "Commander keeps times from 1970 to 2199",
            "check the year",
        )
    assert run("list", "--all").out.startswith("No incidents yet")


def test_report_dates_outside_the_years_kept_are_refused(run: Run) -> None:
    refused(run("report", "--since", "0001-01-01"), "'0001-01-01' is before 1970")
    refused(run("report", "--until", "9999-12-31"), "'9999-12-31' is after 2199")


def test_an_empty_name_of_your_own_reads_right(run: Run) -> None:
    refused(run("whoami", "--set", "   "), "Your name is empty. Type a few words.")
    assert "The your name" not in run("whoami", "--set", "   ").err


def test_a_due_day_outside_the_years_kept_is_refused(run: Run, declare: Callable[..., str]) -> None:
    reference = declare()
    for typed, fragment in (
        ("0001-01-01", "'0001-01-01' is before 1970"),
        ("2200-01-01", "'2200-01-01' is after 2199"),
        ("9999-12-31", "'9999-12-31' is after 2199"),
    ):
        refused(run("action", "add", reference, "Alert on consumer lag", "--due", typed), fragment)
    item = run("action", "add", reference, "Alert on consumer lag", "--due", "2027-03-01").out.strip()
    refused(run("action", "edit", item, "--due", "0001-01-01"), "before 1970")


def test_commanders_own_progress_line_still_rewrites_itself_on_a_terminal(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "db-failover.md").write_text("# Database failover\n\n1. Promote the replica\n", encoding="utf-8")
    code, shown = on_a_terminal(monkeypatch, "--db", str(db), "runbook", "import", str(folder))
    assert code == 0, shown
    assert "\r\x1b[KReading runbooks: 1/1  db-failover.md\n" in shown
