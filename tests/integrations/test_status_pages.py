"""Statuspage, Cachet and Instatus against local pages that keep state and check what the real ones check:
one page incident per Commander incident, resumes that never post twice, errors read into reasons."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from commander.integrations import destinations
from commander.integrations.destinations import statuspage
from commander.integrations.destinations.base import Destination, Outcome, Update
from commander.integrations.destinations.cachet import Cachet
from commander.integrations.destinations.instatus import Instatus
from commander.integrations.destinations.publisher import publish
from commander.integrations.destinations.statuspage import Statuspage
from tests.helpers.fakes import Reply, Request, serve

FIRST = Update(
    "INC-7K2M9QXA",
    "SEV1",
    "investigating",
    "Checkout API returning 502s",
    "We are investigating errors at checkout.",
    delivery="d-1",
    services=("payments", "search"),
)
SECOND = replace(FIRST, status="identified", text="A bad deploy; rolling back.", delivery="d-2")
LAST = replace(FIRST, status="resolved", text="Checkout works again.", delivery="d-3")
COMPONENTS = {"payments": "c-pay", "checkout": "c-chk"}  # "search" is not mapped: it is left alone


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body), {"content-type": "application/json", **(headers or {})})


def send(destination: Destination, update: Update) -> Outcome:
    """One attempt, as the publisher makes it."""

    async def attempt() -> Outcome:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return await destination.send(client, update)

    return asyncio.run(attempt())


def publish_one(destination: Destination, update: Update) -> Outcome:
    """Through the publisher, with its retries (short backoff)."""

    async def attempts() -> Outcome:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await publish([destination], update, client=client, backoff=(0.05, 0.1)))[destination.name]

    return asyncio.run(attempts())


def writes(requests: list[Request]) -> list[tuple[str, str]]:
    return [(r.method, urlsplit(r.path).path) for r in requests if r.method != "GET"]


class FakePage:
    """What every fake page shares: its state behind a lock, answers to give first whatever is asked
    (`ahead`), and a write that lands but whose answer is lost (`lose_next_answer`)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ahead: list[Reply] = []
        self.lose_next_answer: Reply | None = None
        self.ids = itertools.count(1)

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            if refused := self.refuse(request):
                return refused
            if self.ahead:
                return self.ahead.pop(0)
            reply = self.answer(request, urlsplit(request.path))
            if request.method != "GET" and reply.status < 300 and self.lose_next_answer:
                reply, self.lose_next_answer = self.lose_next_answer, None
            return reply

    def refuse(self, request: Request) -> Reply | None:
        raise NotImplementedError

    def answer(self, request: Request, url: Any) -> Reply:
        raise NotImplementedError


# --- Statuspage ------------------------------------------------------------------------------------------

