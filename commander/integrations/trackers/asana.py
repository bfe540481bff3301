"""Asana, REST API at https://app.asana.com/api/1.0.

Create: `POST /tasks` with `{"data": {"name", "notes", "workspace"[, "projects"]}}` (every task belongs
to a workspace; `projects` files it in a project too); `opt_fields=permalink_url` asks for the task's
link in the answer `{"data": {"gid", "permalink_url"}}`. Status: `GET /tasks/{gid}?opt_fields=completed`.
A personal access token goes as `Authorization: Bearer <token>`. Errors are `{"errors": [{"message",
"help"}]}`; 402 means a premium-only feature; 429 carries Retry-After.

Limits: none documented for a task's name or notes (https://developers.asana.com/reference/createtask);
requests are rate limited per token (https://developers.asana.com/docs/rate-limits).
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from commander.integrations.destinations.base import quoted
from commander.integrations.trackers.base import (
    Created,
    ExternalStatus,
    Issue,
    body_of,
    check,
    request,
    unreadable,
)

API = "https://app.asana.com/api/1.0"
_HINTS = {
    400: "Asana did not accept the task: check workspace and project (their ids, the numbers in their links)",
    401: "the personal access token is not accepted: remove the tracker and add it again with a valid token",
    402: "this needs a paid Asana plan for the workspace",
    403: "the token's user may not add tasks here: ask to be added to the project or workspace",
    404: "not found: check workspace and project (their ids), and that the task still exists",
}


def said(response: httpx.Response) -> str:
    body = body_of(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, list) and errors:
        return "; ".join(str(e.get("message", "")) if isinstance(e, dict) else str(e) for e in errors)
    return quoted(response)


class AsanaTracker:
    kind = "asana"

    def __init__(self, name: str, options: Mapping[str, str], secret: str) -> None:
        self.name = name
        self.workspace = options["workspace"]
        self.project = options.get("project", "")
        self.api = (options.get("api_url") or API).rstrip("/")
        self.headers = {"Authorization": f"Bearer {secret}", "Accept": "application/json"}

    async def create(self, client: httpx.AsyncClient, issue: Issue) -> Created:
        data: dict[str, object] = {"name": issue.title, "notes": issue.text, "workspace": self.workspace}
        if self.project:
            data["projects"] = [self.project]
        response = await request(
            client,
            self.name,
            "POST",
            f"{self.api}/tasks",
            creating=True,
            headers=self.headers,
            params={"opt_fields": "permalink_url"},
            json={"data": data},
        )
        check(response, self.name, creating=True, said=said(response), hints=_HINTS)
        body = body_of(response)
        task = body.get("data") if isinstance(body, dict) else None
        if not isinstance(task, dict) or not task.get("gid"):
            raise unreadable(self.name, "the new task's id", creating=True)
        gid = str(task["gid"])
        return Created(gid, str(task.get("permalink_url") or f"https://app.asana.com/0/0/{gid}"))

    async def status(self, client: httpx.AsyncClient, key: str) -> ExternalStatus:
        response = await request(
            client,
            self.name,
            "GET",
            f"{self.api}/tasks/{key}",
            creating=False,
            headers=self.headers,
            params={"opt_fields": "completed"},
        )
        check(response, self.name, creating=False, said=said(response), hints=_HINTS)
        body = body_of(response)
        task = body.get("data") if isinstance(body, dict) else None
        if not isinstance(task, dict) or not isinstance(task.get("completed"), bool):
            raise unreadable(self.name, f"whether task {key} is completed", creating=False)
        return ExternalStatus("completed" if task["completed"] else "open", task["completed"])


def make(name: str, options: Mapping[str, str], secret: str) -> AsanaTracker:
    return AsanaTracker(name, options, secret)
