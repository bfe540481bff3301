"""`declare`, `list` and `show`, including what people type that the rules refuse or must keep literal."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.cli.conftest import Run, refused

REFERENCE = re.compile(r"^INC-[0-9A-HJKMNP-TV-Z]{8}\n$")
BERLIN = ZoneInfo("Europe/Berlin")


def test_declare_prints_only_the_reference(run: Run) -> None:
    result = run(
        "declare",
        "--title",
        "Checkout API returning 502s",
        "--severity",
        "sev2",
        "--service",
        "checkout-api,payments",
        "--service",
        "ingress",
        "--service",
        "Payments",
        "--summary",
        "30% of checkouts fail",
        "--detected-at",
        "15m ago",
    )
    assert result.code == 0 and result.err == ""
    assert REFERENCE.match(result.out), result.out
    [row] = run("list", "--json").json()
    assert row["reference"] == result.out.strip()
    assert (row["title"], row["severity"], row["status"], row["commander"]) == (
        "Checkout API returning 502s",
        "SEV2",
        "investigating",
        "Alex",
    )
    assert row["services"] == ["checkout-api", "payments", "ingress"]  # split, trimmed, no duplicates
    started = datetime.fromisoformat(row["started_at"].replace("Z", "+00:00"))
    declared = datetime.fromisoformat(
        run("show", row["reference"], "--json").json()["incident"]["milestones"]["declared"].replace("Z", "+00:00")
    )
    assert 14 * 60 <= (declared - started).total_seconds() <= 16 * 60


def test_declare_defaults_and_options(run: Run) -> None:
    reference = run("declare", "--title", "Drill: failover", "--drill", "--commander", "Sam").out.strip()
    facts = run("show", reference, "--json").json()["incident"]
    assert facts["severity"] == "SEV3" and facts["drill"] is True  # the policy's default severity
    assert run("list", "--json").json()[0]["commander"] == "Sam"
    assert "[drill] Drill: failover" in run("list").out


def test_as_records_the_change_under_that_name(run: Run) -> None:
    reference = run("--as", "Priya", "declare", "--title", "Search slow").out.strip()
    assert run("show", reference, "--json").json()["incident"]["declared_by"]["name"] == "Priya"
    # Accepted after the command too.
    run("note", reference, "looking", "--as", "Sam")
    actors = [e["actor"] for e in run("show", reference, "--json").json()["timeline"]]
    assert actors[-1] == "Sam" and "Alex" not in actors


def test_list_is_a_readable_table_of_open_incidents(run: Run, declare: Callable[..., str]) -> None:
    assert run("list").out.startswith("No open incidents.")
    first = declare("Checkout API returning 502s")
    second = declare("Search results slow in eu-west")
    run("status", second, "resolved")
    lines = run("list").out.splitlines()
    assert lines[0].split() == ["REFERENCE", "SEV", "STATUS", "AGE", "IC", "TITLE"]
    assert len(lines) == 2 and lines[1].split()[:3] == [first, "SEV2", "investigating"]
    assert lines[1].endswith("Checkout API returning 502s")
    everything = run("list", "--all").out
    assert second in everything and "resolved" in everything
    assert [row["reference"] for row in run("list", "--all", "--json").json()] == [second, first]


def test_show_gives_facts_roles_and_timeline_in_local_time(run: Run, declare: Callable[..., str]) -> None:
    reference = declare("Checkout API returning 502s", "--service", "checkout-api")
    run("severity", reference, "SEV1", "--reason", "all regions")
    run("note", reference, "Rolled back v2.31 — 502 rate falling", "--pin")
    out = run("show", reference).out
    document = run("show", reference, "--json").json()
    declared = datetime.fromisoformat(document["incident"]["milestones"]["declared"].replace("Z", "+00:00"))
    local = declared.astimezone(BERLIN)
    assert out.startswith(f"{reference}  SEV1 Critical  investigating\nCheckout API returning 502s\n")
    assert "Services     checkout-api" in out
    assert f"Declared      {local:%Y-%m-%d %H:%M:%S} {local.tzname()}" in out
    assert re.search(r"Incident Commander\s+Alex\s+since", out)
    assert re.search(r"Communications Lead\s+\(unfilled\)\s+a key role for SEV1", out)
    assert f"{local:%H:%M:%S}   Alex  incident   SEV2 declared: Checkout API returning 502s" in out
    assert re.search(r"\d\d:\d\d:\d\d \* Alex  note       Rolled back v2\.31 — 502 rate falling", out)
    assert "Severity raised SEV2 → SEV1: all regions" in out


def test_references_resolve_from_any_unambiguous_prefix(run: Run, declare: Callable[..., str]) -> None:
    first, second = declare("one"), declare("two")
    incident_id = run("show", first, "--json").json()["incident"]["id"]
    for typed in (first, first[:8], first[4:9].lower(), " " + first.lower() + " ", incident_id[:13]):
        result = run("show", typed, "--json")
        assert result.code == 0, (typed, result.err)
        assert result.json()["incident"]["reference"] == first
    refused(run("show", "INC-"), "matches 2 incidents", first, second, "type more")
    refused(run("show", "INC-ZZZZZZZZ"), "no incident matches 'INC-ZZZZZZZZ'", "commander list --all")
    refused(run("show", "  "), "no incident reference given")


def test_title_rules_are_refused_with_a_sentence(run: Run) -> None:
    refused(
        run("declare", "--title", "x" * 10_000, "--severity", "SEV2"),
        "10,000 characters",
        "the limit is 200",
        "shorten it",
    )
    refused(run("declare", "--title", " \t ", "--severity", "SEV2"), "the title is empty")
    refused(run("declare", "--title", "ok", "--severity", "SEV9"), "unknown severity 'SEV9'", "SEV1, SEV2")
    refused(run("declare", "--title", "ok", "--detected-at", "2099-01-01T00:00:00Z"), "in the future")
    refused(run("declare", "--title", "ok", "--detected-at", "last tuesday"), "not a time commander can read")
    assert run("list", "--all", "--json").json() == []


def test_control_characters_never_reach_the_terminal(run: Run) -> None:
    title = "Disk\x1b[2J full\x07 on\x00 db-1\u202e"
    reference = run("declare", "--title", title, "--severity", "SEV2").out.strip()
    run("note", reference, "line one\x1b]0;pwned\x07\nline two\x08")
    listed, shown = run("list").out, run("show", reference).out
    for out in (listed, shown):
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", out), repr(out)
    assert run("show", reference, "--json").json()["incident"]["title"] == "Disk[2J full on db-1\u202e"
    assert "Disk[2J full on db-1" in listed
    assert "line one]0;pwned\n" in shown and "line two" in shown


def test_sql_and_html_looking_text_is_stored_and_shown_literally(run: Run) -> None:
    title = "Robert'); DROP TABLE events;-- <b>x</b>"
    reference = run("declare", "--title", title, "--severity", "SEV2").out.strip()
    note = "<script>alert(1)</script> & ' OR 1=1 --"
    run("note", reference, note)
    assert title in run("list").out
    shown = run("show", reference).out
    assert title in shown and note in shown
    document = run("show", reference, "--json").json()
    assert document["incident"]["title"] == title and document["timeline"][-1]["text"] == note
    assert run("list", "--all", "--json").json()[0]["title"] == title  # the events table is still there


def test_unicode_rtl_and_emoji_pass_through(run: Run) -> None:
    title = "خطأ في الدفع 💳 支付失败"
    reference = run("declare", "--title", title, "--severity", "SEV1").out.strip()
    assert title in run("list").out and title in run("show", reference).out
