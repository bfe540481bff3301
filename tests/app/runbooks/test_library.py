"""The library on a real console: importing folders (and every kind of bad file), versions on re-import,
reviews, exports that import back unchanged, and two consoles on one SQLite file."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from commander.app import timeline
from commander.app.console import Console
from commander.app.runbooks import library as runbooks
from commander.domain.core.errors import DomainError
from commander.domain.runbooks.library import Step
from tests.app.conftest import Heard

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "runbooks"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the sample runbooks, free to change."""
    return Path(shutil.copytree(FIXTURES, tmp_path / "runbooks"))


def titles(report: runbooks.ImportReport, which: str) -> list[str]:
    return sorted(entry.title for entry in getattr(report, which))


def test_importing_a_folder_tree_reports_progress_and_every_file(console: Console, folder: Path) -> None:
    seen: list[tuple[int, int, str]] = []
    report = runbooks.import_paths(
        console, [folder], progress=lambda done, total, path: seen.append((done, total, Path(path).name))
    )
    assert titles(report, "imported") == [
        "Checkout API returning 5xx",
        "Disk full on a database host",
        "Kube Node Not Ready",
        "Kube Pod Crash Looping",
        "PostgreSQL replica lagging behind the primary",
        "Redis memory above 90%",
    ]
    assert (report.updated, report.unchanged, report.skipped, report.notes) == ([], [], [], [])
    assert [(done, total) for done, total, _ in seen] == [(n, 6) for n in range(1, 7)]
    assert seen[-1][2] == "checkout-5xx.md"
    library = runbooks.library(console)
    assert len(library) == 6
    assert all(record.current.version == 1 for record in library.values())


def test_re_importing_makes_a_version_only_where_the_content_changed(
    console: Console, folder: Path, heard: Heard
) -> None:
    runbooks.import_paths(console, [folder])
    written = len(heard.events)
    again = runbooks.import_paths(console, [folder])
    assert len(again.unchanged) == 6 and again.imported == again.updated == []
    assert len(heard.events) == written  # nothing was written
    disk = folder / "legacy" / "disk-full.md"
    disk.write_text(disk.read_text(encoding="utf-8").replace("7 days", "3 days").replace("+7", "+3"), encoding="utf-8")
    third = runbooks.import_paths(console, [folder])
    assert [(e.title, e.version) for e in third.updated] == [("Disk full on a database host", 2)]
    assert len(third.unchanged) == 5
    record = runbooks.find(console, "disk full")
    assert [v.version for v in record.versions] == [1, 2]
    assert "-mtime +3" in (record.current.sections[1].steps[0].command or "")
    changed = runbooks.diff(record.versions[0], record.current)
    assert any(line.startswith("-") and "7 days" in line for line in changed)
    assert any(line.startswith("+") and "3 days" in line for line in changed)


def test_a_single_file_re_imported_on_its_own_stays_the_same_runbook(console: Console, folder: Path) -> None:
    runbooks.import_paths(console, [folder])
    file = folder / "kubernetes" / "KubeNodeNotReady.md"
    file.write_text(file.read_text(encoding="utf-8") + "\n- Tell #platform.\n", encoding="utf-8")
    report = runbooks.import_paths(console, [file])
    assert [(e.title, e.version) for e in report.updated] == [("Kube Node Not Ready", 2)]
    assert len(runbooks.library(console)) == 6


def test_the_same_checkout_imported_on_two_machines_is_one_runbook(
    console: Console, folder: Path, tmp_path: Path
) -> None:
    other_place = Path(shutil.copytree(folder, tmp_path / "elsewhere" / "ops-runbooks"))
    runbooks.import_paths(console, [folder])
    report = runbooks.import_paths(console, [other_place])
    assert len(report.unchanged) == 6  # ids come from the path within the folder, not where it sits


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("binary.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary file, not text"),
        ("empty.md", b"  \n\n", "empty file"),
        ("huge.md", b"# Huge\n\n" + b"- step\n" * 800_000, "larger than 5 MB"),
        ("alerts.yaml", b"groups:\n- name: k8s\n  rules: []\n", "not a Commander runbook"),
        ("broken.yml", b"title: [x\n", "not valid YAML"),
    ],
)
def test_files_that_cannot_be_runbooks_are_skipped_with_the_reason_and_the_rest_imported(
    console: Console, folder: Path, name: str, content: bytes, reason: str
) -> None:
    (folder / name).write_bytes(content)
    report = runbooks.import_paths(console, [folder])
    assert [(Path(path).name, reason in why) for path, why in report.skipped] == [(name, True)]
    assert len(report.imported) == 6


