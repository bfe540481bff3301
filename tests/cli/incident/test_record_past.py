"""`commander record-past`: two outages written down afterwards, and `commander report` tells them truly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Run, refused

# SEV2 for one hour of its hour and a half (SEV3 before and after), Alice in command to the end.
FIRST = """\
title: Checkout API returning 502s
services: [checkout]
detected: 2026-11-24T10:00Z
declared: 2026-11-24T10:10Z
acknowledged: 2026-11-24T10:05Z
mitigated: 2026-11-24T11:00Z
resolved: 2026-11-24T11:30Z
severities:
  - {severity: SEV3, from: 2026-11-24T10:10Z}
  - {severity: SEV2, from: 2026-11-24T10:20Z}
  - {severity: SEV3, from: 2026-11-24T11:20Z}
roles:
  - {role: IC, person: Alice, from: 2026-11-24T10:10Z}
  - {role: TL, person: Bob, from: 2026-11-24T10:15Z, until: 2026-11-24T11:00Z}
"""
# SEV2 for three hours; Carol hands command to Alice at 16:00. JSON is YAML too.
SECOND = """\
{"title": "Search is down", "services": ["search"], "detected": "2026-11-25T14:00Z",
 "declared": "2026-11-25T14:30Z", "acknowledged": "2026-11-25T14:35Z", "mitigated": "2026-11-25T16:30Z",
 "resolved": "2026-11-25T17:30Z", "closed": "2026-11-25T18:00Z",
 "severities": [{"severity": "SEV2", "from": "2026-11-25T14:30Z"}],
 "roles": [{"role": "Incident Commander", "person": "Carol", "from": "2026-11-25T14:30Z", "until": "2026-11-25T16:00Z"},
           {"role": "IC", "person": "Alice", "from": "2026-11-25T16:00Z", "until": "2026-11-25T17:30Z"},
           {"role": "scribe", "person": "Dan", "from": "2026-11-25T14:30Z", "until": "2026-11-25T17:30Z"}]}
"""
RANGE = ("--since", "2026-11-01", "--until", "2026-11-30")


@pytest.fixture
def recorded(run: Run, tmp_path: Path) -> list[str]:
    references = []
    for name, text in (("first.yaml", FIRST), ("second.json", SECOND)):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        result = run("record-past", str(path))
        assert result.code == 0 and result.err == "", result.err
        references.append(result.out.strip())
    return references


def test_the_reference_is_printed_and_the_incident_is_closed(run: Run, recorded: list[str]) -> None:
    assert all(reference.startswith("INC-") for reference in recorded)
    listed = run("list", "--all").out
    assert all(reference in listed for reference in recorded)


def test_the_report_counts_each_figure_as_it_happened(run: Run, recorded: list[str]) -> None:
    document = run("report", *RANGE, "--json").json()
    assert document["incidents"] == {"total": 2, "open": 0, "reopened": 0}
    overall = document["times"][0]
    assert [overall[stage]["mean_seconds"] for stage in ("detect", "acknowledge", "mitigate", "resolve")] == [
        1200.0,  # (10 + 30) / 2 minutes
        1200.0,  # (5 + 35) / 2
        6300.0,  # (60 + 150) / 2
        9000.0,  # (90 + 210) / 2
    ]
    assert document["time_in_severity"] == [
        {"severity": "SEV2", "seconds": 14400.0, "incidents": 2},
        {"severity": "SEV3", "seconds": 1200.0, "incidents": 1},
    ]
    lines = run("report", *RANGE).out.splitlines()
    overall_row = " ".join(next(line for line in lines if line.startswith("all incidents")).split())
    assert overall_row == "all incidents 2 0 20m / 20m 20m / 20m 1h 45m / 1h 45m 2h 30m / 2h 30m"
    assert "SEV2      4.0 h  2" in lines and "SEV3      0.3 h  1" in lines
    load = {
        line.split()[0]: line.split()[-3:]
        for line in lines[lines.index("PERSON  WORKING  OFF HOURS  TOTAL  INCIDENTS") + 1 :]
    }
    assert load == {
        "Dan": ["3.0", "h", "1"],
        "Alice": ["2.8", "h", "2"],
        "Carol": ["1.5", "h", "1"],
        "Bob": ["0.8", "h", "1"],
    }
    assert "(nobody held a role)" not in lines


def test_a_wrong_account_is_refused_and_nothing_is_written(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "wrong.yaml"
    path.write_text(FIRST.replace("resolved: 2026-11-24T11:30Z", "resolved: 2026-11-24T10:30Z"), encoding="utf-8")
    refused(run("record-past", str(path)), "cannot be before mitigated")
    path.write_text(FIRST.replace("resolved: 2026-11-24T11:30Z\n", ""), encoding="utf-8")
    refused(run("record-past", str(path)), "does not say 'resolved'")
    path.write_text(FIRST + "owner: Alice\n", encoding="utf-8")
    refused(run("record-past", str(path)), "unknown field 'owner'")
    path.write_text(FIRST.replace("person: Bob, ", ""), encoding="utf-8")
    refused(run("record-past", str(path)), "each entry of 'roles' has role, person, from")
    path.write_text("title: [unclosed\n", encoding="utf-8")
    refused(run("record-past", str(path)), "not valid YAML")
    assert run("report", *RANGE, "--json").json()["incidents"]["total"] == 0
