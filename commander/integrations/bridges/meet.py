"""Google Meet: a new meeting space through the Google Meet REST API v2, as the person who authorised
Commander's OAuth client.

The secret is two things separated by whitespace: the OAuth client's secret, then a refresh token that the
person obtained once for that client with the scope https://www.googleapis.com/auth/meetings.space.created
(for example with the OAuth 2.0 Playground, or `gcloud auth application-default login --client-id-file=…
--scopes=…`). Commander never sees the person's password.

What this relies on:
- The token (https://developers.google.com/identity/protocols/oauth2/web-server#offline, "Refreshing an
  access token"): POST https://oauth2.googleapis.com/token, form client_id, client_secret, refresh_token,
  grant_type=refresh_token; 200 {"access_token", "expires_in" (about 3599 s), "scope", "token_type":
  "Bearer"}, kept here until a minute before it expires. Refusals are 400/401 {"error",
  "error_description"}: invalid_grant ("Token has been expired or revoked": a refresh token stops working
  when the person revokes access, after six months unused, or after 7 days for an app in "Testing"),
  invalid_client, unauthorized_client.
- The space (https://developers.google.com/workspace/meet/api/reference/rest/v2/spaces/create): POST
  https://meet.googleapis.com/v2/spaces with a Space (here {}: the defaults); 200 a Space {"name":
  "spaces/…", "meetingUri": "https://meet.google.com/abc-mnop-xyz", "meetingCode", "config"}. It needs the
  scope meetings.space.created. A space has no title, so the topic is not sent.
- Errors (https://cloud.google.com/apis/design/errors): {"error": {"code", "message", "status"}};
  403 PERMISSION_DENIED (a missing scope, or the Meet REST API not enabled in the client's project), 401
  UNAUTHENTICATED (the token), 429 RESOURCE_EXHAUSTED (quota), 5xx UNAVAILABLE.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from commander.integrations.bridges.base import Bridge, BridgeProblem
from commander.integrations.bridges.common import (
    TOKENS,
    Tokens,
    access_token,
    overloaded,
    post_with_token,
    said,
)

API_URL = "https://meet.googleapis.com"
TOKEN_URL = "https://oauth2.googleapis.com/token"
SCOPE = "https://www.googleapis.com/auth/meetings.space.created"
SERVICE = "Google Meet"


def split_secret(secret: str, name: str = "NAME") -> tuple[str, str]:
    parts = secret.split()
    if len(parts) != 2:
        raise BridgeProblem(
            f"The secret of {name} is not the OAuth client secret and a refresh token separated by a space: "
            f"give it again with `commander bridge secret '{name}'`."
        )
    return parts[0], parts[1]


class MeetBridge:
    kind = "meet"

    def __init__(
        self,
        name: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        *,
        api_url: str = "",
        token_url: str = "",
        tokens: Tokens = TOKENS,
    ) -> None:
        self.name = name
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.api_url = (api_url or API_URL).rstrip("/")
        self.token_url = token_url or TOKEN_URL
        self.tokens = tokens
        self._key = Tokens.key(self.token_url, client_id, client_secret, refresh_token)

    async def start(self, client: httpx.AsyncClient, topic: str) -> Bridge:
        response, found = await post_with_token(
            client,
            SERVICE,
            f"{self.api_url}/v2/spaces",
            {},
            token=lambda: self.token(client),
            stale=lambda response, _: response.status_code == 401,  # revoked or expired early: a new one, once
            forget=lambda: self.tokens.forget(self._key),
        )
        return self.space(response, found)

    async def token(self, client: httpx.AsyncClient) -> str:
        return await access_token(
            client,
            SERVICE,
            self.tokens,
            self._key,
            self.token_refusal,
            self.token_url,
            data={
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "refresh_token": self.refresh_token,
                "grant_type": "refresh_token",
            },
            headers={"accept": "application/json"},
        )

    def token_refusal(self, response: httpx.Response, found: dict[str, Any]) -> BridgeProblem:
        error, description = said(found.get("error")), said(found.get("error_description"))
        why = f" ({description or error})" if description or error else ""
        if error == "invalid_grant":
            return BridgeProblem(
                f"Google no longer accepts the refresh token of {self.name}{why}: it was revoked, unused for "
                f"six months, or made for an app still in Testing (those last 7 days). Get a new one with the "
                f"scope {SCOPE} and give it with `commander bridge secret '{self.name}'`."
            )
        if error in ("invalid_client", "unauthorized_client") or response.status_code == 401:
            return BridgeProblem(
                f"Google refused the OAuth client of {self.name}{why}: check its client_id and give the client "
                f"secret and refresh token again with `commander bridge secret '{self.name}'` (the refresh "
                f"token must be made for this very client)."
            )
        return BridgeProblem(
            f"Google refused the token request of {self.name} ({response.status_code}"
            + (f": {description or error}" if why else "")
            + "): check its client_id and secret."
        )

    def space(self, response: httpx.Response, found: dict[str, Any]) -> Bridge:
        uri = found.get("meetingUri")
        if response.status_code == 200 and isinstance(uri, str) and uri.startswith("https://"):
            code = said(found.get("meetingCode"))
            name = said(found.get("name"))
            return Bridge(uri, name, f"Google Meet, meeting code {code}" if code else "")
        trouble = overloaded(SERVICE, response)
        if trouble:
            raise trouble
        error = found.get("error") if isinstance(found.get("error"), dict) else {}
        assert isinstance(error, dict)
        message, status = said(error.get("message")), said(error.get("status"))
        if response.status_code == 403 and "scope" in message.lower():
            raise BridgeProblem(
                f"Google refused to make the space: the refresh token of {self.name} was not granted the scope "
                f"{SCOPE} ({message}). Get a new refresh token with that scope and give it with "
                f"`commander bridge secret '{self.name}'`."
            )
        if response.status_code == 403:
            raise BridgeProblem(
                f"Google refused to make the space ({message or status or 403}): enable the Google Meet REST "
                f"API in the Google Cloud project of the OAuth client, and check that the account may use Meet."
            )
        if response.status_code == 200:
            raise BridgeProblem("Google made a space but gave no meeting address: try again, or start one by hand.")
        raise BridgeProblem(
            f"Google refused to make the space ({response.status_code}"
            + (f" {status}" if status else "")
            + (f": {message}" if message else "")
            + "): start a meeting by hand and share its address."
        )


def make(name: str, options: Mapping[str, str], secret: str) -> MeetBridge:
    client_secret, refresh_token = split_secret(secret, name)
    return MeetBridge(
        name,
        options.get("client_id", ""),
        client_secret,
        refresh_token,
        api_url=options.get("api_url", ""),
        token_url=options.get("token_url", ""),
    )
