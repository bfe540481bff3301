"""Outgoing messages measured against the services' published limits (issue 11, items 11, 12, 15, 16): Slack's
escaping and message budget, each service's size limit with a cut that says so and never splits a grapheme,
UTF-8 JSON with its charset, and an error page from something in between quoted as one line."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace
from typing import Any

import httpx
import pytest

from commander.integrations import destinations, trackers
from commander.integrations.destinations import base, statuspage
from commander.integrations.destinations.base import Outcome, Update
from commander.integrations.destinations.publisher import publish
from commander.integrations.destinations.slack import CONTINUED, MESSAGE_LIMIT, SlackWebhook
from commander.integrations.destinations.slack_api import SlackApi
from commander.integrations.destinations.teams import message_card
from commander.integrations.paging import post_mention
from commander.integrations.trackers.base import Issue, TrackerRefused
from tests.helpers.fakes import Reply, Request, serve, slack_notified, slack_refusal
from tests.helpers.tracker_fakes import FAKES, TOKEN, FakeLinear, options
from tests.integrations.test_chat_destinations import SlackApiLike
from tests.integrations.test_status_pages import FIRST, StatuspageFake, a_key, statuspage_with

FLAG = "\U0001f1e9\U0001f1ea"  # 🇩🇪: cut between its two halves, it shows as two letters in boxes
UPDATE = Update(
    "INC-7K2M9QXA",
    "SEV1",
    "investigating",
    "<!channel> Checkout & <@U0BOSS> down",
    "Checkout fails for <!here> & more.",
    delivery="d-1",
)
LONG = replace(UPDATE, title="Checkout down", text=FLAG * 10_000)  # 20,000 characters


@pytest.fixture(autouse=True)
def fresh_pacer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "_PACER", base._Pacer())
    monkeypatch.setattr(statuspage, "RATE", 0.05)


def run(destination: Any, update: Update, **options: Any) -> Outcome:
    async def go() -> Outcome:
        async with httpx.AsyncClient(timeout=5.0) as client:
            return (await publish([destination], update, client=client, backoff=(0.05,), **options))[destination.name]

    return asyncio.run(go())


def slack_webhook_like(request: Request) -> Reply:
    refused = slack_refusal(json.loads(request.body))
    return Reply(400, refused) if refused else Reply(200, "ok")


# --- Slack (item 11) ------------------------------------------------------------------------------------------


def test_slack_escapes_outside_text_so_a_title_pings_nobody() -> None:
    fake = SlackApiLike()
    with serve(fake) as api, serve(slack_webhook_like) as hook:
        assert run(SlackApi("#incidents", "xoxb-good", "C0INCIDENT", f"{api.base}/api"), UPDATE).state == "delivered"
        assert run(SlackWebhook("#hook", hook.url), UPDATE).state == "delivered"
    for sent in (fake.posted[0], json.loads(hook.requests[0].body)):
        assert slack_notified(sent) == []
        assert sent["text"] == "[SEV1] &lt;!channel&gt; Checkout &amp; &lt;@U0BOSS&gt; down (investigating)"


@pytest.mark.parametrize("kind", ["slack", "slack-api"])
def test_a_page_in_slack_mentions_the_person_paged_and_nobody_the_title_names(kind: str) -> None:
    page = Update(
        "INC-7K2M",
        "SEV1",
        "investigating",
        "Paging <@U123>: <!channel> down",
        "<@U123>: you are paged for INC-7K2M (SEV1, investigating): <!channel> down & <@U999>. Reply here.",
    )
    with serve(lambda request: Reply(200, json.dumps({"ok": True, "ts": "1.2"}))) as server:

        async def post() -> Outcome:
            async with httpx.AsyncClient(timeout=5) as client:
                return await post_mention(
                    client,
                    kind,
                    "#oncall",
                    {"channel": "C1", "api_url": server.base},
                    server.url if kind == "slack" else "xoxb-token",
                    page,
                )

        assert asyncio.run(post()).state == "delivered"
    sent = json.loads(server.requests[0].body)
    assert slack_notified(sent) == ["<@U123>"]
    assert sent["text"].startswith("<@U123>: you are paged")
    assert "&lt;!channel&gt; down &amp; &lt;@U999&gt;" in sent["text"]


def test_a_long_update_fits_one_slack_message_and_says_it_was_shortened() -> None:
    fake = SlackApiLike()
    with serve(fake) as api, serve(slack_webhook_like) as hook:
        by_api = run(SlackApi("#incidents", "xoxb-good", "C0INCIDENT", f"{api.base}/api"), LONG)
        by_hook = run(SlackWebhook("#hook", hook.url), LONG)
    assert by_api.state == by_hook.state == "delivered", (by_api, by_hook)
    assert by_api.shortened == by_hook.shortened and by_api.shortened is not None
    kept, total = by_api.shortened
    assert total == 20_000 and kept % 2 == 0 and kept > 5_800  # whole flags (4 UTF-16 units each), most of the budget
    pieces = [block["text"]["text"] for block in fake.posted[0]["blocks"][2:]]
    assert len(pieces) > 1 and all(len(piece) % 2 == 0 and set(piece) <= set(FLAG) for piece in pieces[:-1])
    sections = "".join(pieces)
    assert sections.endswith(CONTINUED.strip()) and sections.replace("\n", "").startswith(FLAG * (kept // 2))
    texts = [fake.posted[0]["text"]] + [block["text"]["text"] for block in fake.posted[0]["blocks"] if "text" in block]
    assert sum(map(len, texts)) <= MESSAGE_LIMIT


def test_msg_blocks_too_long_is_explained_in_words() -> None:
    with (
        serve(SlackApiLike(refuse="msg_blocks_too_long")) as api,
        serve(lambda request: Reply(400, "msg_blocks_too_long")) as hook,
    ):
        by_api = run(SlackApi("#incidents", "xoxb-good", "C0INCIDENT", f"{api.base}/api"), UPDATE)
        by_hook = run(SlackWebhook("#hook", hook.url), UPDATE)
    for outcome in (by_api, by_hook):
        assert outcome.state == "failed" and "about 12,000 characters in all" in outcome.detail, outcome.detail


# --- every JSON post says its charset (item 11) ----------------------------------------------------------------

DESTINATION_OPTIONS = {
    "slack": {},
    "slack-api": {"channel": "C1", "api_url": "https://slack.test/api"},
    "teams": {"format": "adaptive"},
    "mattermost": {"channel": "town-square"},
    "discord": {},
    "webhook": {"url": "https://hooks.test/c"},
    "matrix": {"homeserver": "https://matrix.test", "room": "!room:matrix.test"},
    "statuspage": {"page_id": "p1", "api_url": "https://statuspage.test/v1"},
    "cachet": {"url": "https://cachet.test"},
    "instatus": {"page_id": "p1", "api_url": "https://instatus.test"},
}
ANYTHING = {"ok": True, "ts": "1.2", "id": "1", "event_id": "$1", "room_id": "!room:matrix.test", "data": {"id": 1}}


def recorded(send: Any) -> list[httpx.Request]:
    """The requests `send(client)` makes, each answered 200 with JSON that every kind reads as success."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json=ANYTHING)

    async def go() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
            await send(client)

    asyncio.run(go())
    return requests


