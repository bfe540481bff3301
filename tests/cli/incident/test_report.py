"""`commander report`: analytics over a range, as text, JSON and CSV, with filters and clear refusals."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from commander.domain.core.when import iso
from tests.cli.conftest import Run, refused

BASE = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
SINCE = iso(BASE - timedelta(hours=1))


def at(minutes: int) -> str:
    return iso(BASE + timedelta(minutes=minutes))


@pytest.fixture
def incidents(run: Run, declare: Callable[..., str]) -> tuple[str, str]:
    """A resolved SEV2 on checkout (acknowledged 5, mitigated 20, resolved 50 minutes after it began) and an
    open SEV1 drill on search."""
    resolved = declare("Checkout API returning 502s", "--service", "checkout", "--detected-at", at(0))
    for argv in (
        ("milestone", resolved, "acknowledged", at(5)),
        ("status", resolved, "mitigated", "--at", at(20)),
        ("status", resolved, "resolved", "--at", at(50)),
    ):
        assert run(*argv).code == 0
    drill = run(
        "declare", "--title", "Game day: search down", "--severity", "SEV1", "--service", "search", "--drill"
    ).out.strip()
    return resolved, drill


def test_json_has_the_exact_times_and_leaves_drills_out(run: Run, incidents: tuple[str, str]) -> None:
    document = run("report", "--since", SINCE, "--json").json()
    assert document["incidents"] == {"total": 1, "open": 0, "reopened": 0}
    overall = document["times"][0]
    assert (overall["dimension"], overall["group"]) == ("all", "all")
    assert overall["acknowledge"] == {"count": 1, "mean_seconds": 300.0, "median_seconds": 300.0}
    assert overall["mitigate"]["mean_seconds"] == 1200.0 and overall["resolve"]["mean_seconds"] == 3000.0
    assert [g["group"] for g in document["times"] if g["dimension"] == "service"] == ["checkout"]
    assert document["filters"]["include_drills"] is False and document["action_items"] is None
    with_drills = run("report", "--since", SINCE, "--include-drills", "--json").json()
    assert with_drills["incidents"] == {"total": 2, "open": 1, "reopened": 0}
    assert with_drills["times"][0]["resolve"]["count"] == 1  # the open one has no time to resolve


def test_filters_by_severity_and_service_in_any_case(run: Run, incidents: tuple[str, str]) -> None:
    only_sev1 = run("report", "--since", SINCE, "--include-drills", "--severity", "sev1", "--json").json()
    assert only_sev1["incidents"]["total"] == 1 and only_sev1["filters"]["severities"] == ["SEV1"]
    by_service = run("report", "--since", SINCE, "--include-drills", "--service", "Checkout,search", "--json").json()
    assert by_service["incidents"]["total"] == 2
    assert run("report", "--since", SINCE, "--service", "SEARCH", "--json").json()["incidents"]["total"] == 0


def test_text_report_reads_as_tables(run: Run, incidents: tuple[str, str]) -> None:
    result = run("report", "--since", SINCE, "--until", "2099-12-31")
    assert result.code == 0 and result.err == ""
    lines = result.out.splitlines()
    assert lines[0].startswith("Incidents started from ") and lines[0].endswith("drills left out")
    assert lines[1] == "1 incident: 0 open, 0 reopened"
    overall = next(line for line in lines if line.startswith("all incidents"))
    assert overall.split()[2:4] == ["1", "0"] and overall.endswith("50m / 50m")
    assert "Action items: none yet." in lines and "Noise: no alert marked noise yet." in lines
    assert any(line.startswith("Update punctuality:") for line in lines)


def test_csv_is_one_long_table(run: Run, incidents: tuple[str, str]) -> None:
    result = run("report", "--since", SINCE, "--csv")
    rows = list(csv.DictReader(io.StringIO(result.out, newline="")))
    assert list(rows[0]) == ["section", "dimension", "group", "measure", "value", "unit"]
    resolve = next(r for r in rows if r["group"] == "all" and r["measure"] == "resolve_median")
    assert (resolve["value"], resolve["unit"]) == ("50.0", "minutes")
    assert {r["section"] for r in rows} >= {"times", "counts", "time_in_severity", "update_punctuality"}


def test_an_empty_range_says_what_to_do(run: Run) -> None:
    result = run("report", "--since", "2020-01-01", "--until", "2020-01-31")
    assert result.code == 0
    assert "No incidents in this range. Widen it with --since, or check the filters." in result.out


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (("--since", "2026-13-01"), ("not a date in the calendar", "2026-01-31")),
        (("--since", "last tuesday"), ("not a date Commander can read",)),
        (("--since", "2026-02-01", "--until", "2026-01-01"), ("--since is not before --until",)),
        (("--severity", "SEV9"), ("Unknown severity 'SEV9'", "SEV1")),
    ],
)
def test_mistakes_are_refused_in_one_sentence(run: Run, argv: tuple[str, ...], fragments: tuple[str, ...]) -> None:
    refused(run("report", *argv), *fragments)


def test_an_unknown_service_names_the_known_ones(run: Run, incidents: tuple[str, str]) -> None:
    refused(run("report", "--service", "chekout"), "No incident names the service 'chekout'", "checkout, search")


def test_json_and_csv_cannot_be_asked_for_together(run: Run) -> None:
    assert run("report", "--json", "--csv").code == 2
