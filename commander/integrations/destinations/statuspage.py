"""Atlassian Statuspage (REST API v1): one page incident per Commander incident, created by the first update
and updated by the later ones, with the affected services' components set from the severity.

Per https://developer.statuspage.io: `Authorization: OAuth <api key>`; each key may make 1 request a second
(measured over a rolling minute) and is answered 420 or 429 past that, so every request waits for its
slot. Errors come back as JSON `{"error": "..."}` (or a list of messages) or `{"message": "..."}`: 401 the
key, 404 an unknown page or incident, 422 a payload it would not take.

The page incident is named "[INC-XXXX] title": the reference is visible and is how Commander finds the
incident again after a restart (`GET /incidents/unresolved` lists names, not metadata). `PageIncidents` and
the helpers before it are shared with the Cachet and Instatus destinations, which work the same way.

Limits:
- An incident update's body: at most 25,000 characters (measured against the service, issue 11; the API
  reference, https://developer.statuspage.io/#operation/postPagesPageIdIncidents, gives no figure). A longer
  update is cut on a grapheme boundary and ends with a note that says so; the outcome and the timeline say
  how much went.
- One request a second per API key: https://developer.statuspage.io/#section/Rate-Limiting
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import httpx

from commander.domain.core import graphemes
from commander.integrations.destinations.base import (
    PAGE_STATUS,
    Outcome,
    Update,
    classify,
    component_status,
    json_request,
    mapping,
    pace,
    quoted,
)

API_URL = "https://api.statuspage.io/v1"
RATE = 1.0  # seconds between requests with one API key
BODY_LIMIT = 25_000  # characters in an incident update's body
SHORTENED = "\n\n… (shortened: the full update was longer than a status page update can hold)"


def incident_name(update: Update) -> str:
    """The page incident's name: the title, led by the reference that lets Commander find it again."""
    return f"[{update.reference}] {update.title}"


def carries(name: object, reference: str) -> bool:
    return isinstance(name, str) and f"[{reference}]" in name


def check_first(tried: set[str], update: Update) -> bool:
    """Whether to look at the page before posting: after a restart (`resumed`), and when this delivery was
    already tried in this process (a timeout may have hidden an answer that landed). Records the try."""
    seen = update.delivery in tried
    if update.delivery:
        tried.add(update.delivery)
    return update.resumed or seen


class Refused(Exception):
    """An answer that ends this attempt; `send` reports its outcome."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome


def refusal(response: httpx.Response, who: str, said: str, hints: Mapping[int, str]) -> Outcome:
    """A non-2xx answer as an outcome: retry when `classify` says so, else failed in the service's words."""
    outcome = classify(response, who)
    if not outcome.final:
        return outcome
    words = f"{response.status_code}: {said}" if said else str(response.status_code)
    return Outcome(
        "failed", f"{who} refused the update ({words}): {hints.get(response.status_code, 'check its settings')}."
    )


def json_of(response: httpx.Response, who: str) -> Any:
    """The answer's JSON ({} for an empty answer); an answer that is not JSON ends the attempt."""
    if not response.content.strip():
        return {}
    try:
        return response.json()
    except ValueError:
        raise Refused(
            Outcome(
                "failed",
                f"{who} answered {response.status_code} with something that is not "
                f"JSON ({quoted(response, 100)}): check that its address points at its "
                "API.",
            )
        ) from None


