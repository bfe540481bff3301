"""Slack's Web API, Mattermost and Discord destinations against local services that check what the real
ones check (auth, payload shape, size limits) and answer with their real error bodies."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from commander.integrations import destinations
from commander.integrations.destinations import base
from commander.integrations.destinations.base import Outcome, Update
from commander.integrations.destinations.discord import DiscordWebhook
from commander.integrations.destinations.mattermost import POST_LIMIT, MattermostWebhook
from commander.integrations.destinations.publisher import publish
from commander.integrations.destinations.slack import blocks
from commander.integrations.destinations.slack_api import SlackApi
from tests.helpers.fakes import Reply, Request, serve, slack_refusal

UPDATE = Update(
    "INC-7K2M9QXA",
    "SEV1",
    "investigating",
    "Checkout API returning 502s",
    "We are investigating errors at checkout. <b>not markup</b>\nNext update by 09:45.",
)


@pytest.fixture(autouse=True)
def fresh_pacer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with no earlier sends to wait behind: the pacer is process-wide."""
    monkeypatch.setattr(base, "_PACER", base._Pacer())


def run(destination: Any, update: Update = UPDATE, **options: Any) -> Outcome:
    async def go() -> Outcome:
        async with httpx.AsyncClient(timeout=options.pop("timeout", 2.0)) as client:
            outcomes = await publish([destination], update, client=client, backoff=(0.05, 0.1), **options)
        return outcomes[destination.name]

    return asyncio.run(go())


# --- Slack Web API ------------------------------------------------------------------------------------------


