"""Cachet (API v1 of Cachet 2.x, at the team's own address): one Cachet incident per Commander incident,
created by the first update and followed by incident updates, with the affected services' components set.

What Cachet's API controllers take (cachethq/cachet, app/Http/Controllers/Api): `X-Cachet-Token`;
`POST /incidents` {name, message, status, visible, component_id, component_status}; `POST
/incidents/{id}/updates` {status, message}, which also moves the incident's status; `PUT /components/{id}`
{status}. An incident names at most one component, so every affected component is set with its own PUT.
Errors are `{"errors": [{"status", "title", "detail", "meta": {"details": [...]}}]}`; a payload it will not
take is a 400. No documented rate limit. Incidents are named "[INC-XXXX] title" (see statuspage.py) and
found again after a restart by listing the newest incidents.

Limits: none documented for an incident's or an update's message (Cachet 2.x stores it as a long text column:
cachethq/cachet, database/migrations; https://docs.cachethq.io/reference/incidents), so the update goes whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx

from commander.integrations.destinations.base import (
    PAGE_STATUS,
    Update,
    component_status,
    json_request,
    mapping,
    quoted,
)
from commander.integrations.destinations.statuspage import (
    PageIncidents,
    Refused,
    dicts,
    incident_id_of,
    incident_name,
    json_of,
    refusal,
)

INCIDENT_STATUS = {"investigating": 1, "identified": 2, "monitoring": 3, "resolved": 4}  # 4 is "fixed"
COMPONENT_STATUS = {"operational": 1, "degraded_performance": 2, "partial_outage": 3, "major_outage": 4}
LISTED = 100  # newest incidents looked through for ours after a restart


def _said(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return quoted(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return quoted(response)
    words = []
    for error in (e for e in errors if isinstance(e, dict)):
        meta = error.get("meta")
        details = meta.get("details") if isinstance(meta, dict) else None
        words.append(
            "; ".join(map(str, details))
            if isinstance(details, list) and details
            else str(error.get("detail") or error.get("title") or "")
        )
    return "; ".join(w for w in words if w)


def _data(answer: Any) -> Any:
    return answer.get("data") if isinstance(answer, dict) else None


def _status(update: Update) -> int:
    return INCIDENT_STATUS[PAGE_STATUS.get(update.status, "investigating")]


@dataclass
class Cachet(PageIncidents):
    name: str
    url: str  # the status page's address, e.g. https://status.example.com
    token: str
    components: dict[str, str]  # our service name -> Cachet component id
    kind: str = "cachet"
    resumable: bool = True  # it looks for the incident and its latest update before posting again
    tried: set[str] = field(default_factory=set, repr=False)
    service: ClassVar[str] = "Cachet"

    async def remembered(self, client: httpx.AsyncClient, incident_id: str) -> dict[str, Any] | None:
        found = _data(await self._call(client, "GET", f"/incidents/{incident_id}", missing_ok=True))
        return found if isinstance(found, dict) else None

    async def unresolved(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        listed = await self._call(
            client, "GET", "/incidents", params={"sort": "id", "order": "desc", "per_page": str(LISTED)}
        )
        return [i for i in dicts(_data(listed)) if str(i.get("status")) != str(INCIDENT_STATUS["resolved"])]

    async def already_says(
        self, client: httpx.AsyncClient, incident_id: str, incident: dict[str, Any], update: Update
    ) -> bool:
        """Its newest update says this, or it has none and its own message does."""
        updates = await self._call(client, "GET", f"/incidents/{incident_id}/updates", missing_ok=True)
        latest = next(iter(dicts(_data(updates))), incident)  # newest first
        return str(latest.get("message", "")).strip() == update.text.strip() and str(latest.get("status")) == str(
            _status(update)
        )

    async def follow(self, client: httpx.AsyncClient, incident_id: str, update: Update) -> bool:
        return (
            await self._call(
                client,
                "POST",
                f"/incidents/{incident_id}/updates",
                {"status": _status(update), "message": update.text},
                missing_ok=True,
            )
            is not None
        )

    async def start(self, client: httpx.AsyncClient, update: Update) -> str:
        payload: dict[str, Any] = {
            "name": incident_name(update),
            "message": update.text,
            "status": _status(update),
            "visible": 1,
        }
        first = next(iter(self._affected(update).items()), None)
        if first:  # an incident names one component; `finish` sets them all
            payload |= {"component_id": first[0], "component_status": first[1]}
        return incident_id_of(_data(await self._call(client, "POST", "/incidents", payload)), self.who)

    async def finish(self, client: httpx.AsyncClient, update: Update) -> str:
        """Each affected component's status. The update is on the page by now, so a component Cachet does
        not know is said in the outcome's detail rather than failing what was delivered."""
        unknown = [
            component_id
            for component_id, status in self._affected(update).items()
            if await self._call(client, "PUT", f"/components/{component_id}", {"status": status}, missing_ok=True)
            is None
        ]
        return (
            f"posted, but Cachet has no component {', '.join(unknown)}: check the components setting" if unknown else ""
        )

    def _affected(self, update: Update) -> dict[str, int]:
        return {
            self.components[s]: COMPONENT_STATUS[component_status(update)]
            for s in update.services
            if s in self.components
        }

    async def _call(
        self,
        client: httpx.AsyncClient,
        method: str,
        path: str,
        payload: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """One request; its JSON, or None for a 404 when `missing_ok`."""
        headers = {"x-cachet-token": self.token, "accept": "application/json"}
        response = await client.request(
            method,
            f"{self.url.rstrip('/')}/api/v1{path}",
            params=params,
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
                        400: "it would not take the update as sent: check "
                        "the components setting, or report it as a bug",
                        401: "the API token is not accepted: set it again (Cachet: your profile, API token)",
                        403: "the API token may not change incidents: use an admin's token",
                        404: f"there is no Cachet API at {self.url}: check the url setting",
                    },
                )
            )
        return json_of(response, self.who)


def make(name: str, options: Mapping[str, str], secret: str) -> Cachet:
    return Cachet(name, options["url"], secret, mapping(options.get("components", "")))
