"""Linear, GraphQL API at https://api.linear.app/graphql.

A personal API key goes as `Authorization: <API_KEY>` (no "Bearer": that is for OAuth tokens). Create:
the `issueCreate(input: {teamId, title, description})` mutation (description in Markdown); the answer
is `{"data": {"issueCreate": {"success", "issue": {"id", "identifier", "url"}}}}`. Status: `issue(id)`
(the id or the identifier, ENG-123) `{ state { name type } }`, where type "completed", "canceled" or
"duplicate" means finished (a state's type is one of triage, backlog, unstarted, started, completed, canceled
and duplicate: an issue marked as a duplicate of another moves to a duplicate state; https://linear.app/docs/
configuring-workflows, "Duplicate issue status", and the WorkflowState type in Linear's GraphQL schema,
https://studio.apollographql.com/public/Linear-API/variant/current/schema/reference/objects/WorkflowState).
GraphQL errors come inside an answer that may be 200: `{"errors": [{"message", "extensions": {"code",
"userPresentableMessage"}}]}`; code RATELIMITED means wait and try again.

Limits: none documented for an issue's title or description (https://developers.linear.app/docs/graphql/
working-with-the-graphql-api); requests are rate limited per key (https://linear.app/developers/rate-limiting).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from commander.integrations.destinations.base import quoted, retry_after
from commander.integrations.trackers.base import (
    Created,
    ExternalStatus,
    Issue,
    TrackerRefused,
    TryLater,
    body_of,
    check,
    request,
    unreadable,
)

API = "https://api.linear.app/graphql"
CREATE = (
    "mutation CommanderIssueCreate($input: IssueCreateInput!) { issueCreate(input: $input) "
    "{ success issue { id identifier url } } }"
)
STATUS = "query CommanderIssueState($id: String!) { issue(id: $id) { identifier state { name type } } }"
FINISHED = ("completed", "canceled", "duplicate")
_CODES = {
    "AUTHENTICATION_ERROR": "the API key is not accepted: remove the tracker and add it again with a valid key",
    "FORBIDDEN": "the API key may not do this: check that its user is a member of the team",
    "INVALID_INPUT": "Linear did not accept the issue: check team (the team's id, not its key such as ENG)",
    "ENTITY_NOT_FOUND": "not found: check team, and that the issue still exists",
}
_HINTS = {401: _CODES["AUTHENTICATION_ERROR"], 403: _CODES["FORBIDDEN"], 400: _CODES["INVALID_INPUT"]}


def _errors(body: Any) -> list[dict[str, Any]]:
    errors = body.get("errors") if isinstance(body, dict) else None
    return [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []


def said(response: httpx.Response) -> str:
    found = _errors(body_of(response))
    if found:
        return "; ".join(
            str((e.get("extensions") or {}).get("userPresentableMessage") or e.get("message") or "") for e in found
        )
    return quoted(response)


class LinearTracker:
    kind = "linear"

    def __init__(self, name: str, options: Mapping[str, str], secret: str) -> None:
        self.name = name
        self.team = options["team"]
        self.api = options.get("api_url") or API
        self.headers = {"Authorization": secret, "Content-Type": "application/json"}

    async def _ask(
        self, client: httpx.AsyncClient, query: str, variables: dict[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        response = await request(
            client,
            self.name,
            "POST",
            self.api,
            creating=creating,
            headers=self.headers,
            json={"query": query, "variables": variables},
        )
        errors = _errors(body_of(response))
        codes = {str((e.get("extensions") or {}).get("code") or "").upper() for e in errors}
        if "RATELIMITED" in codes:
            raise TryLater(
                f"{self.name} is rate limiting this key ({response.status_code}: {said(response)})",
                retry_after(response),
            )
        if errors and response.status_code < 500:  # GraphQL errors, in a 200 or a 400: nothing was done
            hint = next((_CODES[c] for c in codes if c in _CODES), "check the tracker's settings")
            raise TrackerRefused(f"{self.name} refused ({said(response)}): {hint}.")
        check(response, self.name, creating=creating, said=said(response), hints=_HINTS)
        body = body_of(response)
        data = body.get("data") if isinstance(body, dict) else None
        return data if isinstance(data, dict) else {}

    async def create(self, client: httpx.AsyncClient, issue: Issue) -> Created:
        data = await self._ask(
            client,
            CREATE,
            {"input": {"teamId": self.team, "title": issue.title, "description": issue.text}},
            creating=True,
        )
        made = data.get("issueCreate") or {}
        found = made.get("issue") or {}
        if not made.get("success") or not found.get("identifier"):
            raise unreadable(self.name, "the new issue", creating=True)
        return Created(str(found["identifier"]), str(found.get("url") or ""))

    async def status(self, client: httpx.AsyncClient, key: str) -> ExternalStatus:
        data = await self._ask(client, STATUS, {"id": key}, creating=False)
        state = (data.get("issue") or {}).get("state") or {}
        if not state.get("type"):
            raise unreadable(self.name, f"the state of {key}", creating=False)
        return ExternalStatus(str(state.get("name") or state["type"]), state["type"] in FINISHED)


def make(name: str, options: Mapping[str, str], secret: str) -> LinearTracker:
    return LinearTracker(name, options, secret)
