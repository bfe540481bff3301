"""A runbook's identity across folder depths, clones and libraries imported the old way; git's dates as
the last review of files without one; one `git log` per repository."""

from __future__ import annotations

import os
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.app.runbooks import sources as runbook_sources
from commander.domain.runbooks import library as domain

KUBE = "# Kube node not ready\n\n## Diagnosis\n\n- Check the node: `kubectl describe node NODE`\n"
DISK = "# Disk full\n\n## Mitigation\n\n- Delete old logs: `find /var/log -mtime +7 -delete`\n"


def git(repository: Path, *args: str, when: str = "2025-03-02T10:00:00+00:00") -> None:
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
    subprocess.run(["git", "-C", str(repository), *args], check=True, capture_output=True, env=env)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """A git repository holding runbooks/kubernetes/node-not-ready.md (committed 2025-03-02) and
    runbooks/storage/disk-full.md (2025-03-02, changed again 2026-01-15)."""
    repo = tmp_path / "clone-a"
    (repo / "runbooks" / "kubernetes").mkdir(parents=True)
    (repo / "runbooks" / "storage").mkdir()
    git(repo, "init", "-q", "-b", "main")
    (repo / "runbooks" / "kubernetes" / "node-not-ready.md").write_text(KUBE, encoding="utf-8")
    (repo / "runbooks" / "storage" / "disk-full.md").write_text(DISK, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "runbooks")
    (repo / "runbooks" / "storage" / "disk-full.md").write_text(DISK + "- Tell #storage.\n", encoding="utf-8")
    git(repo, "commit", "-q", "-am", "tell storage", when="2026-01-15T09:30:00+01:00")
    return repo


def clone(repository: Path, where: Path) -> Path:
    git(repository, "clone", "-q", str(repository), str(where))
    return where


def test_a_sub_folder_and_a_second_clone_update_the_same_runbooks(
    console: Console, repository: Path, tmp_path: Path
) -> None:
    first = runbooks.import_paths(console, [repository / "runbooks"])
    assert len(first.imported) == 2
    ids = {entry.title: entry.runbook_id for entry in first.imported}
    again = runbooks.import_paths(console, [repository / "runbooks" / "kubernetes"])
    assert (again.imported, again.updated, [e.title for e in again.unchanged]) == ([], [], ["Kube node not ready"])
    other = clone(repository, tmp_path / "elsewhere" / "ops")
    deeper = runbooks.import_paths(console, [other / "runbooks" / "storage"])
    assert (deeper.imported, deeper.updated) == ([], [])
    assert [(e.title, e.runbook_id) for e in deeper.unchanged] == [("Disk full", ids["Disk full"])]
    whole = runbooks.import_paths(console, [other])
    assert len(whole.unchanged) == 2 and whole.imported == whole.updated == []
    assert len(runbooks.library(console)) == 2
    # The id is the path within the repository, whichever folder was imported.
    assert ids["Kube node not ready"] == domain.runbook_id_for(path="runbooks/kubernetes/node-not-ready")


def test_a_changed_file_in_a_second_clone_is_a_new_version_of_the_same_runbook(
    console: Console, repository: Path, tmp_path: Path
) -> None:
    runbooks.import_paths(console, [repository / "runbooks" / "kubernetes"])
    other = clone(repository, tmp_path / "clone-b")
    file = other / "runbooks" / "kubernetes" / "node-not-ready.md"
    file.write_text(KUBE + "- Cordon it.\n", encoding="utf-8")
    report = runbooks.import_paths(console, [other / "runbooks"])
    assert [(e.title, e.version) for e in report.updated] == [("Kube node not ready", 2)]
    assert [e.title for e in report.imported] == ["Disk full"]


def _old_way(console: Console, file: Path, root: Path) -> str:
    """Save a runbook as imports before repository-relative ids did: id from the path within the folder
    imported, no git date."""
    parsed = runbooks.read_file(file)
    old_id = domain.runbook_id_for(path=file.relative_to(root).with_suffix("").as_posix().lower())
    console.record(domain.save(runbooks.library(console), replace(parsed.runbook, id=old_id, source=str(file))))
    return old_id


def test_a_library_imported_the_old_way_keeps_its_runbooks(console: Console, repository: Path, tmp_path: Path) -> None:
    root = repository / "runbooks"
    kube = _old_way(console, root / "kubernetes" / "node-not-ready.md", root)
    disk = _old_way(console, root / "storage" / "disk-full.md", root)
    # The same files: found by their source, whatever the folder imported.
    same = runbooks.import_paths(console, [root / "kubernetes"])
    assert [e.runbook_id for e in same.updated] == [kube] and same.imported == []
    # Another clone, the same folder: found by the id the old way made.
    other = clone(repository, tmp_path / "clone-b")
    moved = runbooks.import_paths(console, [other / "runbooks" / "storage"])
    assert moved.imported == []
    # Another clone, a deeper folder: found by content and file name.
    third = clone(repository, tmp_path / "clone-c")
    deeper = runbooks.import_paths(console, [third / "runbooks" / "storage"])
    assert deeper.imported == [] and [e.runbook_id for e in deeper.updated + deeper.unchanged] == [disk]
    assert sorted(runbooks.library(console)) == sorted([kube, disk])
    # The new version only adds git's date to the content: nothing else changed.
    assert runbooks.library(console)[kube].current.changed_at is not None


