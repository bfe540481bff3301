"""Paging through the console against a local PagerDuty: events first, then the request, then the outcome;
escalation when nobody answers (once, across two consoles); acknowledging and resolving follow in PagerDuty."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from commander.app import incident as app_incident
from commander.app import oncall, paging
from commander.app.console import Console
from commander.app.updates import publishing
from commander.domain.core.errors import DomainError
from commander.domain.incident.decisions import Declaration
from commander.integrations.secrets import SecretStore
from tests.helpers.fakes import FakeService, Reply, Request, serve
from tests.helpers.pagerduty_fake import ROUTING_KEY, PagerDutyFake
from tests.helpers.paging_samples import PAYMENTS_ONCALL

PagerDuty = tuple[PagerDutyFake, FakeService]


@pytest.fixture
def incident(console: Console) -> str:
    oncall.import_yaml(console, PAYMENTS_ONCALL)
    return app_incident.declare(
        console,
        Declaration(
            title="Checkout API returning 502s", severity="SEV1", services=("payments",), summary="EU checkout failing"
        ),
    ).id


@pytest.fixture
def pagerduty(console: Console) -> tuple[PagerDutyFake, FakeService]:  # type: ignore[misc]
    fake = PagerDutyFake()
    with serve(fake) as server:
        paging.add_pager(
            console,
            "pagerduty",
            "PagerDuty",
            {"api_url": f"{server.base}/v2/enqueue", "link": "https://wiki.example/{reference}"},
            ROUTING_KEY,
            SecretStore(),
        )
        yield fake, server


def later(console: Console, minutes: float) -> Callable[[], datetime]:
    moment = console.now() + timedelta(minutes=minutes)
    return lambda: moment


def kinds(console: Console, incident: str) -> list[str]:
    return [e.kind for e in console.view(incident).events if e.kind.startswith("page.")]


def test_a_page_is_written_before_it_leaves_and_its_outcome_after(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, _ = pagerduty
    dispatch = paging.page_service(console, incident, "payments", None, SecretStore())
    assert kinds(console, incident) == ["page.sent"] and fake.bodies == []  # queued, nothing sent yet
    [job] = dispatch.jobs
    assert job.action == "trigger" and job.secret == ROUTING_KEY and ROUTING_KEY not in repr(job)
    outcomes = paging.run(console, dispatch)
    assert [o.state for o in outcomes] == ["delivered"]
    assert kinds(console, incident) == ["page.sent", "page.delivered"]
    [alert] = fake.alerts
    state = console.state(incident)
    assert alert.summary == f"[SEV1] {state.reference} Checkout API returning 502s: paging Sam"
    assert alert.payload["severity"] == "critical" and alert.payload["source"] == "payments"
    assert alert.payload["custom_details"]["link"] == f"https://wiki.example/{state.reference}"
    assert alert.payload["custom_details"]["on call on"] == "Payments primary"
    assert fake.bodies[0]["links"][0]["href"] == f"https://wiki.example/{state.reference}"
    [page] = paging.pages(console, incident)
    assert (page.target, page.via, page.state) == ("Sam", "Payments primary", "delivered")


def test_nobody_answers_so_the_next_level_is_paged_once_across_two_consoles(
    open_console: Callable[..., Console], console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, _ = pagerduty
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    other = open_console(user="Kim")
    other.state(incident)  # Kim's console has the incident open too
    console.wall = other.wall = later(console, 16)
    assert paging.escalate_due(console, incident, SecretStore()).jobs[0].alert is not None
    # Kim's console decides the same a moment later: the store already holds those events, so it sends nothing.
    assert not paging.escalate_due(other, incident, SecretStore())
    assert kinds(other, incident).count("page.escalated") == 1


def test_escalation_pages_the_next_level_and_acknowledging_stops_it(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, _ = pagerduty
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    assert not paging.escalate_due(console, incident, SecretStore())  # not yet
    console.wall = later(console, 15)
    paging.run(console, paging.escalate_due(console, incident, SecretStore()))
    assert [a.summary.rsplit(" ", 1)[-1] for a in fake.alerts] == ["Sam", "Morgan"]
    morgan = next(p for p in paging.pages(console, incident) if p.target == "Morgan")
    dispatch = paging.acknowledge(console, incident, morgan.id, SecretStore())
    assert [job.action for job in dispatch.jobs] == ["acknowledge"]
    paging.run(console, dispatch)
    assert fake.alert(morgan.dedup_key).status == "acknowledged"
    console.wall = later(console, 120)
    assert not paging.escalate_due(console, incident, SecretStore())


def test_resolving_the_pages_resolves_pagerdutys_alerts(console: Console, incident: str, pagerduty: PagerDuty) -> None:
    fake, _ = pagerduty
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    paging.run(console, paging.page_person(console, incident, "Dana", None, SecretStore()))
    app_incident.change_status(console, incident, "resolved")
    dispatch = paging.resolve_pages(console, incident, SecretStore())
    assert [job.action for job in dispatch.jobs] == ["resolve", "resolve"]
    assert [o.state for o in paging.run(console, dispatch)] == ["delivered", "delivered"]
    assert [a.status for a in fake.alerts] == ["resolved", "resolved"]
    assert {p.state for p in paging.pages(console, incident)} == {"resolved"}


def test_a_refused_page_is_on_the_timeline_with_its_reason(console: Console, incident: str) -> None:
    answer = {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    }
    with serve(lambda request: Reply(400, json.dumps(answer))) as server:
        paging.add_pager(console, "pagerduty", "PagerDuty", {"api_url": server.url}, ROUTING_KEY, SecretStore())
        [outcome] = paging.run(console, paging.page_person(console, incident, "Sam", None, SecretStore()))
    assert outcome.state == "failed"
    entry = console.view(incident).entries[-1]
    assert entry.category == "paging" and entry.text.startswith(
        "Page to Sam failed: PagerDuty refused the trigger as invalid (Length of 'routing_key' is incorrect"
    )


def test_without_the_routing_key_here_nothing_is_written(console: Console, incident: str) -> None:
    paging.add_pager(console, "pagerduty", "PagerDuty", {}, ROUTING_KEY, SecretStore())
    SecretStore().delete("pager:PagerDuty")
    with pytest.raises(DomainError, match="This computer has no routing key for PagerDuty"):
        paging.page_service(console, incident, "payments", None, SecretStore())
    assert kinds(console, incident) == []


def test_an_escalation_this_computer_cannot_send_fails_loudly(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    SecretStore().delete("pager:PagerDuty")
    console.wall = later(console, 15)
    paging.run(console, paging.escalate_due(console, incident, SecretStore()))
    morgan = next(p for p in paging.pages(console, incident) if p.target == "Morgan")
    assert morgan.state == "failed" and "no routing key for PagerDuty" in morgan.detail


def test_a_chat_page_mentions_the_person_through_the_destination(console: Console, incident: str) -> None:
    posts: list[Request] = []

    def slack(request: Request) -> Reply:
        posts.append(request)
        return Reply(200, "ok")

    with serve(slack) as server:
        publishing.add(console, "slack", "#oncall", {}, server.url, SecretStore())
        paging.add_pager(
            console, "chat", "Slack", {"destination": "#oncall", "mention": "Sam=<@U0SAM>"}, "", SecretStore()
        )
        [outcome] = paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    assert outcome.state == "delivered"
    text = json.loads(posts[0].body)["text"]
    reference = console.state(incident).reference
    [page] = paging.pages(console, incident)
    assert text == (
        f"<@U0SAM>: you are paged as on call for payments for {reference} (SEV1, investigating): "
        f"Checkout API returning 502s. Reply ack in this thread when you are on it (page {page.id[:8]})."
    )
    app_incident.change_status(console, incident, "resolved")
    assert not paging.resolve_pages(console, incident, SecretStore())  # a chat mention has nothing to take back
    assert {p.state for p in paging.pages(console, incident)} == {"resolved"}


def test_pagers_keep_their_routing_key_in_the_keyring_only(console: Console) -> None:
    secrets = SecretStore()
    config, kept = paging.add_pager(console, "pagerduty", "PagerDuty", {}, f" {ROUTING_KEY}\n", secrets)
    assert kept and secrets.get(config.secret_name) == ROUTING_KEY
    assert ROUTING_KEY not in json.dumps([dict(e.payload) for e in console.reads.stream("settings:paging")])
    with pytest.raises(DomainError, match="not a PagerDuty routing key"):
        paging.add_pager(console, "pagerduty", "Other", {}, "https://events.pagerduty.com", secrets)
    paging.remove_pager(console, "PagerDuty", secrets)
    assert secrets.get(config.secret_name) is None and paging.pagers(console) == {}


def test_the_preview_shows_the_request_with_the_key_masked(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    shown = paging.preview(console, incident, "Sam", None, SecretStore(), service="payments")
    assert shown.startswith("POST http://127.0.0.1:") and ROUTING_KEY not in shown
    assert '"routing_key": "•••• (routing key, in the keyring)"' in shown and '"severity": "critical"' in shown


def test_paging_a_service_says_whom_it_reaches(console: Console, incident: str) -> None:
    plan = paging.plan_service(console, "payments")
    assert plan.describe() == (
        "Sam (on call on Payments primary), level 1 of Payments. If nobody acknowledges "
        "within 15 min, the next level is paged: Morgan."
    )
    assert paging.services(console, incident) == ["payments"]


def test_pages_interrupted_by_a_restart_are_sent_again_or_marked_uncertain(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, _ = pagerduty
    paging.page_service(console, incident, "payments", None, SecretStore())  # written, then Commander "died"
    assert not paging.resume_stuck(console, incident, SecretStore())  # a moment later it may still be sending
    console.wall = later(console, 4)
    again = paging.resume_stuck(console, incident, SecretStore())
    assert [job.action for job in again.jobs] == ["trigger"]
    paging.run(console, again)
    paging.run(console, paging.resume_stuck(console, incident, SecretStore()))  # nothing left: no-op
    assert len(fake.alerts) == 1 and paging.pages(console, incident)[0].state == "delivered"

    with serve(lambda request: Reply(200, "ok")) as slack:
        publishing.add(console, "slack", "#oncall", {}, slack.url, SecretStore())
        paging.add_pager(console, "chat", "Slack", {"destination": "#oncall"}, "", SecretStore())
        paging.page_person(console, incident, "Dana", "Slack", SecretStore())
        console.wall = later(console, 4)
        assert not paging.resume_stuck(console, incident, SecretStore())  # not posted twice...
        assert slack.requests == []
    dana = next(p for p in paging.pages(console, incident) if p.target == "Dana")
    assert dana.state == "failed" and "may or may not have reached #oncall" in dana.detail  # ...but said so
