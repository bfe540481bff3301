"""An incident's own Slack channel through the Web API with a bot token (xoxb-…): create it, set its topic,
invite the responders, post, read what was said, archive it. What it hears live comes from Socket Mode
(slack_socket.py), with the app-level token (xapp-…) that may follow the bot token in the secret.

Options: api_url (https://slack.com/api), workspace_url (https://acme.slack.com, for links), pin_reaction
(pushpin: the reaction a caller takes as "pin this to the timeline"). The bot token's scopes: channels:manage
(groups:write for private channels), chat:write, users:read, users:read.email, channels:history
(groups:history), and for the events pins:read and reactions:read.

Slack answers HTTP 200 even when it refuses, `{"ok": false, "error": "name_taken"}`; a rate limit is HTTP 429
with Retry-After and `"error": "ratelimited"` (https://docs.slack.dev/apis/web-api/rate-limits). A missing
scope is `{"ok": false, "error": "missing_scope", "needed": "channels:manage", "provided": "…"}`, and the
message names the scope to add. POST methods take JSON with the charset said (destinations/base.py's
`json_request`); users.lookupByEmail, users.info and conversations.history are read with GET and a query string
(users.lookupByEmail "does not currently accept application/json").

The methods, their limits and their errors:
- conversations.create (Tier 2, 20+ a minute; bot scopes channels:manage, groups:write for private channels):
  "Channel names may only contain lowercase letters, numbers, hyphens, and underscores, and must be 80
  characters or less"; errors name_taken, invalid_name_specials, invalid_name_maxlength,
  invalid_name_punctuation ("contained only punctuation"), invalid_name_required, restricted_action.
  https://docs.slack.dev/reference/methods/conversations.create. `slack_name` makes any text fit; a taken name
  is tried again as name-2, name-3 … up to NAME_TRIES (kept under Tier 2's minute).
- conversations.setTopic (Tier 3): `too_long` past 250 characters; no formatting or linkification, so the topic
  is sent as it is, cut to 250. https://docs.slack.dev/reference/methods/conversations.setTopic
- users.lookupByEmail (Tier 3, users:read.email): `users_not_found` for an unknown or deactivated person.
  https://docs.slack.dev/reference/methods/users.lookupByEmail
- conversations.invite (Tier 3): "A comma separated list of user IDs. Up to 1000 users may be listed"; with
  `force` the valid ones are invited and the answer lists the rest in `errors` ([{"user", "ok", "error"}],
  slack-go/slack#1433); `already_in_channel` is not a failure. https://docs.slack.dev/reference/methods/conversations.invite
- chat.postMessage (about one message a second per channel; chat:write): `&`, `<`, `>` escaped
  (https://docs.slack.dev/messaging/formatting-message-text#escaping), `thread_ts` for a reply, text truncated
  past 40,000 characters. https://docs.slack.dev/reference/methods/chat.postMessage
- conversations.archive (Tier 2): `already_archived` is not a failure.
  https://docs.slack.dev/reference/methods/conversations.archive
- conversations.history (Tier 3; channels:history, groups:history): newest first, `oldest` exclusive unless
  `inclusive`, cursor pagination with `response_metadata.next_cursor`, `limit` under 1000 and "no more than
  200" recommended; HISTORY_MAX bounds one catch-up, keeping the newest. Thread replies are not in it
  (conversations.replies), only their parents and broadcasts. https://docs.slack.dev/reference/methods/conversations.history
- Links: https://WORKSPACE.slack.com/archives/CHANNEL/pTS (the ts without its dot), built here rather than
  asking chat.getPermalink once per message; without a workspace_url a channel links through
  https://slack.com/app_redirect?channel=ID (https://api.slack.com/docs/deep-linking) and a message
  has no link.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from commander.domain.core import graphemes
from commander.integrations.chat.base import Channel, ChatListener, ChatMessage, ChatProblem
from commander.integrations.chat.slack_web import API_URL, CUT_NOTE, ID, TS, answer, bounded, posted
from commander.integrations.destinations.base import json_request, pace
from commander.integrations.destinations.slack import escaped

log = logging.getLogger(__name__)

NAME_LIMIT = 80  # characters in a channel name
NAME_TRIES = 10  # names tried when taken: name, name-2 … name-10 (Tier 2 allows about 20 a minute)
TOPIC_LIMIT = 250  # characters in a topic
INVITE_BATCH = 1_000  # users in one conversations.invite
POST_LIMIT = 40_000  # characters of escaped text Slack keeps in one message
POST_RATE = 1.0  # seconds between posts to one channel
HISTORY_PAGE = 200  # messages asked for per page
HISTORY_MAX = 2_000  # messages read in one catch-up
PIN_REACTION = "pushpin"  # the reaction that pins a message in Commander, unless the connection names another

# conversations.invite's errors about one person rather than about the call.
PER_USER = {
    "already_in_channel",
    "cant_invite",
    "cant_invite_self",
    "user_not_found",
    "user_is_restricted",
    "ura_max_channels",
    "invitee_cant_see_channel",
    "no_external_invite_permission",
    "org_user_not_in_team",
    "not_allowed_team",
}


def tokens(secret: str) -> tuple[str, str]:
    """(bot token, app-level token) from the secret: the bot token, then optionally the xapp-… token."""
    words = secret.split()
    app = next((word for word in words if word.startswith("xapp-")), "")
    bot = next((word for word in words if not word.startswith("xapp-")), "")
    return bot, app


def slack_name(text: str) -> str:
    """`text` as a Slack channel name: lower case ASCII letters, digits, hyphens and underscores, at most 80
    characters, with at least one letter or digit ("Checkout API: 502s" -> "checkout-api-502s"; text with
    none, "incident")."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    name = re.sub(r"[^a-z0-9_]+", "-", folded)
    name = re.sub(r"-{2,}", "-", name).strip("-_")[:NAME_LIMIT].rstrip("-_")
    return name if re.search(r"[a-z0-9]", name) else "incident"


