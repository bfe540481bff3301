"""Teams (Workflows and legacy connector) and Matrix against local services that check what the real ones
check: payload shapes, size limits, auth, and their own ways of saying no."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import time
import uuid
from collections.abc import Coroutine
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from commander.domain.core.errors import DomainError
from commander.integrations import destinations
from commander.integrations.destinations import matrix, teams
from commander.integrations.destinations.base import Destination, Outcome, Update
from commander.integrations.destinations.matrix import MatrixRoom, canonical, content
from commander.integrations.destinations.publisher import publish
from commander.integrations.destinations.teams import TeamsWebhook, adaptive, default_format
from tests.helpers.fakes import Reply, Request, serve

UPDATE = Update(
    "INC-7K2M9QXA",
    "SEV1",
    "investigating",
    "Checkout API returning 502s",
    "We are investigating errors at checkout. <b>not markup</b>\nNext update by 09:45.",
    delivery="0190f3c2-7d1e-7b5a-9c1e-5f2a3b4c5d6e",
)
LONG = dataclasses.replace(UPDATE, text="Timeline of what we tried.\n" + "x" * 100_000)
TEAMS_LIMIT = 28 * 1024  # "The message size limit is 28 KB"


def run(coroutine: Coroutine[Any, Any, Outcome]) -> Outcome:
    return asyncio.run(coroutine)


async def _publish(destination: Destination, update: Update = UPDATE, **options: Any) -> Outcome:
    async with httpx.AsyncClient(timeout=options.pop("timeout", 2.0)) as client:
        outcomes = await publish([destination], update, client=client, backoff=(0.05, 0.1), **options)
    return outcomes[destination.name]


def _json(status: int, value: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(value), {"content-type": "application/json", **(headers or {})})


# Teams


class Workflow:
    """A Teams Workflows webhook: the trigger checks the URL's signature and that the body is JSON, answers
    202, and the flow then posts the card only if it is an Adaptive Card of version 1.4 or lower within
    28 KB; a card it cannot post fails in the run history, out of the sender's sight."""

    def __init__(self, *answers: Reply) -> None:
        self.answers = list(answers)
        self.posted: list[dict[str, Any]] = []
        self.failed_runs: list[str] = []

    def __call__(self, request: Request) -> Reply:
        if self.answers:
            return self.answers.pop(0)
        if "sig=good" not in request.path:
            return _json(
                401,
                {
                    "error": {
                        "code": "AuthorizationFailed",
                        "message": "The provided shared access signature is not valid for the request.",
                    }
                },
            )
        try:
            message = json.loads(request.body)
        except ValueError:
            return _json(
                400,
                {
                    "error": {
                        "code": "InvalidRequestContent",
                        "message": "The request content is not valid and could not be deserialized.",
                    }
                },
            )
        problems = self.run_problems(message, len(request.body))
        self.failed_runs.extend(problems)
        if not problems:
            self.posted.append(message["attachments"][0]["content"])
        return Reply(202, "")

    @staticmethod
    def run_problems(message: dict[str, Any], size: int) -> list[str]:
        attachments = message.get("attachments")
        if message.get("type") != "message" or not isinstance(attachments, list) or len(attachments) != 1:
            return ["'attachments' is of type 'Null'"]
        card = attachments[0].get("content") or {}
        if (
            attachments[0].get("contentType") != "application/vnd.microsoft.card.adaptive"
            or card.get("type") != "AdaptiveCard"
        ):
            return ["the attachment is not an Adaptive Card"]
        if float(card.get("version", "99")) > 1.4:
            return ["the card's version is not supported"]
        if size > TEAMS_LIMIT:
            return ["RequestEntityTooLarge"]
        return []


class Connector:
    """A legacy Office 365 connector: 400 with plain text for what it cannot read, 200 "1" when it posted,
    and 200 with a failure message when Teams refused the post (throttled, or too large)."""

    def __init__(self, throttled: int = 0) -> None:
        self.throttled = throttled
        self.posted: list[dict[str, Any]] = []
        self.times: list[float] = []

    def __call__(self, request: Request) -> Reply:
        self.times.append(time.monotonic())
        try:
            card = json.loads(request.body)
        except ValueError:
            return Reply(400, "Bad payload received by generic incoming webhook.")
        if card.get("@type") != "MessageCard" or not isinstance(card.get("sections", []), list):
            return Reply(400, "Bad payload received by generic incoming webhook.")
        if not card.get("summary") and not card.get("text"):
            return Reply(400, "Summary or Text is required.")
        failed = (
            "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error {} "
            "with ContextId tcid=0,server=msgapi-production-weu-azsc1-1-85,cv=Xb3l9vYq2UKqX1fYk0t1Ag.0.."
        )
        if len(request.body) > TEAMS_LIMIT:
            return Reply(200, failed.format(413))
        if self.throttled:
            self.throttled -= 1
            return Reply(200, failed.format(429))
        self.posted.append(card)
        return Reply(200, "1")


