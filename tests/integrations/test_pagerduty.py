"""PagerDuty Events API v2 and chat mentions, against local services that answer as the real ones do."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from commander.integrations.destinations.base import Outcome, Update
from commander.integrations.pagerduty import Alert, EventsV2, trigger_body
from commander.integrations.paging import PageJob, post_mention, send_all
from tests.helpers.fakes import Reply, Request, serve
from tests.helpers.pagerduty_fake import ROUTING_KEY, PagerDutyFake

NOW = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)
ALERT = Alert(
    "[SEV2] INC-7K2M Checkout API returning 502s: paging Sam",
    "payments",
    "error",
    NOW,
    component="payments",
    group="INC-7K2M",
    class_="incident page",
    details={"reference": "INC-7K2M", "title": "Checkout API returning 502s", "link": ""},
    links=[("https://wiki.example/INC-7K2M", "INC-7K2M in Commander")],
)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def once(events: EventsV2, action: str, key: str = "commander/i/sam") -> Outcome:
    async with httpx.AsyncClient(timeout=5) as client:
        if action == "trigger":
            return await events.trigger(client, key, ALERT)
        return await (events.acknowledge if action == "acknowledge" else events.resolve)(client, key)


def job(url: str, action: str = "trigger", key: str = ROUTING_KEY, dedup: str = "commander/i/sam") -> PageJob:
    return PageJob(
        "p1",
        action,
        "PagerDuty",
        "pagerduty",
        dedup,
        key,
        {"api_url": url},
        alert=ALERT if action == "trigger" else None,
    )


async def all_of(jobs: list[PageJob], **kwargs: Any) -> list[Outcome]:
    async with httpx.AsyncClient(timeout=5) as client:
        return await send_all(jobs, client=client, **kwargs)


def test_a_trigger_carries_what_the_events_api_requires() -> None:
    body = trigger_body(ROUTING_KEY, "commander/i/sam", ALERT)
    assert body["routing_key"] == ROUTING_KEY and body["event_action"] == "trigger"
    assert body["dedup_key"] == "commander/i/sam" and body["client"] == "Commander"
    payload = body["payload"]
    assert {"summary", "source", "severity", "timestamp"} <= set(payload)
    assert payload["severity"] == "error" and payload["timestamp"] == "2026-11-28T09:30:00Z"
    assert payload["component"] == "payments" and payload["group"] == "INC-7K2M"
    assert payload["class"] == "incident page"
    assert payload["custom_details"]["reference"] == "INC-7K2M"
    assert body["links"] == [{"href": "https://wiki.example/INC-7K2M", "text": "INC-7K2M in Commander"}]


def test_a_long_summary_is_cut_to_the_limit_and_an_unknown_severity_refused() -> None:
    long = Alert("x" * 5000, "payments", "critical", NOW)
    assert len(trigger_body(ROUTING_KEY, "k", long)["payload"]["summary"]) == 1024
    with pytest.raises(ValueError, match="severity"):
        trigger_body(ROUTING_KEY, "k", Alert("s", "payments", "SEV1", NOW))


def test_trigger_acknowledge_resolve_follow_one_alert() -> None:
    fake = PagerDutyFake()
    with serve(fake) as server:
        events = EventsV2(ROUTING_KEY, api_url=f"{server.base}/v2/enqueue")
        triggered = run(once(events, "trigger"))
        assert triggered.state == "delivered" and triggered.remote_id == "commander/i/sam"
        assert "accepted the page (Event processed)" in triggered.detail
        assert [a.status for a in fake.alerts] == ["triggered"]
        assert fake.alerts[0].summary == ALERT.summary
        assert server.requests[0].headers["content-type"] == "application/json; charset=utf-8"
        assert run(once(events, "acknowledge")).state == "delivered"
        assert fake.alerts[0].status == "acknowledged"
        assert run(once(events, "resolve")).state == "delivered"
        assert fake.alerts[0].status == "resolved"


def test_a_second_trigger_with_the_same_dedup_key_opens_no_new_alert() -> None:
    fake = PagerDutyFake()
    with serve(fake) as server:
        events = EventsV2(ROUTING_KEY, api_url=f"{server.base}/v2/enqueue")
        assert run(once(events, "trigger")).state == "delivered"
        assert run(once(events, "trigger")).state == "delivered"
        assert len(fake.alerts) == 1 and fake.alerts[0].log == ["trigger"]
        run(once(events, "trigger", key="commander/i/kim"))
        assert len(fake.alerts) == 2  # another person: another alert
        run(once(events, "resolve"))
        run(once(events, "trigger"))  # after the resolution, the same key opens a new alert, as PagerDuty does
        assert len(fake.alerts) == 3


def test_a_bad_routing_key_is_final_and_says_what_to_do() -> None:
    fake = PagerDutyFake()
    with serve(fake) as server:
        outcome = run(all_of([job(f"{server.base}/v2/enqueue", key="too-short")], attempts=3, backoff=(0.01,)))[0]
    assert outcome.state == "failed"
    assert "Length of 'routing_key' is incorrect (should be 32 characters)" in outcome.detail
    assert "set the pager's routing key again" in outcome.detail
    assert len(fake.bodies) == 1  # a 400 is not retried
    assert "too-short" not in outcome.detail


def test_an_invalid_event_that_is_ours_is_reported_as_a_bug() -> None:
    fake = PagerDutyFake()
    with serve(fake) as server:
        events = EventsV2(ROUTING_KEY, api_url=f"{server.base}/v2/enqueue")

        async def blank_source() -> Outcome:
            body = trigger_body(ROUTING_KEY, "k", Alert("s", "", "info", NOW))
            async with httpx.AsyncClient(timeout=5) as client:
                return await events.send(client, body, "trigger")

        outcome = run(blank_source())
    assert outcome.state == "failed" and "'payload.source' is missing or blank" in outcome.detail
    assert "report it as a bug" in outcome.detail


def test_429_is_retried_honouring_retry_after_then_delivered() -> None:
    fake = PagerDutyFake(busy=2, retry_after="0")
    heard: list[tuple[str, str, str]] = []
    with serve(fake) as server:
        outcome = run(
            all_of([job(f"{server.base}/v2/enqueue")], backoff=(30.0,), on_state=lambda *said: heard.append(said))
        )[0]
    assert outcome.state == "delivered"  # backoff of 30 s would have timed the test out: Retry-After 0 was used
    assert [state for _, state, _ in heard].count("retrying") == 2
    assert any("429" in detail for _, state, detail in heard if state == "retrying")
    assert len(fake.alerts) == 1


def test_5xx_is_retried_with_backoff_and_gives_up_in_the_end() -> None:
    fake = PagerDutyFake(broken=1)
    with serve(fake) as server:
        assert run(all_of([job(f"{server.base}/v2/enqueue")], backoff=(0.01,)))[0].state == "delivered"
        fake.broken = 10
        outcome = run(all_of([job(f"{server.base}/v2/enqueue")], attempts=3, backoff=(0.01,)))[0]
    assert outcome.state == "failed" and "gave up after 3 attempts" in outcome.detail and "(500)" in outcome.detail


def test_an_unreachable_pagerduty_is_retried_then_failed() -> None:
    with serve(lambda request: Reply(202)) as server:
        url = f"{server.base}/v2/enqueue"
    outcome = run(all_of([job(url)], attempts=2, backoff=(0.01,)))[0]
    assert outcome.state == "failed" and "could not be reached" in outcome.detail


def test_a_job_that_cannot_be_sent_fails_at_once_with_its_reason() -> None:
    blocked = PageJob("p1", "trigger", "PagerDuty", "pagerduty", "k", "", problem="no routing key here")
    assert run(all_of([blocked]))[0] == Outcome("failed", "no routing key here")


def test_follow_ups_need_the_triggers_routing_key() -> None:
    fake = PagerDutyFake()
    other = "X" * 32
    with serve(fake) as server:
        url = f"{server.base}/v2/enqueue"
        run(all_of([job(url)]))
        run(all_of([job(url, "resolve", key=other)]))  # PagerDuty drops it: another integration's key
        assert fake.alerts[0].status == "triggered"
        run(all_of([job(url, "resolve")]))
        assert fake.alerts[0].status == "resolved"


UPDATE = Update("INC-7K2M", "SEV2", "investigating", "Paging <@U123>: Checkout", "<@U123>: you are paged for INC-7K2M")


@pytest.mark.parametrize(
    ("kind", "options", "field", "extra"),
    [
        ("slack", {}, "text", None),
        ("mattermost", {"channel": "oncall"}, "text", ("channel", "oncall")),
        ("discord", {}, "content", ("allowed_mentions", {"parse": ["users", "roles"]})),
    ],
)
def test_a_chat_mention_goes_where_the_chat_reads_mentions(
    kind: str, options: dict[str, str], field: str, extra: tuple[str, Any] | None
) -> None:
    def answer(request: Request) -> Reply:
        return Reply(200, json.dumps({"id": "m1"}) if kind == "discord" else "ok")

    with serve(answer) as server:

        async def post() -> Outcome:
            async with httpx.AsyncClient(timeout=5) as client:
                return await post_mention(client, kind, "#oncall", options, server.url, UPDATE)

        outcome = run(post())
    assert outcome.state == "delivered", outcome
    body = json.loads(server.requests[0].body)
    assert body[field].startswith("<@U123>: you are paged")
    assert "blocks" not in body and "embeds" not in body  # a plain message: the mention is parsed
    if extra:
        assert body[extra[0]] == extra[1]


def test_slack_api_mentions_through_chat_post_message() -> None:
    with serve(lambda request: Reply(200, json.dumps({"ok": True, "ts": "1.2"}))) as server:

        async def post() -> Outcome:
            async with httpx.AsyncClient(timeout=5) as client:
                return await post_mention(
                    client, "slack-api", "#oncall", {"channel": "C1", "api_url": server.base}, "xoxb-token", UPDATE
                )

        assert run(post()).state == "delivered"
    request = server.requests[0]
    assert request.path == "/chat.postMessage" and request.headers["authorization"] == "Bearer xoxb-token"
    assert json.loads(request.body) == {"channel": "C1", "text": UPDATE.text}


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"event_action": "page"}, "'event_action' is missing or invalid"),
        ({"payload": {"summary": "s" * 1025, "source": "x", "severity": "info"}}, "'payload.summary' is too long"),
        ({"payload": {"summary": "s", "source": "x", "severity": "SEV1"}}, "'payload.severity' is invalid"),
        ({"payload": {"source": "x", "severity": "info"}}, "'payload.summary' is missing or blank"),
        ({"dedup_key": "k" * 256}, "'dedup_key' must be a string of at most 255 characters"),
    ],
)
def test_the_fake_refuses_what_pagerduty_refuses(change: dict[str, Any], error: str) -> None:
    body = trigger_body(ROUTING_KEY, "k", ALERT) | change
    with serve(PagerDutyFake()) as server:
        response = httpx.post(f"{server.base}/v2/enqueue", json=body, timeout=5)
    assert response.status_code == 400
    answer = response.json()
    assert answer["status"] == "invalid event" and answer["message"] == "Event object is invalid"
    assert any(error in e for e in answer["errors"]), answer