def suffixed(name: str, number: int) -> str:
    """`name` with `-number` after it, shortened first so the whole still fits in 80 characters."""
    suffix = f"-{number}"
    return name[: NAME_LIMIT - len(suffix)].rstrip("-_") + suffix


class SlackChat:
    """One Slack workspace's channels, through the Web API with a bot token."""

    kind = "slack"

    def __init__(
        self, name: str, token: str, api_url: str = API_URL, workspace_url: str = "", pin_reaction: str = PIN_REACTION
    ) -> None:
        self.name = name
        self.token = token
        self.api_url = api_url.rstrip("/")
        self.workspace_url = workspace_url.rstrip("/")
        self.pin_reaction = pin_reaction  # a REACTED message with this reaction is pinned, for the caller to read

    async def create_channel(self, client: httpx.AsyncClient, name: str, *, topic: str = "") -> Channel:
        base = slack_name(name)
        for attempt in range(1, NAME_TRIES + 1):
            candidate = base if attempt == 1 else suffixed(base, attempt)
            reply = await self.call(
                client, "conversations.create", {"name": candidate}, f"create the channel #{candidate}", ("name_taken",)
            )
            if reply.get("error") == "name_taken":
                continue
            found = reply.get("channel")
            channel_id = found.get("id") if isinstance(found, Mapping) else None
            if not isinstance(found, Mapping) or not isinstance(channel_id, str) or not ID.match(channel_id):
                raise ChatProblem(
                    f"Slack ({self.name}) made the channel #{candidate} but gave no id Commander can use: look for it "
                    "in Slack and report it as a bug."
                )
            made = Channel(channel_id, bounded(found.get("name")) or candidate, self.channel_url(channel_id))
            if topic:
                try:
                    await self.set_topic(client, made.id, topic)
                except ChatProblem as problem:  # the channel exists: the caller must learn its id all the same
                    log.warning("Slack (%s): channel #%s made, its topic not set: %s", self.name, made.name, problem)
            return made
        raise ChatProblem(
            f"Slack ({self.name}) has channels named #{base} to #{suffixed(base, NAME_TRIES)} already: archive or "
            "rename old ones, or give the incident another title."
        )

    async def set_topic(self, client: httpx.AsyncClient, channel: str, topic: str) -> None:
        text = graphemes.fit(" ".join(topic.split()), TOPIC_LIMIT, unit="utf16", note="…").text
        await self.call(client, "conversations.setTopic", {"channel": channel, "topic": text}, "set the topic")

    async def find_user(self, client: httpx.AsyncClient, email: str) -> str | None:
        email = email.strip()
        if not email or "@" not in email or len(email) > 254 or any(char.isspace() for char in email):
            return None
        reply = await self.call(
            client, "users.lookupByEmail", {"email": email}, f"look up {email}", ("users_not_found",), get=True
        )
        user = reply.get("user")
        found = user.get("id") if isinstance(user, Mapping) else None
        return found if isinstance(found, str) and ID.match(found) else None

    async def invite(self, client: httpx.AsyncClient, channel: str, users: Sequence[str]) -> list[str]:
        wanted = list(dict.fromkeys(user for user in users if user))
        failed = [user for user in wanted if not ID.match(user)]
        valid = [user for user in wanted if ID.match(user)]
        for start in range(0, len(valid), INVITE_BATCH):
            batch = valid[start : start + INVITE_BATCH]
            reply = await self.call(
                client,
                "conversations.invite",
                {"channel": channel, "users": ",".join(batch), "force": True},
                "invite people to the channel",
                tuple(PER_USER),
            )
            failed += refused_invites(reply, batch)
        return failed

    async def post(self, client: httpx.AsyncClient, channel: str, text: str, *, thread: str = "", key: str = "") -> str:
        """`key` is ignored: chat.postMessage takes no idempotency key, so a resend may post twice."""
        del key
        await pace(f"slack-chat:{self.api_url}:{channel}", POST_RATE)
        body: dict[str, object] = {"channel": channel, "text": escaped(fitted(text))}
        if thread:
            body["thread_ts"] = thread
        reply = await self.call(client, "chat.postMessage", body, "post to the channel")
        ts = reply.get("ts")
        if not isinstance(ts, str) or not TS.match(ts):
            raise ChatProblem(
                f"Slack ({self.name}) took the message but gave no id for it: look in the channel "
                "before posting again, and report it as a bug."
            )
        return ts

    async def archive(self, client: httpx.AsyncClient, channel: str) -> None:
        await self.call(client, "conversations.archive", {"channel": channel}, "archive it", ("already_archived",))

    async def history(self, client: httpx.AsyncClient, channel: str, after: str) -> list[ChatMessage]:
        params: dict[str, object] = {"channel": channel, "limit": HISTORY_PAGE}
        if after and not TS.match(after):
            raise ValueError(f"not a Slack message id: {after[:40]!r}")  # a caller's bug, not Slack's answer
        if after:
            params["oldest"] = after
        heard: list[ChatMessage] = []
        seen = 0
        while seen < HISTORY_MAX:
            reply = await self.call(client, "conversations.history", params, "read the channel", get=True)
            messages = reply.get("messages")
            page = [item for item in messages if isinstance(item, Mapping)] if isinstance(messages, list) else []
            seen += max(len(page), 1)
            heard += [found for item in page if (found := posted(channel, item, self.workspace_url))]
            meta = reply.get("response_metadata")
            cursor = meta.get("next_cursor") if isinstance(meta, Mapping) else None
            if not reply.get("has_more") or not isinstance(cursor, str) or not cursor or len(cursor) > 1_000:
                break
            params["cursor"] = cursor
        after_time = float(after) if after else 0.0
        unique = {message.id: message for message in heard if float(message.id) > after_time}
        return sorted(unique.values(), key=lambda message: float(message.id))

    def channel_url(self, channel: str) -> str:
        if self.workspace_url:
            return f"{self.workspace_url}/archives/{channel}"
        return f"https://slack.com/app_redirect?channel={channel}"

    async def call(
        self,
        client: httpx.AsyncClient,
        method: str,
        params: Mapping[str, object],
        doing: str,
        allowed: Sequence[str] = (),
        *,
        get: bool = False,
    ) -> dict[str, Any]:
        """Slack's answer to `method`, or ChatProblem saying what failed while trying to do `doing`. An error in
        `allowed` comes back as the answer for the caller to read."""
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        url = f"{self.api_url}/{method}"
        try:
            if get:
                response = await client.get(url, params={k: str(v) for k, v in params.items()}, headers=headers)
            else:
                response = await client.post(url, **json_request(params, headers))
        except httpx.TransportError as error:
            raise ChatProblem(
                f"Slack ({self.name}) could not be reached to {doing} ({type(error).__name__}: {error}): check the "
                "network and the api_url setting; Commander will try again.",
                transient=True,
            ) from error
        return answer(response, self.name, method, doing, allowed)