SP_STATUS = {"investigating", "identified", "monitoring", "resolved"}
SP_COMPONENT = {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"}
SP_MISSING = {"error": "The requested resource could not be found."}
SP_BODY = 25_000  # characters in an incident update's body


class StatuspageFake(FakePage):
    """Statuspage: `OAuth <key>`, one request a second per key (420 inside the second, as the API did
    before it moved to 429), `{"incident": {...}}` bodies, incidents with their updates newest first."""

    def __init__(self, key: str, window: float = 1.0, page: str = "pg1") -> None:
        super().__init__()
        self.key, self.window, self.page = key, window, page
        self.components = {"c-pay": "operational", "c-chk": "operational"}
        self.incidents: dict[str, dict[str, Any]] = {}
        self.last: float | None = None

    def refuse(self, request: Request) -> Reply | None:
        if request.headers.get("authorization") != f"OAuth {self.key}":
            return _json(401, {"error": "Could not authenticate"})
        now, last = time.monotonic(), self.last
        self.last = now
        if last is not None and now - last < self.window - 0.05:  # 50 ms for the trip, not for a second
            return _json(420, {"error": "Rate limit exceeded"}, {"Retry-After": "1"})
        return None

    def answer(self, request: Request, url: Any) -> Reply:
        prefix = f"/pages/{self.page}/incidents"
        if not url.path.startswith(prefix):
            return _json(404, SP_MISSING)
        rest = url.path.removeprefix(prefix).strip("/")
        if request.method == "GET" and rest == "unresolved":
            return _json(200, [i for i in reversed(self.incidents.values()) if i["status"] != "resolved"])
        if request.method == "GET" and rest:
            return _json(200, self.incidents[rest]) if rest in self.incidents else _json(404, SP_MISSING)
        if request.method == "POST" and not rest or request.method == "PATCH" and rest:
            return self.write(json.loads(request.body or b"null"), rest or None)
        return _json(405, {"error": "Method not allowed"})

    def write(self, body: Any, incident_id: str | None) -> Reply:
        fields = body.get("incident") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return _json(400, {"error": "incident is missing"})
        if incident_id is not None and incident_id not in self.incidents:
            return _json(404, SP_MISSING)
        components = fields.get("components", {})
        problems = [
            message
            for message, wrong in (
                ("Name can't be blank", incident_id is None and not fields.get("name")),
                ("Status is not included in the list", fields.get("status") not in SP_STATUS),
                (
                    "Components must be valid",
                    not isinstance(components, dict)
                    or any(c not in self.components or s not in SP_COMPONENT for c, s in components.items()),
                ),
                ("Component ids must be valid", set(fields.get("component_ids", [])) - set(self.components)),
                (
                    "Deliver notifications must be true or false",
                    not isinstance(fields.get("deliver_notifications"), bool),
                ),
                ("Body is too long (maximum is 25000 characters)", len(fields.get("body", "")) > SP_BODY),
            )
            if wrong
        ]
        if problems:
            return _json(422, {"error": problems})
        created = incident_id is None
        if incident_id is None:
            incident_id = f"inc{next(self.ids)}"
            self.incidents[incident_id] = {"id": incident_id, "incident_updates": []}
        incident = self.incidents[incident_id]
        incident.update(name=fields.get("name", incident.get("name")), status=fields["status"])
        incident["incident_updates"].insert(0, {"body": fields.get("body", ""), "status": fields["status"]})
        self.components.update(components)
        return _json(201 if created else 200, incident)


def statuspage_with(fake: StatuspageFake, base: str) -> Statuspage:
    return Statuspage("status.example.com", fake.page, fake.key, COMPONENTS, base)


@pytest.fixture
def quick_pacing(monkeypatch: pytest.MonkeyPatch) -> float:
    """A tenth of a second between requests, so the lifecycle tests stay fast; the fake keeps the same."""
    monkeypatch.setattr(statuspage, "RATE", 0.1)
    return 0.1


def a_key() -> str:
    return f"sp-{uuid.uuid4().hex}"  # pacing is per key and process-wide: each test its own


def test_statuspage_creates_then_updates_then_resolves_one_incident(quick_pacing: float) -> None:
    fake = StatuspageFake(a_key(), quick_pacing)
    with serve(fake) as server:
        page = statuspage_with(fake, server.base)
        first = send(page, FIRST)
        assert first.state == "delivered" and first.remote_id == "inc1"
        assert fake.components["c-pay"] == "major_outage"
        assert send(page, replace(SECOND, remote_id=first.remote_id)).state == "delivered"
        last = send(page, replace(LAST, remote_id=first.remote_id))
    assert last.state == "delivered" and last.remote_id == "inc1"
    assert json.loads(server.requests[0].body) == {
        "incident": {
            "name": "[INC-7K2M9QXA] Checkout API returning 502s",
            "status": "investigating",
            "body": "We are investigating errors at checkout.",
            "components": {"c-pay": "major_outage"},
            "component_ids": ["c-pay"],
            "deliver_notifications": True,
        }
    }
    assert writes(server.requests) == [
        ("POST", "/pages/pg1/incidents"),
        ("PATCH", "/pages/pg1/incidents/inc1"),
        ("PATCH", "/pages/pg1/incidents/inc1"),
    ]
    assert all(r.headers["authorization"] == f"OAuth {fake.key}" for r in server.requests)
    assert list(fake.incidents) == ["inc1"] and fake.incidents["inc1"]["status"] == "resolved"
    assert [u["status"] for u in fake.incidents["inc1"]["incident_updates"]] == [
        "resolved",
        "identified",
        "investigating",
    ]
    assert fake.components == {"c-pay": "operational", "c-chk": "operational"}


def test_statuspage_requests_wait_for_the_keys_slot() -> None:
    fake = StatuspageFake(a_key())  # the real rate: one request a second
    with serve(fake) as server:
        page = statuspage_with(fake, server.base)
        began = time.monotonic()
        first = send(page, FIRST)
        second = send(page, replace(SECOND, remote_id=first.remote_id))
        took = time.monotonic() - began
    assert first.state == second.state == "delivered" and took >= 0.95


def test_statuspage_answers_420_to_a_request_inside_the_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake's limit is real: without pacing the second request is refused, and 420 is retried."""
    monkeypatch.setattr(statuspage, "RATE", 0.0)
    fake = StatuspageFake(a_key())
    with serve(fake) as server:
        page = statuspage_with(fake, server.base)
        first = send(page, FIRST)
        second = send(page, replace(SECOND, remote_id=first.remote_id))
    assert first.state == "delivered"
    assert second.state == "retry" and second.retry_after == 1.0 and "420" in second.detail


def test_statuspage_resume_updates_the_open_incident_instead_of_creating_another(quick_pacing: float) -> None:
    fake = StatuspageFake(a_key(), quick_pacing)
    fake.incidents["abc"] = {
        "id": "abc",
        "name": "[INC-7K2M9QXA] Checkout API returning 502s",
        "status": "investigating",
        "incident_updates": [{"body": FIRST.text, "status": "investigating"}],
    }
    with serve(fake) as server:
        outcome = send(statuspage_with(fake, server.base), replace(SECOND, resumed=True))
    assert outcome.state == "delivered" and outcome.remote_id == "abc"
    assert [(r.method, r.path) for r in server.requests] == [
        ("GET", "/pages/pg1/incidents/unresolved"),
        ("PATCH", "/pages/pg1/incidents/abc"),
    ]
    assert list(fake.incidents) == ["abc"]


def test_statuspage_resume_posts_nothing_when_the_update_already_landed(quick_pacing: float) -> None:
    fake = StatuspageFake(a_key(), quick_pacing)
    with serve(fake) as server:
        page = statuspage_with(fake, server.base)
        fake.lose_next_answer = _json(502, {"error": "Bad gateway"})  # created, but we never hear so
        assert send(page, FIRST).state == "retry"
        again = send(page, FIRST)  # the same delivery, tried again
        restarted = send(statuspage_with(fake, server.base), replace(FIRST, resumed=True))
    assert again.state == restarted.state == "delivered" and again.remote_id == restarted.remote_id == "inc1"
    assert again.detail == "already on the page"
    assert writes(server.requests) == [("POST", "/pages/pg1/incidents")]
    assert len(fake.incidents["inc1"]["incident_updates"]) == 1


def test_statuspage_starts_a_new_incident_when_the_remembered_one_was_deleted(quick_pacing: float) -> None:
    fake = StatuspageFake(a_key(), quick_pacing)
    with serve(fake) as server:
        outcome = send(statuspage_with(fake, server.base), replace(SECOND, remote_id="deleted1"))
    assert outcome.state == "delivered" and outcome.remote_id == "inc1"
    assert writes(server.requests) == [("PATCH", "/pages/pg1/incidents/deleted1"), ("POST", "/pages/pg1/incidents")]


def test_statuspage_errors_are_read_into_reasons(quick_pacing: float) -> None:
    fake = StatuspageFake(a_key(), quick_pacing)
    with serve(fake) as server:
        bad_key = publish_one(Statuspage("sp", fake.page, "wrong", COMPONENTS, server.base), FIRST)
        bad_page = publish_one(Statuspage("sp", "nope", fake.key, COMPONENTS, server.base), FIRST)
        bad_component = publish_one(Statuspage("sp", fake.page, fake.key, {"payments": "c-gone"}, server.base), FIRST)
        asked = len(server.requests)
    assert (
        bad_key.state == "failed"
        and "401: Could not authenticate" in bad_key.detail
        and "API key is not accepted" in bad_key.detail
    )
    assert bad_page.state == "failed" and "check the page_id setting" in bad_page.detail
    assert bad_component.state == "failed" and "422: Components must be valid" in bad_component.detail
    assert asked == 3 and not fake.incidents  # refusals are final: one request each


def test_statuspage_429_is_retried_after_what_it_asked(quick_pacing: float) -> None:
    fake = StatuspageFake(a_key(), quick_pacing)
    fake.ahead = [_json(429, {"error": "Rate limit exceeded"}, {"Retry-After": "1"})]
    with serve(fake) as server:
        began = time.monotonic()
        outcome = publish_one(statuspage_with(fake, server.base), FIRST)
        waited = time.monotonic() - began
    assert outcome.state == "delivered" and waited >= 1.0 and list(fake.incidents) == ["inc1"]


def test_statuspage_settings_come_from_the_options() -> None:
    page = destinations.make(
        "statuspage", "sp", {"page_id": "pg1", "components": "payments=c-pay, checkout=c-chk"}, "key"
    )
    assert isinstance(page, Statuspage) and page.resumable
    assert page.components == COMPONENTS and page.api_url == "https://api.statuspage.io/v1"


# --- Cachet ----------------------------------------------------------------------------------------------

CACHET_MISSING = {
    "errors": [
        {
            "id": "e1",
            "status": 404,
            "title": "Not Found",
            "detail": "The requested resource could not be found but may be available again.",
        }
    ]
}


def _cachet_invalid(*details: str) -> Reply:
    return _json(
        400,
        {
            "errors": [
                {
                    "id": "e2",
                    "status": 400,
                    "title": "Bad Request",
                    "detail": "The request cannot be fulfilled due to bad syntax.",
                    "meta": {"details": list(details)},
                }
            ]
        },
    )


class CachetFake(FakePage):
    """Cachet 2.x: `X-Cachet-Token`, incidents and their updates (statuses 1 to 4), components (1 to 4),
    answers wrapped in `{"data": ...}`, errors as `{"errors": [...]}`."""

    def __init__(self, token: str = "cachet-token") -> None:
        super().__init__()
        self.token = token
        self.components = {"c-pay": 1, "c-chk": 1}
        self.incidents: dict[int, dict[str, Any]] = {}
        self.updates: dict[int, list[dict[str, Any]]] = {}

    def refuse(self, request: Request) -> Reply | None:
        if request.headers.get("x-cachet-token") != self.token:
            return _json(
                401,
                {
                    "errors": [
                        {
                            "id": "e0",
                            "status": 401,
                            "title": "Unauthorized",
                            "detail": "Authentication is required to access this resource.",
                        }
                    ]
                },
            )
        return None

    def answer(self, request: Request, url: Any) -> Reply:
        parts = url.path.removeprefix("/api/v1/").split("/")
        body = json.loads(request.body) if request.body else {}
        match request.method, parts:
            case "GET", ["incidents"]:
                newest = sorted(self.incidents.values(), key=lambda i: -i["id"])
                per_page = int(parse_qs(url.query).get("per_page", ["20"])[0])
                return _json(200, {"meta": {"pagination": {"total": len(newest)}}, "data": newest[:per_page]})
            case "GET", ["incidents", incident] if int(incident) in self.incidents:
                return _json(200, {"data": self.incidents[int(incident)]})
            case "GET", ["incidents", incident, "updates"] if int(incident) in self.incidents:
                return _json(200, {"data": list(reversed(self.updates[int(incident)]))})
            case "POST", ["incidents"]:
                return self.create(body)
            case "POST", ["incidents", incident, "updates"] if int(incident) in self.incidents:
                if body.get("status") not in (1, 2, 3, 4) or not isinstance(body.get("message"), str):
                    return _cachet_invalid("The status must be between 1 and 4.", "The message field is required.")
                self.updates[int(incident)].append(
                    {"id": next(self.ids), "status": body["status"], "message": body["message"]}
                )
                self.incidents[int(incident)]["status"] = body["status"]
                return _json(200, {"data": self.updates[int(incident)][-1]})
            case "PUT", ["components", component] if component in self.components:
                if body.get("status") not in (1, 2, 3, 4):
                    return _cachet_invalid("The status must be between 1 and 4.")
                self.components[component] = body["status"]
                return _json(200, {"data": {"id": component, "status": body["status"]}})
        return _json(404, CACHET_MISSING)

    def create(self, body: dict[str, Any]) -> Reply:
        if not body.get("name") or not isinstance(body.get("message"), str) or body.get("status") not in (1, 2, 3, 4):
            return _cachet_invalid("The name field is required.", "The status must be between 1 and 4.")
        if body.get("visible") not in (0, 1):
            return _cachet_invalid("The visible field must be true or false.")
        if "component_id" in body and (
            body["component_id"] not in self.components or body.get("component_status") not in (1, 2, 3, 4)
        ):
            return _cachet_invalid("The component status must be between 1 and 4.")
        incident = {
            "id": next(self.ids),
            "name": body["name"],
            "message": body["message"],
            "status": body["status"],
            "visible": body["visible"],
            "component_id": body.get("component_id", 0),
        }
        self.incidents[incident["id"]], self.updates[incident["id"]] = incident, []
        if "component_id" in body:
            self.components[body["component_id"]] = body["component_status"]
        return _json(200, {"data": incident})


def test_cachet_creates_then_updates_then_resolves_one_incident() -> None:
    fake = CachetFake()
    with serve(fake) as server:
        page = Cachet("status", server.base + "/", fake.token, COMPONENTS)
        first = send(page, replace(FIRST, services=("payments", "checkout", "search")))
        assert first.state == "delivered" and first.remote_id == "1"
        assert fake.components == {"c-pay": 4, "c-chk": 4}  # SEV1: major outage
        assert (
            send(page, replace(SECOND, remote_id=first.remote_id, services=("payments", "checkout"))).state
            == "delivered"
        )
        last = send(page, replace(LAST, remote_id=first.remote_id, services=("payments", "checkout")))
    assert last.state == "delivered" and last.remote_id == "1" and last.detail == ""
    assert json.loads(server.requests[0].body) == {
        "name": "[INC-7K2M9QXA] Checkout API returning 502s",
        "message": "We are investigating errors at checkout.",
        "status": 1,
        "visible": 1,
        "component_id": "c-pay",
        "component_status": 4,
    }
    assert writes(server.requests)[:3] == [
        ("POST", "/api/v1/incidents"),
        ("PUT", "/api/v1/components/c-pay"),
        ("PUT", "/api/v1/components/c-chk"),
    ]
    assert ("POST", "/api/v1/incidents/1/updates") in writes(server.requests)
    assert all(r.headers["x-cachet-token"] == fake.token for r in server.requests)
    assert list(fake.incidents) == [1] and fake.incidents[1]["status"] == 4  # fixed
    assert [u["status"] for u in fake.updates[1]] == [2, 4]
    assert fake.components == {"c-pay": 1, "c-chk": 1}


def test_cachet_resume_updates_the_open_incident_instead_of_creating_another() -> None:
    fake = CachetFake()
    fake.incidents[7] = {
        "id": 7,
        "name": "[INC-7K2M9QXA] Checkout API returning 502s",
        "status": 1,
        "message": FIRST.text,
        "visible": 1,
    }
    fake.incidents[6] = {
        "id": 6,
        "name": "[INC-7K2M9QXA] Checkout API returning 502s",
        "status": 4,
        "message": "An earlier, fixed one.",
        "visible": 1,
    }
    fake.updates = {7: [], 6: []}
    with serve(fake) as server:
        outcome = send(Cachet("status", server.base, fake.token, COMPONENTS), replace(SECOND, resumed=True))
    assert outcome.state == "delivered" and outcome.remote_id == "7"
    assert writes(server.requests) == [("POST", "/api/v1/incidents/7/updates"), ("PUT", "/api/v1/components/c-pay")]
    assert sorted(fake.incidents) == [6, 7] and fake.incidents[7]["status"] == 2


def test_cachet_resume_posts_nothing_when_the_update_already_landed() -> None:
    fake = CachetFake()
    with serve(fake) as server:
        page = Cachet("status", server.base, fake.token, COMPONENTS)
        first = send(page, FIRST)
        fake.lose_next_answer = _json(503, {"errors": []})
        assert send(page, replace(SECOND, remote_id=first.remote_id)).state == "retry"
        again = publish_one(page, replace(SECOND, remote_id=first.remote_id))
        restarted = send(Cachet("status", server.base, fake.token, COMPONENTS), replace(SECOND, resumed=True))
    assert again.state == restarted.state == "delivered" and again.remote_id == restarted.remote_id == "1"
    assert [u["message"] for u in fake.updates[1]] == [SECOND.text]
    assert fake.components["c-pay"] == 4  # components are set again all the same: a PUT cannot post twice


def test_cachet_starts_a_new_incident_when_the_remembered_one_was_deleted() -> None:
    fake = CachetFake()
    with serve(fake) as server:
        outcome = send(Cachet("status", server.base, fake.token, COMPONENTS), replace(SECOND, remote_id="99"))
    assert outcome.state == "delivered" and outcome.remote_id == "1"
    assert writes(server.requests)[:2] == [("POST", "/api/v1/incidents/99/updates"), ("POST", "/api/v1/incidents")]


def test_cachet_errors_are_read_into_reasons() -> None:
    fake = CachetFake()
    with serve(fake) as server:
        bad_token = publish_one(Cachet("status", server.base, "wrong", COMPONENTS), FIRST)
        fake.ahead = [_cachet_invalid("The message may not be greater than 65535 characters.")]
        too_long = publish_one(Cachet("status", server.base, fake.token, COMPONENTS), FIRST)
        unknown = send(
            Cachet("status", server.base, fake.token, {"payments": "c-pay", "search": "c-gone"}),
            replace(FIRST, services=("payments", "search")),
        )
        asked = len(server.requests)
    assert (
        bad_token.state == "failed"
        and "401: Authentication is required" in bad_token.detail
        and "API token is not accepted" in bad_token.detail
    )
    assert too_long.state == "failed" and "400: The message may not be greater than 65535" in too_long.detail
    assert unknown.state == "delivered" and unknown.remote_id == "1"  # the words are on the page
    assert unknown.detail == "posted, but Cachet has no component c-gone: check the components setting"
    assert asked == 5  # one refused each, then create and two component PUTs


# --- Instatus --------------------------------------------------------------------------------------------

IN_STATUS = {"INVESTIGATING", "IDENTIFIED", "MONITORING", "RESOLVED"}
IN_COMPONENT = {"OPERATIONAL", "UNDERMAINTENANCE", "DEGRADEDPERFORMANCE", "PARTIALOUTAGE", "MAJOROUTAGE"}


class InstatusFake(FakePage):
    """Instatus: `Bearer <key>`, incidents with their updates (oldest first, each with createdAt), component
    statuses set by `statuses`, errors as `{"error": {"code", "message"}}`."""

    def __init__(self, key: str = "in-key", page: str = "pg9") -> None:
        super().__init__()
        self.key, self.page = key, page
        self.components = {"c-pay": "OPERATIONAL", "c-chk": "OPERATIONAL"}
        self.incidents: dict[str, dict[str, Any]] = {}

    def refuse(self, request: Request) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return _json(403, {"error": {"code": "forbidden", "message": "API key does not belong to a user."}})
        return None

    def answer(self, request: Request, url: Any) -> Reply:
        missing = _json(404, {"error": {"code": "not_found", "message": "Not found"}})
        parts = url.path.split("/")[1:]
        if parts[:2] != ["v1", self.page] or parts[2:3] != ["incidents"]:
            return missing
        body = json.loads(request.body) if request.body else {}
        match request.method, parts[3:]:
            case "GET", []:
                return _json(200, list(reversed(self.incidents.values())))
            case "GET", [incident] if incident in self.incidents:
                return _json(200, self.incidents[incident])
            case "POST", []:
                if not body.get("name"):
                    return _json(400, {"error": {"code": "invalid", "message": "name is required"}})
                incident = {"id": f"ck{next(self.ids)}", "name": body["name"], "updates": [], "components": []}
                if refused := self.write(incident, body):
                    return refused
                self.incidents[incident["id"]] = incident
                return _json(200, incident)
            case "POST", [incident, "incident-updates"] if incident in self.incidents:
                return self.write(self.incidents[incident], body) or _json(200, self.incidents[incident]["updates"][-1])
        return missing

    def write(self, incident: dict[str, Any], body: dict[str, Any]) -> Reply | None:
        statuses = body.get("statuses", [])
        if (
            body.get("status") not in IN_STATUS
            or not isinstance(body.get("message"), str)
            or not isinstance(body.get("notify"), bool)
        ):
            return _json(400, {"error": {"code": "invalid", "message": "status, message and notify are required"}})
        if any(c not in self.components for c in body.get("components", [])) or any(
            s.get("id") not in body["components"] or s.get("status") not in IN_COMPONENT for s in statuses
        ):
            return _json(400, {"error": {"code": "invalid_components", "message": "Unknown component"}})
        incident["status"] = body["status"]
        incident["updates"].append(
            {
                "id": f"up{next(self.ids)}",
                "message": body["message"],
                "status": body["status"],
                "createdAt": f"2024-05-01T09:{len(incident['updates']):02d}:00.000Z",
            }
        )
        self.components.update({s["id"]: s["status"] for s in statuses})
        return None


def test_instatus_creates_then_updates_then_resolves_one_incident() -> None:
    fake = InstatusFake()
    with serve(fake) as server:
        page = Instatus("status", fake.page, fake.key, COMPONENTS, server.base)
        first = send(page, FIRST)
        assert first.state == "delivered" and first.remote_id == "ck1"
        assert fake.components["c-pay"] == "MAJOROUTAGE"
        assert send(page, replace(SECOND, remote_id=first.remote_id)).state == "delivered"
        last = send(page, replace(LAST, remote_id=first.remote_id))
    assert last.state == "delivered" and last.remote_id == "ck1"
    assert json.loads(server.requests[0].body) == {
        "name": "[INC-7K2M9QXA] Checkout API returning 502s",
        "message": "We are investigating errors at checkout.",
        "components": ["c-pay"],
        "statuses": [{"id": "c-pay", "status": "MAJOROUTAGE"}],
        "notify": True,
        "status": "INVESTIGATING",
    }
    assert writes(server.requests) == [
        ("POST", "/v1/pg9/incidents"),
        *[("POST", "/v1/pg9/incidents/ck1/incident-updates")] * 2,
    ]
    assert all(r.headers["authorization"] == f"Bearer {fake.key}" for r in server.requests)
    assert list(fake.incidents) == ["ck1"] and fake.incidents["ck1"]["status"] == "RESOLVED"
    assert fake.components == {"c-pay": "OPERATIONAL", "c-chk": "OPERATIONAL"}


def test_instatus_resume_updates_the_open_incident_instead_of_creating_another() -> None:
    fake = InstatusFake()
    fake.incidents["old"] = {
        "id": "old",
        "name": "[INC-7K2M9QXA] Checkout API returning 502s",
        "status": "RESOLVED",
        "updates": [{"message": SECOND.text, "status": "IDENTIFIED", "createdAt": "2024-01"}],
    }
    fake.incidents["open"] = {
        "id": "open",
        "name": "[INC-7K2M9QXA] Checkout API returning 502s",
        "status": "INVESTIGATING",
        "updates": [{"message": FIRST.text, "status": "INVESTIGATING", "createdAt": "2024-05"}],
    }
    with serve(fake) as server:
        outcome = send(Instatus("status", fake.page, fake.key, COMPONENTS, server.base), replace(SECOND, resumed=True))
    assert outcome.state == "delivered" and outcome.remote_id == "open"
    assert writes(server.requests) == [("POST", "/v1/pg9/incidents/open/incident-updates")]
    assert sorted(fake.incidents) == ["old", "open"] and fake.incidents["open"]["status"] == "IDENTIFIED"


def test_instatus_resume_posts_nothing_when_the_update_already_landed() -> None:
    fake = InstatusFake()
    with serve(fake) as server:
        page = Instatus("status", fake.page, fake.key, COMPONENTS, server.base)
        fake.lose_next_answer = Reply(200, "", drop=True)  # created, then the connection dropped
        again = publish_one(page, FIRST)
        restarted = send(Instatus("status", fake.page, fake.key, COMPONENTS, server.base), replace(FIRST, resumed=True))
    assert again.state == restarted.state == "delivered" and again.remote_id == restarted.remote_id == "ck1"
    assert writes(server.requests) == [("POST", "/v1/pg9/incidents")]


def test_instatus_starts_a_new_incident_when_the_remembered_one_was_deleted() -> None:
    fake = InstatusFake()
    with serve(fake) as server:
        outcome = send(Instatus("status", fake.page, fake.key, COMPONENTS, server.base), replace(SECOND, remote_id="x"))
    assert outcome.state == "delivered" and outcome.remote_id == "ck1"
    assert writes(server.requests) == [("POST", "/v1/pg9/incidents/x/incident-updates"), ("POST", "/v1/pg9/incidents")]


def test_instatus_errors_are_read_into_reasons() -> None:
    fake = InstatusFake()
    with serve(fake) as server:
        bad_key = publish_one(Instatus("status", fake.page, "wrong", COMPONENTS, server.base), FIRST)
        bad_page = publish_one(Instatus("status", "nope", fake.key, COMPONENTS, server.base), FIRST)
        bad_component = publish_one(Instatus("status", fake.page, fake.key, {"payments": "c-gone"}, server.base), FIRST)
        fake.ahead = [Reply(200, "<html>a login page</html>")]
        not_json = publish_one(Instatus("status", fake.page, fake.key, COMPONENTS, server.base), FIRST)
        asked = len(server.requests)
    assert bad_key.state == "failed" and "403: API key does not belong to a user" in bad_key.detail
    assert bad_page.state == "failed" and "check the page_id setting" in bad_page.detail
    assert bad_component.state == "failed" and "400: Unknown component" in bad_component.detail
    assert not_json.state == "failed" and "not JSON" in not_json.detail
    assert asked == 4 and not fake.incidents