def test_text_that_is_not_utf8_is_read_as_windows_1252_with_a_note(console: Console, tmp_path: Path) -> None:
    file = tmp_path / "cafe.md"
    file.write_bytes("# Café terminal down\n\n- Call the café’s manager\n".encode("cp1252"))
    report = runbooks.import_paths(console, [file])
    [entry] = report.imported
    assert entry.title == "Café terminal down"
    assert runbooks.find(console, entry.runbook_id).current.sections[0].steps[0].text == "Call the café’s manager"
    assert report.notes == [
        (
            str(file),
            "Not UTF-8 (first at line 1): read as Windows-1252. Check accented letters, and save the file as UTF-8.",
        )
    ]


def test_utf16_with_a_byte_order_mark_is_read(console: Console, tmp_path: Path) -> None:
    file = tmp_path / "windows.md"
    file.write_bytes("# Restart IIS\n\n- `iisreset /restart`\n".encode("utf-16"))
    [entry] = runbooks.import_paths(console, [file]).imported
    assert runbooks.find(console, entry.runbook_id).current.sections[0].steps[0].command == "iisreset /restart"


def test_broken_front_matter_no_headings_deep_lists_and_html_are_imported_with_notes(
    console: Console, tmp_path: Path
) -> None:
    (tmp_path / "broken.md").write_text("---\ntitle: [oops\n---\n# Broken front\n\n- step\n", encoding="utf-8")
    (tmp_path / "plain.md").write_text("- just a step\n", encoding="utf-8")
    (tmp_path / "deep.md").write_text(
        "# Deep\n\n" + "\n".join("  " * d + f"- {d}" for d in range(8)) + "\n", encoding="utf-8"
    )
    (tmp_path / "html.md").write_text("# Html\n\n- <b>bold</b><script>alert(1)</script>\n", encoding="utf-8")
    report = runbooks.import_paths(console, [tmp_path])
    assert titles(report, "imported") == ["Broken front", "Deep", "Html", "Plain"]
    assert sorted((Path(path).name, note[:40]) for path, note in report.notes) == [
        ("broken.md", "The front matter is not valid YAML (line"),
        ("deep.md", "Lists nested deeper than 6 levels: the d"),
    ]
    assert runbooks.find(console, "html").current.sections[0].steps[0].text == "bold"


def test_duplicate_titles_are_two_runbooks_and_the_report_says_so(console: Console, tmp_path: Path) -> None:
    for team in ("payments", "search"):
        (tmp_path / team).mkdir()
        (tmp_path / team / "high-latency.md").write_text(f"# High latency\n\n- Check {team}\n", encoding="utf-8")
    report = runbooks.import_paths(console, [tmp_path])
    assert len(report.imported) == 2
    [(path, note)] = report.notes
    assert path.endswith("search/high-latency.md")
    assert note.startswith("Another runbook has the same title (") and "payments/high-latency.md" in note
    with pytest.raises(DomainError, match="'High latency' matches 2 runbooks"):
        runbooks.find(console, "High latency")


def test_two_files_claiming_one_front_matter_id_keep_the_first(console: Console, tmp_path: Path) -> None:
    for name in ("a.md", "b.md"):
        (tmp_path / name).write_text(f"---\nid: shared\n---\n# {name}\n\n- s\n", encoding="utf-8")
    report = runbooks.import_paths(console, [tmp_path / "a.md", tmp_path / "b.md"])
    assert titles(report, "imported") == ["a.md"]
    [(path, reason)] = report.skipped
    assert (
        path.endswith("b.md")
        and reason.startswith("it has the same id as ")
        and reason.endswith("give one of them another `id:`")
    )


