"""`commander update templates` and `update template save|show|remove`: the team's templates from a terminal."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.cli.conftest import Run, refused


def _row(out: str, key: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith(key + " "))


def test_a_team_template_is_saved_listed_previewed_and_removed(
    run: Run, declare: Callable[..., str], tmp_path: Path
) -> None:
    ref = declare()
    source = tmp_path / "db.txt.j2"
    source.write_text("DB trouble on {{ incident.reference }}: {{ incident.title }}\n", encoding="utf-8")
    saved = run(
        "update",
        "template",
        "save",
        "db_outage",
        "--name",
        "Database outage",
        "--audience",
        "responders",
        "--stage",
        "when a database is the cause",
        "--file",
        str(source),
    )
    assert saved.code == 0 and saved.out == "Saved db_outage (team): Database outage.\n"
    listing = run("update", "templates").out
    assert listing.splitlines()[0].split() == ["KEY", "FROM", "AUDIENCE", "NAME"]
    assert _row(listing, "db_outage")[:3] == ["db_outage", "team", "responders"]
    assert _row(listing, "initial")[:2] == ["initial", "shipped"]
    preview = run("update", "preview", ref, "--template", "db_outage")
    assert preview.code == 0 and preview.out == f"DB trouble on {ref}: Checkout API returning 502s\n"
    assert run("update", "template", "show", "db_outage").out == source.read_text(encoding="utf-8")
    assert run("update", "template", "remove", "db_outage").out == "Removed db_outage.\n"
    refused(run("update", "preview", ref, "--template", "db_outage"), "No update template 'db_outage'")


def test_saving_over_a_shipped_template_edits_it_until_removed(run: Run, declare: Callable[..., str]) -> None:
    ref = declare()
    saved = run("update", "template", "save", "initial", "--file", "-", stdin="[{{ incident.severity }}] On it.\n")
    assert saved.code == 0 and saved.out == "Saved initial (edited): Initial: we are investigating.\n"
    assert _row(run("update", "templates").out, "initial")[:2] == ["initial", "edited"]
    assert run("update", "preview", ref, "--template", "initial").out == "[SEV2] On it.\n"
    assert run("update", "template", "remove", "initial").out == "Removed initial. The shipped version is back.\n"
    assert run("update", "preview", ref, "--template", "initial").out.startswith("[SEV2] Investigating")
    refused(run("update", "template", "remove", "initial"), "shipped template")


def test_a_template_that_does_not_parse_is_refused_with_its_line(run: Run) -> None:
    result = run("update", "template", "save", "db", "--name", "DB", "--file", "-", stdin="fine\n{% if %}\n")
    refused(result, "cannot be saved", "Line 2")
    refused(
        run("update", "template", "save", "Not A Key", "--name", "DB", "--file", "-", stdin="x"),
        "cannot be a template key",
    )
    refused(run("update", "template", "save", "db", "--file", "/nonexistent/db.j2"), "Cannot read the template")
    refused(run("update", "template", "save", "db", "--file", "-", stdin="x"), "new template", "--name")
    refused(run("update", "template", "save", "db", "--name", " ", "--file", "-", stdin="x"), "name is empty")


def test_a_broken_team_template_is_listed_with_its_problem(run: Run, declare: Callable[..., str]) -> None:
    ref = declare()
    assert (
        run(
            "update", "template", "save", "typo", "--name", "Typo", "--file", "-", stdin="ok\n{{ incident.titel }}\n"
        ).code
        == 0
    )
    listing = run("update", "templates")
    assert listing.code == 0
    assert "cannot be used: Line 2: there is no variable 'titel'" in next(
        line for line in listing.out.splitlines() if line.startswith("typo ")
    )
    refused(run("update", "preview", ref, "--template", "typo"), "Line 2", "titel")
    assert run("update", "preview", ref, "--template", "periodic").code == 0


def test_preview_without_an_incident_fills_a_sample(run: Run) -> None:
    result = run("update", "preview", "--template", "initial")
    assert result.code == 0 and "Card payments failing for some EU customers" in result.out
