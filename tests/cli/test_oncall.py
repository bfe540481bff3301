"""`commander oncall|schedule|escalation`: the YAML file in and out, who is on call, overrides, the .ics export,
the fairness report, and refusals that say what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from tests.cli.conftest import Run, refused

FILE = """\
schedules:
  - name: Payments primary
    time_zone: Europe/Berlin
    layers:
      - name: Weekly
        rotation: weekly
        handoff: 09:00          # unquoted on purpose: a YAML 1.1 reader would make 17:00 a number
        handoff_day: monday
        start: 2026-01-05
        participants: [Alex, Sam]
      - name: Business hours
        rotation: daily
        start: 2026-01-05
        participants: [Dana]
        restrictions:
          - {days: weekdays, from: 09:00, to: 17:00}
escalation_policies:
  - name: Payments
    levels:
      - delay_minutes: 15
        targets: [{schedule: Payments primary}]
      - delay_minutes: 30
        targets: [{person: Morgan}]
services:
  payments: Payments
"""
SATURDAY = "2026-06-06T12:00:00Z"  # a Saturday: only the weekly rotation has someone


@pytest.fixture
def imported(run: Run, tmp_path: Path) -> Path:
    source = tmp_path / "oncall.yaml"
    source.write_text(FILE, encoding="utf-8")
    result = run("schedule", "import", str(source))
    assert result.code == 0, result.err
    assert result.out == f"Imported 1 schedule, 1 escalation policy, 1 service route from {source}.\n"
    return source


def test_a_file_imports_once_lists_and_exports_back_to_itself(run: Run, imported: Path, tmp_path: Path) -> None:
    assert run("schedule", "import", str(imported)).out.startswith("Nothing changed")
    listing = run("schedule", "list").out.splitlines()
    assert listing[0].split()[:2] == ["SCHEDULE", "ZONE"]
    assert "Payments primary  Europe/Berlin  Weekly (weekly, 2), Business hours (daily, 1)" in listing[1]
    exported = tmp_path / "back.yaml"
    assert run("schedule", "export", "--out", str(exported)).out == f"Wrote {exported}.\n"
    text = exported.read_text(encoding="utf-8")
    assert 'handoff: "09:00"' in text and 'to: "17:00"' in text and "payments: Payments" in text
    assert run("escalation", "import", str(exported)).out.startswith("Nothing changed")
    assert run("schedule", "export", "payments PRIMARY").out.count("- name: ") == 3  # schedule and two layers


def test_now_and_next_with_layers_and_json(run: Run, imported: Path) -> None:
    weekday = run("oncall", "now", "--at", "2026-06-03T10:00:00Z", "--json").json()
    [primary] = weekday
    assert primary["on_call"]["person"] == "Dana" and primary["on_call"]["layer"] == "Business hours"
    assert [layer["person"] for layer in primary["layers"]] == ["Dana", primary["next"]["person"]]
    weekend = run("oncall", "now", "Payments primary", "--at", SATURDAY)
    assert weekend.code == 0
    row = weekend.out.splitlines()[1].split()
    assert row[2] in ("Alex", "Sam") and row[-1] == "Weekly"
    upcoming = run("oncall", "next", "--at", SATURDAY).out.splitlines()[1]
    assert "Dana" in upcoming and "Mon 2026-06-08 09:00 CEST" in upcoming and "Business hours" in upcoming


def test_an_override_covers_someone_lists_and_cancels(run: Run, imported: Path) -> None:
    start = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    end = start + timedelta(days=14)
    on_call = run("oncall", "now", "--at", start.isoformat(), "--json").json()[0]["on_call"]["person"]
    added = run(
        "oncall",
        "override",
        "payments primary",
        "Lee",
        "--from",
        start.isoformat(),
        "--to",
        end.isoformat(),
        "--covers",
        on_call,
    )
    assert added.code == 0, added.err
    assert added.out.startswith("Override ") and f"covering {on_call}." in added.out
    short = added.out.split()[1].rstrip(":")
    now = run("oncall", "now", "--at", (start + timedelta(minutes=1)).isoformat(), "--json").json()[0]
    assert now["on_call"]["person"] == "Lee" and now["on_call"]["covers"] == on_call
    listing = run("oncall", "overrides", "--json").json()
    assert [(o["person"], o["covers"], o["id"][:13]) for o in listing] == [("Lee", on_call, short)]
    assert run("oncall", "cancel-override", short).out.startswith("Removed the override: Lee on Payments primary")
    assert run("oncall", "overrides").out.startswith("No overrides.")


def test_the_ics_export_reads_back_with_crlf_lines_per_person(run: Run, imported: Path, tmp_path: Path) -> None:
    target = tmp_path / "primary.ics"
    result = run("oncall", "export", "Payments primary", "--out", str(target), "--from", "2026-03-23", "--weeks", "2")
    assert result.code == 0 and result.out.startswith("Wrote ") and result.out.endswith(f"to {target}.\n")
    raw = target.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")
    calendar = icalendar.Calendar.from_ical(raw)
    events = list(calendar.walk("VEVENT"))
    starts = [e.decoded("DTSTART").astimezone(UTC) for e in events]
    assert starts == sorted(starts) and len({str(e["UID"]) for e in events}) == len(events)
    weekly = [e for e in events if "Weekly" in str(e["DESCRIPTION"])]
    # Business hours lie on top of the weekly rotation, which shows from 17:00 local: 16:00 UTC in winter,
    # 15:00 UTC after the change to summer time on 29 March.
    assert {e.decoded("DTSTART").strftime("%H:%M %Z") for e in weekly} == {"17:00 CET", "17:00 CEST"}
    assert {e.decoded("DTSTART").astimezone(UTC).hour for e in weekly} == {15, 16}
    assert b"BEGIN:DAYLIGHT" in raw
    dana = tmp_path / "dana.ics"
    assert run(
        "oncall",
        "export",
        "Payments primary",
        "--person",
        "dana",
        "--out",
        str(dana),
        "--from",
        "2026-03-23",
        "--weeks",
        "1",
    ).out.startswith("Wrote 5 of dana's shifts")
    refused(
        run("oncall", "export", "Payments primary", "--person", "Zed", "--out", str(dana)),
        "Zed is not on the schedule 'Payments primary'",
        "Alex, Sam, Dana",
    )


def test_the_fairness_report_splits_off_hours(run: Run, imported: Path) -> None:
    report = run(
        "oncall", "report", "--since", "2026-06-01T07:00:00Z", "--until", "2026-06-08T07:00:00Z", "--json"
    ).json()
    people = {row["person"]: row for row in report["people"]}
    assert people["Dana"]["hours"] == 40 and people["Dana"]["off_hours"] == 0
    weekly = next(row for name, row in people.items() if name != "Dana")
    assert weekly["hours"] == 128 and weekly["business_hours"] == 5 and weekly["off_hours"] == 123
    table = run("oncall", "report", "--since", "2026-06-01", "--until", "2026-06-08").out.splitlines()
    assert table[1].split() == ["PERSON", "SHIFTS", "HOURS", "BUSINESS", "OFF", "HOURS", "OFF", "%"]


def test_escalation_list_route_and_resolve(run: Run, imported: Path) -> None:
    listing = run("escalation", "list").out
    assert listing.splitlines() == [
        "Payments  (runs once; services: payments)",
        "  1. schedule Payments primary; next level after 15 min",
        "  2. person Morgan; next level after 30 min",
    ]
    assert run("escalation", "route", "checkout", "Payments").out == "checkout pages Payments.\n"
    assert run("escalation", "route", "checkout", "payments").out == "checkout pages payments. (It already did.)\n"
    second = run("oncall", "resolve", "checkout", "--level", "2", "--json").json()
    assert second == {
        "service": "checkout",
        "policy": "Payments",
        "level": 2,
        "responders": [{"person": "Morgan", "via": None}],
    }
    assert run("oncall", "resolve", "payments").out.startswith("payments pages Payments, level 1:\n  ")
    refused(run("oncall", "resolve", "payments", "--level", "3"), "levels 1 to 2")
    refused(run("escalation", "remove", "Payments"), "checkout, payments page through 'Payments'")
    assert run("escalation", "route", "checkout", "--none").out == "checkout pages no escalation policy.\n"


def test_refusals_say_what_to_do(run: Run, imported: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("schedules:\n  - name: [unclosed\n", encoding="utf-8")
    refused(run("schedule", "import", str(broken)), "is not valid YAML (line 3", "Fix it and import again")
    refused(run("schedule", "import", str(tmp_path / "missing.yaml")), "Cannot read", "Check the path")
    refused(
        run("schedule", "import", "-", stdin="schedules:\n  - name: X\n    time_zone: Mars/Base\n    layers: []\n"),
        "In schedule 'X'",
    )
    refused(run("oncall", "now", "Nope"), "No on-call schedule 'Nope'", "commander schedule import")
    refused(
        run("oncall", "override", "Payments primary", "Lee", "--from", "2020-01-01 09:00", "--to", "2020-01-02 09:00"),
        "would already be over",
    )
    refused(run("schedule", "remove", "Payments primary"), "'Payments' pages 'Payments primary'")


def test_with_no_schedules_the_commands_say_how_to_add_one(run: Run) -> None:
    assert run("oncall", "now").out.startswith("No on-call schedules yet. `commander schedule import")
    assert run("escalation", "list").out.startswith("No escalation policies yet.")