@pytest.mark.parametrize("kind", sorted(DESTINATION_OPTIONS))
def test_every_destination_posts_utf8_json_and_says_so(kind: str) -> None:
    destination = destinations.make(kind, "d", DESTINATION_OPTIONS[kind], "https://hook.test/secret")
    sent = [r for r in recorded(lambda client: destination.send(client, UPDATE)) if r.content]
    assert sent and all(r.headers["content-type"] == "application/json; charset=utf-8" for r in sent), kind
    assert all(json.loads(r.content.decode("utf-8")) is not None for r in sent)


@pytest.mark.parametrize("kind", sorted(FAKES))
def test_every_tracker_posts_utf8_json_and_says_so(kind: str) -> None:
    tracker = trackers.make(kind, "t", options(kind, "https://tracker.test"), "token")

    async def create(client: httpx.AsyncClient) -> None:
        with contextlib.suppress(TrackerRefused):  # the answer is not this tracker's: only the request matters
            await tracker.create(client, Issue("Alert on lag", ("Found in INC-1",)))

    sent = recorded(create)
    assert sent and all(r.headers["content-type"] == "application/json; charset=utf-8" for r in sent), kind


@pytest.mark.parametrize("kind", ["slack", "mattermost", "discord"])
def test_every_page_posts_utf8_json_and_says_so(kind: str) -> None:
    page = Update("INC-1", "SEV1", "investigating", "Paging @sam: x", "@sam: you are paged for INC-1")
    sent = recorded(lambda client: post_mention(client, kind, "#oncall", {}, "https://hook.test/x", page))
    assert sent and all(r.headers["content-type"] == "application/json; charset=utf-8" for r in sent)


# --- each service's real limit, and a cut that says so (items 12, 15) --------------------------------------------


def test_statuspage_takes_at_most_25000_characters_and_the_cut_says_so() -> None:
    fake = StatuspageFake(a_key(), window=0.05)
    long = replace(FIRST, text="Findings so far. " + FLAG * 15_000)
    with serve(fake) as page:
        outcome = run(statuspage_with(fake, page.base), long)
    assert outcome.state == "delivered", outcome.detail
    body = next(iter(fake.incidents.values()))["incident_updates"][0]["body"]
    assert len(body) <= 25_000 and body.endswith(statuspage.SHORTENED.strip())
    assert outcome.shortened == (len(body) - len(statuspage.SHORTENED), len(long.text))
    assert outcome.shortened_words == f"shortened to {outcome.shortened[0]:,} of {len(long.text):,} characters"


