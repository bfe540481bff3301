"""Local services that answer as Zoom and Google do for starting a meeting, for `serve()` (tests/helpers/fakes.py).

Zoom (sources in commander/integrations/bridges/zoom.py): POST /oauth/token?grant_type=account_credentials&
account_id=… with Basic client_id:client_secret gives {"access_token", "token_type": "bearer", "expires_in":
3600, "scope"}, or 400 {"reason": "Invalid client_id or client_secret", "error": "invalid_client"}; POST
/v2/users/me/meetings with "Bearer TOKEN" checks the token (401 {"code": 124, "message": "Invalid access
token."}), the scope (400 {"code": 4711, "message": "Invalid access token, does not contain scopes:[…]"}), a
topic of at most 200 characters (300 "Validation Failed.") and gives 201 {"id", "join_url", "password",
"start_url", "topic", "type"}.

Google (sources in commander/integrations/bridges/meet.py): POST /token (form: client_id, client_secret,
refresh_token, grant_type=refresh_token) gives {"access_token", "expires_in": 3599, "scope", "token_type":
"Bearer"}, or 400 {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, or
401 {"error": "invalid_client", …}; POST /v2/spaces with "Bearer TOKEN" gives 200 a Space, or
{"error": {"code", "message", "status"}}.

`busy` answers the next requests 429 (with Retry-After when `retry_after` is set), `broken` 500.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.helpers.fakes import Reply, Request

ZOOM_ACCOUNT = "acc_123"
ZOOM_CLIENT = "zoomclient1"
ZOOM_SECRET = "zoomsecret-xyz"
ZOOM_SCOPE = "meeting:write:meeting:admin"
GOOGLE_CLIENT = "1234-abc.apps.googleusercontent.com"
GOOGLE_SECRET = "GOCSPX-secret"
GOOGLE_REFRESH = "1//refresh-token"
GOOGLE_SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
JSON = {"content-type": "application/json"}


def _json(status: int, body: object, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, json.dumps(body), {**JSON, **(headers or {})})


@dataclass
class Limits:
    busy: int = 0  # answer this many next requests 429
    retry_after: str = ""
    broken: int = 0  # answer this many next requests 500

    def refusal(self) -> Reply | None:
        if self.busy:
            self.busy -= 1
            return Reply(429, "", {"retry-after": self.retry_after} if self.retry_after else {})
        if self.broken:
            self.broken -= 1
            return Reply(500, "")
        return None


@dataclass
class ZoomFake:
    scopes: str = ZOOM_SCOPE
    client_secret: str = ZOOM_SECRET
    limits: Limits = field(default_factory=Limits)
    tokens: list[str] = field(default_factory=list)  # every token issued, the valid one last
    revoked: set[str] = field(default_factory=set)
    meetings: list[dict[str, Any]] = field(default_factory=list)  # every meeting body taken
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            refused = self.limits.refusal()
            if refused is not None:
                return refused
            path = urlsplit(request.path).path
            if request.method == "POST" and path == "/oauth/token":
                return self._token(request)
            if request.method == "POST" and path == "/v2/users/me/meetings":
                return self._meeting(request)
            return _json(404, {"code": 404, "message": "Not Found"})

    def _token(self, request: Request) -> Reply:
        self.token_requests += 1
        query = parse_qs(urlsplit(request.path).query)
        if query.get("grant_type") != ["account_credentials"]:
            return _json(400, {"reason": "unsupported grant type", "error": "unsupported_grant_type"})
        expected = "Basic " + base64.b64encode(f"{ZOOM_CLIENT}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return _json(400, {"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
        if query.get("account_id") != [ZOOM_ACCOUNT]:
            return _json(400, {"reason": "Invalid request : Bad Request", "error": "invalid_request"})
        token = secrets.token_urlsafe(16)
        self.tokens.append(token)
        return _json(200, {"access_token": token, "token_type": "bearer", "expires_in": 3600, "scope": self.scopes})

    def _meeting(self, request: Request) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens or token in self.revoked:
            return _json(401, {"code": 124, "message": "Invalid access token."})
        if ZOOM_SCOPE not in self.scopes.split():
            return _json(
                400,
                {"code": 4711, "message": f"Invalid access token, does not contain scopes:[{ZOOM_SCOPE}]."},
            )
        try:
            body = json.loads(request.body)
        except ValueError:
            return _json(400, {"code": 300, "message": "Request Body should be a valid JSON object."})
        topic = body.get("topic", "") if isinstance(body, dict) else None
        if not isinstance(topic, str) or len(topic) > 200 or body.get("type") not in (1, 2, 3, 8, 10):
            return _json(
                400,
                {"code": 300, "message": "Validation Failed.", "errors": [{"field": "topic", "message": "Invalid"}]},
            )
        self.meetings.append(body)
        number = 85_123_456_700 + len(self.meetings)
        return _json(
            201,
            {
                "id": number,
                "join_url": f"https://us02web.zoom.us/j/{number}?pwd=abc",
                "password": "4Fk9x2",
                "start_url": f"https://us02web.zoom.us/s/{number}?zak=HOST-ONLY",
                "topic": topic,
                "type": body["type"],
            },
        )


@dataclass
class GoogleFake:
    scope: str = GOOGLE_SCOPE
    refresh_token: str = GOOGLE_REFRESH
    api_enabled: bool = True
    limits: Limits = field(default_factory=Limits)
    tokens: list[str] = field(default_factory=list)
    spaces: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: Request) -> Reply:
        with self.lock:
            refused = self.limits.refusal()
            if refused is not None:
                return refused
            path = urlsplit(request.path).path
            if request.method == "POST" and path == "/token":
                return self._token(request)
            if request.method == "POST" and path == "/v2/spaces":
                return self._space(request)
            return _json(404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})

    def _token(self, request: Request) -> Reply:
        self.token_requests += 1
        form = {key: values[0] for key, values in parse_qs(request.body.decode()).items()}
        if form.get("grant_type") != "refresh_token":
            return _json(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        if form.get("client_id") != GOOGLE_CLIENT or form.get("client_secret") != GOOGLE_SECRET:
            return _json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if form.get("refresh_token") != self.refresh_token:
            return _json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        token = "ya29." + secrets.token_urlsafe(16)
        self.tokens.append(token)
        return _json(200, {"access_token": token, "expires_in": 3599, "scope": self.scope, "token_type": "Bearer"})

    def _space(self, request: Request) -> Reply:
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return _json(
                401,
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials.",
                        "status": "UNAUTHENTICATED",
                    }
                },
            )
        if not self.api_enabled:
            return _json(
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "Google Meet REST API has not been used in project 1234 before or it is disabled.",
                        "status": "PERMISSION_DENIED",
                    }
                },
            )
        if GOOGLE_SCOPE not in self.scope.split():
            return _json(
                403,
                {
                    "error": {
                        "code": 403,
                        "message": "Request had insufficient authentication scopes.",
                        "status": "PERMISSION_DENIED",
                    }
                },
            )
        body = json.loads(request.body or b"{}")
        self.spaces.append(body)
        code = f"abc-mnop-{len(self.spaces):03d}"
        return _json(
            200,
            {
                "name": f"spaces/jQCFfuBOdN5z{len(self.spaces)}",
                "meetingUri": f"https://meet.google.com/{code}",
                "meetingCode": code,
                "config": {"accessType": "TRUSTED", "entryPointAccess": "ALL"},
            },
        )