@dataclass
class SlackApiLike:
    """chat.postMessage as Slack answers it: HTTP 200 with `ok` false for refusals, 429 when rate limited."""

    token: str = "xoxb-good"
    channels: dict[str, str] = field(
        default_factory=lambda: {"C0INCIDENT": "member", "C0OUTSIDE": "outside", "C0OLD": "archived"}
    )
    refuse: str = ""  # answer this error whatever was sent (account_inactive, missing_scope...)
    limited: int = 0  # answer this many requests with 429 first
    posted: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != "/api/chat.postMessage":
            return Reply(404, "<html>not found</html>")
        if self.limited:
            self.limited -= 1
            return self.answer({"ok": False, "error": "ratelimited"}, 429, {"Retry-After": "1"})
        auth = request.headers.get("authorization", "")
        if not auth.removeprefix("Bearer ").strip():
            return self.answer({"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return self.answer({"ok": False, "error": "invalid_auth"})
        if self.refuse:
            extra = {"needed": "chat:write", "provided": "channels:read"} if self.refuse == "missing_scope" else {}
            return self.answer({"ok": False, "error": self.refuse, **extra})
        if not request.headers.get("content-type", "").startswith("application/json"):
            return self.answer({"ok": False, "error": "invalid_form_data"})
        try:
            body = json.loads(request.body)
        except ValueError:
            return self.answer({"ok": False, "error": "invalid_json"})
        state = self.channels.get(body.get("channel", ""))
        if state is None:
            return self.answer({"ok": False, "error": "channel_not_found"})
        if state == "archived":
            return self.answer({"ok": False, "error": "is_archived"})
        if state == "outside":
            return self.answer({"ok": False, "error": "not_in_channel"})
        refused = slack_refusal(body)
        if refused:
            return self.answer({"ok": False, "error": refused})
        ts = f"1700000000.{len(self.posted) + 100:06d}"
        self.posted.append(body)
        return self.answer(
            {
                "ok": True,
                "channel": body["channel"],
                "ts": ts,
                "message": {"type": "message", "subtype": "bot_message", "text": body["text"], "ts": ts},
            }
        )

    @staticmethod
    def answer(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        return Reply(status, json.dumps(body), {"content-type": "application/json; charset=utf-8", **(headers or {})})


def slack_api(service: Any, channel: str = "C0INCIDENT", token: str = "xoxb-good") -> SlackApi:
    return SlackApi("#incidents", token, channel, f"{service.base}/api")


def test_slack_api_posts_the_block_kit_update_with_the_bot_token_and_keeps_ts() -> None:
    fake = SlackApiLike()
    with serve(fake) as slack:
        outcome = run(slack_api(slack))
    assert outcome.state == "delivered" and outcome.remote_id == "1700000000.000100"
    request = slack.requests[0]
    assert request.headers["authorization"] == "Bearer xoxb-good"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert json.loads(request.body) == {"channel": "C0INCIDENT", **blocks(UPDATE)}


@pytest.mark.parametrize(
    ("fake", "channel", "token", "words"),
    [
        (SlackApiLike(), "C0OUTSIDE", "xoxb-good", "(not_in_channel): invite the Commander app to the channel"),
        (SlackApiLike(), "C0GONE", "xoxb-good", "(channel_not_found): check the channel setting"),
        (SlackApiLike(), "C0OLD", "xoxb-good", "(is_archived): the channel is archived"),
        (SlackApiLike(), "C0INCIDENT", "xoxb-stale", "(invalid_auth): the bot token is not accepted"),
        (SlackApiLike(), "C0INCIDENT", "", "(not_authed): no bot token was sent"),
        (SlackApiLike(refuse="account_inactive"), "C0INCIDENT", "xoxb-good", "install the app again"),
        (SlackApiLike(refuse="token_revoked"), "C0INCIDENT", "xoxb-good", "the token was revoked"),
        (SlackApiLike(refuse="missing_scope"), "C0INCIDENT", "xoxb-good", "chat:write scope"),
        (SlackApiLike(refuse="msg_too_long"), "C0INCIDENT", "xoxb-good", "shorten it"),
        (SlackApiLike(refuse="invalid_blocks"), "C0INCIDENT", "xoxb-good", "report it as a bug"),
        (SlackApiLike(refuse="some_new_error"), "C0INCIDENT", "xoxb-good", "(some_new_error): see Slack's"),
    ],
)
def test_slack_api_refusals_are_final_and_say_what_to_do(
    fake: SlackApiLike, channel: str, token: str, words: str
) -> None:
    with serve(fake) as slack:
        outcome = run(slack_api(slack, channel, token))
    assert outcome.state == "failed" and words in outcome.detail, outcome.detail
    assert outcome.detail.startswith("Slack (#incidents) refused the update")
    assert len(slack.requests) == 1  # HTTP 200 with ok false is not retried


def test_slack_api_missing_scope_names_the_scope_it_needs() -> None:
    with serve(SlackApiLike(refuse="missing_scope")) as slack:
        outcome = run(slack_api(slack))
    assert "(needed: chat:write)" in outcome.detail


def test_slack_api_429_is_retried_after_what_slack_asked() -> None:
    states: list[tuple[str, str]] = []
    with serve(SlackApiLike(limited=1)) as slack:
        began = time.monotonic()
        outcome = run(slack_api(slack), on_state=lambda name, state, detail: states.append((state, detail)))
        waited = time.monotonic() - began
    assert outcome.state == "delivered" and waited >= 1.0
    assert ("retrying", "retrying in 1 s: Slack (#incidents) answered 429 ratelimited") in states
    assert len(slack.requests) == 2


def test_slack_api_rate_limited_with_200_and_slack_outages_are_retried() -> None:
    answers = iter(
        [SlackApiLike.answer({"ok": False, "error": "rate_limited"}), Reply(503, "<html>Service Unavailable</html>")]
    )
    with serve(lambda request: next(answers)) as slack:
        outcome = run(slack_api(slack), attempts=2)
    assert outcome.state == "failed" and outcome.detail.startswith("gave up after 2 attempts")
    assert "503" in outcome.detail and len(slack.requests) == 2


def test_slack_api_internal_error_is_passing_trouble() -> None:
    with serve(lambda request: SlackApiLike.answer({"ok": False, "error": "internal_error"})) as slack:
        outcome = run(slack_api(slack), attempts=1)
    assert outcome.detail == "gave up after 1 attempts: Slack (#incidents) answered 200 internal_error"


def test_slack_api_answer_that_is_not_slack_is_a_clear_failure() -> None:
    with serve(lambda request: Reply(200, "<html>Welcome to our proxy</html>")) as slack:
        outcome = run(slack_api(slack))
    assert outcome.state == "failed" and "not Slack's Web API" in outcome.detail and "api_url" in outcome.detail


def test_slack_api_paces_one_message_a_second_per_channel() -> None:
    fake = SlackApiLike(channels={"C0A": "member", "C0B": "member"})
    with serve(fake) as slack:

        async def three() -> list[float]:
            began = time.monotonic()
            async with httpx.AsyncClient(timeout=2.0) as client:

                async def timed(channel: str) -> float:
                    await slack_api(slack, channel).send(client, UPDATE)
                    return time.monotonic() - began

                return list(await asyncio.gather(timed("C0A"), timed("C0A"), timed("C0B")))

        first, second, other = asyncio.run(three())
    assert first < 0.5 and other < 0.5  # another channel does not wait
    assert second >= 1.0  # the same channel waits its turn
    assert len(fake.posted) == 3


def test_slack_api_is_made_from_its_settings() -> None:
    made = destinations.make("slack-api", "#incidents", {"channel": "C0INCIDENT"}, "xoxb-good")
    assert isinstance(made, SlackApi) and made.api_url == "https://slack.com/api"
    assert made.channel == "C0INCIDENT" and made.token == "xoxb-good" and not made.resumable


# --- Mattermost ---------------------------------------------------------------------------------------------


def app_error(status: int, error_id: str, message: str) -> Reply:
    """Mattermost's AppError body, as its server writes it."""
    return Reply(
        status,
        json.dumps(
            {
                "id": error_id,
                "message": message,
                "detailed_error": "",
                "request_id": "ig3n7qehnbdwtpdcpezotaspwc",
                "status_code": status,
            }
        ),
        {"content-type": "application/json"},
    )


@dataclass
class MattermostLike:
    """An incoming webhook as Mattermost handles it (app/webhook.go HandleIncomingWebhook)."""

    hooks: dict[str, str] = field(default_factory=lambda: {"abc123": "incidents"})  # hook id -> its channel
    locked: bool = False
    enabled: bool = True
    channels: set[str] = field(default_factory=lambda: {"incidents", "town-square"})
    posts: list[dict[str, str]] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        if not self.enabled:
            return app_error(
                501,
                "web.incoming_webhook.disabled.app_error",
                "Incoming webhooks have been disabled by the system admin.",
            )
        try:
            body = json.loads(request.body)
        except ValueError:
            return app_error(400, "web.incoming_webhook.parse.app_error", "Unable to parse incoming data.")
        if not isinstance(body, dict):
            return app_error(400, "web.incoming_webhook.parse.app_error", "Unable to parse incoming data.")
        text = body.get("text", "")
        if not text:
            return app_error(400, "web.incoming_webhook.text.app_error", "No text specified.")
        hook_channel = self.hooks.get(request.path.removeprefix("/hooks/"))
        if hook_channel is None:
            return app_error(400, "web.incoming_webhook.invalid.app_error", "Invalid webhook.")
        channel = body.get("channel", "").removeprefix("#") or hook_channel
        if channel not in self.channels:
            return app_error(404, "web.incoming_webhook.channel.app_error", "Couldn't find the channel.")
        if self.locked and channel != hook_channel:
            return app_error(
                403,
                "web.incoming_webhook.channel_locked.app_error",
                "This webhook is not permitted to post to the requested channel.",
            )
        # Slack's forms become Mattermost's (ProcessSlackText), then a long text is split into posts.
        text = re.sub(r"<!(channel|here|all)>", r"@\1", text)
        for start in range(0, len(text), POST_LIMIT):
            self.posts.append(
                {
                    "channel": channel,
                    "username": body.get("username", "webhook"),
                    "message": text[start : start + POST_LIMIT],
                }
            )
        return Reply(200, "ok", {"content-type": "text/plain"})

    @staticmethod
    def notifies_channel(message: str) -> bool:
        """What Mattermost's mention parser would take for @channel, @all or @here."""
        return re.search(r"(?<![\w\u200d])@(channel|all|here)\b", message, re.IGNORECASE) is not None


def mattermost(service: Any, hook: str = "abc123", channel: str = "", username: str = "") -> MattermostWebhook:
    return MattermostWebhook("ops", f"{service.base}/hooks/{hook}", channel, username)


def test_mattermost_posts_markdown_that_shows_the_plain_text() -> None:
    fake = MattermostLike()
    with serve(fake) as server:
        outcome = run(mattermost(server, channel="town-square", username="Commander"))
    assert outcome.state == "delivered"
    sent = json.loads(server.requests[0].body)
    assert sent == {
        "channel": "town-square",
        "username": "Commander",
        "text": (
            "**\\[SEV1\\] Checkout API returning 502s**\nINC-7K2M9QXA · investigating\n\n"
            "We are investigating errors at checkout. \\<b\\>not markup\\</b\\>\nNext update by 09:45."
        ),
    }
    assert fake.posts == [{"channel": "town-square", "username": "Commander", "message": sent["text"]}]


def test_mattermost_text_cannot_notify_the_whole_channel() -> None:
    noisy = replace(UPDATE, title="Outage in @all regions <!channel>", text="@here and @Channel: see above")
    fake = MattermostLike()
    with serve(fake) as server:
        assert run(mattermost(server), noisy).state == "delivered"
    message = fake.posts[0]["message"]
    assert not MattermostLike.notifies_channel(message)
    assert message.replace("\u200d", "").replace("\\", "").count("@") == 3  # still reads the same


def test_mattermost_escapes_markdown_but_keeps_addresses_whole() -> None:
    text = "Errors on api-* and [click](http://evil.example)\n# not a heading\n- not a list\nhttps://status.example.com/inc_42"
    fake = MattermostLike()
    with serve(fake) as server:
        run(mattermost(server), replace(UPDATE, text=text))
    body = fake.posts[0]["message"].split("\n\n", 1)[1]
    assert body == (
        "Errors on api-\\* and \\[click\\](http://evil.example)\n\\# not a heading\n\\- not a list\n"
        "https://status.example.com/inc_42"
    )


def test_mattermost_cuts_a_long_update_to_one_post_and_says_so() -> None:
    fake = MattermostLike()
    with serve(fake) as server:
        assert run(mattermost(server), replace(UPDATE, text="x" * 20_000)).state == "delivered"
    assert len(fake.posts) == 1  # Mattermost would have split it into two posts
    message = fake.posts[0]["message"]
    assert len(message) <= POST_LIMIT and "…" in message
    assert message.endswith("longer than a Mattermost post's 16,383 characters.)_")


@pytest.mark.parametrize(
    ("fake", "hook", "channel", "words"),
    [
        (
            MattermostLike(),
            "deleted",
            "",
            "(400 Invalid webhook.): the webhook URL is wrong or the webhook was deleted",
        ),
        (
            MattermostLike(enabled=False),
            "abc123",
            "",
            "(501 Incoming webhooks have been disabled by the system admin.)",
        ),
        (MattermostLike(), "abc123", "Incidents Room", "(404 Couldn't find the channel.): the channel setting names"),
        (MattermostLike(locked=True), "abc123", "town-square", "may post only to its own channel"),
    ],
)
def test_mattermost_errors_are_final_and_explained(fake: MattermostLike, hook: str, channel: str, words: str) -> None:
    with serve(fake) as server:
        outcome = run(mattermost(server, hook, channel))
    assert outcome.state == "failed" and words in outcome.detail, outcome.detail
    assert outcome.detail.startswith("Mattermost (ops) refused the update")
    assert len(server.requests) == 1 and not fake.posts


def test_mattermost_plain_text_errors_use_the_common_reading() -> None:
    with serve(lambda request: Reply(404, "404 page not found")) as server:
        outcome = run(mattermost(server))
    assert outcome.state == "failed" and "404 404 page not found" in outcome.detail
    assert "the webhook URL or channel no longer exists" in outcome.detail


def test_mattermost_rate_limit_and_server_errors_are_retried() -> None:
    answers = iter(
        [
            Reply(429, "limit exceeded", {"Retry-After": "0"}),
            app_error(500, "app.post.save.app_error", "Unable to save the post."),
            Reply(200, "ok"),
        ]
    )
    with serve(lambda request: next(answers)) as server:
        outcome = run(mattermost(server))
    assert outcome.state == "delivered" and len(server.requests) == 3


def test_mattermost_is_made_from_its_settings() -> None:
    made = destinations.make("mattermost", "ops", {"channel": "town-square"}, "https://chat.example.com/hooks/x")
    assert isinstance(made, MattermostWebhook) and made.channel == "town-square" and made.username == ""
    assert made.url == "https://chat.example.com/hooks/x" and not made.resumable


# --- Discord ------------------------------------------------------------------------------------------------


def discord_error(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body), {"content-type": "application/json", **(headers or {})})


def too_long(limit: int) -> dict[str, Any]:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


@dataclass
class DiscordLike:
    """Execute Webhook as Discord answers it: token checked, body validated against the embed limits,
    `?wait=true` returns the message, 429 with `retry_after` in seconds."""

    webhook: tuple[str, str] = ("1180000000000000001", "tok3n")
    limited: list[float] = field(default_factory=list)  # answer 429 with these retry_after values first
    messages: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, request: Request) -> Reply:
        url = urlsplit(request.path)
        query = parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        if request.method != "POST" or parts[:2] != ["api", "webhooks"] or len(parts) != 4:
            return discord_error(404, {"message": "404: Not Found", "code": 0})
        if parts[2] != self.webhook[0]:
            return discord_error(404, {"message": "Unknown Webhook", "code": 10015})
        if parts[3] != self.webhook[1]:
            return discord_error(401, {"message": "Invalid Webhook Token", "code": 50027})
        if self.limited:
            wait = self.limited.pop(0)
            return discord_error(
                429,
                {"message": "You are being rate limited.", "retry_after": wait, "global": False},
                {"Retry-After": str(int(wait) + 1)},
            )
        try:
            body = json.loads(request.body)
        except ValueError:
            return discord_error(400, {"message": "The request body contains invalid JSON.", "code": 50109})
        errors = self.problems(body)
        if errors:
            return discord_error(400, {"code": 50035, "errors": errors, "message": "Invalid Form Body"})
        if not body.get("content") and not body.get("embeds"):
            return discord_error(400, {"message": "Cannot send an empty message", "code": 50006})
        parse = body.get("allowed_mentions", {"parse": ["everyone", "roles", "users"]}).get("parse", [])
        message = {
            "id": str(1190000000000000000 + len(self.messages)),
            "type": 0,
            "channel_id": "1170000000000000007",
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
            "mention_everyone": "everyone" in parse and "@everyone" in body.get("content", ""),
            "webhook_id": self.webhook[0],
            "thread": query.get("thread_id", [None])[0],
        }
        self.messages.append(message)
        if query.get("wait") != ["true"]:
            return Reply(204, "")
        return Reply(200, json.dumps(message), {"content-type": "application/json"})

    @staticmethod
    def problems(body: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, Any] = {}
        if len(body.get("content", "")) > 2000:
            errors["content"] = too_long(2000)
        username = body.get("username")
        if username is not None and (not 1 <= len(username) <= 80 or "discord" in username.lower()):
            errors["username"] = {
                "_errors": [{"code": "USERNAME_INVALID_CONTAINS", "message": 'Username cannot contain "discord"'}]
            }
        for index, embed in enumerate(body.get("embeds", [])):
            found: dict[str, Any] = {}
            for key, limit in (("title", 256), ("description", 4096)):
                if len(embed.get(key, "")) > limit:
                    found[key] = too_long(limit)
            total = sum(len(embed.get(key, "")) for key in ("title", "description")) + len(
                embed.get("footer", {}).get("text", "")
            )
            if total > 6000:
                found["_errors"] = [
                    {"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}
                ]
            if found:
                errors.setdefault("embeds", {})[str(index)] = found
        return errors


def discord(service: Any, path: str = "/api/webhooks/1180000000000000001/tok3n", username: str = "") -> DiscordWebhook:
    return DiscordWebhook("war-room", service.base + path, username)


def test_discord_posts_an_embed_without_pings_and_keeps_the_message_id() -> None:
    fake = DiscordLike()
    with serve(fake) as server:
        outcome = run(discord(server, username="Commander"))
    assert outcome.state == "delivered" and outcome.remote_id == "1190000000000000000"
    request = server.requests[0]
    assert parse_qs(urlsplit(request.path).query) == {"wait": ["true"]}
    assert json.loads(request.body) == {
        "content": "[SEV1] Checkout API returning 502s (investigating)",
        "embeds": [
            {
                "title": "SEV1 Checkout API returning 502s",
                "description": UPDATE.text,
                "color": 0xE01E5A,
                "footer": {"text": "INC-7K2M9QXA · investigating"},
            }
        ],
        "allowed_mentions": {"parse": []},
        "username": "Commander",
    }


def test_discord_everyone_in_a_title_pings_no_one() -> None:
    fake = DiscordLike()
    with serve(fake) as server:
        run(discord(server), replace(UPDATE, title="@everyone checkout is down"))
    assert "@everyone" in fake.messages[0]["content"] and fake.messages[0]["mention_everyone"] is False


def test_discord_resolved_is_green_and_a_long_update_fits_the_embed() -> None:
    fake = DiscordLike()
    with serve(fake) as server:
        outcome = run(discord(server), replace(UPDATE, status="resolved", title="t" * 300, text="x" * 9000))
    assert outcome.state == "delivered"
    embed = fake.messages[0]["embeds"][0]
    assert embed["color"] == 0x2EB67D and len(embed["title"]) == 256
    assert len(embed["description"]) <= 4096 and embed["description"].endswith("4,096 characters.)")


def test_discord_keeps_the_thread_in_the_webhook_url() -> None:
    fake = DiscordLike()
    with serve(fake) as server:
        run(discord(server, "/api/webhooks/1180000000000000001/tok3n?thread_id=42"))
    assert parse_qs(urlsplit(server.requests[0].path).query) == {"thread_id": ["42"], "wait": ["true"]}
    assert fake.messages[0]["thread"] == "42"


@pytest.mark.parametrize(
    ("path", "username", "words"),
    [
        ("/api/webhooks/1180000000000000999/tok3n", "", "(404 Unknown Webhook, code 10015): the webhook was deleted"),
        ("/api/webhooks/1180000000000000001/wrong", "", "(401 Invalid Webhook Token, code 50027): the webhook URL's"),
        (
            "/api/webhooks/1180000000000000001/tok3n",
            "Discord Bot",
            '(400 Invalid Form Body: username: Username cannot contain "discord"): check the username setting',
        ),
    ],
)
def test_discord_errors_are_final_and_explained(path: str, username: str, words: str) -> None:
    with serve(DiscordLike()) as server:
        outcome = run(discord(server, path, username))
    assert outcome.state == "failed" and words in outcome.detail, outcome.detail
    assert len(server.requests) == 1


def test_discord_invalid_form_body_says_where() -> None:
    body = {"code": 50035, "message": "Invalid Form Body", "errors": {"embeds": {"0": {"description": too_long(4096)}}}}
    with serve(lambda request: discord_error(400, body)) as server:
        outcome = run(discord(server))
    assert "embeds.0.description: Must be 4096 or fewer in length." in outcome.detail
    assert outcome.detail.endswith("report it as a bug.")


def test_discord_429_waits_the_retry_after_in_the_body() -> None:
    states: list[tuple[str, str]] = []
    fake = DiscordLike(limited=[0.3])
    with serve(fake) as server:
        began = time.monotonic()
        outcome = run(discord(server), on_state=lambda name, state, detail: states.append((state, detail)))
        waited = time.monotonic() - began
    assert outcome.state == "delivered" and len(fake.messages) == 1
    assert 0.3 <= waited < 1.0  # the body's 0.3 s, not the header's rounded-up 1 s
    assert ("retrying", "retrying in 0.3 s: Discord (war-room) is rate limiting this webhook") in states


def test_discord_429_without_json_uses_the_header() -> None:
    answers = iter(
        [
            Reply(429, "<html>Cloudflare: slow down</html>", {"Retry-After": "1"}),
            discord_error(200, {"id": "1190000000000000077"}),
        ]
    )
    with serve(lambda request: next(answers)) as server:
        began = time.monotonic()
        outcome = run(discord(server))
        waited = time.monotonic() - began
    assert outcome.state == "delivered" and outcome.remote_id == "1190000000000000077" and waited >= 1.0


def test_discord_without_the_posted_message_is_a_clear_failure() -> None:
    with serve(lambda request: Reply(204, "")) as server:
        outcome = run(discord(server))
    assert outcome.state == "failed" and "without the message it posted" in outcome.detail
    assert len(server.requests) == 1  # it may have posted: never resent on its own


def test_discord_is_made_from_its_settings() -> None:
    made = destinations.make("discord", "war-room", {"username": "Commander"}, "https://discord.com/api/webhooks/1/t")
    assert isinstance(made, DiscordWebhook) and made.username == "Commander" and not made.resumable
