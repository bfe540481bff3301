"""`commander postmortem …`: draft, show, set, edit, track, list, export in every format, templates."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from commander.domain.postmortem.document import from_json, to_json
from tests.cli.conftest import Run, refused


@pytest.fixture
def ref(declare: Callable[..., str], run: Run) -> str:
    reference = declare("Checkout <b>502s</b>", "--service", "checkout", "--detected-at", "20m ago")
    run("note", reference, "TODO: alert on pod memory growth")
    run("note", reference, "Rolled back v2.31 <script>alert(1)</script>", "--pin")
    assert run("status", reference, "resolved", "--reason", "Rollback complete").code == 0
    return reference


@pytest.fixture
def started(run: Run, ref: str) -> str:
    result = run("postmortem", "draft", ref)
    assert result.code == 0, result.err
    return ref


def test_draft_starts_the_postmortem_and_prints_it(run: Run, ref: str) -> None:
    result = run("postmortem", "draft", ref)
    assert result.code == 0, result.err
    assert result.out.startswith(f"# Postmortem: {ref} Checkout &lt;b>502s&lt;/b>\n")
    assert "| Time to resolve | 20m 0" in result.out
    assert "## Contributing factors" in result.out and "## Customer message" in result.out
    assert "Started the postmortem" in result.err
    refused(run("postmortem", "draft", ref), "was started by Alex")


def test_an_open_incident_is_refused_unless_it_is_a_dry_run(run: Run, declare: Callable[..., str]) -> None:
    open_one = declare("Search slow")
    refused(run("postmortem", "draft", open_one), "still investigating", "resolve it first")
    dry = run("postmortem", "draft", open_one, "--dry-run")
    assert dry.code == 0 and "still open when this draft was written" in dry.out
    refused(run("postmortem", "show", open_one), "has no postmortem yet", "postmortem draft")


def test_show_lists_sections_and_wording_to_reconsider(run: Run, started: str, tmp_path: Path) -> None:
    run(
        "postmortem",
        "edit",
        started,
        "contributing_factors",
        "--file",
        "-",
        stdin="- Alex broke the deploy\n- The canary is optional\n",
    )
    result = run("postmortem", "show", started)
    assert result.code == 0, result.err
    assert "Postmortem: draft · owner Alex · review meeting" in result.out
    assert "Contributing factors  Alex" in result.out
    assert "1 draft, 0 tracked" in result.out
    assert "Contributing factors: “Alex broke” — A person's name next to a failure reads as blame" in result.out
    document = run("postmortem", "show", started, "--json").json()
    assert document["postmortem"]["owner"] == "Alex"


def test_set_changes_owner_meeting_and_status(run: Run, started: str) -> None:
    result = run(
        "postmortem", "set", started, "--owner", "Sam Okafor", "--meeting", "2026-12-04", "--status", "in review"
    )
    assert result.code == 0, result.err
    assert result.out.strip() == f"{started} postmortem: in review, owner Sam Okafor, review meeting 2026-12-04."
    listed = run("postmortem", "list")
    assert f"{started}  in review  Sam Okafor  2026-12-04" in listed.out
    refused(run("postmortem", "set", started, "--status", "done"), "not a postmortem status")
    refused(run("postmortem", "set", started), "nothing to change")
    assert "published" in run("postmortem", "set", started, "--status", "published").out


def test_track_turns_draft_lines_into_action_items(run: Run, started: str) -> None:
    result = run("postmortem", "track", started)
    assert result.code == 0, result.err
    reference = result.out.split()[0]
    assert reference.startswith("ACT-") and "alert on pod memory growth (owner Alex" in result.out
    listed = run("action", "list", "--json").json()
    assert [item["title"] for item in listed] == ["alert on pod memory growth"]
    markdown = run("postmortem", "export", started).out
    assert f"- [x] {reference} alert on pod memory growth" in markdown
    assert "every task line is tracked already" in run("postmortem", "track", started).out


def test_pdf_export_is_a_pdf(run: Run, started: str, tmp_path: Path) -> None:
    target = tmp_path / "postmortem.pdf"
    result = run("postmortem", "export", started, "--out", str(target))
    assert (result.code, result.out, result.err) == (0, "", "")
    data = target.read_bytes()
    assert data.startswith(b"%PDF")
    assert b"%%EOF" in data[-64:]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_pdf_to_a_terminal_is_refused(run: Run, started: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    refused(run("postmortem", "export", started, "--format", "pdf"), "--out FILE")


def test_html_export_escapes_what_people_typed(run: Run, started: str) -> None:
    page = run("postmortem", "export", started, "--format", "html").out
    assert page.startswith("<!DOCTYPE html>")
    assert "<script>" not in page
    assert "Rolled back v2.31 &lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Checkout &lt;b&gt;502s&lt;/b&gt;" in page and "<b>502s</b>" not in page


def test_json_export_round_trips(run: Run, started: str, tmp_path: Path) -> None:
    run("postmortem", "edit", started, "lucky", "--file", "-", stdin="- It happened at 10:00, not at peak")
    target = tmp_path / "pm.json"
    assert run("postmortem", "export", started, "--out", str(target)).code == 0
    text = target.read_text(encoding="utf-8")
    document = from_json(text)
    assert to_json(document) == text
    assert {s.key: s.text for s in document.sections}["lucky"] == "- It happened at 10:00, not at peak"
    assert json.loads(run("postmortem", "export", started, "--format", "json").out) == json.loads(text)


def test_edit_from_a_file_that_cannot_be_read(run: Run, started: str, tmp_path: Path) -> None:
    refused(
        run("postmortem", "edit", started, "summary", "--file", str(tmp_path / "missing.md")),
        "cannot read",
        "check the path",
    )


def test_the_team_template(run: Run, ref: str, tmp_path: Path) -> None:
    shipped = run("postmortem", "template", "show")
    assert shipped.code == 0 and "{% block summary %}" in shipped.out
    bad = tmp_path / "bad.j2"
    bad.write_text("{% block sumary %}x{% endblock %}", encoding="utf-8")
    refused(run("postmortem", "template", "save", "default", "--file", str(bad)), "sumary is not a section")
    saved = run(
        "postmortem",
        "template",
        "save",
        "brief",
        "--name",
        "Brief",
        "--file",
        "-",
        stdin="{% block summary %}{{ incident.title }}{% endblock %}",
    )
    assert saved.out.strip() == "Saved the postmortem template brief (team): Brief."
    dry = run("postmortem", "draft", ref, "--template", "brief", "--dry-run")
    assert "## Summary\n\nCheckout &lt;b>502s&lt;/b>\n" in dry.out
    assert run("postmortem", "template", "remove", "brief").code == 0
    refused(run("postmortem", "template", "remove", "default"), "no postmortem template 'default' of its own")


def test_stdin_is_read_for_edit(run: Run, started: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("New summary"))
    assert run("postmortem", "edit", started, "summary", "--file", "-").code == 0
    assert "## Summary\n\nNew summary\n" in run("postmortem", "export", started).out