def test_a_missing_path_hidden_folders_index_pages_and_other_files(console: Console, tmp_path: Path) -> None:
    tmp_path = tmp_path / "collection"  # not the test's own folder: the store's files are there
    (tmp_path / ".git").mkdir(parents=True)
    (tmp_path / ".git" / "notes.md").write_text("# Not a runbook\n- x\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Our runbooks\n", encoding="utf-8")
    (tmp_path / "_index.md").write_text("---\ntitle: Index\n---\n", encoding="utf-8")
    (tmp_path / "picture.png").write_bytes(b"\x89PNG")
    (tmp_path / "OWNERS").write_text("approvers:\n- alex\n", encoding="utf-8")
    (tmp_path / "alerts.jsonnet").write_text("{}\n", encoding="utf-8")
    (tmp_path / ".gitignore").write_text("*.tmp\n", encoding="utf-8")
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "README.md").write_text(
        "# Team runbooks\n\nOne page per alert.\n\n- [Ok](../ok.md)\n- [Other][other]: the other one\n\n"
        "[other]: ./other.md\n",
        encoding="utf-8",
    )
    (tmp_path / "team" / "links.md").write_text(  # links to dashboards make steps, not an index
        "# Links\n\n- Open [the dashboard](https://grafana.example.com/d/x)\n", encoding="utf-8"
    )
    (tmp_path / "ok.md").write_text("# Ok\n- x\n", encoding="utf-8")
    report = runbooks.import_paths(console, [tmp_path, tmp_path / "nope"])
    assert titles(report, "imported") == ["Links", "Ok"]
    assert sorted((Path(p).relative_to(tmp_path).as_posix(), why) for p, why in report.skipped) == [
        ("OWNERS", "a list of owners or reviewers, not a runbook"),
        ("README.md", "an index page, not a runbook"),
        ("_index.md", "an index page, not a runbook"),
        ("alerts.jsonnet", "not Markdown or YAML, so not a runbook"),
        ("nope", "no such file or folder"),
        ("picture.png", "an image, not a runbook"),
        ("team/README.md", "an index page (only links to other pages), not a runbook"),
    ]


