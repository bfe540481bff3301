"""Answers made outside Commander: read back from PagerDuty's REST API (a local service that answers as
PagerDuty does), or an "ack" replied in a page's chat thread. Either stops the escalation, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from commander.app import incident as app_incident
from commander.app import oncall, pagers, paging
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.incident.decisions import Declaration
from commander.domain.paging import pagers as pager_settings
from commander.domain.paging.pages import Page
from commander.integrations.secrets import SecretStore
from tests.helpers.fakes import FakeService, serve
from tests.helpers.pagerduty_fake import API_KEY, ROUTING_KEY, PagerDutyFake
from tests.helpers.paging_samples import PAYMENTS_ONCALL

PagerDuty = tuple[PagerDutyFake, FakeService]


@pytest.fixture
def incident(console: Console) -> str:
    oncall.import_yaml(console, PAYMENTS_ONCALL)
    return app_incident.declare(
        console, Declaration(title="Checkout API returning 502s", severity="SEV1", services=("payments",))
    ).id


def add_pagerduty(console: Console, name: str, server: FakeService) -> None:
    options = {"api_url": f"{server.base}/v2/enqueue", "rest_url": server.base}
    paging.add_pager(console, "pagerduty", name, options, ROUTING_KEY, SecretStore())


@pytest.fixture
def pagerduty(console: Console) -> Iterator[PagerDuty]:
    fake = PagerDutyFake()
    with serve(fake) as server:
        add_pagerduty(console, "PagerDuty", server)
        assert paging.set_api_key(console, "PagerDuty", API_KEY, SecretStore()) in (True, False)
        yield fake, server


def page_payments(console: Console, incident: str) -> Page:
    paging.run(console, paging.page_service(console, incident, "payments", None, SecretStore()))
    [page] = paging.pages(console, incident)
    return page


def timeline(console: Console, incident: str) -> list[str]:
    return [entry.text for entry in console.view(incident).entries]


def in_minutes(console: Console, minutes: float) -> datetime:
    return console.now() + timedelta(minutes=minutes)


def test_an_acknowledgement_in_pagerduty_is_read_back_once_and_stops_the_escalation(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, _ = pagerduty
    page = page_payments(console, incident)
    assert paging.poll_acknowledgements(console) == 0  # nobody answered yet
    fake.acknowledge_in_app(page.dedup_key, "Sam Jones")
    assert paging.poll_acknowledgements(console) == 1
    [page] = paging.pages(console, incident)
    assert page.acknowledged_by == "Sam Jones"
    assert "Sam Jones acknowledged the page to Sam in PagerDuty" in timeline(console, incident)
    reads = len(fake.reads)
    assert paging.poll_acknowledgements(console) == 0 and len(fake.reads) == reads  # answered: not read again
    moment = in_minutes(console, 60)
    console.wall = lambda: moment
    assert not paging.escalate_due(console, incident, SecretStore())


def test_a_page_that_cannot_be_read_keeps_its_reason_and_the_others_go_on(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, server = pagerduty
    page_payments(console, incident)
    add_pagerduty(console, "Other team", server)
    pagers.set_api_key(console, "Other team", "x" * 20, SecretStore())  # a key PagerDuty refuses
    paging.run(console, paging.page_person(console, incident, "Dana", "Other team", SecretStore()))
    sam, dana = sorted(paging.pages(console, incident), key=lambda p: p.target != "Sam")
    fake.acknowledge_in_app(sam.dedup_key, "Sam Jones")
    fake.acknowledge_in_app(dana.dedup_key, "Dana")
    problems: dict[str, str] = {}
    assert paging.poll_acknowledgements(console, problems=problems) == 1
    assert list(problems) == [dana.id] and "refused the REST API key" in problems[dana.id]
    assert {p.target: p.acknowledged_by for p in paging.pages(console, incident)} == {"Sam": "Sam Jones", "Dana": ""}


def test_a_pager_without_a_rest_key_is_not_read(console: Console, incident: str) -> None:
    fake = PagerDutyFake()
    with serve(fake) as server:
        add_pagerduty(console, "PagerDuty", server)
        page = page_payments(console, incident)
        fake.acknowledge_in_app(page.dedup_key, "Sam Jones")
        assert paging.poll_acknowledgements(console) == 0
    assert fake.reads == []


def test_a_rest_address_changed_by_someone_else_holds_the_key_back(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, server = pagerduty
    page = page_payments(console, incident)
    # Someone re-adds the pager in the shared store with their own REST address; the key kept here stays.
    console.record(pager_settings.remove_pager(paging.pagers(console), "PagerDuty"))
    moved = {"api_url": f"{server.base}/v2/enqueue", "rest_url": "https://attacker.example"}
    console.record(pager_settings.add_pager(paging.pagers(console), "pagerduty", "PagerDuty", moved, {}))
    problems: dict[str, str] = {}
    assert paging.poll_acknowledgements(console, problems=problems) == 0
    assert fake.reads == [] and "https://attacker.example" in problems[page.id]


def test_an_ack_in_the_chat_thread_is_matched_by_the_pages_message(
    console: Console, incident: str, pagerduty: PagerDuty
) -> None:
    fake, _ = pagerduty
    page = page_payments(console, incident)
    root = f"<@U0SAM>: you are paged … Reply ack in this thread when you are on it (page {page.id[:8]})."
    dispatch = paging.acknowledge_from_chat(console, incident, root, "Sam")
    assert [job.action for job in dispatch.jobs] == ["acknowledge"]  # a PagerDuty page: PagerDuty is told too
    paging.run(console, dispatch)
    assert fake.alert(page.dedup_key).status == "acknowledged"
    assert "Sam acknowledged the page in the chat thread" in timeline(console, incident)
    again = paging.acknowledge_from_chat(console, incident, page.id[:8], "Kim")  # a second ack: nothing
    assert not again and paging.pages(console, incident)[0].acknowledged_by == "Sam"


def test_an_ack_for_no_such_page_says_so(console: Console, incident: str, pagerduty: PagerDuty) -> None:
    page_payments(console, incident)
    with pytest.raises(DomainError, match="No page"):
        paging.acknowledge_from_chat(console, incident, "(page ffffffff)", "Sam")