def _workflow_url(base: str, sig: str = "good") -> str:
    return f"{base}/workflows/4f1c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers&sv=1.0&sig={sig}"


def test_a_workflow_gets_an_adaptive_card_it_can_post() -> None:
    workflow = Workflow()
    with serve(workflow) as service:
        outcome = run(_publish(TeamsWebhook("Ops", _workflow_url(service.base), "adaptive")))
    assert outcome.state == "delivered"
    sent = json.loads(service.requests[0].body)
    assert sent == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "text": "Checkout API returning 502s",
                            "weight": "Bolder",
                            "size": "Medium",
                            "wrap": True,
                        },
                        {
                            "type": "FactSet",
                            "facts": [
                                {"title": "Incident", "value": "INC-7K2M9QXA"},
                                {"title": "Severity", "value": "SEV1"},
                                {"title": "Status", "value": "investigating"},
                            ],
                        },
                        {
                            "type": "TextBlock",
                            "wrap": True,
                            "text": "We are investigating errors at checkout. "
                            "<b>not markup</b>\n\nNext update by 09:45.",
                        },
                    ],
                },
            }
        ],
    }
    assert service.requests[0].headers["content-type"] == "application/json; charset=utf-8"
    assert len(workflow.posted) == 1 and not workflow.failed_runs


def test_teams_text_stays_text() -> None:
    card: Any = adaptive(UPDATE, "*all* regions, checkout_api_v2\n- rollback done")
    block = card["attachments"][0]["content"]["body"][2]
    assert block["text"] == "\\*all\\* regions, checkout\\_api\\_v2\n\n\\- rollback done"


def test_a_long_update_is_shortened_to_fit_the_card_limit() -> None:
    workflow = Workflow()
    with serve(workflow) as service:
        outcome = run(_publish(TeamsWebhook("Ops", _workflow_url(service.base), "adaptive"), LONG))
        whole = json.dumps(adaptive(LONG, LONG.text)).encode()
        httpx.post(_workflow_url(service.base), content=whole)  # what an uncut card would have met
    assert outcome.state == "delivered"
    assert len(service.requests[0].body) <= TEAMS_LIMIT
    assert workflow.posted[0]["body"][2]["text"].endswith("(shortened)")
    assert workflow.failed_runs == ["RequestEntityTooLarge"]


def test_a_workflow_url_that_is_not_accepted_is_final_and_explained() -> None:
    with serve(Workflow()) as service:
        outcome = run(_publish(TeamsWebhook("Ops", _workflow_url(service.base, "stale"), "adaptive")))
    assert outcome.state == "failed"
    assert "401 AuthorizationFailed" in outcome.detail and "copy the URL again" in outcome.detail
    assert len(service.requests) == 1


def test_a_throttled_workflow_is_retried_after_what_it_asked() -> None:
    workflow = Workflow(
        _json(429, {"error": {"code": "WorkflowTriggerIsThrottled", "message": "slow down"}}, {"Retry-After": "0.3"})
    )
    with serve(workflow) as service:
        began = time.monotonic()
        outcome = run(_publish(TeamsWebhook("Ops", _workflow_url(service.base), "adaptive")))
        waited = time.monotonic() - began
    assert outcome.state == "delivered" and waited >= 0.3
    assert len(service.requests) == 2 and len(workflow.posted) == 1


def test_a_connector_gets_a_message_card_and_answers_1() -> None:
    connector = Connector()
    with serve(connector) as service:
        outcome = run(_publish(teams.make("Ops", {"format": "messagecard"}, service.url)))
    assert outcome.state == "delivered"
    assert connector.posted == [
        {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": "SEV1 Checkout API returning 502s",
            "themeColor": "D13438",
            "title": "Checkout API returning 502s",
            "sections": [
                {
                    "facts": [
                        {"name": "Incident", "value": "INC-7K2M9QXA"},
                        {"name": "Severity", "value": "SEV1"},
                        {"name": "Status", "value": "investigating"},
                    ],
                    "text": "We are investigating errors at checkout. <b>not markup</b>\n\nNext update by 09:45.",
                }
            ],
        }
    ]


