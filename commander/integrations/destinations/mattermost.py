"""Mattermost incoming webhook: JSON with Markdown `text`, optional `channel` (the channel's name, not its
display name) and `username`; it answers `ok`. Errors come back as Mattermost's AppError JSON,
`{"id": "web.incoming_webhook.invalid.app_error", "message": "Invalid webhook.", "detailed_error": "",
"status_code": 400}` (400 for a wrong or deleted hook, 403 for a locked channel, 404 for an unknown one,
501 when webhooks are switched off), or as plain text from a proxy in front of it. A post holds at most
16,383 characters (Mattermost 5.0 and later); a webhook's longer text is split into several posts by the
server, so Commander cuts it instead and says so, to keep one update in one post.

Limits:
- A post's message: at most 16,383 characters (runes, i.e. code points) since Mattermost 5.0 (`PostMessageMaxRunesV2`);
  https://docs.mattermost.com/developer/webhooks-incoming.html ("Tips and best practices": longer text is split
  into several posts). Cut on a grapheme boundary, with a note that says so.
- Markdown and @channel/@all/@here mentions in the text: https://docs.mattermost.com/collaborate/format-messages.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import httpx

from commander.domain.core import graphemes
from commander.integrations.destinations.base import Outcome, Update, classify, json_request

POST_LIMIT = 16_383  # characters (runes) in one post

FIXES = {
    "web.incoming_webhook.invalid.app_error": "the webhook URL is wrong or the webhook was deleted: make a new "
    "incoming webhook and set its URL again",
    "web.incoming_webhook.disabled.app_error": "incoming webhooks are switched off on this server: ask a "
    "Mattermost admin (System Console > Integrations)",
    "web.incoming_webhook.channel.app_error": "the channel setting names no channel in the webhook's team: use "
    "the channel's name (town-square), not its display name",
    "web.incoming_webhook.channel_locked.app_error": "this webhook may post only to its own channel: clear the "
    "channel setting or make a webhook for that channel",
    "web.incoming_webhook.permissions.app_error": "the webhook's owner cannot post in that private channel: "
    "add them to it or choose another channel",
    "web.incoming_webhook.user.app_error": "the webhook's owner (or the @user in the channel setting) no longer "
    "exists: make a new webhook",
    "app.channel.get.existing.app_error": "the webhook's channel was deleted: make a new webhook",
    "web.incoming_webhook.text.app_error": "Commander sent something Mattermost could not read: report it as a bug",
    "web.incoming_webhook.parse.app_error": "Commander sent something Mattermost could not read: report it as a bug",
}

# Mentions that notify a whole channel, in Mattermost's own form and the Slack form it translates
# (`<!channel>` becomes `@channel`). A title like "Outage @all regions" must not page every member of the
# channel, so a zero-width joiner goes after the `@` / `<!`: the text reads the same and mentions no one.
_CHANNEL_MENTION = re.compile(r"(@|<!)(?=(?:channel|all|here)\b)", re.IGNORECASE)
ZERO_WIDTH_JOINER = "\u200d"
# The update is plain text, so Markdown's marks are escaped: `api-*` must not start italics, and
# `[text](url)` must not hide where a link goes. Addresses are left whole so they stay clickable.
_ADDRESS = re.compile(r"(https?://\S+)")
_INLINE_MARK = re.compile(r"([\\`*_~\[\]<>|#])")
_LINE_MARK = re.compile(r"^(\s*)([-+=]|\d+\.(?=\s))", re.MULTILINE)  # lists, rules, headings


def plain(text: str) -> str:
    """Plain text as Mattermost Markdown that shows the same text and notifies no channel."""
    parts = _ADDRESS.split(_CHANNEL_MENTION.sub(lambda m: m.group(1) + ZERO_WIDTH_JOINER, text))
    escaped = "".join(part if index % 2 else _INLINE_MARK.sub(r"\\\1", part) for index, part in enumerate(parts))
    return _LINE_MARK.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], escaped)


NOTE = f"…\n\n_(Cut by Commander: the update is longer than a Mattermost post's {POST_LIMIT:,} characters.)_"


def message(update: Update) -> str:
    return fitted(update)[0]


def fitted(update: Update) -> tuple[str, tuple[int, int] | None]:
    """The post: a bold headline, the reference and status, then the text, cut to one post on a grapheme
    boundary; and (characters sent, characters) when it was cut."""
    head = f"**{plain(f'[{update.severity}] {update.title}')}**\n{plain(update.reference)} · {update.status}\n\n"
    whole = head + plain(update.text)
    if len(whole) <= POST_LIMIT:
        return whole, None
    # Cut the update itself, so an escape is never cut in half and the count is of the update's characters.
    room = POST_LIMIT - len(head) - len(NOTE)
    body = graphemes.fit(update.text, fits=lambda text: len(plain(text)) <= room, note="")
    return head + plain(body.text) + NOTE, (body.kept, body.total)


@dataclass
class MattermostWebhook:
    name: str
    url: str
    channel: str = ""
    username: str = ""
    kind: str = "mattermost"
    resumable: bool = False  # a webhook has no idempotency key: a resend may post twice

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        payload = {"text": ""}
        if self.channel:
            payload["channel"] = self.channel
        if self.username:
            payload["username"] = self.username
        payload["text"], shortened = fitted(update)
        outcome = self.read(await client.post(self.url, **json_request(payload)))
        return replace(outcome, shortened=shortened) if outcome.state == "delivered" else outcome

    def read(self, response: httpx.Response) -> Outcome:
        label = f"Mattermost ({self.name})"
        outcome = classify(response, label)
        if outcome.state != "failed":
            return outcome
        try:
            error = response.json()
        except ValueError:
            return outcome  # plain text, from Mattermost or a proxy: the common reading says it
        if not isinstance(error, dict) or not error.get("id"):
            return outcome
        said = str(error.get("message") or error["id"])
        detail = str(error.get("detailed_error") or "")
        fix = FIXES.get(str(error["id"]), "check the webhook and the destination's settings")
        return Outcome(
            "failed",
            f"{label} refused the update ({response.status_code} {said}"
            + (f" {detail}" if detail else "")
            + f"): {fix}.",
        )


def make(name: str, options: Mapping[str, str], secret: str) -> MattermostWebhook:
    return MattermostWebhook(
        name, secret.strip(), options.get("channel", "").strip(), options.get("username", "").strip()
    )
