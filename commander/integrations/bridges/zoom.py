"""Zoom: a meeting made through a Server-to-Server OAuth app of the team's Zoom account.

What this relies on:
- The token (https://developers.zoom.us/docs/internal-apps/s2s-oauth/): POST
  https://zoom.us/oauth/token?grant_type=account_credentials&account_id=ACCOUNT_ID with HTTP Basic auth
  client_id:client_secret; 200 {"access_token", "token_type": "bearer", "expires_in": 3600, "scope"}. There
  is no refresh token: a new one is asked for when it expires (kept here until a minute before). Refusals
  (https://developers.zoom.us/docs/integrations/oauth-error-messages/) are 400/401 {"reason", "error"}:
  invalid_client (wrong client id or secret), unsupported_grant_type (not a Server-to-Server OAuth app),
  invalid_request (the account id).
- The meeting (https://developers.zoom.us/docs/api/ , "Create a meeting",
  https://developers.zoom.us/docs/isv/workflows/create-meeting/): POST https://api.zoom.us/v2/users/me/meetings
  with {"topic" (at most 200 characters), "type": 2 (scheduled), "start_time" (now, UTC), "duration",
  "timezone": "UTC", "settings": {"join_before_host": true, "waiting_room": false}}; 201 {"id", "join_url",
  "password", "start_url", ...}. It needs the scope meeting:write:meeting:admin (granular) or
  meeting:write:admin (classic). "me" is the app's owner, who hosts it and may never join: join_before_host
  (which the API reference says is only used for scheduled or recurring meetings, hence type 2 rather than
  an instant meeting) lets responders in without them; an account that locks these settings wins. The
  join address carries the passcode. `start_url` starts it as the host: it is never shown or kept.
- Errors (https://developers.zoom.us/docs/api/errors): {"code", "message"}; 401 code 124 "Invalid access
  token" (asked again once, with a new token); 4700/4711 "Invalid access token, does not contain scopes";
  404 code 1001 (the user does not exist); 429 when the account's rate limit is reached (Create a meeting
  is "Medium": 2/s and 2,000 a day on a free account, https://developers.zoom.us/docs/commerce/rate-limits/),
  with Retry-After when Zoom gives one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
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
from commander.integrations.destinations.base import shorten

API_URL = "https://api.zoom.us/v2"
OAUTH_URL = "https://zoom.us/oauth/token"
TOPIC_MAX = 200
SCOPE = "meeting:write:meeting:admin"
DURATION = 120  # minutes: what calendars show; the meeting goes on as long as people are in it
SERVICE = "Zoom"


class ZoomBridge:
    kind = "zoom"

    def __init__(
        self,
        name: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        *,
        api_url: str = "",
        oauth_url: str = "",
        tokens: Tokens = TOKENS,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.api_url = (api_url or API_URL).rstrip("/")
        self.oauth_url = oauth_url or OAUTH_URL
        self.tokens = tokens
        self.clock = clock
        self._key = Tokens.key(self.oauth_url, account_id, client_id, client_secret)

    async def start(self, client: httpx.AsyncClient, topic: str) -> Bridge:
        body: dict[str, Any] = {
            "topic": shorten(topic.strip() or "Incident bridge", TOPIC_MAX),
            "type": 2,  # scheduled from now: join_before_host applies only to scheduled meetings
            "start_time": self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "duration": DURATION,
            "timezone": "UTC",
            "settings": {"join_before_host": True, "waiting_room": False},
        }

        response, found = await post_with_token(
            client,
            SERVICE,
            f"{self.api_url}/users/me/meetings",
            body,
            token=lambda: self.token(client),
            # revoked or expired early (124 "Invalid access token"): a new one, once
            stale=lambda response, found: response.status_code == 401 and found.get("code") == 124,
            forget=lambda: self.tokens.forget(self._key),
        )
        return self.meeting(response, found)

    async def token(self, client: httpx.AsyncClient) -> str:
        return await access_token(
            client,
            SERVICE,
            self.tokens,
            self._key,
            self.token_refusal,
            self.oauth_url,
            params={"grant_type": "account_credentials", "account_id": self.account_id},
            auth=(self.client_id, self.client_secret),
            headers={"accept": "application/json"},
        )

    def token_refusal(self, response: httpx.Response, found: dict[str, Any]) -> BridgeProblem:
        error, reason = said(found.get("error")), said(found.get("reason"))
        why = f" ({reason or error})" if reason or error else ""
        if error == "invalid_client" or response.status_code == 401:
            return BridgeProblem(
                f"Zoom refused the client id or secret of {self.name}{why}: copy both again from the "
                f"Server-to-Server OAuth app's App Credentials page (`commander bridge secret '{self.name}'` "
                f"for the secret), and check that the app is activated."
            )
        if error == "unsupported_grant_type":
            return BridgeProblem(
                f"Zoom says {self.name}'s app cannot use account credentials{why}: create a Server-to-Server "
                f"OAuth app in the Zoom App Marketplace and use its credentials."
            )
        return BridgeProblem(
            f"Zoom refused the token request of {self.name} ({response.status_code}"
            + (f": {reason or error}" if reason or error else "")
            + "): check the account_id, which is on the app's App Credentials page."
        )

    def meeting(self, response: httpx.Response, found: dict[str, Any]) -> Bridge:
        url = found.get("join_url")
        if response.status_code in (200, 201) and isinstance(url, str) and url.startswith("https://"):
            meeting_id = found.get("id")
            number = str(meeting_id) if isinstance(meeting_id, int | str) and not isinstance(meeting_id, bool) else ""
            passcode = said(found.get("password"))
            details = f"Zoom meeting {number}" + (f", passcode {passcode}" if passcode else "") if number else ""
            return Bridge(url, number, details)
        trouble = overloaded(SERVICE, response)
        if trouble:
            raise trouble
        code, message = found.get("code"), said(found.get("message"))
        if code in (4700, 4711) or "scope" in message.lower():
            raise BridgeProblem(
                f"Zoom refused to make the meeting: the app of {self.name} lacks the scope to create meetings "
                f"({message or code}). Add {SCOPE} (or meeting:write:admin for a classic app) to the app's "
                f"scopes in the Zoom App Marketplace, then try again."
            )
        if response.status_code == 401:
            raise BridgeProblem(
                f"Zoom did not accept {self.name}'s access token ({message or 'Invalid access token'}): check "
                f"that the app is activated, then try again."
            )
        if code == 1001 or response.status_code == 404:
            raise BridgeProblem(
                f"Zoom found no user to host the meeting ({message or response.status_code}): the app's "
                f"owner must be an active user of the account."
            )
        if response.status_code in (200, 201):
            raise BridgeProblem("Zoom made a meeting but gave no join address: try again, or start one by hand.")
        raise BridgeProblem(
            f"Zoom refused to make the meeting ({response.status_code}"
            + (f", code {code}" if isinstance(code, int) else "")
            + (f": {message}" if message else "")
            + "): start one by hand and share its address."
        )


def make(name: str, options: Mapping[str, str], secret: str) -> ZoomBridge:
    return ZoomBridge(
        name,
        options.get("account_id", ""),
        options.get("client_id", ""),
        secret.strip(),
        api_url=options.get("api_url", ""),
        oauth_url=options.get("oauth_url", ""),
    )
