"""A local service that behaves like PagerDuty's Events API v2 (POST /v2/enqueue), for `serve()`.

It checks what PagerDuty checks (a JSON object; a 32-character routing key; event_action one of trigger,
acknowledge, resolve; for a trigger a payload with summary of at most 1024 characters, source, and severity
one of critical, error, warning, info; a dedup_key of at most 255) and answers as PagerDuty does: 202
{"status": "success", "message": "Event processed", "dedup_key": …}, or 400 {"status": "invalid event",
"message": "Event object is invalid", "errors": [...]}. A trigger with the dedup key of an open alert opens
no new one; acknowledge and resolve apply to the open alert of that key and routing key, and are dropped
(still 202) otherwise. `busy` answers the next requests 429 (with Retry-After), `broken` 500.

It also answers the REST API v2's GET /incidents?incident_key=KEY (sources in
commander/integrations/pagerduty.py): the header "Authorization: Token token=API_KEY" is required (401
{"error": {"message": "Unauthorized", "code": 2006}} otherwise), and each alert is an incident with its
status, number, acknowledgements (someone acknowledging in the app: `acknowledge_in_app`; an Events API
acknowledge: the integration) and last_status_change_by. `rest_busy` answers the next REST requests 429
with ratelimit-reset, `rest_broken` 500.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers.fakes import Reply, Request

ROUTING_KEY = "R0UT1NGKEY0123456789abcdefABCDEF"  # 32 letters and digits, as PagerDuty issues them
API_KEY = "y_NbAkKc66ryYTWUXYEu"  # a REST API key: 20 characters, as PagerDuty issues them
INTEGRATION = "Commander (Events API v2)"
SEVERITIES = ("critical", "error", "warning", "info")


@dataclass
class FakeAlert:
    dedup_key: str
    routing_key: str
    summary: str
    payload: dict[str, Any]
    status: str = "triggered"  # triggered, acknowledged, resolved
    log: list[str] = field(default_factory=list)
    number: int = 0
    created_at: str = "2026-11-28T09:30:00Z"
    acknowledgements: list[dict[str, Any]] = field(default_factory=list)
    changed_by: str = ""  # last_status_change_by's summary


@dataclass
class PagerDutyFake:
    busy: int = 0  # answer this many next requests 429
    retry_after: str = ""  # the 429's Retry-After header, when set
    broken: int = 0  # answer this many next requests 500
    rest_busy: int = 0  # answer this many next REST requests 429
    rest_broken: int = 0  # answer this many next REST requests 500
    api_key: str = API_KEY
    reads: list[str] = field(default_factory=list)  # every incident_key the REST API was asked about
    alerts: list[FakeAlert] = field(default_factory=list)  # every alert opened, oldest first
    bodies: list[Any] = field(default_factory=list)  # every request body read, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def open_alert(self, dedup_key: str, routing_key: str) -> FakeAlert | None:
        return next(
            (
                a
                for a in self.alerts
                if a.dedup_key == dedup_key and a.routing_key == routing_key and a.status != "resolved"
            ),
            None,
        )

    def alert(self, dedup_key: str) -> FakeAlert:
        return next(a for a in reversed(self.alerts) if a.dedup_key == dedup_key)

    def acknowledge_in_app(self, dedup_key: str, who: str, at: str = "2026-11-28T09:34:00Z") -> None:
        """Someone acknowledges the alert's incident in PagerDuty's own app."""
        with self.lock:
            found = self.alert(dedup_key)
            found.status, found.changed_by = "acknowledged", who
            found.acknowledgements.append({"at": at, "acknowledger": {"type": "user_reference", "summary": who}})

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            if request.method == "GET" and request.path.split("?")[0].endswith("/incidents"):
                return self._incidents(request)
            return self._answer(request)

    def _incidents(self, request: Request) -> Reply:
        if self.rest_busy:
            self.rest_busy -= 1
            return Reply(429, json.dumps({"error": {"message": "Rate Limit Exceeded", "code": 2020}}), _REST)
        if self.rest_broken:
            self.rest_broken -= 1
            return Reply(500, json.dumps({"error": {"message": "Internal Server Error", "code": 2000}}), _JSON)
        if request.headers.get("authorization") != f"Token token={self.api_key}":
            return Reply(401, json.dumps({"error": {"message": "Unauthorized", "code": 2006}}), _JSON)
        query = parse_qs(urlsplit(request.path).query)
        key = (query.get("incident_key") or [""])[0]
        self.reads.append(key)
        found = [a for a in self.alerts if a.dedup_key == key] if key else self.alerts
        return Reply(
            200,
            json.dumps({"incidents": [_incident(a) for a in found], "limit": 25, "offset": 0, "more": False}),
            _JSON,
        )

    def _answer(self, request: Request) -> Reply:
        if request.method != "POST" or not request.path.endswith("/v2/enqueue"):
            return Reply(404, json.dumps({"status": "Not found"}))
        if self.busy:
            self.busy -= 1
            return Reply(429, "", {"retry-after": self.retry_after} if self.retry_after else {})
        if self.broken:
            self.broken -= 1
            return Reply(500, json.dumps({"status": "Internal error", "message": "try again"}))
        try:
            body = json.loads(request.body)
        except ValueError:
            return Reply(
                400,
                json.dumps(
                    {
                        "status": "Unrecognized object",
                        "message": "Event object format is unrecognized",
                        "errors": ["JSON parse error"],
                    }
                ),
            )
        self.bodies.append(body)
        errors = _problems(body)
        if errors:
            return Reply(
                400, json.dumps({"status": "invalid event", "message": "Event object is invalid", "errors": errors})
            )
        key, action = body["routing_key"], body["event_action"]
        dedup = body.get("dedup_key") or str(uuid.uuid4())
        found = self.open_alert(dedup, key)
        if action == "trigger":
            if found is None:
                self.alerts.append(
                    FakeAlert(dedup, key, body["payload"]["summary"], body["payload"], number=len(self.alerts) + 1)
                )
            else:
                found.log.append("trigger")
        elif found is not None:  # else dropped: no open alert with this key, through this routing key
            found.status = "acknowledged" if action == "acknowledge" else "resolved"
            found.changed_by = INTEGRATION
            if action == "acknowledge":
                found.acknowledgements.append(
                    {
                        "at": "2026-11-28T09:33:00Z",
                        "acknowledger": {"type": "service_reference", "summary": INTEGRATION},
                    }
                )
            else:
                found.acknowledgements.clear()  # a resolved incident has no acknowledgements left
            found.log.append(action)
        return Reply(
            202,
            json.dumps({"status": "success", "message": "Event processed", "dedup_key": dedup}),
            {"content-type": "application/json"},
        )


_JSON = {"content-type": "application/json"}
_REST = {**_JSON, "ratelimit-reset": "12"}


def _incident(alert: FakeAlert) -> dict[str, Any]:
    return {
        "id": f"PT4KHL{alert.number}",
        "type": "incident",
        "incident_number": alert.number,
        "title": alert.summary,
        "status": alert.status,
        "incident_key": alert.dedup_key,
        "created_at": alert.created_at,
        "html_url": f"https://example.pagerduty.com/incidents/PT4KHL{alert.number}",
        "acknowledgements": list(alert.acknowledgements),
        "last_status_change_at": "2026-11-28T09:35:00Z",
        "last_status_change_by": {"type": "user_reference", "summary": alert.changed_by} if alert.changed_by else None,
    }


def _problems(body: Any) -> list[str]:
    if not isinstance(body, dict):
        return ["Event object must be a JSON object"]
    errors = []
    key = body.get("routing_key")
    if not isinstance(key, str) or len(key) != 32:
        errors.append("Length of 'routing_key' is incorrect (should be 32 characters)")
    action = body.get("event_action")
    if action not in ("trigger", "acknowledge", "resolve"):
        errors.append("'event_action' is missing or invalid")
    dedup = body.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > 255):
        errors.append("'dedup_key' must be a string of at most 255 characters")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append("'dedup_key' is required for acknowledge and resolve events")
    if action == "trigger":
        payload = body.get("payload")
        if not isinstance(payload, dict):
            errors.append("'payload' is missing or blank")
            return errors
        summary = payload.get("summary")
        if not isinstance(summary, str) or not summary:
            errors.append("'payload.summary' is missing or blank")
        elif len(summary) > 1024:
            errors.append("'payload.summary' is too long (maximum is 1024 characters)")
        if not isinstance(payload.get("source"), str) or not payload.get("source"):
            errors.append("'payload.source' is missing or blank")
        if payload.get("severity") not in SEVERITIES:
            errors.append("'payload.severity' is invalid (must be one of critical, error, warning or info)")
    return errors
