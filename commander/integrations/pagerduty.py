"""PagerDuty Events API v2: trigger an alert, then acknowledge and resolve it with the same dedup key.

What this relies on (PagerDuty's api-schema `reference/events-v2/openapiv3.json` and developer docs, "Send an
Alert Event"):

  POST https://events.pagerduty.com/v2/enqueue   JSON, no auth header: the routing key is in the body
  {routing_key (32 characters), event_action: trigger|acknowledge|resolve, dedup_key (at most 255),
   payload: {summary (at most 1024), source, severity: critical|error|warning|info, timestamp, component,
             group, class, custom_details}, client, client_url, links: [{href, text}]}
  202 {"status": "success", "message": "Event processed", "dedup_key": "…"}
  400 {"status": "invalid event", "message": "Event object is invalid", "errors": ["…"]}: do not retry
  429 too many events for this integration: retry after a while, with back-off
  5xx and network errors: retry after a while

A trigger with the dedup key of an open alert adds to that alert instead of opening another, so sending
the same page twice (a retry, a second console) pages once. Acknowledge and resolve must use the routing
key of the trigger, or PagerDuty drops them. Every answer becomes an `Outcome` whose detail says what
happened and what to do; the routing key is never in one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from commander.domain.core.when import iso
from commander.integrations.destinations.base import JSON_CONTENT_TYPE, Outcome, retry_after, shorten

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
SUMMARY_MAX = 1024
DEDUP_MAX = 255
SEVERITIES = ("critical", "error", "warning", "info")
ACTIONS = ("trigger", "acknowledge", "resolve")
CLIENT = "Commander"
_ANSWER_MAX = 300


@dataclass(frozen=True)
class Alert:
    """What a trigger tells the person paged (PagerDuty's "PD-CEF" payload)."""

    summary: str
    source: str
    severity: str
    timestamp: datetime
    component: str = ""
    group: str = ""
    class_: str = ""
    details: Mapping[str, str] = field(default_factory=dict)
    links: Sequence[tuple[str, str]] = ()  # (href, text)


def trigger_body(routing_key: str, dedup_key: str, alert: Alert) -> dict[str, Any]:
    if alert.severity not in SEVERITIES:
        raise ValueError(f"PagerDuty has no severity {alert.severity!r}")
    payload: dict[str, Any] = {
        "summary": shorten(alert.summary, SUMMARY_MAX),
        "source": alert.source,
        "severity": alert.severity,
        "timestamp": iso(alert.timestamp),
    }
    for key, value in (("component", alert.component), ("group", alert.group), ("class", alert.class_)):
        if value:
            payload[key] = value
    if alert.details:
        payload["custom_details"] = dict(alert.details)
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": payload,
        "client": CLIENT,
    }
    if alert.links:
        body["links"] = [{"href": href, "text": text} for href, text in alert.links]
    return body


def follow_up_body(routing_key: str, dedup_key: str, action: str) -> dict[str, Any]:
    """An acknowledge or resolve for the alert a trigger opened."""
    if action not in ("acknowledge", "resolve"):
        raise ValueError(f"not a follow-up action: {action!r}")
    return {"routing_key": routing_key, "event_action": action, "dedup_key": dedup_key}


class EventsV2:
    """One Events API v2 integration (one routing key); `name` is the pager's, for messages."""

    def __init__(self, routing_key: str, *, api_url: str = "", name: str = "PagerDuty") -> None:
        self.routing_key = routing_key
        self.url = api_url or EVENTS_URL
        self.name = name

    async def trigger(self, client: httpx.AsyncClient, dedup_key: str, alert: Alert) -> Outcome:
        return await self.send(client, trigger_body(self.routing_key, dedup_key, alert), "trigger")

    async def acknowledge(self, client: httpx.AsyncClient, dedup_key: str) -> Outcome:
        return await self.send(client, follow_up_body(self.routing_key, dedup_key, "acknowledge"), "acknowledge")

    async def resolve(self, client: httpx.AsyncClient, dedup_key: str) -> Outcome:
        return await self.send(client, follow_up_body(self.routing_key, dedup_key, "resolve"), "resolve")

    async def send(self, client: httpx.AsyncClient, body: Mapping[str, Any], action: str) -> Outcome:
        """One attempt; retrying (429, 5xx, the network) is the caller's, as `Outcome.state` "retry" says."""
        response = await client.post(
            self.url,
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers={"content-type": JSON_CONTENT_TYPE, "accept": "application/json"},
        )
        return self.read(response, action)

    def read(self, response: httpx.Response, action: str) -> Outcome:
        answer = _json(response)
        said = answer.get("message") if isinstance(answer.get("message"), str) else ""
        if response.status_code == 202 or (200 <= response.status_code < 300 and answer.get("status") == "success"):
            key = answer.get("dedup_key")
            done = {
                "trigger": "accepted the page",
                "acknowledge": "took the acknowledgement",
                "resolve": "took the resolution",
            }[action]
            return Outcome(
                "delivered",
                f"{self.name} {done} ({said or 'Event processed'})",
                remote_id=key if isinstance(key, str) else None,
            )
        if response.status_code == 429:
            return Outcome(
                "retry",
                f"{self.name} is taking too many events for this integration right now (429)",
                retry_after(response),
            )
        if response.status_code >= 500:
            return Outcome(
                "retry", f"{self.name} had a problem of its own ({response.status_code})", retry_after(response)
            )
        if response.status_code == 400:
            errors = (
                [str(e) for e in answer.get("errors", []) if isinstance(e, str | int | float)]
                if isinstance(answer.get("errors"), list)
                else []
            )
            reasons = "; ".join(errors) or said or shorten(response.text.strip(), _ANSWER_MAX) or "no reason given"
            if any("routing_key" in error or "routing key" in error.lower() for error in errors):
                hint = "set the pager's routing key again (the Integration Key of an Events API v2 integration)"
            else:
                hint = "Commander sent something PagerDuty does not accept: report it as a bug"
            return Outcome("failed", f"{self.name} refused the {action} as invalid ({reasons}): {hint}.")
        if response.status_code in (401, 403, 404):
            return Outcome(
                "failed",
                f"{self.name} answered {response.status_code} at {self.url}: check the pager's "
                f"api_url (PagerDuty's is {EVENTS_URL}).",
            )
        body = shorten(response.text.strip(), _ANSWER_MAX)
        return Outcome(
            "failed",
            f"{self.name} refused the {action} ({response.status_code} {body}".rstrip()
            + "): check the pager's settings.",
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
