"""Reading Slack's Web API, shared by the channel service (slack.py) and the Socket Mode listener
(slack_socket.py): an answer read into its JSON or a ChatProblem in words a person can act on, and Slack's
messages read into ChatMessages (markup made plain, sizes bounded, links built). Sources for every limit and
error are in slack.py's docstring."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from commander.domain.core import graphemes
from commander.integrations.chat.base import NAME_MAX, POSTED, TEXT_MAX, ChatMessage, ChatProblem
from commander.integrations.destinations.base import quoted, retry_after

API_URL = "https://slack.com/api"
ANSWER_MAX = 8_000_000  # bytes of one answer read
HEARD = {"thread_broadcast", "file_share", "me_message", "bot_message"}  # subtypes that are a message posted
CUT_NOTE = " … (cut by Commander)"

ID = re.compile(r"^[A-Z0-9]{2,40}$")
TS = re.compile(r"^\d{1,12}\.\d{1,8}$")

# Slack's error codes, and what a person can do about each.
FIXES = {
    "invalid_auth": "the bot token is not accepted: set the Slack connection's token again (xoxb-…)",
    "not_authed": "no bot token was sent: set the Slack connection's token (xoxb-…)",
    "account_inactive": "the token belongs to a deactivated user or workspace: install the app again and set "
    "its new token",
    "token_revoked": "the token was revoked or the app removed: install the app again and set its new token",
    "token_expired": "the token has expired: set a fresh bot token",
    "not_allowed_token_type": "that kind of token cannot do this: use the bot token (xoxb-…) first in the secret",
    "no_permission": "the app is not allowed to do this: check its permissions or ask a Slack admin",
    "restricted_action": "a workspace setting stops the app from doing this: ask a Slack admin to allow it",
    "ekm_access_denied": "Slack admins have suspended this (EKM): ask a Slack admin",
    "team_access_not_granted": "the token has no access to that workspace: install the app there",
    "channel_not_found": "the channel no longer exists or the app cannot see it: invite the app to it",
    "not_in_channel": "the app is not in the channel: invite it (/invite @<app name> in the channel)",
    "is_archived": "the channel is archived: unarchive it in Slack or open a new channel",
    "name_taken": "a channel of that name exists: archive or rename it, or choose another name",
    "invalid_name_specials": "Slack refused the name's characters: report it as a bug (Commander fits names)",
    "invalid_name_maxlength": "the name is longer than Slack's 80 characters: report it as a bug",
    "invalid_name_punctuation": "the name has no letter or digit: choose another name",
    "invalid_name_required": "the name is empty: choose a name",
    "invalid_name": "Slack refused the name: choose another one",
    "too_long": "the topic is longer than Slack's 250 characters: report it as a bug (Commander cuts it)",
    "user_is_restricted": "the app's user is restricted by a workspace setting: ask a Slack admin",
    "method_not_supported_for_channel_type": "this kind of channel cannot do this: use a public or private channel",
    "msg_too_long": "the message is too long for Slack: shorten it",
    "no_text": "the message was empty: write some text",
    "cant_archive_general": "the workspace's general channel cannot be archived",
    "fatal_error": "Slack failed part-way and the change may have been made: look in Slack before trying again",
    "invalid_arguments": "Commander sent something Slack could not read: report it as a bug",
    "invalid_form_data": "Commander sent something Slack could not read: report it as a bug",
    "missing_argument": "Commander left out something Slack needs: report it as a bug",
}
# The scope each method needs when Slack's answer does not name it.
SCOPES = {
    "conversations.create": "channels:manage (groups:write for private channels)",
    "conversations.setTopic": "channels:manage (groups:write for private channels)",
    "conversations.invite": "channels:manage (groups:write for private channels)",
    "conversations.archive": "channels:manage (groups:write for private channels)",
    "conversations.history": "channels:history (groups:history for private channels)",
    "users.lookupByEmail": "users:read.email",
    "users.info": "users:read",
    "apps.connections.open": "connections:write (on the app-level token)",
    "chat.postMessage": "chat:write",
}
# Slack's own trouble or its rate limit: trying again later may work.
TRANSIENT = {"ratelimited", "rate_limited", "internal_error", "service_unavailable", "request_timeout"}


def plain(text: str) -> str:
    """Slack's message markup as plain text: `<@U1>` -> @U1, `<#C1|ops>` -> #ops, `<url|label>` -> label (url),
    `<!here>` -> @here, and the three escaped characters back; cut to TEXT_MAX, saying so."""

    def link(found: re.Match[str]) -> str:
        target, _, label = found.group(1).partition("|")
        if target.startswith("@"):
            return f"@{label or target[1:]}"
        if target.startswith("#"):
            return f"#{label or target[1:]}"
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label and label != target else target

    words = html.unescape(re.sub(r"<([^<>]{1,2000})>", link, text)) if "<" in text or "&" in text else text
    return graphemes.fit(words, TEXT_MAX, note=CUT_NOTE).text


def bounded(value: object, limit: int = NAME_MAX) -> str:
    """A name-like value from outside: a string, on one line, at most `limit` characters."""
    return graphemes.cut(" ".join(value.split()), limit) if isinstance(value, str) else ""


def moment(ts: object) -> datetime | None:
    if not isinstance(ts, str) or not TS.match(ts):
        return None
    return datetime.fromtimestamp(float(ts), UTC)


def message_url(workspace_url: str, channel: str, ts: str, thread: str = "") -> str:
    """https://acme.slack.com/archives/C1/p1733600000000100 (with the thread for a reply), or "" without a
    workspace URL."""
    if not workspace_url or not TS.match(ts):
        return ""
    url = f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"
    return f"{url}?thread_ts={thread}&cid={channel}" if thread else url


def author(message: Mapping[str, Any]) -> tuple[str, str]:
    """(id, name) of who posted a message, from what the message itself carries."""
    profile = message.get("user_profile")
    name = ""
    if isinstance(profile, Mapping):
        name = bounded(profile.get("display_name")) or bounded(profile.get("real_name")) or bounded(profile.get("name"))
    bot = message.get("bot_profile")
    if not name and isinstance(bot, Mapping):
        name = bounded(bot.get("name"))
    name = name or bounded(message.get("username"))
    user = message.get("user") or message.get("bot_id")
    return (user if isinstance(user, str) and ID.match(user) else ""), name


def posted(channel: str, message: Mapping[str, Any], workspace_url: str) -> ChatMessage | None:
    """A message from conversations.history or a `message` event as POSTED, or None when it is not one (a
    join, a topic change) or is malformed."""
    ts = message.get("ts")
    if not isinstance(ts, str) or not TS.match(ts) or message.get("subtype", "") not in HEARD | {""}:
        return None
    return said(channel, message, ts, workspace_url, POSTED, moment(ts))


def said(
    channel: str,
    message: Mapping[str, Any],
    ts: str,
    workspace_url: str,
    change: str,
    at: datetime | None,
    version: str = "",
) -> ChatMessage:
    """The message `ts` (checked by the caller) as `change`: its author, text, link and thread."""
    text = message.get("text")
    user, name = author(message)
    thread = thread_of(message, ts)
    return ChatMessage(
        channel=channel,
        id=ts,
        change=change,
        author_id=user,
        author_name=name,
        text=plain(text) if isinstance(text, str) else "",
        url=message_url(workspace_url, channel, ts, thread),
        at=at,
        thread=thread,
        version=version,
    )


def thread_of(message: Mapping[str, Any], ts: str) -> str:
    """The ts of the thread the message `ts` replies in, or "" when it starts one or is in none."""
    thread = message.get("thread_ts")
    return thread if isinstance(thread, str) and TS.match(thread) and thread != ts else ""


def answer(
    response: httpx.Response,
    name: str,
    method: str,
    doing: str,
    allowed: Sequence[str] = (),
    fixes: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A Web API answer read: the JSON object when `ok` (or its error is `allowed`), else ChatProblem."""
    label = f"Slack ({name})"
    found: object = None
    if len(response.content) <= ANSWER_MAX:
        try:
            found = response.json()
        except ValueError:
            found = None
    if not isinstance(found, dict) or "ok" not in found:
        transient = response.status_code == 429 or response.status_code >= 500
        said = quoted(response, 100) or "nothing"
        raise ChatProblem(
            f"{label} answered {response.status_code} with {said} when asked to {doing}: "
            + ("Slack is having trouble; Commander will try again." if transient else "check the api_url setting."),
            transient=transient,
            retry_after=retry_after(response),
        )
    if found["ok"] is True:
        return found
    error = bounded(found.get("error"), 80) or "unknown_error"
    if error in allowed:
        return found
    if error in TRANSIENT or response.status_code == 429 or response.status_code >= 500:
        wait = retry_after(response)
        later = f"; Commander will try again in {wait:g} s" if wait is not None else "; Commander will try again"
        raise ChatProblem(f"{label} could not {doing} ({error}){later}.", transient=True, retry_after=wait)
    if fixes and error in fixes:
        fix = fixes[error]
    elif error == "missing_scope":
        needed = bounded(found.get("needed"), 200) or SCOPES.get(method, "the scope the method's page names")
        fix = (
            f"the Slack app lacks the {needed} scope: add it under OAuth & Permissions, reinstall the app to the "
            "workspace and set the new bot token"
        )
    else:
        fix = FIXES.get(error, f"see Slack's page for {method} (docs.slack.dev/reference/methods/{method})")
    raise ChatProblem(f"{label} refused to {doing} ({error}): {fix}.")
