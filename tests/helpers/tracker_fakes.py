"""Local stand-ins for Jira Cloud, GitHub, Linear and Asana: each checks the credentials and the request's
shape as the real service does, answers with the real service's error bodies, and keeps the issues it made.

`queue` holds replies given before the normal answer (a 429 with Retry-After, a 500), one per request.
`done` holds the keys of issues the fake reports as finished.
"""

from __future__ import annotations

import base64
import itertools
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers.fakes import Reply, Request

TOKEN = "tracker-token-1234"
EMAIL = "ops@example.com"


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body), {"content-type": "application/json", **(headers or {})})


@dataclass
class FakeTracker:
    queue: list[Reply] = field(default_factory=list)
    created: list[dict[str, Any]] = field(default_factory=list)  # the payloads of the issues made
    done: set[str] = field(default_factory=set)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(12))

    def __call__(self, request: Request) -> Reply:
        if not self.authorised(request):
            return self.unauthorised()
        if self.queue:
            return self.queue.pop(0)
        parts = urlsplit(request.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        body = json.loads(request.body) if request.body else None
        return self.answer(request.method, parts.path, query, body)

    def authorised(self, request: Request) -> bool:
        raise NotImplementedError

    def unauthorised(self) -> Reply:
        raise NotImplementedError

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        raise NotImplementedError


class FakeJira(FakeTracker):
    """Jira Cloud REST v3: basic auth email:token; the description must be an ADF document."""

    def authorised(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        return request.headers.get("authorization") == expected

    def unauthorised(self) -> Reply:
        return Reply(401, "Client must be authenticated to access this resource.", {"content-type": "text/html"})

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method == "POST" and path == "/rest/api/3/issue":
            fields = body["fields"]
            if fields.get("project", {}).get("key") != "OPS":
                return _json(400, {"errorMessages": [], "errors": {"project": "valid project is required"}})
            if fields.get("issuetype", {}).get("name") not in ("Task", "Bug"):
                return _json(400, {"errorMessages": [], "errors": {"issuetype": "Specify a valid issue type"}})
            if not isinstance(fields.get("description"), dict) or fields["description"].get("type") != "doc":
                return _json(
                    400,
                    {
                        "errorMessages": [],
                        "errors": {
                            "description": "Operation value must be an Atlassian Document (see the Atlassian Document "
                            "Format)"
                        },
                    },
                )
            if any(" " in label for label in fields.get("labels", [])):
                return _json(400, {"errorMessages": [], "errors": {"labels": "The label can't contain spaces."}})
            if len(fields.get("summary", "")) > 255:
                return _json(
                    400, {"errorMessages": [], "errors": {"summary": "Summary must be less than 255 characters."}}
                )
            self.created.append(body)
            key = f"OPS-{next(self._numbers)}"
            return _json(
                201, {"id": "10001", "key": key, "self": f"https://example.atlassian.net/rest/api/3/issue/{key}"}
            )
        if method == "GET" and path.startswith("/rest/api/3/issue/") and query.get("fields") == "status":
            key = path.rsplit("/", 1)[1]
            if not any(f"OPS-{n}" == key for n in range(12, 12 + len(self.created))):
                return _json(
                    404,
                    {"errorMessages": ["Issue does not exist or you do not have permission to see it."], "errors": {}},
                )
            category = "done" if key in self.done else "indeterminate"
            name = "Done" if key in self.done else "In Progress"
            return _json(200, {"key": key, "fields": {"status": {"name": name, "statusCategory": {"key": category}}}})
        return _json(404, {"errorMessages": ["No resource"], "errors": {}})


class FakeGitHub(FakeTracker):
    """GitHub REST: a Bearer token, the vnd.github+json media type and an API version header."""

    def authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    def unauthorised(self) -> Reply:
        return _json(
            401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}
        )

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method == "POST" and path == "/repos/acme/shop/issues":
            if not body.get("title"):
                return _json(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}],
                        "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
                    },
                )
            too_long = [
                f"{name} is too long (maximum is {limit} characters)"
                for name, limit in (("title", 256), ("body", 65_536))
                if len(body.get(name) or "") > limit
            ]
            if too_long:
                return _json(
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {"resource": "Issue", "code": "custom", "field": m.split()[0], "message": m}
                            for m in too_long
                        ],
                        "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue",
                    },
                )
            self.created.append(body)
            number = next(self._numbers)
            return _json(
                201, {"number": number, "state": "open", "html_url": f"https://github.com/acme/shop/issues/{number}"}
            )
        if method == "GET" and path.startswith("/repos/acme/shop/issues/"):
            number = path.rsplit("/", 1)[1]
            closed = f"acme/shop#{number}" in self.done
            return _json(
                200,
                {
                    "number": int(number),
                    "state": "closed" if closed else "open",
                    "state_reason": "completed" if closed else None,
                },
            )
        return _json(404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})