def test_a_connector_throttling_inside_a_200_is_retried() -> None:
    connector = Connector(throttled=1)
    with serve(connector) as service:
        outcome = run(_publish(TeamsWebhook("Ops", service.url, "messagecard")))
    assert outcome.state == "delivered"
    assert len(service.requests) == 2 and len(connector.posted) == 1


def test_a_connector_failure_inside_a_200_is_final_and_says_what_teams_said() -> None:
    said = "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 403"
    with serve(lambda request: Reply(200, said)) as service:
        outcome = run(_publish(TeamsWebhook("Ops", service.url, "messagecard")))
    assert outcome.state == "failed" and said in outcome.detail and "check the webhook" in outcome.detail
    assert len(service.requests) == 1


def test_a_connector_refusal_is_final() -> None:
    with serve(lambda request: Reply(400, "Summary or Text is required.")) as service:
        outcome = run(_publish(TeamsWebhook("Ops", service.url, "messagecard")))
    assert outcome.state == "failed" and "Summary or Text is required." in outcome.detail
    assert len(service.requests) == 1


def test_a_long_update_fits_a_connector_too() -> None:
    connector = Connector()
    with serve(connector) as service:
        outcome = run(_publish(TeamsWebhook("Ops", service.url, "messagecard"), LONG))
    assert outcome.state == "delivered"
    assert connector.posted[0]["sections"][0]["text"].endswith("(shortened)")


def test_a_connector_is_sent_at_most_four_messages_a_second() -> None:
    connector = Connector()
    with serve(connector) as service:
        webhook = TeamsWebhook("Ops", service.url, "messagecard")

        async def three() -> None:
            async with httpx.AsyncClient(timeout=2.0) as client:
                await asyncio.gather(*(webhook.send(client, UPDATE) for _ in range(3)))

        asyncio.run(three())
    assert len(connector.posted) == 3
    # Three 0.25 s slots span at least 0.5 s from the first send to the last; arrivals can bunch a little
    # when the machine is busy, so the span is checked, not each gap. Without pacing it is about 0.
    assert connector.times[-1] - connector.times[0] >= 0.4


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://contoso.webhook.office.com/webhookb2/1a/IncomingWebhook/2b/3c", "messagecard"),
        ("https://prod-12.westeurope.logic.azure.com:443/workflows/4f/triggers/manual/paths/invoke?sig=x", "adaptive"),
        ("https://default1a2b.3c.environment.api.powerplatform.com/powerautomate/automations/direct/x", "adaptive"),
    ],
)
def test_the_format_follows_the_webhook_address(url: str, expected: str) -> None:
    assert default_format(url) == expected
    assert teams.make("Ops", {}, url).card_format == expected


def test_an_unknown_format_is_refused_when_built() -> None:
    with pytest.raises(DomainError, match="use adaptive"):
        destinations.make("teams", "Ops", {"format": "html"}, "https://example.org/hook")


# Matrix

TOKEN = "syt_Y29tbWFuZGVy_aBcDeFgHiJkLmNoPqRsT_1x2y3z"
ROOM = "!hQmLrQpSxUTsDhyXZf:example.org"
SEND = re.compile(r"/_matrix/client/v3/rooms/([^/]+)/send/([^/]+)/([^/]+)")
DIRECTORY = "/_matrix/client/v3/directory/room/"