def refused_invites(found: Mapping[str, Any], batch: Sequence[str]) -> list[str]:
    """The users of `batch` conversations.invite did not invite (those already in the channel were not refused)."""
    errors = found.get("errors")
    if isinstance(errors, list) and errors:
        refused = {
            item.get("user")
            for item in errors
            if isinstance(item, Mapping) and item.get("error") != "already_in_channel"
        }
        return [user for user in batch if user in refused]
    if found.get("ok") is True or found.get("error") == "already_in_channel":
        return []
    return list(batch)  # refused without saying who: none of the batch is known to be in


def fitted(text: str) -> str:
    """`text` cut so that, escaped, it stays within what Slack keeps of one message."""
    return graphemes.fit(text, fits=lambda candidate: len(escaped(candidate)) <= POST_LIMIT, note=CUT_NOTE).text


def make(name: str, options: Mapping[str, str], secret: str) -> SlackChat:
    bot, _ = tokens(secret)
    return SlackChat(
        name,
        bot,
        options.get("api_url") or API_URL,
        options.get("workspace_url") or "",
        options.get("pin_reaction") or PIN_REACTION,
    )


def listener(name: str, options: Mapping[str, str], secret: str) -> ChatListener:
    from commander.integrations.chat.slack_socket import SlackSocket  # Socket Mode: loaded only when heard

    bot, app = tokens(secret)
    return SlackSocket(
        name,
        app,
        bot,
        api_url=options.get("api_url") or API_URL,
        workspace_url=options.get("workspace_url") or "",
        pin_reaction=options.get("pin_reaction") or PIN_REACTION,
    )
