"""Jira Cloud, REST API v3.

Create: `POST {site}/rest/api/3/issue` with `{"fields": {"project": {"key"}, "summary", "issuetype":
{"name"}, "description", "labels"}}`; v3 takes the description in Atlassian Document Format (a `doc` of
`paragraph`s of `text` nodes, `hardBreak` between lines), not as a string. Answer 201 `{"id", "key",
"self"}`. Status: `GET {site}/rest/api/3/issue/{key}?fields=status`; `fields.status.statusCategory.key`
is "new", "indeterminate" or "done". Basic auth with the account's email and an API token. Errors come
as `{"errorMessages": [...], "errors": {"field": "message"}}`; 429 (and some 503s) carry Retry-After.

Limits: the summary at most 255 characters; a text field such as the description at most 32,767 characters
(`jira.text.field.character.limit`, https://confluence.atlassian.com/adminjiraserver/configuring-advanced-
settings-938847812.html). Both cut on a grapheme boundary, saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from commander.domain.core import graphemes
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

SUMMARY_LIMIT = 255
DESCRIPTION_LIMIT = 32_767
CUT = "\n\n… (shortened by Commander: the action item is longer than a Jira description can hold)"
_HINTS = {
    400: "Jira did not accept the issue: check the project key and issuetype (the project must have that issue "
    "type, and no other field may be required on its create screen)",
    401: "the email and API token are not accepted: remove the tracker and add it again with a valid token",
    403: "the account may not create issues in this project: ask a Jira admin for the Create Issues permission",
    404: "not found: check site and project, and that the account can see the project",
}


def document(paragraphs: tuple[str, ...]) -> dict[str, Any]:
    """Plain text as an ADF document: a paragraph each, a hardBreak between lines (text nodes cannot be
    empty, so blank lines are left out)."""
    content = []
    for paragraph in paragraphs:
        nodes: list[dict[str, Any]] = []
        for line in paragraph.split("\n"):
            if line.strip():
                if nodes:
                    nodes.append({"type": "hardBreak"})
                nodes.append({"type": "text", "text": line})
        if nodes:
            content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


def said(response: httpx.Response) -> str:
    body = body_of(response)
    if isinstance(body, dict):
        parts = [str(m) for m in body.get("errorMessages") or []]
        parts += [f"{field}: {message}" for field, message in (body.get("errors") or {}).items()]
        if parts:
            return "; ".join(parts)
    return quoted(response)


class JiraTracker:
    kind = "jira"

    def __init__(self, name: str, options: Mapping[str, str], secret: str) -> None:
        self.name = name
        self.site = options["site"].rstrip("/")
        self.project = options["project"]
        self.issuetype = options.get("issuetype") or "Task"
        self.labels = tuple(label for label in re.split(r"[,\s]+", options.get("labels", "")) if label)
        self.auth = httpx.BasicAuth(options["email"], secret)

    async def create(self, client: httpx.AsyncClient, issue: Issue) -> Created:
        labels = [re.sub(r"\s+", "-", label) for label in (*issue.labels, *self.labels)]  # no spaces in a label
        summary = graphemes.fit(" ".join(issue.title.split()), SUMMARY_LIMIT, note="…").text  # one line, too
        described = graphemes.fit(issue.text, DESCRIPTION_LIMIT, note=CUT)
        paragraphs = tuple(described.text.split("\n\n")) if described.shortened else issue.paragraphs
        fields = {
            "project": {"key": self.project},
            "summary": summary,
            "issuetype": {"name": self.issuetype},
            "description": document(paragraphs),
            "labels": list(dict.fromkeys(labels)),
        }
        response = await request(
            client,
            self.name,
            "POST",
            f"{self.site}/rest/api/3/issue",
            creating=True,
            auth=self.auth,
            headers={"Accept": "application/json"},
            json={"fields": fields},
        )
        check(response, self.name, creating=True, said=said(response), hints=_HINTS)
        body = body_of(response)
        key = body.get("key") if isinstance(body, dict) else None
        if not isinstance(key, str) or not key:
            raise unreadable(self.name, "the new issue's key", creating=True)
        return Created(key, f"{self.site}/browse/{key}")

    async def status(self, client: httpx.AsyncClient, key: str) -> ExternalStatus:
        response = await request(
            client,
            self.name,
            "GET",
            f"{self.site}/rest/api/3/issue/{key}",
            creating=False,
            auth=self.auth,
            headers={"Accept": "application/json"},
            params={"fields": "status"},
        )
        check(response, self.name, creating=False, said=said(response), hints=_HINTS)
        body = body_of(response)
        try:
            status = body["fields"]["status"]
            return ExternalStatus(str(status["name"]), status["statusCategory"]["key"] == "done")
        except (KeyError, TypeError):
            raise unreadable(self.name, f"the status of {key}", creating=False) from None


def make(name: str, options: Mapping[str, str], secret: str) -> JiraTracker:
    return JiraTracker(name, options, secret)
