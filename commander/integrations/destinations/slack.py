"""Slack incoming webhook with Block Kit. Errors come back as plain text with a 4xx (`invalid_payload`,
`channel_not_found`, `channel_is_archived`, `action_prohibited`...), and about one message a second is
the rate Slack allows a webhook (it answers 429 with Retry-After past that)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from commander.integrations.destinations.base import Outcome, Update, chunks, classify, pace

SECTION_LIMIT = 3_000  # characters of text in one section block
BLOCK_LIMIT = 50      # blocks in one message
RATE = 1.0            # seconds between messages to one webhook
SLACK_HINTS = {
    "invalid_payload": "Commander sent something Slack could not read: report it as a bug",
    "channel_not_found": "the webhook's channel no longer exists: make a new webhook",
    "channel_is_archived": "the webhook's channel is archived: make a new webhook",
    "action_prohibited": "a Slack admin has restricted this webhook",
    "no_service": "the webhook was disabled or removed: make a new one",
}


def blocks(update: Update) -> dict[str, object]:
    """The update as Block Kit: a header, a context line, and the text in sections of at most 3,000
    characters (a message holds at most 50 blocks; past that the text is cut, with an ellipsis)."""
    sections = chunks(update.text, SECTION_LIMIT)[: BLOCK_LIMIT - 2]
    return {
        "text": f"[{update.severity}] {update.title} ({update.status})",  # notifications and old clients
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"{update.severity} {update.title}"[:150]}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{update.reference} · {update.status}"}]},
            *({"type": "section", "text": {"type": "plain_text", "text": text or " "}} for text in sections),
        ],
    }


@dataclass
class SlackWebhook:
    name: str
    url: str
    kind: str = "slack"
    resumable: bool = False  # a webhook has no idempotency key: a resend may post twice

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        await pace(f"slack:{self.url}", RATE)
        response = await client.post(self.url, json=blocks(update))
        if response.status_code == 200:
            return Outcome("delivered")
        outcome = classify(response, f"Slack ({self.name})")
        code = response.text.strip()
        if not outcome.final or code not in SLACK_HINTS:
            return outcome
        return Outcome("failed", f"Slack ({self.name}) refused the update ({code}): {SLACK_HINTS[code]}.")


def make(name: str, options: Mapping[str, str], secret: str) -> SlackWebhook:
    return SlackWebhook(name, secret)