def test_a_parser_bug_costs_one_file_not_the_folder(
    console: Console, folder: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = runbooks.parse_markdown

    def fragile(text: str, *, name: str) -> runbooks.Parsed:
        if name == "disk-full.md":
            raise IndexError("a bug")
        return original(text, name=name)

    monkeypatch.setattr(runbooks, "parse_markdown", fragile)
    report = runbooks.import_paths(console, [folder])
    assert len(report.imported) == 5
    assert [(Path(p).name, why) for p, why in report.skipped] == [
        ("disk-full.md", "Commander could not read it (a bug: the log has the details)")
    ]
    assert "IndexError: a bug" in caplog.text


def test_exports_import_back_as_the_same_version(console: Console, folder: Path, tmp_path: Path) -> None:
    runbooks.import_paths(console, [folder])
    out = tmp_path / "exported"
    out.mkdir()
    for record in runbooks.library(console).values():
        (out / f"{record.id}.yaml").write_text(runbooks.export_yaml(record), encoding="utf-8")
    report = runbooks.import_paths(console, [out])
    assert len(report.unchanged) == 6 and report.imported == report.updated == []
    record = runbooks.find(console, "redis")
    edited = runbooks.export_yaml(record).replace("Scale the cache to the next size up", "Scale the cache up")
    (out / f"{record.id}.yaml").write_text(edited, encoding="utf-8")
    assert [e.version for e in runbooks.import_paths(console, [out]).updated] == [2]
    markdown = tmp_path / "redis.md"
    markdown.write_text(runbooks.export_markdown(runbooks.find(console, "redis")), encoding="utf-8")
    again = runbooks.import_paths(console, [markdown])
    assert [e.runbook_id for e in again.updated] == [record.id]  # the id rides in the front matter
    assert runbooks.find(console, "redis").current.version == 3  # Markdown cannot say a step's own kind


def test_save_and_review_from_the_app(console: Console, folder: Path) -> None:
    runbooks.import_paths(console, [folder / "kubernetes"])
    record = runbooks.find(console, "KubeNodeNotReady")
    assert runbooks.is_stale(console, record)
    section = record.current.sections[3]
    edited = replace(
        record.current,
        sections=(
            *record.current.sections[:3],
            replace(section, steps=(*section.steps, Step("", "Open a ticket with the cloud provider", "escalate"))),
            *record.current.sections[4:],
        ),
    )
    after = runbooks.save(console, edited)
    assert after.current.version == 2 and after.current.all_steps()[-3].step.id == "s4.4"
    assert runbooks.save(console, after.current).current.version == 2  # nothing changed
    reviewed = runbooks.mark_reviewed(console, "kube node", "Walked through it in the drill")
    assert not runbooks.is_stale(console, reviewed)
    assert reviewed.reviews[0].note == "Walked through it in the drill"
    assert reviewed.current.reviewed_at is not None
    assert reviewed.current.stale(console.now() + timedelta(days=91), runbooks.stale_days(console))


def test_search_through_the_console(console: Console, folder: Path) -> None:
    runbooks.import_paths(console, [folder])
    hits = runbooks.search(console, "rollback", services=["orders-db"])
    assert hits[0].runbook.title == "PostgreSQL replica lagging behind the primary"
    assert hits[0].why == ("service orders-db",)
    assert [hit.runbook.title for hit in runbooks.search(console, "crashloop")] == ["Kube Pod Crash Looping"]


def test_finding_by_id_prefix_title_or_file_name(console: Console, folder: Path) -> None:
    runbooks.import_paths(console, [folder])
    record = runbooks.find(console, "postgres-replication-lag")  # the file's name
    assert runbooks.find(console, record.id[:6]) is record
    assert runbooks.find(console, "postgresql replica") is record
    with pytest.raises(DomainError, match="No runbook matches 'nothing like it'"):
        runbooks.find(console, "nothing like it")


def test_two_consoles_on_one_file_see_the_same_library(open_console: Callable[..., Console], folder: Path) -> None:
    alex, sam = open_console(user="Alex"), open_console(user="Sam")
    assert runbooks.library(sam) == {}
    runbooks.import_paths(alex, [folder])
    assert sorted(runbooks.library(sam)) == sorted(runbooks.library(alex))  # read through, no catch_up needed
    runbooks.mark_reviewed(sam, "redis", "Fine")
    record = runbooks.find(alex, "redis")
    assert [(r.by, r.note) for r in record.reviews] == [("Sam", "Fine")]
    assert [h.runbook.title for h in runbooks.search(alex, "bigkeys")] == ["Redis memory above 90%"]


def test_the_library_is_folded_once_per_change(console: Console, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runbooks.import_paths(console, [folder])
    folds = []
    original = runbooks.runbooks.fold_library
    monkeypatch.setattr(
        runbooks.runbooks, "fold_library", lambda events, **kwargs: (folds.append(1), original(events, **kwargs))[1]
    )
    first = runbooks.library(console)
    assert runbooks.library(console) is first and len(folds) == 1
    runbooks.mark_reviewed(console, "redis")
    assert runbooks.library(console) is not first and len(folds) == 2


def test_a_note_on_an_incident_costs_the_library_no_refold(
    console: Console, folder: Path, incident_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runbooks.import_paths(console, [folder])
    first = runbooks.library(console)
    folds = []
    original = runbooks.runbooks.fold_library
    monkeypatch.setattr(
        runbooks.runbooks, "fold_library", lambda events, **kwargs: (folds.append(1), original(events, **kwargs))[1]
    )
    timeline.add_note(console, incident_id, "Rolled back v2.31")
    assert runbooks.library(console) is first and folds == []


def test_a_store_read_through_sqlalchemy_follows_this_consoles_writes(tmp_path: Path, folder: Path) -> None:
    from commander.app.bootstrap import build_console

    console = build_console(f"sqlite:///{tmp_path / 'other.db'}?timeout=5", user="Kim")  # no stdlib reader
    try:
        runbooks.import_paths(console, [folder])
        assert len(runbooks.library(console)) == 6
        runbooks.mark_reviewed(console, "redis", "ok")
        assert [r.by for r in runbooks.find(console, "redis").reviews] == ["Kim"]
    finally:
        console.close()
