"""GitHub Issues, REST API.

Create: `POST {api}/repos/{owner}/{repo}/issues` with `{"title", "body"[, "labels"]}`, headers
`Authorization: Bearer <token>`, `Accept: application/vnd.github+json`, `X-GitHub-Api-Version:
2022-11-28`; answer 201 with `number` and `html_url`. Status: `GET …/issues/{number}`: `state` is "open"
or "closed" (`state_reason` "completed" or "not_planned"). Errors are `{"message", "documentation_url"}`,
422 adds `errors: [{"resource", "field", "code"}]`; 410 when issues are turned off. Rate limits answer 403
or 429, with Retry-After (secondary limits) or `x-ratelimit-remaining: 0` and `x-ratelimit-reset`.

Limits: an issue's body at most 65,536 characters (422 "body is too long (maximum is 65536 characters)",
https://docs.github.com/rest/issues/issues#create-an-issue, as GitHub answers: PyGithub/PyGithub#1906) and its
title at most 256 characters: both cut on a grapheme boundary, saying so.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping

import httpx

from commander.domain.core import graphemes
from commander.integrations.destinations.base import quoted, retry_after
from commander.integrations.trackers.base import (
    Created,
    ExternalStatus,
    Issue,
    TryLater,
    body_of,
    check,
    request,
    unreadable,
)

API = "https://api.github.com"
TITLE_LIMIT = 256
BODY_LIMIT = 65_536
CUT = "\n\n… (shortened by Commander: the action item is longer than a GitHub issue can hold)"
API_VERSION = "2022-11-28"
_MENTION = re.compile(r"[@#](?=\w)")
_HINTS = {
    401: "the token is not accepted (expired or revoked): remove the tracker and add it again with a new token",
    403: "the token may not create issues here: give it Issues read and write access to the repository",
    404: "no such repository, or the token cannot see it: check repo (owner/name) and the token's access",
    410: "issues are turned off in this repository: turn them on in its settings, or choose another repo",
    422: "GitHub did not accept the issue (a label may not exist, or the token may not set labels)",
}


def said(response: httpx.Response) -> str:
    body = body_of(response)
    if isinstance(body, dict) and body.get("message"):
        details = [
            " ".join(str(e.get(k, "")) for k in ("field", "code")).strip() if isinstance(e, dict) else str(e)
            for e in body.get("errors") or []
        ]
        return str(body["message"]) + (f" ({'; '.join(details)})" if details else "")
    return quoted(response)


def quiet(text: str) -> str:
    """@name and #123 as text: a finding that names someone must not notify them (nor link an unrelated
    issue). A zero-width space after the sign keeps it readable and inert."""
    return _MENTION.sub(lambda m: m.group(0) + "\u200b", text)


def _rate_limited(response: httpx.Response, name: str) -> None:
    """GitHub says "slow down" with 403 as well as 429: tell them apart from a real refusal."""
    if response.status_code not in (403, 429):
        return
    headers = response.headers
    if "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0":
        wait: float | None = None
        if "retry-after" in headers:
            wait = retry_after(response)
        elif headers.get("x-ratelimit-reset", "").isdigit():
            wait = max(0.0, int(headers["x-ratelimit-reset"]) - time.time())
        raise TryLater(f"{name} is rate limiting this token ({response.status_code}: {said(response)})", wait)


class GitHubTracker:
    kind = "github"

    def __init__(self, name: str, options: Mapping[str, str], secret: str) -> None:
        self.name = name
        self.repo = options["repo"]
        self.api = (options.get("api_url") or API).rstrip("/")
        self.labels = [label.strip() for label in options.get("labels", "").split(",") if label.strip()]
        self.headers = {
            "Authorization": f"Bearer {secret}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }

    async def create(self, client: httpx.AsyncClient, issue: Issue) -> Created:
        payload: dict[str, object] = {
            "title": graphemes.fit(quiet(issue.title), TITLE_LIMIT, note="…").text,
            "body": graphemes.fit(quiet(issue.text), BODY_LIMIT, note=CUT).text,
        }
        if self.labels:  # only the configured ones: GitHub drops labels silently for tokens without push access
            payload["labels"] = self.labels
        response = await request(
            client,
            self.name,
            "POST",
            f"{self.api}/repos/{self.repo}/issues",
            creating=True,
            headers=self.headers,
            json=payload,
        )
        _rate_limited(response, self.name)
        check(response, self.name, creating=True, said=said(response), hints=_HINTS)
        body = body_of(response)
        if not isinstance(body, dict) or not isinstance(body.get("number"), int):
            raise unreadable(self.name, "the new issue's number", creating=True)
        return Created(f"{self.repo}#{body['number']}", str(body.get("html_url") or ""))

    async def status(self, client: httpx.AsyncClient, key: str) -> ExternalStatus:
        repo, _, number = key.rpartition("#")
        response = await request(
            client,
            self.name,
            "GET",
            f"{self.api}/repos/{repo or self.repo}/issues/{number}",
            creating=False,
            headers=self.headers,
        )
        _rate_limited(response, self.name)
        check(response, self.name, creating=False, said=said(response), hints=_HINTS)
        body = body_of(response)
        state = body.get("state") if isinstance(body, dict) else None
        if state not in ("open", "closed"):
            raise unreadable(self.name, f"the state of {key}", creating=False)
        reason = body.get("state_reason")
        shown = f"closed ({reason.replace('_', ' ')})" if state == "closed" and reason else state
        return ExternalStatus(shown, state == "closed")


def make(name: str, options: Mapping[str, str], secret: str) -> GitHubTracker:
    return GitHubTracker(name, options, secret)
