"""Discord webhook, executed with `?wait=true` so Discord confirms the post and returns the message (its
`id` is kept). The update goes as an embed, within Discord's embed limits (title 256, description 4,096,
footer 2,048, 6,000 characters in all), with `allowed_mentions: {"parse": []}` so no `@everyone` or
role in a title can ping anyone. Errors are JSON, `{"message": "Unknown Webhook", "code": 10015}`, and an
invalid body says where: `{"code": 50035, "message": "Invalid Form Body", "errors": {"embeds": {"0":
{"description": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "..."}]}}}}}`. Past a rate limit
Discord answers 429 with `{"retry_after": 1.5, "global": false}` in seconds, and a Retry-After header.

Limits (characters): content 2,000; an embed's title 256, description 4,096, footer text 2,048, and 6,000 in
all across the embeds of a message. https://discord.com/developers/docs/resources/message#embed-object-embed-limits
and https://discord.com/developers/docs/resources/webhook#execute-webhook. A longer update is cut on a grapheme
boundary, with a note that says so."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

import httpx

from commander.domain.core import graphemes
from commander.integrations.destinations.base import (
    PAGE_STATUS,
    Outcome,
    Update,
    classify,
    json_request,
    retry_after,
    shorten,
)

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4_096
CONTENT_LIMIT = 2_000
FOOTER_LIMIT = 1_000  # of Discord's 2,048, so title, description and footer stay within 6,000 in all
COLOURS = {"SEV1": 0xE01E5A, "SEV2": 0xF2994A, "SEV3": 0xF2C94C, "SEV4": 0x2F80ED}
RESOLVED_COLOUR = 0x2EB67D
GREY = 0x95A5A6
CUT_NOTE = f"\n\n(Cut by Commander: the update is longer than a Discord embed's {DESCRIPTION_LIMIT:,} characters.)"

FIXES = {
    10015: "the webhook was deleted: make a new one and set its URL again",
    10003: "the webhook's channel was deleted: make a new webhook",
    50027: "the webhook URL's token is wrong: copy the webhook URL again",
    50001: "the webhook can no longer see its channel: check the channel's permissions",
    50013: "the webhook may not post in its channel: check the channel's permissions",
    50006: "the update was empty: write some text",
    40005: "the update is too large for Discord: shorten it",
}


def embed(update: Update) -> dict[str, Any]:
    return fitted(update)[0]


def fitted(update: Update) -> tuple[dict[str, Any], tuple[int, int] | None]:
    """The update as one embed, coloured by severity (green once resolved), its text cut to the embed's
    description limit on a grapheme boundary; and (characters sent, characters) when it was cut."""
    resolved = PAGE_STATUS.get(update.status) == "resolved"
    text = graphemes.fit(update.text, DESCRIPTION_LIMIT, note=CUT_NOTE)
    return {
        "title": shorten(f"{update.severity} {update.title}", TITLE_LIMIT),
        "description": text.text or "\u200b",  # Discord refuses an empty description
        "color": RESOLVED_COLOUR if resolved else COLOURS.get(update.severity, GREY),
        "footer": {"text": shorten(f"{update.reference} · {update.status}", FOOTER_LIMIT)},
    }, text.shortened


def _problems(errors: Any, path: str = "") -> Iterator[str]:
    """`embeds.0.description: Must be 4096 or fewer in length.` from Discord's nested `errors`."""
    if not isinstance(errors, dict):
        return
    for key, value in errors.items():
        if key == "_errors" and isinstance(value, list):
            for problem in value:
                if isinstance(problem, dict):
                    yield f"{path or 'body'}: {problem.get('message') or problem.get('code')}"
        else:
            yield from _problems(value, f"{path}.{key}" if path else str(key))


@dataclass
class DiscordWebhook:
    name: str
    url: str
    username: str = ""
    kind: str = "discord"
    resumable: bool = False  # a webhook has no idempotency key: a resend may post twice

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        card, shortened = fitted(update)
        payload: dict[str, Any] = {
            "content": shorten(f"[{update.severity}] {update.title} ({update.status})", CONTENT_LIMIT),
            "embeds": [card],
            "allowed_mentions": {"parse": []},
        }
        if self.username:
            payload["username"] = self.username
        # Added to the URL's own query, which may carry ?thread_id=…: httpx's `params=` would replace it.
        url = httpx.URL(self.url).copy_merge_params({"wait": "true"})
        outcome = self.read(await client.post(url, **json_request(payload)))
        return replace(outcome, shortened=shortened) if outcome.state == "delivered" else outcome

    def read(self, response: httpx.Response) -> Outcome:
        label = f"Discord ({self.name})"
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            outcome = classify(response, label)  # an HTML page from Cloudflare, a proxy's text...
            if outcome.state != "delivered":
                return outcome
            return Outcome(
                "failed",
                f"{label} answered {response.status_code} without the message it posted "
                "(is the URL a Discord webhook?): look in the channel before sending again.",
            )
        if 200 <= response.status_code < 300:
            message_id = answer.get("id")
            if isinstance(message_id, str) and message_id:
                return Outcome("delivered", remote_id=message_id)
            return Outcome(
                "failed",
                f"{label} answered {response.status_code} without the message it posted: "
                "look in the channel before sending again.",
            )
        if response.status_code == 429:
            wait = answer.get("retry_after")
            seconds = float(wait) if isinstance(wait, int | float) else retry_after(response)
            scope = "all of Commander's requests" if answer.get("global") else "this webhook"
            return Outcome("retry", f"{label} is rate limiting {scope}", seconds)
        outcome = classify(response, label)
        if not outcome.final:
            return outcome
        code = answer.get("code")
        said = str(answer.get("message") or "no reason given")
        if code == 50035:
            where = "; ".join(_problems(answer.get("errors"))) or said
            fix = "check the username setting" if "username" in where else "report it as a bug"
            return Outcome("failed", f"{label} refused the update ({response.status_code} {said}: {where}): {fix}.")
        fix = FIXES.get(code if isinstance(code, int) else -1, "check the webhook URL and the channel")
        coded = f", code {code}" if code is not None else ""
        return Outcome("failed", f"{label} refused the update ({response.status_code} {said}{coded}): {fix}.")


def make(name: str, options: Mapping[str, str], secret: str) -> DiscordWebhook:
    return DiscordWebhook(name, secret.strip(), options.get("username", "").strip())
