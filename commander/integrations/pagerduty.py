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


# -- reading acknowledgements back (REST API v2) -------------------------------------------------------------
#
# What this relies on (PagerDuty's REST API v2 reference, "List incidents",
# https://developer.pagerduty.com/api-reference/9d0b4b12e36f9-list-incidents, and its error codes):
#
#   GET https://api.pagerduty.com/incidents?incident_key=DEDUP_KEY
#   Authorization: Token token=API_KEY        Accept: application/vnd.pagerduty+json;version=2
#   200 {"incidents": [{"id", "incident_number", "status": triggered|acknowledged|resolved, "html_url",
#        "created_at", "acknowledgements": [{"at", "acknowledger": {"summary": "Sam Jones", "type": …}}],
#        "last_status_change_by": {"summary"}, …}], "limit", "offset", "more"}
#
# An Events API v2 alert's dedup_key is its alert_key; "querying by incident key will return incidents whose
# alerts have alert_key matching the given incident key" (https://docs.workato.com/connectors/pagerduty/
# search-incident.html). Without since/until the list covers the last 30 days
# (https://community.pagerduty.com/ask-a-product-question-2/incidents-don-t-show-up-in-rest-api-176), which
# an open page is always within. A read-only key is enough: read-only keys get 403 on anything but GET.
# Errors are {"error": {"message", "code", "errors": [...]}}: 401 code 2006 (the key), 403 code 2010 (access
# denied), 400 code 2001 (invalid input). The REST API allows 960 requests a minute per key
# (https://support.pagerduty.com/main/docs/rest-api-rate-limits) and answers 429 beyond, with
# `ratelimit-reset` saying how many seconds to wait.

REST_URL = "https://api.pagerduty.com"
REST_ACCEPT = "application/vnd.pagerduty+json;version=2"
REST_ANSWER_MAX = 2_000_000  # a page of incidents with their acknowledgements; past this, not PagerDuty
NAME_MAX = 100


@dataclass(frozen=True)
class IncidentSeen:
    """What PagerDuty's incident for one dedup key says: its status and who acknowledged (or resolved) it."""

    status: str  # triggered, acknowledged, resolved; "" when PagerDuty has no incident for the key
    by: str = ""  # who acknowledged it (or resolved it, when it went straight to resolved)
    at: str = ""  # when, as PagerDuty wrote it
    number: str = ""  # the incident's number, for people ("#1234")

    @property
    def answered(self) -> bool:
        return self.status in ("acknowledged", "resolved")


class ReadProblem(Exception):
    """Reading the incident failed: `str()` says what happened and what to do; `transient` when a later
    try may work (429, 5xx, the network)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class RestV2:
    """PagerDuty's REST API v2 with one (read-only) API key; `name` is the pager's, for messages."""

    def __init__(self, api_key: str, *, rest_url: str = "", name: str = "PagerDuty") -> None:
        self.api_key = api_key
        self.url = (rest_url or REST_URL).rstrip("/")
        self.name = name

    async def incident(self, client: httpx.AsyncClient, dedup_key: str) -> IncidentSeen:
        try:
            response = await client.get(
                f"{self.url}/incidents",
                params={"incident_key": dedup_key},
                headers={"authorization": f"Token token={self.api_key}", "accept": REST_ACCEPT},
            )
        except httpx.TransportError as error:
            raise ReadProblem(
                f"could not reach {self.name}'s REST API at {httpx.URL(self.url).host} ({type(error).__name__})",
                transient=True,
            ) from error
        return self.read(response)

    def read(self, response: httpx.Response) -> IncidentSeen:
        answer = _json(response) if len(response.content) <= REST_ANSWER_MAX else {}
        if response.status_code == 200:
            incidents = answer.get("incidents")
            if not isinstance(incidents, list):
                raise ReadProblem(f"{self.name}'s REST API answered without a list of incidents: check rest_url")
            found = [i for i in incidents if isinstance(i, dict)]
            if not found:
                return IncidentSeen("")
            return _seen(max(found, key=lambda i: str(i.get("created_at", ""))))
        error = answer.get("error") if isinstance(answer.get("error"), dict) else {}
        said = shorten(str(error.get("message", "")).strip(), _ANSWER_MAX) if isinstance(error, dict) else ""
        code = error.get("code") if isinstance(error, dict) else None
        why = f" ({said}" + (f", code {code}" if isinstance(code, int) else "") + ")" if said else ""
        if response.status_code == 429:
            wait = response.headers.get("ratelimit-reset", "")
            later = f" in {wait} s" if wait.isdigit() else " in a minute"
            raise ReadProblem(
                f"{self.name}'s REST API is rate limiting this key (429): it is read again{later}", transient=True
            )
        if response.status_code >= 500:
            raise ReadProblem(
                f"{self.name}'s REST API had a problem of its own ({response.status_code})", transient=True
            )
        if response.status_code == 401:
            raise ReadProblem(
                f"{self.name} refused the REST API key{why}: give the pager's API key again (a read-only "
                f"key from Integrations, API Access Keys)"
            )
        if response.status_code == 403:
            raise ReadProblem(
                f"{self.name} denied the REST API key access to incidents{why}: use a key that can read them"
            )
        raise ReadProblem(
            f"{self.name}'s REST API refused to list incidents ({response.status_code}{': ' + said if said else ''}): "
            f"check the pager's rest_url (PagerDuty's is {REST_URL})"
        )


def _name(value: object) -> str:
    summary = value.get("summary") if isinstance(value, dict) else None
    return " ".join(summary.split())[:NAME_MAX] if isinstance(summary, str) else ""


def _seen(incident: Mapping[str, Any]) -> IncidentSeen:
    status = incident.get("status")
    status = status if status in ("triggered", "acknowledged", "resolved") else "triggered"
    number = incident.get("incident_number")
    number_text = f"#{number}" if isinstance(number, int) and not isinstance(number, bool) else ""
    acks = [a for a in incident.get("acknowledgements") or [] if isinstance(a, dict)]
    if acks and status != "triggered":
        first = min(acks, key=lambda a: str(a.get("at", "")))
        by, at = _name(first.get("acknowledger")), first.get("at")
        return IncidentSeen(status, by, at if isinstance(at, str) else "", number_text)
    changed = incident.get("last_status_change_at")
    by = _name(incident.get("last_status_change_by")) if status != "triggered" else ""
    return IncidentSeen(status, by, changed if isinstance(changed, str) and status != "triggered" else "", number_text)