@dataclass
class FakeLinear(FakeTracker):
    """Linear GraphQL: the API key as the whole Authorization header; errors inside the answer. An issue
    marked as a duplicate of another is in a state of type "duplicate"."""

    duplicates: set[str] = field(default_factory=set)

    def authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == TOKEN

    def unauthorised(self) -> Reply:
        return _json(
            400,
            {
                "errors": [
                    {
                        "message": "Authentication required, not authenticated",
                        "extensions": {
                            "type": "authentication error",
                            "code": "AUTHENTICATION_ERROR",
                            "userPresentableMessage": "You need to authenticate to access this operation.",
                        },
                    }
                ]
            },
        )

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method != "POST" or path != "/graphql":
            return Reply(404, "Not found")
        variables = body.get("variables") or {}
        if "issueCreate(input: $input)" in body["query"]:
            given = variables.get("input") or {}
            if given.get("teamId") != "team-uuid-1":
                return _json(
                    200,
                    {
                        "data": None,
                        "errors": [
                            {
                                "message": "Argument Validation Error",
                                "extensions": {
                                    "code": "INVALID_INPUT",
                                    "userPresentableMessage": "teamId must be a UUID.",
                                },
                            }
                        ],
                    },
                )
            self.created.append(body)
            number = next(self._numbers)
            return _json(
                200,
                {
                    "data": {
                        "issueCreate": {
                            "success": True,
                            "issue": {
                                "id": f"issue-uuid-{number}",
                                "identifier": f"ENG-{number}",
                                "url": f"https://linear.app/acme/issue/ENG-{number}",
                            },
                        }
                    }
                },
            )
        if "issue(id: $id)" in body["query"]:
            key = variables.get("id")
            name, kind = (
                ("Done", "completed")
                if key in self.done
                else ("Duplicate", "duplicate")
                if key in self.duplicates
                else ("Todo", "unstarted")
            )
            return _json(200, {"data": {"issue": {"identifier": key, "state": {"name": name, "type": kind}}}})
        return _json(
            400, {"errors": [{"message": "Cannot query field", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}]}
        )


class FakeAsana(FakeTracker):
    """Asana: a Bearer token; every body wrapped in "data"; a task needs a workspace."""

    def authorised(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {TOKEN}"

    def unauthorised(self) -> Reply:
        return _json(401, {"errors": [{"message": "Not Authorized"}]})

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method == "POST" and path == "/api/1.0/tasks":
            data = (body or {}).get("data") or {}
            if data.get("workspace") != "1200":
                return _json(
                    400,
                    {
                        "errors": [
                            {
                                "message": "workspace: Missing input",
                                "help": "For more information on API status codes and how to handle "
                                "them, read the docs on errors: https://developers.asana.com/"
                                "docs/errors",
                            }
                        ]
                    },
                )
            self.created.append({"query": query, "body": body})
            gid = f"12050{next(self._numbers)}"
            return _json(201, {"data": {"gid": gid, "permalink_url": f"https://app.asana.com/0/1201/{gid}"}})
        if method == "GET" and path.startswith("/api/1.0/tasks/") and query.get("opt_fields") == "completed":
            gid = path.rsplit("/", 1)[1]
            return _json(200, {"data": {"gid": gid, "completed": gid in self.done}})
        return _json(404, {"errors": [{"message": "Unknown object: 0"}]})


def options(kind: str, base: str) -> dict[str, str]:
    """The tracker settings that point a kind at its fake at `base` (http://127.0.0.1:PORT)."""
    return {
        "jira": {"site": base, "email": EMAIL, "project": "OPS"},
        "github": {"repo": "acme/shop", "api_url": base},
        "linear": {"team": "team-uuid-1", "api_url": f"{base}/graphql"},
        "asana": {"workspace": "1200", "project": "1201", "api_url": f"{base}/api/1.0"},
    }[kind]


FAKES: dict[str, type[FakeTracker]] = {"jira": FakeJira, "github": FakeGitHub, "linear": FakeLinear, "asana": FakeAsana}
