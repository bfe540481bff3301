"""Destinations against local services that answer as the real ones do: bodies checked, errors, 429."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time

import httpx

from commander.integrations.destinations.base import Update
from commander.integrations.destinations.publisher import publish
from commander.integrations.destinations.slack import SlackWebhook
from commander.integrations.destinations.webhook import JsonWebhook
from tests.helpers.fakes import Reply, Request, serve, slack_refusal

UPDATE = Update(
    "INC-7K2M9QXA",
    "SEV1",
    "investigating",
    "Checkout API returning 502s",
    "We are investigating errors at checkout. <b>not markup</b>\nNext update by 09:45.",
)


def slack_like(request: Request) -> Reply:
    """What Slack's incoming webhook checks: JSON with text, and blocks it can read."""
    try:
        body = json.loads(request.body)
    except ValueError:
        return Reply(400, "invalid_payload")
    if not body.get("text") or not isinstance(body.get("blocks"), list):
        return Reply(400, "invalid_payload")
    refused = slack_refusal(body)
    return Reply(400, refused) if refused else Reply(200, "ok")


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


async def _publish(destinations, **options):  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(timeout=options.pop("timeout", 2.0)) as client:
        return await publish(destinations, UPDATE, client=client, backoff=(0.05, 0.1), **options)


def test_slack_accepts_the_block_kit_update() -> None:
    with serve(slack_like) as slack:
        outcome = run(_publish([SlackWebhook("#incidents", slack.url)]))["#incidents"]
    assert outcome.state == "delivered"
    sent = json.loads(slack.requests[0].body)
    assert sent["text"] == "[SEV1] Checkout API returning 502s (investigating)"
    assert sent["blocks"][2]["text"] == {"type": "plain_text", "text": UPDATE.text}  # never mrkdwn: text stays text


def test_slack_errors_are_final_and_explained() -> None:
    with serve(lambda request: Reply(404, "channel_not_found")) as slack:
        outcome = run(_publish([SlackWebhook("#gone", slack.url)]))["#gone"]
    assert outcome.state == "failed" and "make a new webhook" in outcome.detail
    assert len(slack.requests) == 1  # a 4xx other than 429 is not retried


def test_429_is_retried_after_what_the_service_asked() -> None:
    answers = iter([Reply(429, "rate_limited", {"Retry-After": "1"}), Reply(200, "ok")])
    states: list[tuple[str, str]] = []
    with serve(lambda request: next(answers)) as slack:
        began = time.monotonic()
        outcome = run(
            _publish(
                [SlackWebhook("#incidents", slack.url)],
                on_state=lambda name, state, detail: states.append((state, detail)),
            )
        )["#incidents"]
        waited = time.monotonic() - began
    assert outcome.state == "delivered" and waited >= 1.0
    assert ("retrying", "retrying in 1 s: Slack (#incidents) answered 429 rate_limited") in states


def test_the_webhook_is_signed_with_hmac_sha256() -> None:
    secret = "s3cret-shared-with-the-receiver"

    def verify(request: Request) -> Reply:
        stamp = request.headers["x-commander-timestamp"]
        expected = (
            "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
        )
        return (
            Reply(204, "")
            if hmac.compare_digest(expected, request.headers["x-commander-signature"])
            else Reply(401, "bad signature")
        )

    with serve(verify) as receiver:
        good = run(_publish([JsonWebhook("ops", receiver.url, secret)]))["ops"]
        bad = run(_publish([JsonWebhook("ops", receiver.url, "wrong")]))["ops"]
    assert good.state == "delivered"
    assert bad.state == "failed" and "401" in bad.detail
    assert json.loads(receiver.requests[0].body)["reference"] == "INC-7K2M9QXA"


def test_a_hanging_destination_does_not_delay_the_others() -> None:
    with (
        serve(slack_like) as fast,
        serve(lambda request: Reply(200, "ok", delay=5)) as hanging,
        serve(lambda request: Reply(503, "busy")) as down,
    ):
        began = time.monotonic()
        delivered_at: dict[str, float] = {}

        def heard(name: str, state: str, detail: str) -> None:
            if state == "delivered":
                delivered_at[name] = time.monotonic() - began

        outcomes = run(
            _publish(
                [SlackWebhook("fast", fast.url), SlackWebhook("hanging", hanging.url), SlackWebhook("down", down.url)],
                attempts=2,
                timeout=0.5,
                on_state=heard,
            )
        )
    assert outcomes["fast"].state == "delivered" and delivered_at["fast"] < 0.5
    assert outcomes["hanging"].state == "failed" and "did not answer in time" in outcomes["hanging"].detail
    assert outcomes["down"].state == "failed" and "503" in outcomes["down"].detail
    assert len(down.requests) == 2  # a 5xx is retried


def test_no_secret_reaches_the_logs(caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    import commander.integrations.destinations  # noqa: F401 - it quiets httpx's request logging

    caplog.set_level(logging.DEBUG)  # as verbose as an application could make it
    with serve(slack_like) as slack:
        run(_publish([SlackWebhook("#incidents", slack.url + "/T000/B000/SECRETSECRET")]))
        run(_publish([SlackWebhook("#gone", slack.url + "/SECRETSECRET/404")]))
    assert "SECRETSECRET" not in caplog.text
