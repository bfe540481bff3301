"""Instatus: one page incident per Commander incident, created by the first update and followed by incident
updates that also set the affected services' components.

Per https://instatus.com/help/api: `Authorization: Bearer <key>`, JSON both ways; `POST /v1/{page_id}/incidents`
{name, message, components, statuses, notify, status}; `POST /v1/{page_id}/incidents/{id}/incident-updates`
{message, components, statuses, notify, status}; `GET /v1/{page_id}/incidents` lists incidents with their
updates (each with `createdAt`). Statuses are upper case words (INVESTIGATING, MAJOROUTAGE...). Errors are
`{"error": {"code": "...", "message": "..."}}`. Incidents are named "[INC-XXXX] title" (see statuspage.py) and
found again after a restart by listing the newest incidents.

Limits: none documented for an incident's or an update's message (https://instatus.com/help/api/incidents,
https://instatus.com/help/api/incident-updates), so the update goes whole.
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

API_URL = "https://api.instatus.com"
COMPONENT_STATUS = {
    "operational": "OPERATIONAL",
    "degraded_performance": "DEGRADEDPERFORMANCE",
    "partial_outage": "PARTIALOUTAGE",
    "major_outage": "MAJOROUTAGE",
}
LISTED = 50  # newest incidents looked through for ours after a restart


def _said(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return quoted(response)
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "")
    return str(error) if error else quoted(response)


@dataclass
class Instatus(PageIncidents):
    name: str
    page_id: str
    api_key: str
    components: dict[str, str]  # our service name -> Instatus component id
    api_url: str = API_URL
    kind: str = "instatus"
    resumable: bool = True  # it looks for the incident and its latest update before posting again
    tried: set[str] = field(default_factory=set, repr=False)
    service: ClassVar[str] = "Instatus"

    async def remembered(self, client: httpx.AsyncClient, incident_id: str) -> dict[str, Any] | None:
        found = await self._call(client, "GET", f"/incidents/{incident_id}", missing_ok=True)
        return found if isinstance(found, dict) else None

    async def unresolved(self, client: httpx.AsyncClient) -> list[dict[str, Any]]:
        listed = await self._call(client, "GET", "/incidents", params={"page": "1", "per_page": str(LISTED)})
        return [i for i in dicts(listed) if i.get("status") != "RESOLVED"]

    async def already_says(
        self, client: httpx.AsyncClient, incident_id: str, incident: dict[str, Any], update: Update
    ) -> bool:
        updates = sorted(dicts(incident.get("updates")), key=lambda u: str(u.get("createdAt", "")))
        latest = updates[-1] if updates else {}
        return str(latest.get("message", "")).strip() == update.text.strip() and latest.get("status") == _status(update)

    async def follow(self, client: httpx.AsyncClient, incident_id: str, update: Update) -> bool:
        return (
            await self._call(
                client, "POST", f"/incidents/{incident_id}/incident-updates", self._payload(update), missing_ok=True
            )
            is not None
        )

    async def start(self, client: httpx.AsyncClient, update: Update) -> str:
        payload = {"name": incident_name(update), **self._payload(update)}
        return incident_id_of(await self._call(client, "POST", "/incidents", payload), self.who)

    def _payload(self, update: Update) -> dict[str, Any]:
        affected = [self.components[s] for s in update.services if s in self.components]
        state = COMPONENT_STATUS[component_status(update)]
        return {
            "message": update.text,
            "components": affected,
            "statuses": [{"id": component_id, "status": state} for component_id in affected],
            "notify": True,
            "status": _status(update),
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
        headers = {"authorization": f"Bearer {self.api_key}"}
        response = await client.request(
            method,
            f"{self.api_url.rstrip('/')}/v1/{self.page_id}{path}",
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
                        401: "the API key is not accepted: set it again (Instatus: User settings, Developer settings)",
                        403: "the API key is not accepted for this page: set it again, or check the page_id setting",
                        404: f"there is no page {self.page_id} for this key: check the page_id setting",
                    },
                )
            )
        return json_of(response, self.who)


def _status(update: Update) -> str:
    return PAGE_STATUS.get(update.status, "investigating").upper()


def make(name: str, options: Mapping[str, str], secret: str) -> Instatus:
    return Instatus(
        name, options["page_id"], secret, mapping(options.get("components", "")), options.get("api_url") or API_URL
    )