def test_git_dates_count_as_the_last_review_of_files_without_one(console: Console, repository: Path) -> None:
    folder = repository / "runbooks"
    (folder / "reviewed.md").write_text("---\nreviewed: 2026-02-01\n---\n# Reviewed\n\n- x\n", encoding="utf-8")
    git(repository, "add", ".")
    git(repository, "commit", "-q", "-m", "reviewed", when="2026-02-20T12:00:00+00:00")
    (folder / "untracked.md").write_text("# Untracked\n\n- y\n", encoding="utf-8")
    runbooks.import_paths(console, [folder])
    by_title = {r.current.title: r.current for r in runbooks.library(console).values()}
    assert by_title["Kube node not ready"].changed_at == datetime(2025, 3, 2, 10, tzinfo=UTC)
    assert by_title["Disk full"].changed_at == datetime(2026, 1, 15, 8, 30, tzinfo=UTC)  # the last commit
    assert by_title["Reviewed"].changed_at is None  # its own date wins
    assert by_title["Reviewed"].reviewed_at == datetime(2026, 2, 1, tzinfo=UTC)
    assert by_title["Untracked"].changed_at is None
    now = datetime(2026, 3, 1, tzinfo=UTC)
    assert by_title["Disk full"].last_review == datetime(2026, 1, 15, 8, 30, tzinfo=UTC)
    assert not by_title["Disk full"].stale(now, 90)
    assert by_title["Kube node not ready"].stale(now, 90) and by_title["Untracked"].stale(now, 90)
    again = runbooks.import_paths(console, [folder])
    assert len(again.unchanged) == 4  # the dates are part of the content: the same date, no new version


def test_one_git_call_per_repository_whatever_was_named(
    console: Console, repository: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = clone(repository, tmp_path / "clone-b")
    calls: list[list[str]] = []
    real = subprocess.run

    def counted(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(command)
        return real(command, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(runbook_sources.subprocess, "run", counted)
    runbooks.import_paths(
        console,
        [
            repository / "runbooks" / "kubernetes",
            repository / "runbooks",
            repository / "runbooks" / "storage" / "disk-full.md",
            other / "runbooks",
        ],
    )
    assert sorted(Path(command[command.index("-C") + 1]).name for command in calls) == ["clone-a", "clone-b"]
    assert calls[0][-2:] == ["--", "runbooks"]  # the outermost folder named, once


def test_without_git_the_import_goes_on_without_dates(
    console: Console, repository: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs-here"))
    report = runbooks.import_paths(console, [repository])
    assert len(report.imported) == 2
    assert all(r.current.changed_at is None for r in runbooks.library(console).values())


def test_a_worktree_is_its_own_repository_with_the_same_paths(
    console: Console, repository: Path, tmp_path: Path
) -> None:
    worktree = tmp_path / "worktree"
    git(repository, "worktree", "add", "-q", "-b", "fix", str(worktree))
    assert (worktree / ".git").is_file()
    runbooks.import_paths(console, [repository / "runbooks"])
    report = runbooks.import_paths(console, [worktree / "runbooks" / "kubernetes"])
    assert [e.title for e in report.unchanged] == ["Kube node not ready"] and report.imported == []


def test_repositories_inside_the_folder_imported_each_give_their_own_paths_and_dates(
    console: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for team, when in (("team-a", "2025-03-02T10:00:00+00:00"), ("team-b", "2025-04-05T10:00:00+00:00")):
        repo = tmp_path / "all" / team
        (repo / "alerts").mkdir(parents=True)
        git(repo, "init", "-q")
        (repo / "alerts" / f"{team}.md").write_text(f"# {team} down\n\n- Page {team}\n", encoding="utf-8")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "runbook", when=when)
    calls: list[list[str]] = []
    real = subprocess.run

    def counted(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        calls.append(command)
        return real(command, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(runbook_sources.subprocess, "run", counted)
    report = runbooks.import_paths(console, [tmp_path / "all"])
    assert sorted((e.title, e.runbook_id) for e in report.imported) == [
        ("team-a down", domain.runbook_id_for(path="alerts/team-a")),
        ("team-b down", domain.runbook_id_for(path="alerts/team-b")),
    ]
    assert sorted(command[-2:] for command in calls) == [["--", "."], ["--", "."]]
    dates = sorted(r.current.changed_at for r in runbooks.library(console).values() if r.current.changed_at)
    assert dates == [datetime(2025, 3, 2, 10, tzinfo=UTC), datetime(2025, 4, 5, 10, tzinfo=UTC)]
