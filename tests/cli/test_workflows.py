"""`commander workflow import|list|show|remove|dry-run` through the real entry point: the issue's example,
stable JSON, and refusals in one sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Run, refused
from tests.domain.workflows.test_rules import EXAMPLE


@pytest.fixture
def imported(run: Run, tmp_path: Path) -> Path:
    source = tmp_path / "rules.yaml"
    source.write_text(EXAMPLE, encoding="utf-8")
    result = run("workflow", "import", str(source))
    assert result.code == 0, result.err
    first, *notes = result.out.splitlines()
    assert first == f"Imported 2 rules from {source}: sev1-war-room, page-from-critical-alerts."
    assert notes[0] == (
        "Note: Rule 'sev1-war-room', action 1 (create-channel): no chat connection 'team-slack' yet "
        "(`commander chat add`). Until then that action fails, saying so."
    )
    assert len(notes) == 5
    return source


def test_import_list_and_json(run: Run, imported: Path) -> None:
    assert run("workflow", "import", str(imported)).out.startswith("Nothing changed")
    lines = run("workflow", "list").out.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "WHEN", "DO"]
    assert "sev1-war-room" in lines[2] and "incident.declared (severity_at_least SEV2)" in lines[2]
    assert lines[2].endswith("create-channel, invite, start-bridge, post, start-timer")
    listed = run("workflow", "list", "--json").json()
    assert [rule["name"] for rule in listed] == ["page-from-critical-alerts", "sev1-war-room"]
    assert listed[0] == {
        "version": 1,
        "name": "page-from-critical-alerts",
        "when": {"event": "alert.firing", "labels": {"severity": "critical"}},
        "do": [
            {
                "action": "declare",
                "severity": "SEV2",
                "title": "{{ alert.labels.alertname }} on {{ alert.labels.service }}",
            },
            {"action": "attach-runbook", "by": "alertname"},
        ],
    }


def test_show_prints_yaml_that_imports_back_unchanged(run: Run, imported: Path, tmp_path: Path) -> None:
    shown = run("workflow", "show", "sev1-war-room")
    assert shown.code == 0 and shown.out.startswith("# sev1-war-room, version 1\n- name: sev1-war-room\n")
    again = tmp_path / "again.yaml"
    again.write_text(shown.out, encoding="utf-8")
    assert run("workflow", "import", str(again)).out.startswith("Nothing changed")
    assert run("workflow", "import", "-", stdin=shown.out.replace("minutes: 15", "minutes: 25")).out.startswith(
        "Imported 1 rule from Standard input: sev1-war-room.\nNote: "
    )


def test_dry_run_and_remove(run: Run, imported: Path, declare: Callable[..., str]) -> None:
    reference = declare()
    planned = run("workflow", "dry-run", "sev1-war-room", reference)
    assert planned.code == 0, planned.err
    lines = planned.out.splitlines()
    assert lines[0] == f"sev1-war-room for {reference}, as a dry run (nothing is done):"
    assert (
        lines[1] == f"  1. create-channel (via: team-slack; name: inc-{reference.lower()}-checkout-api-returning-502s)"
    )
    assert lines[5] == "  5. start-timer (label: Check customer impact; minutes: 15)"
    as_json = run("workflow", "dry-run", "page-from-critical-alerts", reference, "--json").json()
    assert [step["action"] for step in as_json] == ["declare", "attach-runbook"]
    assert "there is no variable 'alertname'" in as_json[0]["problem"] and as_json[1]["problem"] == ""
    assert as_json == run("workflow", "dry-run", "page-from-critical-alerts", reference, "--json").json()
    assert run("workflow", "remove", "SEV1-war-room").out == "Removed the workflow rule sev1-war-room.\n"
    refused(run("workflow", "show", "sev1-war-room"), "No workflow rule 'sev1-war-room'", "page-from-critical-alerts")


def test_refusals_are_one_sentence(run: Run, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "- name: r\n  when: {event: timer, minutes: 5}\n  do: [{action: post, text: hi}]\n", encoding="utf-8"
    )
    refused(run("workflow", "import", str(bad)), "Rule 'r', action 1 (post): 'via' is missing")
    refused(run("workflow", "import", str(tmp_path / "missing.yaml")), "Cannot read")
    refused(run("workflow", "import", "-", stdin="- {"), "not valid YAML")
    refused(run("workflow", "remove", "nothing"), "No workflow rule 'nothing'", "none yet")
    refused(run("workflow", "dry-run", "nothing", "INC-ZZZZ"), "No incident")
    assert run("workflow", "list").out == "No workflow rules yet. `commander workflow import FILE` adds them.\n"


def test_runs_lists_each_outcome_and_retry_runs_a_failed_one_again(
    run: Run, imported: Path, declare: Callable[..., str], db: Path
) -> None:
    from commander.app import automation
    from commander.app.bootstrap import build_console

    assert run("workflow", "runs", declare("Quiet one")).out.startswith("No workflow has run for ")
    reference = declare()
    console = build_console(str(db))
    try:
        summary = console.resolve(reference)
        [declared] = [e for e in console.view(summary.id).events if e.kind == "incident.declared"]
        [job] = automation.jobs_for(console, [declared])
        assert automation.run_job(console, job)
    finally:
        console.close()
    lines = run("workflow", "runs", reference).out.splitlines()
    assert lines[0].split() == ["ID", "RULE", "ACTION", "OUTCOME", "AT", "WHAT"]
    assert "1. create-channel" in lines[1] and "failed" in lines[1] and "No chat called team-slack" in lines[1]
    assert "5. start-timer" in lines[5] and "done" in lines[5]
    assert lines[-1] == f"Retry a failed one with `commander workflow retry {reference} ID`."
    listed = run("workflow", "runs", reference, "--json").json()
    assert [(r["action"], r["outcome"]) for r in listed] == [
        ("create-channel", "failed"),
        ("invite", "failed"),
        ("start-bridge", "failed"),
        ("post", "failed"),
        ("start-timer", "done"),
    ]
    again = run("workflow", "retry", reference, listed[0]["action_id"][:8])
    assert again.code == 1
    assert again.out.startswith("sev1-war-room: create-channel failed (attempt 2): No chat called team-slack")
    refused(run("workflow", "retry", reference, "zzzz"), "No workflow action of", "has an id starting 'zzzz'")
