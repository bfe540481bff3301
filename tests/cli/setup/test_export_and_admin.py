"""`export`, `demo`, `db`, `whoami`, `--version` and the window's entry (with a stand-in for Qt)."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from commander import __version__
from commander.store.errors import SCHEMA_HEAD
from tests.cli.conftest import Run, refused


@pytest.fixture
def ref(declare: Callable[..., str], run: Run) -> str:
    reference = declare("Checkout <b>502s</b> | # pipes", "--service", "checkout-api")
    run("note", reference, 'line one\nline "two", with comma', "--pin")
    return reference


def test_export_to_standard_output_in_each_format(run: Run, ref: str) -> None:
    markdown = run("export", ref, "--format", "md")
    assert markdown.code == 0
    assert markdown.out.startswith(f"# {ref}: Checkout &lt;b&gt;502s&lt;/b&gt; \\| \\# pipes")
    document = run("export", ref, "--format", "json").json()
    assert document["incident"]["reference"] == ref and len(document["events"]) == 3
    rows = list(csv.DictReader(io.StringIO(run("export", ref, "--format", "csv").out, newline="")))
    assert rows[-1]["text"] == 'line one\nline "two", with comma' and rows[-1]["pinned"] == "true"
    assert run("export", ref).out == markdown.out  # Markdown unless told otherwise


def test_export_to_a_file_is_atomic_and_follows_the_extension(run: Run, ref: str, tmp_path: Path) -> None:
    out = tmp_path / "exports"
    out.mkdir()
    target = out / "incident.json"
    target.write_text("old contents")
    result = run("export", ref, "--out", str(target))
    assert (result.code, result.out, result.err) == (0, "", "")
    assert json.loads(target.read_text(encoding="utf-8"))["incident"]["reference"] == ref
    run("export", ref, "--format", "csv", "--out", str(out / "timeline.csv"))
    raw = (out / "timeline.csv").read_bytes()
    assert raw.startswith(b"reference,time_utc,") and b"\r\n" in raw  # RFC 4180 line ends, untranslated
    assert sorted(p.name for p in out.iterdir()) == ["incident.json", "timeline.csv"]  # no temporary left
    assert oct((out / "timeline.csv").stat().st_mode & 0o777) == oct(0o666 & ~_umask())


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_export_that_cannot_be_written_is_refused(run: Run, ref: str, tmp_path: Path) -> None:
    refused(run("export", ref, "--out", str(tmp_path / "missing" / "x.md")), "cannot write", "choose another file")
    (tmp_path / "folder.md").mkdir()
    refused(run("export", ref, "--out", str(tmp_path / "folder.md")), "cannot write")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "store") == ["folder.md"]
    assert list((tmp_path / "folder.md").iterdir()) == []


def test_demo_seeds_a_believable_history_and_can_run_twice(run: Run) -> None:
    result = run("demo")
    references = result.out.split()
    assert result.code == 0 and len(references) == 3
    listed = {row["reference"]: row for row in run("list", "--all", "--json").json()}
    assert [(listed[r]["severity"], listed[r]["status"]) for r in references] == [
        ("SEV1", "mitigated"),
        ("SEV3", "investigating"),
        ("SEV2", "resolved"),
    ]
    sev1 = run("show", references[0], "--json").json()
    assert sev1["incident"]["title"] == "Checkout API returning 502s"
    notes = [e for e in sev1["timeline"] if e["kind"] == "note.added"]
    assert len({e["actor"] for e in notes}) >= 4  # several people wrote it ...
    assert len({e["origin"] for e in sev1["events"]}) >= 4  # ... from their own consoles
    assert any("https://grafana.example.com/" in e["text"] for e in notes)
    assert [e["text"] for e in notes if e["pinned"]][-1] == "Rolled back v2.31 — 502 rate falling"
    assert any(e["edited_by"] for e in notes)
    assert any(e["text"].startswith("Severity raised SEV2 → SEV1: ") for e in sev1["timeline"])
    assert [e["text"].split(":")[0] for e in sev1["timeline"] if e["kind"] == "status.changed"] == [
        "Status investigating → identified",
        "Status identified → mitigated",
    ]
    roles = {r["key"]: r for r in sev1["roles"]}
    assert [t["person"] for t in roles["incident_commander"]["history"]] == ["Priya Shah", "Alex"]  # handoff
    assert all(roles[key]["holder"] for key in ("technical_lead", "communications_lead", "scribe"))
    milestones = sev1["incident"]["milestones"]
    duration = _utc(milestones["mitigated"]) - _utc(milestones["detected"])
    assert 29 * 60 <= duration.total_seconds() <= 31 * 60
    # Written as it happened, not after the fact: only the detected time was set afterwards.
    assert [e["kind"] for e in sev1["timeline"] if e["backdated"]] == ["milestone.set"]
    again = run("demo").out.split()
    assert len(again) == 3 and not set(again) & set(references)
    assert len(run("list", "--all", "--json").json()) == 6


def test_demo_finds_a_stand_in_when_you_share_a_name_with_its_cast(run: Run) -> None:
    sev1 = run("show", run("--as", "Priya Shah", "demo").out.split()[0], "--json").json()
    ic = next(r for r in sev1["roles"] if r["key"] == "incident_commander")
    assert [t["person"] for t in ic["history"]] == ["Priya Shah", "Morgan Diaz"]


def _utc(text: str) -> Any:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_db_upgrade_and_rebuild(run: Run, declare: Callable[..., str], tmp_path: Path) -> None:
    fresh = tmp_path / "other" / "new.db"
    result = run("db", "upgrade", "--url", str(fresh))
    assert result.code == 0 and result.out == f"{fresh}: schema {SCHEMA_HEAD} (up to date)\n"
    declare("one")
    declare("two")
    run("note", run("list", "--json").json()[0]["reference"], "x")
    assert run("db", "rebuild").out == "Rebuilt the incident list: 2 incidents from 5 events.\n"
    assert len(run("list", "--json").json()) == 2
    assert run("db").code == 2  # an action is required


def test_whoami_and_renaming(run: Run) -> None:
    assert run("whoami").out == "Alex\n"
    assert run("whoami", "--as", "Sam").out == "Sam\n"  # this command only
    assert run("whoami").out == "Alex\n"
    assert run("whoami", "--set", "Alex Morgan").out == "Alex Morgan\n"
    assert run("whoami").out == "Alex Morgan\n"
    refused(run("whoami", "--set", "  "), "your name is empty")


def test_version(run: Run) -> None:
    result = run("--version")
    assert (result.code, result.out) == (0, f"commander {__version__}\n")


class _FakeWindow:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def run(self, console: Any, **options: Any) -> int:
        self.calls.append({"user": console.me.name, **options})
        return 0


@pytest.fixture
def window(monkeypatch: pytest.MonkeyPatch) -> _FakeWindow:
    """Stand in for commander.ui.shell.app so these tests check the dispatch without starting Qt."""
    fake = _FakeWindow()
    module = types.ModuleType("commander.ui.shell.app")
    module.run = fake.run  # type: ignore[attr-defined]
    module.NoDisplay = type("NoDisplay", (RuntimeError,), {})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "commander.ui.shell.app", module)
    return fake


def test_no_command_opens_the_window(run: Run, window: _FakeWindow) -> None:
    assert run().code == 0
    assert window.calls == [{"user": "Alex", "screenshot": None, "incident": None, "theme": None}]


def test_no_display_is_a_refusal_with_what_to_do(
    run: Run, window: _FakeWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_screen(console: Any, **options: Any) -> int:
        raise sys.modules["commander.ui.shell.app"].NoDisplay("There is no screen to open the window on.")

    monkeypatch.setattr(sys.modules["commander.ui.shell.app"], "run", no_screen)
    result = run("gui")
    assert result.code == 1 and "no screen" in result.err and "Traceback" not in result.err


def test_no_display_is_detected_before_qt_would_abort(monkeypatch: pytest.MonkeyPatch) -> None:
    from commander.ui.shell.app import display_problem

    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert "--screenshot" in (display_problem() or "")
    monkeypatch.setenv("DISPLAY", ":0")
    assert display_problem() is None
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None


def test_gui_passes_its_options(run: Run, window: _FakeWindow, ref: str, tmp_path: Path) -> None:
    incident_id = run("show", ref, "--json").json()["incident"]["id"]
    shot = str(tmp_path / "shot.png")
    assert run("gui", "--screenshot", shot, "--incident", ref[4:8], "--theme", "light").code == 0
    assert window.calls == [{"user": "Alex", "screenshot": shot, "incident": incident_id, "theme": "light"}]
    refused(run("gui", "--incident", "INC-ZZZZZZZZ"), "no incident matches")
    assert run("gui", "--theme", "pink").code == 2
    assert len(window.calls) == 1


def test_a_missing_window_is_a_refusal_not_a_traceback(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "commander.ui.shell.app", None)  # the import now fails as if not installed
    refused(run("gui"), "the window cannot start", "commander.ui.shell.app is not installed")
