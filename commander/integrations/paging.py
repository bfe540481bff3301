"""Sending pages: through PagerDuty's Events API v2, or as a chat mention through an update destination.
Every job goes at once and on its own (a slow pager delays nobody else), through the update publisher's
delivery: 429s, 5xx and network failures retried with back-off that honours Retry-After; any other refusal
final, with its reason.

A mention only notifies where the service reads mentions in what Commander sends: Slack (a top-level
mrkdwn `text`, no blocks: `<@U123>`), Mattermost (`@alex`) and Discord (`<@123>`, with user mentions
allowed) get a message of their own. Teams, Matrix and the JSON webhook get the usual update with the
mention in its title: the name is there for people to read, but those services may not notify.

Only the configured mention at the start notifies: the rest of the message (the incident's title comes from
the shared store) is escaped as each chat reads it, so a title with `<!channel>` or `@all` pings nobody
(Slack: https://docs.slack.dev/messaging/formatting-message-text#escaping; Mattermost: mattermost.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from commander.integrations import destinations
from commander.integrations.destinations.base import Outcome, Update, classify, json_request, pace, shorten
from commander.integrations.destinations.mattermost import plain
from commander.integrations.destinations.publisher import BACKOFF, StateListener, publish_each
from commander.integrations.destinations.slack import escaped
from commander.integrations.pagerduty import Alert, EventsV2

MENTIONING = ("slack", "slack-api", "mattermost", "discord")
CHAT_TEXT_MAX = 3_000
# The mention a pager's settings give a person, at the start of the message: Slack's <@U123>, <@W123> or
# <!subteam^S123> (a user group); Mattermost's @name, up to the colon after it.
_SLACK_MENTION = re.compile(r"<(?:@[UW][A-Z0-9]+|!subteam\^[A-Z0-9]+)(?:\|[^<>]*)?>")
_MATTERMOST_MENTION = re.compile(r"[^\s:]+(?=:)")  # @alex: Mattermost's names hold no spaces or colons


def _mention_then(text: str, mention: re.Pattern[str], escape: Callable[[str], str]) -> str:
    """The leading mention as it is, so it notifies; everything after it escaped, so nothing else does."""
    found = mention.match(text)
    start = found.end() if found else 0
    return text[:start] + escape(text[start:])


@dataclass(frozen=True)
class PageJob:
    """One request for one page: a trigger (or a chat post), or an acknowledge or resolve that follows it."""

    page: str  # the page's id
    action: str  # trigger, acknowledge, resolve
    pager: str  # the pager's name
    kind: str  # pagerduty or chat
    dedup_key: str
    secret: str = field(repr=False)  # the routing key, or the chat destination's secret
    options: Mapping[str, str] = field(default_factory=dict)  # the pager's (PagerDuty) or the destination's
    alert: Alert | None = None  # a PagerDuty trigger
    destination: str = ""  # chat: the destination's name and kind
    destination_kind: str = ""
    update: Update | None = None  # chat: the message, mention first
    problem: str = ""  # set when it cannot be sent from here: it fails at once, saying this


async def send_page(client: httpx.AsyncClient, job: PageJob) -> Outcome:
    """One attempt."""
    if job.problem:
        return Outcome("failed", job.problem)
    if job.kind == "pagerduty":
        events = EventsV2(job.secret, api_url=job.options.get("api_url", ""), name=job.pager)
        if job.action == "trigger":
            assert job.alert is not None, "a trigger needs its alert"
            return await events.trigger(client, job.dedup_key, job.alert)
        return await (events.acknowledge if job.action == "acknowledge" else events.resolve)(client, job.dedup_key)
    assert job.update is not None, "a chat page needs its message"
    return await post_mention(client, job.destination_kind, job.destination, job.options, job.secret, job.update)


async def post_mention(
    client: httpx.AsyncClient, kind: str, name: str, options: Mapping[str, str], secret: str, update: Update
) -> Outcome:
    """The page as a message the chat reads mentions in, where it has one; else the usual update."""
    target = destinations.make(kind, name, options, secret)
    text = shorten(update.text, CHAT_TEXT_MAX)
    if kind == "slack":
        await pace(f"slack:{secret}", 1.0)  # the same slot as this webhook's updates: one a second
        response = await client.post(secret, **json_request({"text": _mention_then(text, _SLACK_MENTION, escaped)}))
        return classify(response, f"Slack ({name})")
    if kind == "slack-api":
        token, channel, api_url = (getattr(target, key) for key in ("token", "channel", "api_url"))
        await pace(f"slack-api:{channel}", 1.0)
        payload: dict[str, Any] = {"channel": channel, "text": _mention_then(text, _SLACK_MENTION, escaped)}
        response = await client.post(
            f"{api_url.rstrip('/')}/chat.postMessage", **json_request(payload, {"authorization": f"Bearer {token}"})
        )
        return _read(target, response)
    if kind == "mattermost":
        payload = {"text": _mention_then(text, _MATTERMOST_MENTION, plain)}
        for key in ("channel", "username"):
            if getattr(target, key):
                payload[key] = getattr(target, key)
        return _read(target, await client.post(secret, **json_request(payload)))
    if kind == "discord":
        payload = {"content": shorten(text, 2_000), "allowed_mentions": {"parse": ["users", "roles"]}}
        url = httpx.URL(secret).copy_merge_params({"wait": "true"})
        return _read(target, await client.post(url, **json_request(payload)))
    return await target.send(client, update)


def _read(target: object, response: httpx.Response) -> Outcome:
    read: Callable[[httpx.Response], Outcome] = getattr(target, "read")  # noqa: B009 - each kind has its own
    return read(response)


class _PageSender:
    """One page job as the publisher's `Destination`, so pages share its retries, back-off and Retry-After."""

    kind = "page"
    resumable = True  # unused: pages are resumed by the paging use cases

    def __init__(self, job: PageJob) -> None:
        self.job = job
        self.name = job.pager

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        return await send_page(client, self.job)


_NO_UPDATE = Update("", "", "", "", "")  # a PagerDuty job carries its alert; the publisher wants an update


async def send_all(
    jobs: Sequence[PageJob],
    *,
    client: httpx.AsyncClient,
    attempts: int = 5,
    backoff: Sequence[float] = BACKOFF,
    on_state: StateListener = lambda pager, state, detail: None,
) -> list[Outcome]:
    """Every job at once, each on its own; outcomes in the jobs' order. `on_state` hears the pager's name."""
    outcomes = await publish_each(
        [(str(index), _PageSender(job), job.update or _NO_UPDATE) for index, job in enumerate(jobs)],
        client=client,
        attempts=attempts,
        backoff=backoff,
        on_state=on_state,
    )
    return [outcomes[str(index)] for index in range(len(jobs))]
