"""Slack incoming webhook with Block Kit. Errors come back as plain text with a 4xx (`invalid_payload`,
`channel_not_found`, `channel_is_archived`, `action_prohibited`...), and about one message a second is
the rate Slack allows a webhook (it answers 429 with Retry-After past that).

`blocks` builds the message for the webhook and for chat.postMessage (slack_api.py) alike.

Limits (characters, as Slack counts them; mrkdwn counted after `&`, `<`, `>` are escaped):
- `&`, `<` and `>` are control characters in mrkdwn and in the top-level `text` and must be sent as `&amp;`,
  `&lt;`, `&gt;`; otherwise `<!channel>` in a title notifies the whole channel.
  https://docs.slack.dev/messaging/formatting-message-text#escaping
- A section block's text: at most 3,000 characters. https://docs.slack.dev/reference/block-kit/blocks/section-block
- A header block's text: at most 150 characters. https://docs.slack.dev/reference/block-kit/blocks/header-block
- At most 50 blocks in a message. https://docs.slack.dev/reference/block-kit/blocks
- The blocks of one message together: about 12,000 characters of text. Slack documents 12,000 as the
  cumulative limit of markdown blocks (https://docs.slack.dev/reference/block-kit/blocks/markdown-block) and
  answers `msg_blocks_too_long` past roughly that for sections too (slackapi/bolt-js#2509, #2867), so the
  whole message, top-level `text` included, is kept within 12,000 characters and the update is cut, saying
  so, when it would not fit.
- Slack does not say whether a character is a code point or a UTF-16 unit (the figures in bolt-js#2509 are
  JavaScript string lengths, UTF-16 units); both budgets are counted in UTF-16 units, which is never fewer,
  so an update full of emoji fits as surely as plain text.
- The top-level `text`: truncated by Slack past 40,000 characters, `msg_too_long` past that.
  https://docs.slack.dev/reference/methods/chat.postMessage
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from commander.domain.core import graphemes
from commander.integrations.destinations.base import (
    Outcome,
    Update,
    chunks,
    classify,
    json_request,
    pace,
    quoted,
    shorten,
)

SECTION_LIMIT = 3_000  # characters of text in one section block
HEADER_LIMIT = 150  # characters of text in a header block
BLOCK_LIMIT = 50  # blocks in one message
MESSAGE_LIMIT = 12_000  # characters of text in the whole message: every block's and the top-level text
TITLE_LIMIT = 300  # characters of title in the top-level text, so a long title leaves room for the update
RATE = 1.0  # seconds between messages to one webhook
CONTINUED = "\n\n… (continued in Commander: this update was shortened to fit one Slack message)"
BLOCKS_TOO_LONG = (
    "the update is longer than Slack takes in one message's blocks (about 12,000 characters in "
    "all), although Commander shortens updates to fit: shorten the update or report it as a bug"
)
SLACK_HINTS = {
    "invalid_payload": "Commander sent something Slack could not read: report it as a bug",
    "channel_not_found": "the webhook's channel no longer exists: make a new webhook",
    "channel_is_archived": "the webhook's channel is archived: make a new webhook",
    "action_prohibited": "a Slack admin has restricted this webhook",
    "no_service": "the webhook was disabled or removed: make a new one",
    "invalid_blocks": "Commander sent blocks Slack could not read: report it as a bug",
    "msg_too_long": "the update is too long for one Slack message: shorten it",
    "msg_blocks_too_long": BLOCKS_TOO_LONG,
}


def escaped(text: str) -> str:
    """Outside text as mrkdwn shows it: Slack's three control characters as entities, nothing else."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fitted(update: Update) -> tuple[dict[str, object], tuple[int, int] | None]:
    """The update as Block Kit (a header, a context line, the text in sections of at most 3,000 characters),
    with the whole message's text within MESSAGE_LIMIT: a longer update is cut on a grapheme boundary and
    ends with a note that says so. Returns the message and (characters sent, characters) when cut."""
    top = escaped(f"[{update.severity}] {shorten(update.title, TITLE_LIMIT)} ({update.status})")
    header = shorten(f"{update.severity} {update.title}", HEADER_LIMIT)
    context = escaped(f"{update.reference} · {update.status}")
    room = MESSAGE_LIMIT - sum(graphemes.size(text, "utf16") for text in (top, header, context))
    body = graphemes.fit(update.text, room, unit="utf16", note=CONTINUED)
    sections = chunks(body.text, SECTION_LIMIT, "utf16")[: BLOCK_LIMIT - 2]
    return {
        "text": top,  # notifications and old clients: mrkdwn, so escaped
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": header}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
            *({"type": "section", "text": {"type": "plain_text", "text": text or " "}} for text in sections),
        ],
    }, body.shortened


def blocks(update: Update) -> dict[str, object]:
    return fitted(update)[0]


@dataclass
class SlackWebhook:
    name: str
    url: str
    kind: str = "slack"
    resumable: bool = False  # a webhook has no idempotency key: a resend may post twice

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        await pace(f"slack:{self.url}", RATE)
        message, shortened = fitted(update)
        response = await client.post(self.url, **json_request(message))
        if response.status_code == 200:
            return Outcome("delivered", shortened=shortened)
        outcome = classify(response, f"Slack ({self.name})")
        code = quoted(response)
        if not outcome.final or code not in SLACK_HINTS:
            return outcome
        return Outcome("failed", f"Slack ({self.name}) refused the update ({code}): {SLACK_HINTS[code]}.")


def make(name: str, options: Mapping[str, str], secret: str) -> SlackWebhook:
    return SlackWebhook(name, secret)
