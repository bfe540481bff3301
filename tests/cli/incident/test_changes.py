"""`note`, `severity`, `status`, `assign`, `milestone`: what they record, print and refuse."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from tests.cli.conftest import Run, refused

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\n$")


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def ref(declare: Callable[..., str]) -> str:
    return declare("Checkout API returning 502s", "--detected-at", "30m ago")


def _minutes_ago(text: str) -> float:
    return (datetime.now(UTC) - _utc(text)).total_seconds() / 60


def _timeline(run: Run, ref: str) -> list[dict[str, object]]:
    return list(run("show", ref, "--json").json()["timeline"])


def test_note_prints_its_id_and_lands_on_the_timeline(run: Run, ref: str) -> None:
    result = run("note", ref, "Rolled back v2.31 — 502 rate falling", "--pin")
    assert result.code == 0 and UUID.match(result.out), result
    entry = _timeline(run, ref)[-1]
    assert (entry["event_id"], entry["text"], entry["pinned"]) == (
        result.out.strip(),
        "Rolled back v2.31 — 502 rate falling",
        True,
    )


def test_note_from_standard_input_keeps_its_lines(run: Run, ref: str) -> None:
    result = run("note", ref, "-", stdin="Findings:\n- pods OOMKilled\n- v2.31 deployed 09:08\n")
    assert result.code == 0
    assert _timeline(run, ref)[-1]["text"] == "Findings:\n- pods OOMKilled\n- v2.31 deployed 09:08"
    refused(run("note", ref, "-", stdin="  \n"), "the note is empty")


def test_a_backdated_note_sits_at_its_time(run: Run, ref: str) -> None:
    run("note", ref, "now")
    run("note", ref, "paged", "--at", "20m ago")
    texts = [e["text"] for e in _timeline(run, ref)]
    assert texts.index("paged") < texts.index("now")
    entry = next(e for e in _timeline(run, ref) if e["text"] == "paged")
    assert entry["backdated"] is True
    assert abs((datetime.now(UTC) - timedelta(minutes=20) - _utc(str(entry["at"]))).total_seconds()) < 60


def test_a_note_in_the_future_is_refused(run: Run, ref: str) -> None:
    refused(
        run("note", ref, "later", "--at", "2099-01-01T00:00:00Z"),
        "2099-01-01 00:00:00 UTC",
        "in the future",
        "give a time that has passed",
    )
    refused(run("note", ref, "later", "--at", "25:99"), "'25:99' is not a time")


def test_severity_change_prints_the_timeline_line(run: Run, ref: str) -> None:
    result = run("severity", ref, "sev1", "--reason", "all regions")
    assert (result.code, result.out) == (0, f"{ref}  Severity raised SEV2 → SEV1: all regions\n")
    refused(run("severity", ref, "SEV1"), f"{ref} is already SEV1")
    refused(run("severity", ref, "SEV9"), "unknown severity 'SEV9'", "SEV1, SEV2, SEV3, SEV4")
    assert run("show", ref, "--json").json()["incident"]["severity"] == "SEV1"


def test_status_changes_and_backdating(run: Run, ref: str) -> None:
    assert (
        run("status", ref, "identified", "--reason", "bad deploy").out
        == f"{ref}  Status investigating → identified: bad deploy\n"
    )
    # Acknowledged defaults to the declaration (just now); a page acknowledged earlier allows a backdate.
    refused(run("status", ref, "mitigated", "--at", "5m ago"), "cannot be before acknowledged")
    assert run("milestone", ref, "acknowledged", "20m ago").code == 0
    assert run("status", ref, "mitigated", "--at", "5m ago").code == 0
    milestones = run("show", ref, "--json").json()["incident"]["milestones"]
    assert _minutes_ago(milestones["mitigated"]) == pytest.approx(5, abs=1)
    refused(run("status", ref, "fixed"), "unknown status 'fixed'", "investigating, identified, mitigated")
    refused(run("status", ref, "mitigated"), "already mitigated")


def test_mitigated_before_detected_names_both_times(run: Run, ref: str) -> None:
    detected = run("show", ref, "--json").json()["incident"]["milestones"]["detected"]
    result = run("status", ref, "mitigated", "--at", "45m ago")
    refused(result, "cannot be before detected", "check both times")
    shown = re.findall(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC\)", result.err)
    assert len(shown) == 2, result.err
    mitigated_at, detected_at = (datetime.fromisoformat(s).replace(tzinfo=UTC) for s in shown)
    assert detected_at == _utc(detected)
    assert abs((datetime.now(UTC) - timedelta(minutes=45) - mitigated_at).total_seconds()) < 60
    assert run("show", ref, "--json").json()["incident"]["status"] == "investigating"


def test_assign_by_alias_hand_off_and_clear(run: Run, ref: str) -> None:
    assert run("assign", ref, "TL", "Sam").out == f"{ref}  Sam is Technical Lead\n"
    assert run("assign", ref, "comms", "Kim").code == 0
    result = run("assign", ref, "IC", "Priya")
    assert result.code == 0
    assert result.out.startswith(f"{ref}  Alex handed Incident Commander to Priya after ")
    assert run("assign", ref, "Communications Lead", "--clear").out.startswith(
        f"{ref}  Kim stepped down as Communications Lead"
    )
    roles = {r["key"]: r for r in run("show", ref, "--json").json()["roles"]}
    assert roles["incident_commander"]["holder"] == "Priya"
    assert [t["person"] for t in roles["incident_commander"]["history"]] == ["Alex", "Priya"]
    assert roles["technical_lead"]["holder"] == "Sam" and roles["communications_lead"]["holder"] is None
    refused(run("assign", ref, "TL", "Sam"), "Sam already holds Technical Lead")
    refused(run("assign", ref, "janitor", "Sam"), "has no role 'janitor'", "Technical Lead")


@pytest.mark.parametrize("argv", [("TL",), ("TL", "Sam", "--clear")])
def test_assign_needs_a_person_or_clear(run: Run, ref: str, argv: tuple[str, ...]) -> None:
    result = run("assign", ref, *argv)
    assert result.code == 2 and "give either a PERSON or --clear" in result.err and "usage:" in result.err


def test_milestone_sets_a_time_and_checks_the_chain(run: Run, ref: str) -> None:
    result = run("milestone", ref, "acknowledged", "10m ago")
    assert result.code == 0 and result.out.startswith(f"{ref}  Acknowledged time set to ")
    acknowledged = run("show", ref, "--json").json()["incident"]["milestones"]["acknowledged"]
    assert abs((datetime.now(UTC) - timedelta(minutes=10) - _utc(acknowledged)).total_seconds()) < 60
    refused(run("milestone", ref, "acknowledged", "2h ago"), "cannot be before detected")
    refused(run("milestone", ref, "resolved", "1m ago"), "is not resolved yet", "change its status")
    refused(run("milestone", ref, "lunch", "1m ago"), "unknown milestone 'lunch'")


def test_usage_errors_exit_with_status_2(run: Run) -> None:
    for argv in (("note",), ("frobnicate",), ("export", "INC-X", "--format", "pdf"), ("list", "--bogus")):
        result = run(*argv)
        assert result.code == 2 and "usage: commander" in result.err, (argv, result)
        assert "Traceback" not in result.err