class Homeserver:
    """What a homeserver checks: the bearer token, the bot's membership, the event's size as a PDU, and a
    transaction id seen before from the same token (answered with the first event's id, posting nothing)."""

    def __init__(self) -> None:
        self.aliases = {"#incidents:example.org": ROOM}
        self.joined = {ROOM}
        self.transactions: dict[tuple[str, str], str] = {}  # (token, path) -> event id
        self.timeline: list[dict[str, Any]] = []
        self.limited: list[Reply] = []  # M_LIMIT_EXCEEDED answers still to give
        self.answers_to_lose = 0  # events stored, then the connection dropped before the answer

    def __call__(self, request: Request) -> Reply:
        path = request.path.partition("?")[0]
        if request.method == "GET" and path.startswith(DIRECTORY):
            alias = unquote(path.removeprefix(DIRECTORY))
            if alias not in self.aliases:
                return _json(404, {"errcode": "M_NOT_FOUND", "error": f"Room alias {alias} not found"})
            return _json(200, {"room_id": self.aliases[alias], "servers": ["example.org"]})
        found = SEND.fullmatch(path)
        if not found or request.method != "PUT":
            return _json(404 if not found else 405, {"errcode": "M_UNRECOGNIZED", "error": "Unrecognized request"})
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not token:
            return _json(401, {"errcode": "M_MISSING_TOKEN", "error": "Missing access token"})
        if token != TOKEN:
            return _json(
                401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Invalid access token passed.", "soft_logout": False}
            )
        if (token, path) in self.transactions:
            return _json(200, {"event_id": self.transactions[token, path]})
        if self.limited:
            return self.limited.pop(0)
        room, event_type, _ = (unquote(part) for part in found.groups())
        if room not in self.joined:
            return _json(403, {"errcode": "M_FORBIDDEN", "error": f"User @commander:example.org not in room {room}"})
        try:
            message = json.loads(request.body)
        except ValueError:
            return _json(400, {"errcode": "M_NOT_JSON", "error": "Content not JSON."})
        if not isinstance(message, dict):
            return _json(400, {"errcode": "M_BAD_JSON", "error": "Content must be a JSON object."})
        pdu = {
            "auth_events": ["$" + "a" * 43] * 3,
            "content": message,
            "depth": 12345,
            "hashes": {"sha256": "h" * 43},
            "origin_server_ts": 1_720_000_000_000,
            "prev_events": ["$" + "p" * 43],
            "room_id": room,
            "sender": "@commander:example.org",
            "signatures": {"example.org": {"ed25519:a_AbCd": "s" * 86}},
            "type": event_type,
            "unsigned": {"age_ts": 1_720_000_000_000},
        }
        if len(canonical(pdu)) > 65_536:
            return _json(413, {"errcode": "M_TOO_LARGE", "error": "event too large"})
        event_id = "$" + uuid.uuid4().hex
        self.transactions[token, path] = event_id
        self.timeline.append(message)
        if self.answers_to_lose:
            self.answers_to_lose -= 1
            return Reply(drop=True)
        return _json(200, {"event_id": event_id})


def _room(service_base: str, room: str = ROOM, token: str = TOKEN) -> MatrixRoom:
    return matrix.make("#incidents", {"homeserver": service_base + "/", "room": room}, token)


