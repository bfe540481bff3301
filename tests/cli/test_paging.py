"""`commander pager …` and `commander page …` against a local PagerDuty."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from commander.app import bootstrap
from tests.cli.conftest import Run, refused
from tests.helpers.fakes import FakeService, serve
from tests.helpers.pagerduty_fake import API_KEY, ROUTING_KEY, PagerDutyFake
from tests.helpers.paging_samples import PAYMENTS_ONCALL


@pytest.fixture
def pagerduty(run: Run, tmp_path: Path) -> Iterator[tuple[PagerDutyFake, FakeService]]:
    fake = PagerDutyFake()
    with serve(fake) as server:
        added = run(
            "pager",
            "add",
            "pagerduty",
            "PagerDuty",
            "--option",
            f"api_url={server.base}/v2/enqueue",
            stdin=ROUTING_KEY + "\n",
        )
        assert added.code == 0 and added.out == "Added PagerDuty.\n", added
        schedules = tmp_path / "oncall.yaml"
        schedules.write_text(PAYMENTS_ONCALL, encoding="utf-8")
        assert run("schedule", "import", str(schedules)).code == 0
        yield fake, server


@pytest.fixture
def ref(declare: Callable[..., str], pagerduty: tuple[PagerDutyFake, FakeService]) -> str:
    return declare("Checkout API returning 502s", "--service", "payments")


def test_pagers_are_added_listed_and_removed(run: Run) -> None:
    refused(
        run("pager", "add", "pagerduty", "PagerDuty", stdin="not-a-key\n"),
        "not a PagerDuty routing key",
        "32 letters and digits",
    )
    assert run("pager", "add", "pagerduty", "PagerDuty", stdin=ROUTING_KEY + "\n").code == 0
    assert run("destination", "add", "slack", "#oncall", stdin="https://hooks.slack.example/T/B/X\n").code == 0
    chat = run(
        "pager",
        "add",
        "chat",
        "Slack",
        "--option",
        "destination=#oncall",
        "--option",
        "mention=Sam=<@U0SAM>,Alex=@alex",
    )
    assert chat.out == "Added Slack (chat).\n"
    listed = run("pager", "list")
    assert "PagerDuty  pagerduty  routing key here" in listed.out
    assert "Slack      chat       through #oncall, 2 mentions" in listed.out
    assert ROUTING_KEY not in listed.out
    data = run("pager", "list", "--json").json()
    assert [(p["name"], p["secret_here"]) for p in data] == [("PagerDuty", True), ("Slack", True)]
    assert run("pager", "remove", "PagerDuty").out == "Removed PagerDuty.\n"
    refused(run("pager", "remove", "PagerDuty"), "No pager called PagerDuty")


def test_paging_asks_first_unless_told_yes(run: Run, ref: str, pagerduty: tuple[PagerDutyFake, FakeService]) -> None:
    fake, _ = pagerduty
    refused(
        run("page", ref, "--service", "payments"),
        "paging payments through PagerDuty reaches Sam (on call on Payments primary), level 1 of Payments",
        "add --yes",
    )
    assert fake.bodies == []
    refused(run("page", ref), "Say whom to page")
    paged = run("page", ref, "--service", "payments", "--yes")
    assert paged.code == 0, paged
    assert paged.out == "  Sam: paged PagerDuty: delivered — PagerDuty accepted the page (Event processed)\n"
    assert len(fake.alerts) == 1
    refused(run("page", ref, "--service", "payments", "--yes"), "payments is being paged already")


def test_pages_are_listed_acknowledged_and_resolved(
    run: Run, ref: str, pagerduty: tuple[PagerDutyFake, FakeService]
) -> None:
    fake, _ = pagerduty
    assert run("page", "list", ref).out.startswith(f"{ref} has paged nobody.")
    run("page", ref, "--person", "Dana", "--yes")
    run("page", ref, "--service", "payments", "--yes")
    listed = run("page", "list", ref)
    lines = listed.out.splitlines()
    assert lines[0].split() == ["PAGE", "PERSON", "PAGER", "LEVEL", "SENT", "STATE"]
    assert "Dana" in lines[1] and lines[1].rstrip().endswith("delivered")
    assert "Sam" in lines[2] and "  1  " in lines[2]
    assert lines[3].startswith("Next escalation at ")
    data = run("page", "list", ref, "--json").json()
    sam = next(p for p in data["pages"] if p["person"] == "Sam")
    assert (sam["level"], sam["via"], sam["state"]) == (1, "Payments primary", "delivered")
    assert data["next_escalation"] is not None
    acked = run("page", "ack", ref, sam["id"][:13])
    assert acked.out.splitlines()[0] == f"{ref}: Sam acknowledged the page to Sam; escalation stopped."
    assert "Sam: acknowledged at PagerDuty: delivered" in acked.out
    assert fake.alert(sam["dedup_key"]).status == "acknowledged"
    refused(run("page", "ack", ref), "takes REF PAGE")
    assert run("status", ref, "resolved").code == 0
    resolved = run("page", "resolve", ref)
    assert resolved.out.splitlines()[0] == f"{ref}: every open page resolved."
    assert [a.status for a in fake.alerts] == ["resolved", "resolved"]
    assert run("page", "resolve", ref).out == f"{ref} has no open pages.\n"


def test_page_escalate_pages_what_is_due(
    run: Run, ref: str, pagerduty: tuple[PagerDutyFake, FakeService], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake, _ = pagerduty
    run("page", ref, "--service", "payments", "--yes")
    assert run("page", "escalate", ref).out.startswith(f"{ref}: no escalation is due; the next is at ")
    moment = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr(bootstrap, "utc_now", lambda: moment)
    escalated = run("page", "escalate", ref)
    assert escalated.out == "  Morgan: paged PagerDuty: delivered — PagerDuty accepted the page (Event processed)\n"
    assert [a.summary.rsplit(" ", 1)[-1] for a in fake.alerts] == ["Sam", "Morgan"]
    assert run("page", "escalate", ref).out == f"{ref}: no escalation is due.\n"
    timeline = run("show", ref).out
    assert "Nobody acknowledged in 15 min: payments escalated to level 2: paging Morgan" in timeline


def test_acknowledgements_made_in_pagerduty_are_read_back(
    run: Run, ref: str, pagerduty: tuple[PagerDutyFake, FakeService]
) -> None:
    fake, server = pagerduty
    options = ["--option", f"api_url={server.base}/v2/enqueue", "--option", f"rest_url={server.base}"]
    assert run("pager", "add", "pagerduty", "PD", *options, stdin=ROUTING_KEY + "\n").code == 0
    refused(run("pager", "api-key", "PD", stdin="short\n"), "not a PagerDuty REST API key")
    given = run("pager", "api-key", "PD", stdin=API_KEY + "\n")
    assert given.code == 0 and API_KEY not in given.out + given.err
    assert run("page", ref, "--person", "Dana", "--pager", "PD", "--yes").code == 0
    [alert] = fake.alerts
    assert run("pager", "poll").out == "0 acknowledgements read back from PagerDuty.\n"
    fake.acknowledge_in_app(alert.dedup_key, "Dana Smith")
    assert run("pager", "poll").out == "1 acknowledgement read back from PagerDuty.\n"
    assert "acknowledged by Dana Smith" in run("page", "list", ref).out
    assert "REST API key here" in run("pager", "list").out
    assert [p["rest_key_here"] for p in run("pager", "list", "--json").json()] == [False, True]