def test_matrix_takes_a_20000_character_update_whole() -> None:
    from tests.integrations.test_teams_matrix import Homeserver, _room

    homeserver = Homeserver()
    accented = replace(UPDATE, text="Timeline of what we tried, in détail: " + "é" * 20_000)
    with serve(homeserver) as service:
        outcome = run(_room(service.base), accented)
    assert (outcome.state, outcome.shortened) == ("delivered", None)
    assert homeserver.timeline[0]["body"].endswith(accented.text)


@pytest.mark.parametrize(
    ("kind", "options", "answer"),
    [
        ("mattermost", {}, Reply(200, "ok")),
        ("discord", {}, Reply(200, json.dumps({"id": "m1"}), {"content-type": "application/json"})),
        ("teams", {"format": "adaptive"}, Reply(202, "")),
    ],
)
def test_chat_cuts_keep_flags_whole_and_say_how_much_went(kind: str, options: dict[str, str], answer: Reply) -> None:
    with serve(lambda request: answer) as service:
        outcome = run(destinations.make(kind, "chat", options, service.url), LONG)
    assert outcome.state == "delivered" and outcome.shortened is not None, outcome
    kept, total = outcome.shortened
    assert total == 20_000 and kept % 2 == 0 and kept > 2_000
    sent = service.requests[0].body.decode("utf-8")
    assert (
        FLAG * (kept // 2) in sent.replace("\n", "")
        if kind != "teams"
        else FLAG * (kept // 2) in json.loads(sent)["attachments"][0]["content"]["body"][2]["text"]
    )


# --- Teams and Linear (item 12) --------------------------------------------------------------------------------


def test_a_message_card_shows_markdown_marks_as_the_characters_they_are() -> None:
    text = "# Not a heading\n[login](https://evil.example) `rm -rf` *all* _x_ ~y~\n> not a quote\n- not a list\n1. no"
    card: Any = message_card(replace(UPDATE, title="# [Sale](https://evil.example)"), text)
    assert card["title"] == "\\# \\[Sale\\](https://evil.example)"
    assert card["sections"][0]["text"] == (
        "\\# Not a heading\n\n\\[login\\](https://evil.example) \\`rm -rf\\` \\*all\\* \\_x\\_ \\~y\\~\n\n"
        "\\> not a quote\n\n\\- not a list\n\n1\\. no"
    )


def test_a_linear_issue_marked_duplicate_counts_as_finished() -> None:
    fake = FakeLinear()
    fake.duplicates.add("ENG-12")
    with serve(fake) as service:
        tracker = trackers.make("linear", "l", options("linear", service.base), TOKEN)

        async def status() -> Any:
            async with httpx.AsyncClient(timeout=5) as client:
                return await tracker.status(client, "ENG-12")

        found = asyncio.run(status())
    assert (found.name, found.done) == ("Duplicate", True)


# --- an error page from something in between (item 16) --------------------------------------------------------

PROXY_PAGE = (
    "<!DOCTYPE html><html><head><title>403 Forbidden &middot; corp-proxy</title><style>body{color:red}"
    "</style><script>var x = '<b>';</script></head><body><h1>Forbidden</h1><p>Request blocked.</p>"
    "</body></html>"
)


def proxy(request: Request) -> Reply:
    return Reply(403, PROXY_PAGE, {"content-type": "text/html; charset=utf-8"})


@pytest.mark.parametrize("kind", sorted(DESTINATION_OPTIONS))
def test_a_proxys_error_page_is_quoted_as_its_status_and_title(kind: str) -> None:
    with serve(proxy) as service:
        settings = {
            key: (service.base if value.startswith("https://") else value)
            for key, value in DESTINATION_OPTIONS[kind].items()
        }
        outcome = run(destinations.make(kind, "d", settings, service.url), UPDATE)
    assert outcome.state == "failed" and "403" in outcome.detail, outcome.detail
    assert "403 Forbidden · corp-proxy" in outcome.detail, outcome.detail
    assert "<" not in outcome.detail and "\n" not in outcome.detail and "color:red" not in outcome.detail


@pytest.mark.parametrize("kind", sorted(FAKES))
def test_a_proxys_error_page_is_quoted_for_trackers_too(kind: str) -> None:
    with serve(proxy) as service:
        tracker = trackers.make(kind, "t", options(kind, service.base), "token")

        async def create() -> None:
            async with httpx.AsyncClient(timeout=5) as client:
                await tracker.create(client, Issue("Alert on lag", ("Found in INC-1",)))

        with pytest.raises(TrackerRefused) as refused:
            asyncio.run(create())
    said = str(refused.value)
    assert "403" in said and "403 Forbidden · corp-proxy" in said and "<" not in said, said


def test_a_one_word_error_labelled_html_is_still_read_as_the_services_word() -> None:
    """Slack's incoming webhooks answer `no_service` as text/html: it is Slack's word, not a page."""
    with serve(lambda request: Reply(404, "no_service", {"content-type": "text/html"})) as hook:
        outcome = run(SlackWebhook("#hook", hook.url), UPDATE)
    assert outcome.state == "failed" and "(no_service): the webhook was disabled or removed" in outcome.detail
