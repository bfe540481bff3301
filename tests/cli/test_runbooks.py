"""`commander runbook …` in-process: import with its report, list, show, search, export, reviewed, diff."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import Result, Run, refused

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runbooks"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return Path(shutil.copytree(FIXTURES, tmp_path / "runbooks"))


@pytest.fixture
def imported(run: Run, folder: Path) -> Result:
    result = run("runbook", "import", str(folder))
    assert result.code == 0, result.err
    return result


def test_import_prints_the_report_and_progress_goes_to_stderr(imported: Result, run: Run, folder: Path) -> None:
    assert imported.out.splitlines()[0] == "Imported 6 new, 0 new versions, 0 unchanged, 0 skipped."
    assert "  v1   Kube Pod Crash Looping  (" in imported.out
    assert imported.err == "Read 6 files.\n"
    (folder / "notes.md").write_bytes(b"\x00\x01binary")
    again = run("runbook", "import", str(folder), "--json")
    report = again.json()
    assert again.code == 0
    assert len(report["unchanged"]) == 6 and report["imported"] == report["updated"] == []
    assert [(Path(s["path"]).name, s["reason"]) for s in report["skipped"]] == [("notes.md",
                                                                                "binary file, not text")]


def test_an_import_where_nothing_could_be_read_exits_1(run: Run, tmp_path: Path) -> None:
    result = run("runbook", "import", str(tmp_path / "missing"))
    assert result.code == 1
    assert "skipped " in result.out and "no such file or folder" in result.out


def test_list_marks_stale_runbooks_and_filters_them(imported: Result, run: Run) -> None:
    listed = run("runbook", "list")
    assert listed.code == 0
    lines = listed.out.splitlines()
    assert lines[0].split() == ["ID", "VER", "REVIEWED", "SERVICES", "TITLE"]
    assert any("never STALE" in line and line.endswith("Kube Pod Crash Looping") for line in lines)
    assert run("runbook", "reviewed", "kube pod crash", "--note", "Walked through it").code == 0
    stale = run("runbook", "list", "--stale", "--json").json()
    assert "Kube Pod Crash Looping" not in [entry["title"] for entry in stale]
    assert len(stale) == 5 and all(entry["stale"] for entry in stale)
    fresh = next(e for e in run("runbook", "list", "--json").json() if e["title"] == "Kube Pod Crash Looping")
    assert (fresh["stale"], fresh["version"], fresh["alerts"]) == (False, 1, ["KubePodCrashLooping"])


def test_an_empty_library_says_how_to_fill_it(run: Run) -> None:
    assert run("runbook", "list").out == ("No runbooks yet. `commander runbook import FOLDER` imports a folder of "
                                          "Markdown runbooks.\n")


def test_show_prints_steps_with_their_ids_commands_and_links(imported: Result, run: Run) -> None:
    shown = run("runbook", "show", "postgres-replication-lag")
    assert shown.code == 0
    lines = shown.out.splitlines()
    assert lines[0] == "PostgreSQL replica lagging behind the primary"
    assert "Services: orders-db, reporting" in lines
    assert "Link:     Replication dashboard  https://grafana.example.com/d/pg-replication" in lines
    assert "  s1.1     [diagnose] Measure the lag on the replica:" in lines
    assert "             $ SELECT now() - pg_last_xact_replay_timestamp() AS lag;" in lines
    assert "    s1.2.1   [diagnose] On the primary: `psql -c \"SELECT client_addr, state, sent_lsn, replay_lsn FROM " \
           "pg_stat_replication;\"`" in lines
    assert "             -> https://grafana.example.com/d/pg-replication" in lines


def test_search_by_words_and_by_the_incidents_services(imported: Result, run: Run) -> None:
    found = run("runbook", "search", "drain")
    assert found.out.splitlines()[1].endswith("Kube Node Not Ready")
    fitting = run("runbook", "search", "--service", "checkout", "--json").json()
    assert [(e["title"], e["why"]) for e in fitting] == [("Checkout API returning 5xx", ["service checkout"])]
    assert run("runbook", "search", "zzzz").out.startswith("No runbook matches.")


def test_export_as_yaml_and_markdown_and_import_back(imported: Result, run: Run, tmp_path: Path) -> None:
    target = tmp_path / "redis.yaml"
    result = run("runbook", "export", "redis", "--out", str(target))
    assert result.code == 0 and result.out == ""
    assert target.read_text(encoding="utf-8").startswith("# Commander runbook 'Redis memory above 90%', version 1.")
    again = run("runbook", "import", str(target), "--json").json()
    assert [e["title"] for e in again["unchanged"]] == ["Redis memory above 90%"]
    markdown = run("runbook", "export", "redis", "--format", "md")
    assert "\n# Redis memory above 90%\n" in markdown.out
    assert "  redis-cli -h sessions-cache --bigkeys" in markdown.out


def test_diff_between_versions(imported: Result, run: Run, folder: Path) -> None:
    file = folder / "legacy" / "disk-full.md"
    file.write_text(file.read_text(encoding="utf-8").replace("Tell the team in #db.", "Tell #db-oncall."),
                    encoding="utf-8")
    updated = run("runbook", "import", str(folder))
    assert updated.out.startswith("Imported 0 new, 1 new version, 5 unchanged, 0 skipped.")
    shown = run("runbook", "diff", "disk full", "1", "2").out.splitlines()
    assert shown[:2] == ["--- version 1", "+++ version 2"]
    assert "-- Tell the team in #db." in shown and "+- Tell #db-oncall." in shown
    assert run("runbook", "diff", "disk full", "2", "2").out.startswith("Versions 2 and 2 of ")
    refused(run("runbook", "diff", "disk full", "1", "3"), "has versions 1 to 2; there is no version 3")
    assert run("runbook", "show", "disk full", "--version", "1").out.count("Tell the team in #db.") == 1


def test_unknown_and_ambiguous_names_are_refused_in_one_sentence(imported: Result, run: Run) -> None:
    refused(run("runbook", "show", "no such runbook"), "No runbook matches 'no such runbook'",
            "commander runbook search")
    refused(run("runbook", "show", "kube"), "'kube' matches 2 runbooks", "Type more of the title")