def incident_id_of(found: Any, who: str) -> str:
    """The id of the incident the service answered with, as text."""
    value = found.get("id") if isinstance(found, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise Refused(
            Outcome(
                "failed",
                f"{who} answered without an incident id, so later updates could not "
                "follow it: check that its address points at its API.",
            )
        )
    return str(value)


def _said(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return quoted(response)
    said = (body.get("error") or body.get("message")) if isinstance(body, dict) else body
    return "; ".join(map(str, said)) if isinstance(said, list) else str(said or "")


class PageIncidents(ABC):
    """How the three status pages keep one page incident per Commander incident: look at the page first
    when an earlier post may have landed unseen, follow the remembered incident, and start a new one when
    there is none (or it was deleted on the page). Each service says how to do each step."""

    name: str
    service: ClassVar[str]
    body_limit: ClassVar[int | None] = None  # characters of text the service takes in one update, if limited
    tried: set[str]

    @property
    def who(self) -> str:
        return f"{self.service} ({self.name})"

    async def send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        """The update, its text cut to what the service takes (saying so at its end); the outcome says
        how much of it went."""
        body = graphemes.fit(update.text, self.body_limit, note=SHORTENED) if self.body_limit else None
        if body and body.shortened:
            update = replace(update, text=body.text)
        try:
            outcome = await self._send(client, update)
        except Refused as refused:
            return refused.outcome
        return replace(outcome, shortened=body.shortened) if body and outcome.state == "delivered" else outcome

    async def _send(self, client: httpx.AsyncClient, update: Update) -> Outcome:
        incident_id = update.remote_id
        if check_first(self.tried, update):
            found = await self._find(client, update)
            incident_id = incident_id_of(found, self.who) if found else None
            if found and incident_id and await self.already_says(client, incident_id, found, update):
                return Outcome(
                    "delivered", await self.finish(client, update) or "already on the page", remote_id=incident_id
                )
        if not (incident_id and await self.follow(client, incident_id, update)):  # none yet, or deleted there
            incident_id = await self.start(client, update)
        return Outcome("delivered", await self.finish(client, update), remote_id=incident_id)

    async def _find(self, client: httpx.AsyncClient, update: Update) -> dict[str, Any] | None:
        """The page incident made for this incident before: the remembered one, else an unresolved one
        whose name carries the reference. None when there is none (or it was deleted)."""
        if update.remote_id:
            return await self.remembered(client, update.remote_id)
        return next((i for i in await self.unresolved(client) if carries(i.get("name"), update.reference)), None)

    @abstractmethod
    async def remembered(self, client: httpx.AsyncClient, incident_id: str) -> dict[str, Any] | None:
        """The incident with this id as the page shows it; None when the page no longer has it."""

    @abstractmethod
    async def unresolved(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        """The page's incidents not yet resolved, newest first."""

    @abstractmethod
    async def already_says(
        self, client: httpx.AsyncClient, incident_id: str, incident: dict[str, Any], update: Update
    ) -> bool:
        """Whether the incident's latest word is this update: its text, with its status."""

    @abstractmethod
    async def follow(self, client: httpx.AsyncClient, incident_id: str, update: Update) -> bool:
        """Post the update to the incident; False when the page no longer has it."""

    @abstractmethod
    async def start(self, client: httpx.AsyncClient, update: Update) -> str:
        """A new page incident that says the update; its id."""

    async def finish(self, client: httpx.AsyncClient, update: Update) -> str:
        """What is left once the update is on the page; a detail for the outcome when something was not."""
        return ""


def dicts(found: Any) -> list[dict[str, Any]]:
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


@dataclass
class Statuspage(PageIncidents):
    name: str
    page_id: str
    api_key: str
    components: dict[str, str]  # our service name -> Statuspage component id
    api_url: str = API_URL
    kind: str = "statuspage"
    resumable: bool = True  # it looks for the incident and its latest update before posting again
    tried: set[str] = field(default_factory=set, repr=False)
    service: ClassVar[str] = "Statuspage"
    body_limit: ClassVar[int | None] = BODY_LIMIT

    async def remembered(self, client: httpx.AsyncClient, incident_id: str) -> dict[str, Any] | None:
        found = await self._call(client, "GET", f"/incidents/{incident_id}", missing_ok=True)
        return found if isinstance(found, dict) else None

    async def unresolved(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        return dicts(await self._call(client, "GET", "/incidents/unresolved"))

    async def already_says(
        self, client: httpx.AsyncClient, incident_id: str, incident: dict[str, Any], update: Update
    ) -> bool:
        latest = next(iter(dicts(incident.get("incident_updates"))), {})  # newest first
        return str(latest.get("body", "")).strip() == update.text.strip() and latest.get("status") == PAGE_STATUS.get(
            update.status
        )

    async def follow(self, client: httpx.AsyncClient, incident_id: str, update: Update) -> bool:
        return (
            await self._call(client, "PATCH", f"/incidents/{incident_id}", self._payload(update), missing_ok=True)
            is not None
        )

    async def start(self, client: httpx.AsyncClient, update: Update) -> str:
        return incident_id_of(await self._call(client, "POST", "/incidents", self._payload(update)), self.who)

    def _payload(self, update: Update) -> dict[str, Any]:
        affected = {self.components[s]: component_status(update) for s in update.services if s in self.components}
        return {
            "incident": {
                "name": incident_name(update),
                "status": PAGE_STATUS.get(update.status, "investigating"),
                "body": update.text,
                "components": affected,
                "component_ids": list(affected),
                "deliver_notifications": True,
            }
        }

    async def _call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        missing_ok: bool = False,
    ) -> Any:
        """One request, in this key's slot; its JSON, or None for a 404 when `missing_ok`."""
        await pace("statuspage:" + hashlib.sha256(self.api_key.encode()).hexdigest()[:16], RATE)
        headers = {"authorization": f"OAuth {self.api_key}"}
        response = await client.request(
            method,
            f"{self.api_url.rstrip('/')}/pages/{self.page_id}{path}",
            **(json_request(payload, headers) if payload is not None else {"headers": headers}),
        )
        if response.status_code == 404 and missing_ok:
            return None
        if not 200 <= response.status_code < 300:
            raise Refused(
                refusal(
                    response,
                    self.who,
                    _said(response),
                    {
                        401: "the API key is not accepted: set it again (Statuspage: your avatar, API info)",
                        403: "the API key's user may not manage incidents on "
                        "this page: give it the role, or use another key",
                        404: f"there is no page {self.page_id} for this key: check the page_id setting",
                        422: "check the components setting (ids of this page's components), or report it as a bug",
                    },
                )
            )
        return json_of(response, self.who)


def make(name: str, options: Mapping[str, str], secret: str) -> Statuspage:
    return Statuspage(
        name, options["page_id"], secret, mapping(options.get("components", "")), options.get("api_url") or API_URL
    )
