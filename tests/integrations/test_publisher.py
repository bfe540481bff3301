"""The retry loop: the service's own wait is honoured (never less, a little jitter more), exponential
backoff with jitter where it says nothing, and a delivery gives up only when its deadline would pass."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from commander.integrations.destinations import publisher
from commander.integrations.destinations.base import Outcome
from commander.integrations.destinations.publisher import GAVE_UP, publish, wait_before
from commander.integrations.destinations.slack import SlackWebhook
from tests.helpers.fakes import Reply, serve
from tests.integrations.test_destinations import UPDATE


@pytest.mark.parametrize("asked", [0.0, 0.3, 4.0, 90.0])
def test_the_services_wait_is_honoured_with_a_little_jitter(asked: float) -> None:
    for attempt in range(20):
        said, slept = wait_before(attempt, Outcome("retry", "busy", asked), None)
        assert said == asked and asked <= slept <= asked + 1.0


def test_without_a_word_from_the_service_the_wait_doubles_with_jitter_up_to_a_cap() -> None:
    for attempt in range(12):
        ceiling = min(publisher.MAX_BACKOFF, publisher.FIRST_WAIT * 2**attempt)
        waits = {wait_before(attempt, Outcome("retry", "down"), None)[1] for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits) and len(waits) > 1


def test_a_service_that_stays_down_is_retried_until_the_deadline_then_given_up() -> None:
    async def send() -> Outcome:
        async with httpx.AsyncClient(timeout=2) as client:
            destination = SlackWebhook("#incidents", service.url)
            return (await publish([destination], UPDATE, client=client, deadline=2.5))["#incidents"]

    with serve(lambda request: Reply(503, "service unavailable")) as service:
        began = time.monotonic()
        outcome = asyncio.run(send())
        took = time.monotonic() - began
    assert outcome.state == "failed" and outcome.detail.startswith(f"{GAVE_UP} after ")
    assert len(service.requests) >= 2 and took < 2.5  # it stops before the next wait would pass the deadline
    assert "503" in outcome.detail and "Retry it when the service has recovered" in outcome.detail
