"""Reading a page's incident back from PagerDuty's REST API v2, against a local service that answers as
PagerDuty does (tests/helpers/pagerduty_fake.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest

from commander.integrations.pagerduty import Alert, EventsV2, IncidentSeen, ReadProblem, RestV2
from tests.helpers.fakes import FakeService, serve
from tests.helpers.pagerduty_fake import API_KEY, INTEGRATION, ROUTING_KEY, PagerDutyFake

KEY = "commander/i/sam"


def page(service: FakeService) -> None:
    alert = Alert("paging Sam", "payments", "critical", datetime(2026, 11, 28, 9, 30, tzinfo=UTC))

    async def run() -> None:
        async with httpx.AsyncClient(timeout=5) as client:
            outcome = await EventsV2(ROUTING_KEY, api_url=f"{service.base}/v2/enqueue").trigger(client, KEY, alert)
            assert outcome.state == "delivered"

    asyncio.run(run())


def read(service: FakeService, key: str = API_KEY, dedup: str = KEY) -> IncidentSeen:
    async def run() -> IncidentSeen:
        async with httpx.AsyncClient(timeout=5) as client:
            return await RestV2(key, rest_url=service.base, name="PagerDuty").incident(client, dedup)

    return asyncio.run(run())


def test_the_request_is_the_documented_one() -> None:
    fake = PagerDutyFake()
    with serve(fake) as service:
        page(service)
        read(service)
    request = service.requests[-1]
    assert request.method == "GET" and request.path == "/incidents?incident_key=commander%2Fi%2Fsam"
    assert request.headers["authorization"] == f"Token token={API_KEY}"
    assert request.headers["accept"] == "application/vnd.pagerduty+json;version=2"
    assert fake.reads == [KEY]


def test_a_triggered_incident_is_not_answered_and_a_missing_one_has_no_status() -> None:
    with serve(PagerDutyFake()) as service:
        page(service)
        seen = read(service)
        missing = read(service, dedup="commander/i/nobody")
    assert (seen.status, seen.by, seen.answered, seen.number) == ("triggered", "", False, "#1")
    assert missing == IncidentSeen("") and not missing.answered


def test_who_acknowledged_in_the_app_is_read() -> None:
    fake = PagerDutyFake()
    with serve(fake) as service:
        page(service)
        fake.acknowledge_in_app(KEY, "Sam Jones")
        seen = read(service)
    assert seen.answered and (seen.status, seen.by, seen.at) == ("acknowledged", "Sam Jones", "2026-11-28T09:34:00Z")


def test_an_acknowledgement_through_the_events_api_names_the_integration() -> None:
    fake = PagerDutyFake()
    with serve(fake) as service:
        page(service)
        asyncio.run(_acknowledge(service))
        seen = read(service)
    assert seen.status == "acknowledged" and seen.by == INTEGRATION


async def _acknowledge(service: FakeService) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        await EventsV2(ROUTING_KEY, api_url=f"{service.base}/v2/enqueue").acknowledge(client, KEY)


def test_a_wrong_key_is_said_without_the_key() -> None:
    with serve(PagerDutyFake()) as service, pytest.raises(ReadProblem) as caught:
        read(service, key="wrongwrongwrongwrong")
    message = str(caught.value)
    assert "refused the REST API key (Unauthorized, code 2006)" in message and "wrongwrong" not in message
    assert not caught.value.transient


def test_rate_limits_and_server_errors_are_transient() -> None:
    fake = PagerDutyFake(rest_busy=1, rest_broken=1)
    with serve(fake) as service:
        with pytest.raises(ReadProblem, match="read again in 12 s") as busy:
            read(service)
        with pytest.raises(ReadProblem, match="problem of its own") as broken:
            read(service)
    assert busy.value.transient and broken.value.transient


def test_an_unreachable_api_is_transient() -> None:
    with serve(PagerDutyFake()) as service:
        pass
    with pytest.raises(ReadProblem, match="could not reach") as caught:
        read(service)
    assert caught.value.transient
