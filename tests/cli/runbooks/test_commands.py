"""`commander runbook …` in-process: import with its report, list, show, search, export, reviewed, diff."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.cli.conftest import Result, Run, refused

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"


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
    assert [(Path(s["path"]).name, s["reason"]) for s in report["skipped"]] == [("notes.md", "binary file, not text")]


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
    assert run("runbook", "list").out == (
        "No runbooks yet. `commander runbook import FOLDER` imports a folder of Markdown runbooks.\n"
    )


def test_show_prints_steps_with_their_ids_commands_and_links(imported: Result, run: Run) -> None:
    shown = run("runbook", "show", "postgres-replication-lag")
    assert shown.code == 0
    lines = shown.out.splitlines()
    assert lines[0] == "PostgreSQL replica lagging behind the primary"
    assert "Services: orders-db, reporting" in lines
    assert "Link:     Replication dashboard  https://grafana.example.com/d/pg-replication" in lines
    assert "  s1.1     [diagnose] Measure the lag on the replica:" in lines
    assert "             sql> SELECT now() - pg_last_xact_replay_timestamp() AS lag;" in lines  # a query, not "$ "
    # Inline Markdown is printed as its plain words (issue 12, item 4): no backticks.
    assert (
        '    s1.2.1   [diagnose] On the primary: psql -c "SELECT client_addr, state, sent_lsn, replay_lsn FROM '
        'pg_stat_replication;"' in lines
    )
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
    file.write_text(
        file.read_text(encoding="utf-8").replace("Tell the team in #db.", "Tell #db-oncall."), encoding="utf-8"
    )
    updated = run("runbook", "import", str(folder))
    assert updated.out.startswith("Imported 0 new, 1 new version, 5 unchanged, 0 skipped.")
    shown = run("runbook", "diff", "disk full", "1", "2").out.splitlines()
    assert shown[:2] == ["--- version 1", "+++ version 2"]
    assert "-- Tell the team in #db." in shown and "+- Tell #db-oncall." in shown
    assert run("runbook", "diff", "disk full", "2", "2").out.startswith("Versions 2 and 2 of ")
    refused(run("runbook", "diff", "disk full", "1", "3"), "has versions 1 to 2; there is no version 3")
    assert run("runbook", "show", "disk full", "--version", "1").out.count("Tell the team in #db.") == 1


def test_unknown_and_ambiguous_names_are_refused_in_one_sentence(imported: Result, run: Run) -> None:
    refused(
        run("runbook", "show", "no such runbook"), "No runbook matches 'no such runbook'", "commander runbook search"
    )
    ambiguous = run("runbook", "show", "kube")
    assert (ambiguous.code, ambiguous.out) == (1, "")
    lines = ambiguous.err.splitlines()
    assert lines[0] == "commander: 'kube' matches 2 runbooks. Name one by its id or its file's path:"
    assert lines[1].split() == ["ID", "TITLE", "FILE"]
    files = sorted(Path(line.split()[-1]).parts[-2:] for line in lines[2:4])
    assert files == [("kubernetes", "KubeNodeNotReady.md"), ("kubernetes", "KubePodCrashLooping.md")]
    assert lines[4] == "For example: commander runbook show kubernetes/KubeNodeNotReady.md"
    assert run("runbook", "show", "kubernetes/KubeNodeNotReady.md").out.startswith("Kube Node Not Ready\n")


def _git_repository(folder: Path, when: str) -> None:
    """Make `folder` a git repository with everything in it committed at `when`."""
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": when,
        "GIT_COMMITTER_DATE": when,
        "GIT_AUTHOR_NAME": "Alex",
        "GIT_AUTHOR_EMAIL": "alex@example.com",
        "GIT_COMMITTER_NAME": "Alex",
        "GIT_COMMITTER_EMAIL": "alex@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "runbooks"]):
        subprocess.run(["git", "-C", str(folder), *command], check=True, capture_output=True, env=env)


def test_runbooks_in_git_show_when_they_last_changed_instead_of_never(run: Run, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(FIXTURES, tmp_path / "ops"))
    _git_repository(folder, "2025-03-02T10:00:00+00:00")
    assert run("runbook", "import", str(folder)).code == 0
    lines = run("runbook", "list").out.splitlines()
    assert any(
        "changed in git 2025-03-02 STALE" in line and line.endswith("Disk full on a database host") for line in lines
    ), lines
    assert not any("never" in line for line in lines)
    shown = run("runbook", "show", "disk full").out
    assert "Reviewed: changed in git 2025-03-02 (STALE: review it; the policy allows 90 days)" in shown
    [entry] = [e for e in run("runbook", "list", "--json").json() if e["title"] == "Disk full on a database host"]
    assert (entry["reviewed_at"], entry["changed_in_git"]) == (None, "2025-03-02T10:00:00Z")


def test_two_runbooks_with_one_title_are_told_apart_by_their_files(run: Run, tmp_path: Path) -> None:
    for team in ("payments", "search"):
        (tmp_path / "ops" / team).mkdir(parents=True)
        (tmp_path / "ops" / team / "high-latency.md").write_text(
            f"# High latency\n\n- Check {team}\n", encoding="utf-8"
        )
    assert run("runbook", "import", str(tmp_path / "ops")).code == 0
    both = run("runbook", "show", "high latency")
    assert both.code == 1 and both.out == ""
    lines = both.err.splitlines()
    assert (
        lines[0] == "commander: 'High latency' matches 2 runbooks. Name one by its id or its file's path:"
        or lines[0] == "commander: 'high latency' matches 2 runbooks. Name one by its id or its file's path:"
    )
    assert [line.split()[-1] for line in lines[2:4]] == [
        str(tmp_path / "ops" / "payments" / "high-latency.md"),
        str(tmp_path / "ops" / "search" / "high-latency.md"),
    ]
    assert lines[4] == "For example: commander runbook show payments/high-latency.md"
    for name, team in (
        ("payments/high-latency.md", "payments"),
        ("search/high-latency", "search"),
        (str(tmp_path / "ops" / "search" / "high-latency.md"), "search"),
    ):
        shown = run("runbook", "show", name)
        assert shown.code == 0, shown.err
        assert f"Check {team}" in shown.out and f"Source:   {tmp_path / 'ops' / team / 'high-latency.md'}" in shown.out
    assert run("runbook", "reviewed", "search/high-latency.md").code == 0


def test_files_that_are_not_runbooks_are_listed_as_skipped_with_why(run: Run, tmp_path: Path) -> None:
    folder = Path(shutil.copytree(FIXTURES, tmp_path / "ops"))
    (folder / "OWNERS").write_text("approvers: [alex]\n", encoding="utf-8")
    (folder / "diagram.png").write_bytes(b"\x89PNG")
    (folder / "kubernetes" / "README.md").write_text(
        "# Kubernetes\n\n- [Node not ready](KubeNodeNotReady.md)\n", encoding="utf-8"
    )
    for number in range(25):
        (folder / "legacy" / f"check_{number:02}.sh").write_text("#!/bin/sh\n", encoding="utf-8")
    result = run("runbook", "import", str(folder))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].endswith(" new versions, 0 unchanged, 28 skipped (28 not runbooks)."), lines[0]
    skipped = [line for line in lines if line.startswith("  skipped ")]
    assert f"  skipped {folder / 'OWNERS'}: a list of owners or reviewers, not a runbook" in skipped
    assert f"  skipped {folder / 'diagram.png'}: an image, not a runbook" in skipped
    assert (
        f"  skipped {folder / 'kubernetes' / 'README.md'}: an index page (only links to other pages), not a "
        f"runbook" in skipped
    )
    assert f"  skipped {folder / 'legacy' / 'check_00.sh'}: not Markdown or YAML, so not a runbook" in skipped
    assert skipped[-1] == "  skipped 8 more files that are not runbooks (--json lists them all)"
    report = run("runbook", "import", str(folder), "--json").json()
    assert len(report["skipped"]) == 28
