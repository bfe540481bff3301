"""Slack through the Web API: `chat.postMessage` with a bot token, so one app can post to any channel it
was invited to, and Slack returns the message's `ts`. Slack answers HTTP 200 even when it refuses:
`{"ok": false, "error": "not_in_channel"}`; only rate limiting comes back as HTTP 429 with Retry-After
(`{"ok": false, "error": "ratelimited"}`). The method's own rate is about one message a second per
channel, with short bursts tolerated (docs.slack.dev/apis/web-api/rate-limits).

Limits: the message is slack.py's `fitted` (escaping, 3,000 characters a section, 50 blocks, 12,000 characters
in all; sources there); chat.postMessage's errors: https://docs.slack.dev/reference/methods/chat.postMessage
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import httpx

from commander.integrations.destinations.base import Outcome, Update, classify, json_request, pace, quoted, retry_after
from commander.integrations.destinations.slack import BLOCKS_TOO_LONG, fitted

API_URL = "https://slack.com/api"
RATE = 1.0  # seconds between messages to one channel

# Slack's error codes for chat.postMessage, and what a person can do about each.
FIXES = {
    "not_in_channel": "invite the Commander app to the channel (/invite @<app name> in the channel)",
    "channel_not_found": "check the channel setting: use the channel's ID (channel details, at the bottom), "
    "and invite the app if the channel is private",
    "is_archived": "the channel is archived: unarchive it or choose another channel",
    "invalid_auth": "the bot token is not accepted: set the destination's token again (xoxb-…)",
    "not_authed": "no bot token was sent: set the destination's token (xoxb-…)",
    "account_inactive": "the token belongs to a deactivated user or workspace: install the app again and "
    "set its new token",
    "token_revoked": "the token was revoked or the app removed: install the app again and set its new token",
    "token_expired": "the token has expired: set a fresh bot token",
    "no_permission": "the app may not post there: invite it to the channel or check its permissions",
    "missing_scope": "the app lacks the chat:write scope: add it under OAuth & Permissions, reinstall the app "
    "and set the new token",
    "restricted_action": "a workspace setting stops the app from posting there: ask a Slack admin",
    "restricted_action_read_only_channel": "the channel is read-only for the app: choose another channel",
    "restricted_action_thread_only_channel": "the channel takes thread replies only: choose another channel",
    "ekm_access_denied": "Slack admins have suspended posting (EKM): ask a Slack admin",
    "team_access_not_granted": "the token has no access to the channel's workspace: install the app there",
    "msg_too_long": "the update is too long for one Slack message: shorten it",
    "msg_blocks_too_long": BLOCKS_TOO_LONG,
    "no_text": "the update was empty: write some text",
    "too_many_attachments": "Commander sent too many attachments: report it as a bug",
    "invalid_blocks": "Commander sent blocks Slack could not read: report it as a bug",
    "invalid_blocks_format": "Commander sent blocks Slack could not read: report it as a bug",
    "invalid_arguments": "Commander sent something Slack could not read: report it as a bug",
    "fatal_error": "Slack failed part-way and the message may have posted: look in the channel before sending again",
}
# Errors that pass: Slack's own trouble or its rate limit, so the publisher tries again later.
TRANSIENT = {"rate_limited", "ratelimited", "internal_error", "service_unavailable", "request_timeout"}


@dataclass
class SlackApi:
    name: str
    token: str
    channel: str
    api_url: str = API_URL
    kind: str = "slack-api"
    resumable: bool = False  # chat.postMessage has no idempotency key: a resend may post twice

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        await pace(f"slack-api:{self.channel}", RATE)
        message, shortened = fitted(update)
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}  # else Slack says `not_authed`
        response = await client.post(
            f"{self.api_url.rstrip('/')}/chat.postMessage",
            **json_request({"channel": self.channel, **message}, headers),
        )
        outcome = self.read(response)
        return replace(outcome, shortened=shortened) if outcome.state == "delivered" else outcome

    def read(self, response: httpx.Response) -> Outcome:
        label = f"Slack ({self.name})"
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict) or "ok" not in answer:
            outcome = classify(response, label)
            if outcome.state != "delivered":
                return outcome
            return Outcome(
                "failed",
                f"{label} answered {response.status_code} with something that is not "
                f"Slack's Web API ({quoted(response, 100)}): check the api_url "
                "setting; the message may have posted.",
            )
        if answer["ok"] is True:
            ts = answer.get("ts")
            return Outcome("delivered", remote_id=ts if isinstance(ts, str) else None)
        error = str(answer.get("error") or "unknown_error")
        if error in TRANSIENT or response.status_code == 429 or response.status_code >= 500:
            return Outcome("retry", f"{label} answered {response.status_code} {error}", retry_after(response))
        fix = FIXES.get(error, "see Slack's chat.postMessage documentation for this error")
        if error == "missing_scope" and answer.get("needed"):
            fix += f" (needed: {answer['needed']})"
        return Outcome("failed", f"{label} refused the update ({error}): {fix}.")


def make(name: str, options: Mapping[str, str], secret: str) -> SlackApi:
    return SlackApi(name, secret.strip(), options["channel"].strip(), options.get("api_url") or API_URL)
