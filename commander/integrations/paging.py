"""Sending pages: through PagerDuty's Events API v2, or as a chat mention through an update destination.
Every job goes at once and on its own (a slow pager delays nobody else); 429s, 5xx and network failures
are retried with back-off that honours Retry-After; any other refusal is final, with its reason.

A mention only notifies where the service reads mentions in what Commander sends: Slack (a top-level
mrkdwn `text`, no blocks: `<@U123>`), Mattermost (`@alex`) and Discord (`<@123>`, with user mentions
allowed) get a message of their own. Teams, Matrix and the JSON webhook get the usual update with the
mention in its title: the name is there for people to read, but those services may not notify.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from commander.integrations import destinations
from commander.integrations.destinations.base import Outcome, Update, classify, pace, shorten
from commander.integrations.pagerduty import Alert, EventsV2

BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
MAX_WAIT = 60.0
MENTIONING = ("slack", "slack-api", "mattermost", "discord")
CHAT_TEXT_MAX = 3_000

StateListener = Callable[[str, str, str], None]  # page id, state, detail


@dataclass(frozen=True)
class PageJob:
    """One request for one page: a trigger (or a chat post), or an acknowledge or resolve that follows it."""

    page: str                        # the page's id
    action: str                      # trigger, acknowledge, resolve
    pager: str                       # the pager's name
    kind: str                        # pagerduty or chat
    dedup_key: str
    secret: str = field(repr=False)  # the routing key, or the chat destination's secret
    options: Mapping[str, str] = field(default_factory=dict)  # the pager's (PagerDuty) or the destination's
    alert: Alert | None = None       # a PagerDuty trigger
    destination: str = ""            # chat: the destination's name and kind
    destination_kind: str = ""
    update: Update | None = None     # chat: the message, mention first
    problem: str = ""                # set when it cannot be sent from here: it fails at once, saying this


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


async def post_mention(client: httpx.AsyncClient, kind: str, name: str, options: Mapping[str, str], secret: str,
                       update: Update) -> Outcome:
    """The page as a message the chat reads mentions in, where it has one; else the usual update."""
    target = destinations.make(kind, name, options, secret)
    text = shorten(update.text, CHAT_TEXT_MAX)
    if kind == "slack":
        await pace(f"slack:{secret}", 1.0)  # the same slot as this webhook's updates: one a second
        response = await client.post(secret, json={"text": text})
        return classify(response, f"Slack ({name})")
    if kind == "slack-api":
        token, channel, api_url = (getattr(target, key) for key in ("token", "channel", "api_url"))
        await pace(f"slack-api:{channel}", 1.0)
        response = await client.post(f"{api_url.rstrip('/')}/chat.postMessage", json={"channel": channel, "text": text},
                                     headers={"authorization": f"Bearer {token}"})
        return _read(target, response)
    if kind == "mattermost":
        payload: dict[str, Any] = {"text": text}
        for key in ("channel", "username"):
            if getattr(target, key):
                payload[key] = getattr(target, key)
        return _read(target, await client.post(secret, json=payload))
    if kind == "discord":
        payload = {"content": shorten(text, 2_000), "allowed_mentions": {"parse": ["users", "roles"]}}
        url = httpx.URL(secret).copy_merge_params({"wait": "true"})
        return _read(target, await client.post(url, json=payload))
    return await target.send(client, update)


def _read(target: object, response: httpx.Response) -> Outcome:
    read: Callable[[httpx.Response], Outcome] = getattr(target, "read")  # noqa: B009 - each kind has its own
    return read(response)


async def send_all(jobs: Sequence[PageJob], *, client: httpx.AsyncClient, attempts: int = 5,
                   backoff: Sequence[float] = BACKOFF,
                   on_state: StateListener = lambda page, state, detail: None) -> list[Outcome]:
    """Every job at once; outcomes in the jobs' order."""
    return list(await asyncio.gather(*(_deliver(job, client, attempts, backoff, on_state) for job in jobs)))


async def _deliver(job: PageJob, client: httpx.AsyncClient, attempts: int, backoff: Sequence[float],
                   on_state: StateListener) -> Outcome:
    outcome = Outcome("failed", "not tried")
    for attempt in range(attempts):
        on_state(job.page, "sending", f"attempt {attempt + 1}")
        try:
            outcome = await send_page(client, job)
        except httpx.TimeoutException:
            outcome = Outcome("retry", f"{job.pager} did not answer in time")
        except httpx.TransportError as error:
            outcome = Outcome("retry", f"{job.pager} could not be reached ({type(error).__name__})")
        if outcome.final:
            on_state(job.page, outcome.state, outcome.detail)
            return outcome
        if attempt + 1 == attempts:
            break
        wait = min(MAX_WAIT, outcome.retry_after if outcome.retry_after is not None
                   else backoff[min(attempt, len(backoff) - 1)])
        on_state(job.page, "retrying", f"retrying in {wait:.0f} s: {outcome.detail}")
        await asyncio.sleep(wait)
    failed = Outcome("failed", f"gave up after {attempts} attempts: {outcome.detail}")
    on_state(job.page, "failed", failed.detail)
    return failed