def test_matrix_gets_an_m_text_message_with_the_delivery_as_its_transaction() -> None:
    homeserver = Homeserver()
    with serve(homeserver) as service:
        outcome = run(_publish(_room(service.base)))
    request = service.requests[0]
    assert outcome.state == "delivered" and outcome.remote_id and outcome.remote_id.startswith("$")
    assert request.method == "PUT"
    assert request.path == (
        "/_matrix/client/v3/rooms/%21hQmLrQpSxUTsDhyXZf%3Aexample.org/send/m.room.message/"
        "0190f3c2-7d1e-7b5a-9c1e-5f2a3b4c5d6e"
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert homeserver.timeline == [
        {
            "msgtype": "m.text",
            "body": "SEV1 Checkout API returning 502s\nINC-7K2M9QXA · investigating\n\n"
            "We are investigating errors at checkout. <b>not markup</b>\nNext update by 09:45.",
            "format": "org.matrix.custom.html",
            "formatted_body": "<b>SEV1 Checkout API returning 502s</b><br>INC-7K2M9QXA · investigating<br><br>"
            "We are investigating errors at checkout. &lt;b&gt;not markup&lt;/b&gt;<br>"
            "Next update by 09:45.",
        }
    ]


def test_an_alias_is_resolved_first() -> None:
    homeserver = Homeserver()
    with serve(homeserver) as service:
        outcome = run(_publish(_room(service.base, "#incidents:example.org")))
    assert outcome.state == "delivered" and len(homeserver.timeline) == 1
    assert service.requests[0].method == "GET"
    assert service.requests[0].path == "/_matrix/client/v3/directory/room/%23incidents%3Aexample.org"


def test_an_unknown_alias_is_final_and_explained() -> None:
    with serve(Homeserver()) as service:
        outcome = run(_publish(_room(service.base, "#incidnets:example.org")))
    assert outcome.state == "failed" and "no room called #incidnets:example.org" in outcome.detail
    assert len(service.requests) == 1


def test_a_resend_of_the_same_update_posts_nothing_twice() -> None:
    homeserver = Homeserver()
    with serve(homeserver) as service:
        first = run(_publish(_room(service.base)))
        again = run(_publish(_room(service.base), dataclasses.replace(UPDATE, resumed=True)))
        other = run(_publish(_room(service.base), dataclasses.replace(UPDATE, delivery="0190f3c2-next")))
    assert first.remote_id == again.remote_id != other.remote_id
    assert len(homeserver.timeline) == 2


def test_a_lost_answer_is_retried_without_posting_twice() -> None:
    homeserver = Homeserver()
    homeserver.answers_to_lose = 1
    with serve(homeserver) as service:
        outcome = run(_publish(_room(service.base)))
    assert outcome.state == "delivered" and len(service.requests) == 2
    assert homeserver.timeline and len(homeserver.timeline) == 1
    assert outcome.remote_id == next(iter(homeserver.transactions.values()))


def test_a_test_message_without_a_delivery_id_keeps_its_transaction_across_retries() -> None:
    homeserver = Homeserver()
    homeserver.answers_to_lose = 1
    with serve(homeserver) as service:
        outcome = run(_publish(_room(service.base), dataclasses.replace(UPDATE, delivery="")))
    assert outcome.state == "delivered" and len(homeserver.timeline) == 1
    assert service.requests[0].path == service.requests[1].path
    assert not service.requests[0].path.endswith("/")


@pytest.mark.parametrize(
    "limited",
    [
        _json(429, {"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": 300}),
        _json(429, {"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests"}, {"Retry-After": "0.3"}),
    ],
)
def test_a_rate_limit_is_retried_after_what_the_homeserver_asked(limited: Reply) -> None:
    homeserver = Homeserver()
    homeserver.limited.append(limited)
    states: list[str] = []
    with serve(homeserver) as service:
        began = time.monotonic()
        outcome = run(_publish(_room(service.base), on_state=lambda name, state, detail: states.append(detail)))
        waited = time.monotonic() - began
    assert outcome.state == "delivered" and waited >= 0.3 and len(homeserver.timeline) == 1
    assert "retrying in 0.3 s: Matrix (#incidents) is rate limiting the bot (Too Many Requests)" in states


def test_an_expired_token_is_final_and_explained() -> None:
    with serve(Homeserver()) as service:
        outcome = run(_publish(_room(service.base, token="syt_revoked")))
    assert outcome.state == "failed" and "M_UNKNOWN_TOKEN" in outcome.detail
    assert "expired or was revoked" in outcome.detail and len(service.requests) == 1


def test_a_room_the_bot_is_not_in_is_final_and_explained() -> None:
    with serve(Homeserver()) as service:
        outcome = run(_publish(_room(service.base, "!elsewhere:example.org")))
    assert outcome.state == "failed" and "M_FORBIDDEN" in outcome.detail and "invite it" in outcome.detail
    assert len(service.requests) == 1


def test_a_long_update_is_shortened_to_fit_an_event() -> None:
    homeserver = Homeserver()
    with serve(homeserver) as service:
        outcome = run(_publish(_room(service.base), LONG))
        uncut = httpx.put(
            f"{service.base}/_matrix/client/v3/rooms/{ROOM}/send/m.room.message/uncut",
            json=content(LONG, LONG.text),
            headers={"authorization": f"Bearer {TOKEN}"},
        )
    assert outcome.state == "delivered" and outcome.shortened and outcome.shortened[1] == len(LONG.text)
    assert homeserver.timeline[0]["body"].endswith("(shortened)")
    assert "formatted_body" not in homeserver.timeline[0]  # the HTML copy would halve what fits
    assert uncut.status_code == 413 and uncut.json()["errcode"] == "M_TOO_LARGE"


def test_an_answer_that_is_not_a_homeservers_is_explained() -> None:
    with serve(lambda request: Reply(404, "<html>Not Found</html>", {"content-type": "text/html"})) as service:
        outcome = run(_publish(_room(service.base)))
    assert outcome.state == "failed" and "not as a Matrix homeserver does" in outcome.detail
    assert len(service.requests) == 1


def test_a_200_without_an_event_id_is_a_failure_not_an_exception() -> None:
    with serve(lambda request: Reply(200, "<html>Welcome</html>")) as service:
        outcome = run(_publish(_room(service.base)))
    assert outcome.state == "failed" and "without an event id" in outcome.detail


def test_a_room_that_is_neither_an_id_nor_an_alias_is_refused_when_built() -> None:
    with pytest.raises(DomainError, match="room's id"):
        destinations.make("matrix", "ops", {"homeserver": "https://matrix.example.org", "room": "incidents"}, TOKEN)
