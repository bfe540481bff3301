"""`commander action …` and `commander tracker …`, pushing to local trackers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli.conftest import Run, refused
from tests.helpers.fakes import Reply, serve
from tests.helpers.keyring_memory import MemoryKeyring
from tests.helpers.tracker_fakes import FAKES, TOKEN, FakeJira, options


def settings(kind: str, base: str) -> list[str]:
    return [part for key, value in options(kind, base).items() for part in ("--option", f"{key}={value}")]


def test_add_list_and_close_items(run: Run, declare: Callable[..., str]) -> None:
    ref = declare()
    late = run("action", "add", ref, "Write the rollback runbook", "--due", "2020-01-01", "--owner", "Sam").out.strip()
    soon = run(
        "action",
        "add",
        ref,
        "Alert on consumer lag",
        "--type",
        "detect",
        "--priority",
        "p2",
        "--finding",
        "Lag went unnoticed for 20 minutes",
    ).out.strip()
    assert late.startswith("ACT-") and soon.startswith("ACT-")
    listed = run("action", "list").out.splitlines()
    assert listed[0].split() == ["ID", "DUE", "PRI", "TYPE", "OWNER", "INCIDENT", "STATUS", "TITLE"]
    assert listed[1].startswith(late) and "d late)" in listed[1]  # overdue first
    week = (date.today() + timedelta(days=7)).isoformat()
    assert listed[2].startswith(soon) and week in listed[2] and "P2" in listed[2] and "(none)" in listed[2]
    assert [line.split()[0] for line in run("action", "list", "--overdue").out.splitlines()[1:]] == [late]
    assert len(run("action", "list", "--owner", "none").out.splitlines()) == 2
    assert run("action", "done", soon).out.strip() == f"{soon}  done: Alert on consumer lag"
    refused(run("action", "done", soon), "is already done")
    refused(run("action", "wont-do", late, "--reason", " "), "a reason is required")
    assert "won't do" in run("action", "wont-do", late, "--reason", "the service is retired").out
    assert run("action", "list").out.strip() == "No action items match."
    everything = run("action", "list", "--status", "all", "--json").json()
    assert {(i["reference"], i["status"]) for i in everything} == {(late, "wont_do"), (soon, "done")}
    assert everything[0]["incident"] == ref and everything[1]["finding"] == "Lag went unnoticed for 20 minutes"
    assert run("action", "reopen", late).code == 0
    timeline = [e["text"] for e in run("show", ref, "--json").json()["timeline"] if e["kind"].startswith("action.")]
    assert timeline[-1] == "Action item reopened: Write the rollback runbook"


def test_edit_changes_only_what_is_given(run: Run, declare: Callable[..., str]) -> None:
    item = run("action", "add", declare(), "Alert on lag").out.strip()
    assert run("action", "edit", item, "--owner", "Kim", "--due", "2w", "--team", "Payments").code == 0
    [found] = run("action", "list", "--team", "payments", "--json").json()
    assert (found["owner"], found["due"]) == ("Kim", (date.today() + timedelta(days=14)).isoformat())
    refused(run("action", "edit", item), "Nothing to change")
    refused(run("action", "edit", item, "--owner", "Kim"), "already has those values")
    refused(run("action", "edit", item, "--due", "soon"), "is not a due date")


def test_items_are_listed_per_incident(run: Run, declare: Callable[..., str]) -> None:
    first, second = declare("Checkout down"), declare("Search slow")
    run("action", "add", first, "one")
    run("action", "add", second, "two")
    assert [i["title"] for i in run("action", "list", "--incident", second, "--json").json()] == ["two"]
    refused(run("action", "add", "INC-ZZZZ", "x"), "No incident matches")
    refused(run("action", "done", "ACT-ZZZZZZ"), "No action item matches")


@pytest.mark.parametrize("kind", sorted(FAKES))
def test_push_to_each_tracker_then_refresh_its_status(
    run: Run, declare: Callable[..., str], kind: str, memory_keyring: MemoryKeyring, db: Path
) -> None:
    ref = declare()
    item = run("action", "add", ref, "Alert on consumer lag", "--due", "2020-01-01").out.strip()
    fake = FAKES[kind]()
    with serve(fake) as service:
        added = run("tracker", "add", kind, f"ops-{kind}", *settings(kind, service.base), stdin=TOKEN + "\n")
        assert added.code == 0, added.err
        assert ("commander", f"tracker:ops-{kind}") in memory_keyring.items
        assert TOKEN not in run("tracker", "list").out
        pushed = run("action", "push", item, "--to", f"ops-{kind}")
        assert pushed.code == 0, pushed.err
        key = pushed.out.split(" as ")[1].split()[0]
        refused(run("action", "push", item, "--to", f"ops-{kind}"), f"already in ops-{kind} as {key}", "--again")
        assert run("action", "refresh").code == 0
        fake.done.add(key)
        refreshed = run("action", "refresh", item)
        assert refreshed.code == 0 and "(done there)" in refreshed.out
        assert run("action", "refresh").code == 0  # nothing new: nothing written
    [shown] = run("action", "list", "--json").json()
    assert shown["overdue"] is False and shown["trackers"][0]["done"] is True
    assert shown["trackers"][0]["key"] == key
    timeline = [e["text"] for e in run("show", ref, "--json").json()["timeline"] if e["kind"].startswith("action.")]
    assert timeline[1] == f"Action item pushed to ops-{kind} as {key}: Alert on consumer lag"
    assert len(timeline) == 4 and f"in ops-{kind}: Alert on consumer lag" in timeline[-1]  # open, then done
    for part in (db, db.with_name(db.name + "-wal")):
        assert not part.exists() or TOKEN.encode() not in part.read_bytes()


def test_a_refusal_is_one_sentence_and_nothing_is_recorded(run: Run, declare: Callable[..., str]) -> None:
    ref = declare()
    item = run("action", "add", ref, "x").out.strip()
    refused(run("action", "push", item, "--to", "nowhere"), "No tracker called nowhere", "commander tracker add")
    with serve(FakeJira()) as jira:
        assert (
            run(
                "tracker",
                "add",
                "jira",
                "ops-jira",
                *settings("jira", jira.base),
                "--option",
                "issuetype=Story",
                stdin=TOKEN + "\n",
            ).code
            == 0
        )
        refused(run("action", "push", item, "--to", "ops-jira"), "Specify a valid issue type", "issuetype")
    assert run("action", "list", "--json").json()[0]["trackers"] == []
    assert [e for e in run("show", ref, "--json").json()["timeline"] if e["kind"] == "action.pushed"] == []


def test_busy_tracker_retries_are_reported(run: Run, declare: Callable[..., str]) -> None:
    item = run("action", "add", declare(), "x").out.strip()
    with serve(FakeJira(queue=[Reply(429, "Too Many Requests", {"retry-after": "0"})])) as jira:
        run("tracker", "add", "jira", "ops-jira", *settings("jira", jira.base), stdin=TOKEN + "\n")
        pushed = run("action", "push", item, "--to", "ops-jira")
    assert pushed.code == 0 and "retrying in 0 s: ops-jira answered 429" in pushed.err


def test_tracker_settings_and_secrets(run: Run, memory_keyring: MemoryKeyring) -> None:
    refused(run("tracker", "add", "trello", "x", stdin="t\n"), "Use one of: jira, github, linear, asana")
    refused(run("tracker", "add", "github", "gh", "--option", "repo=acme/shop", stdin="\n"), "No secret given")
    refused(run("tracker", "add", "jira", "j", stdin="t\n"), "--option site=")
    assert run("tracker", "list").out.startswith("No trackers yet")
    assert run("tracker", "add", "github", "gh", "--option", "repo=acme/shop", stdin="t\n").code == 0
    assert run("tracker", "list").out.splitlines()[1].split()[:3] == ["gh", "github", "repo=acme/shop"]
    assert run("tracker", "remove", "gh").code == 0
    assert ("commander", "tracker:gh") not in memory_keyring.items
    refused(run("tracker", "remove", "gh"), "No tracker called gh")


def test_a_computer_without_the_secret_says_where_to_add_it(
    run: Run, declare: Callable[..., str], memory_keyring: MemoryKeyring
) -> None:
    item = run("action", "add", declare(), "x").out.strip()
    run("tracker", "add", "github", "gh", "--option", "repo=acme/shop", stdin="t\n")
    memory_keyring.items.clear()  # another computer: the settings are shared, the secret is not
    refused(run("action", "push", item, "--to", "gh"), "no secret for the tracker gh", "commander tracker secret")
