"""The team's meeting bridges, as events in the `settings:bridges` stream, shared like the update
destinations. A bridge's secret (Zoom's client secret; Google's client secret and refresh token) is never in
an event: each console keeps it in its own OS keyring under `secret_name`. Jitsi and a fixed bridge have
none.

Kinds:
- `jitsi`: a room on the team's Jitsi Meet (`base_url`, e.g. https://meet.jit.si), named unguessably.
- `zoom`: a Zoom meeting through a Server-to-Server OAuth app (`account_id`, `client_id`; the secret is the
  client secret).
- `meet`: a Google Meet space through the Meet REST API (`client_id`; the secret is the OAuth client secret
  and a refresh token, separated by a space).
- `fixed`: the same standing bridge every time (`url`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from commander.domain.core.connections import Connection, Family, Kind
from commander.domain.core.errors import DomainError

STREAM = "settings:bridges"
ADDRESSES = ("url", "base_url", "api_url", "oauth_url", "token_url")
_ZOOM_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # the App Credentials page's Account ID and Client ID
_GOOGLE_CLIENT = re.compile(r"^[A-Za-z0-9._-]{1,200}$")  # "1234-abc.apps.googleusercontent.com"


def web_address(option: str, value: str) -> None:
    """A whole http(s) address with a host and no query or fragment."""
    problem = f"{option} '{value}' is not a web address: give the whole address, e.g. https://meet.example.org."
    if any(c.isspace() for c in value):
        raise DomainError(problem)
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (reading it checks it: a port that is not a number raises ValueError)
    except ValueError as error:
        raise DomainError(problem) from error
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.fragment or parts.query:
        raise DomainError(problem)


def _addresses(options: Mapping[str, str]) -> None:
    for option in ADDRESSES:
        if options.get(option):
            web_address(option, options[option])


def _check_zoom(options: Mapping[str, str]) -> None:
    _addresses(options)
    for option in ("account_id", "client_id"):
        if not _ZOOM_ID.match(options.get(option, "")):
            raise DomainError(
                f"{option} '{options.get(option, '')}' is not a Zoom {option.replace('_', ' ')}: copy it from "
                f"the Server-to-Server OAuth app's App Credentials page (letters, digits, - and _)."
            )


def _check_meet(options: Mapping[str, str]) -> None:
    _addresses(options)
    if not _GOOGLE_CLIENT.match(options.get("client_id", "")):
        raise DomainError(
            f"client_id '{options.get('client_id', '')}' is not a Google OAuth client id: copy it from the "
            f"Google Cloud console (Credentials, OAuth 2.0 Client IDs; it ends in .apps.googleusercontent.com)."
        )


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind("jitsi", "Jitsi Meet (a new unguessable room)", "", ("base_url",), check=_addresses),
        Kind(
            "zoom",
            "Zoom (Server-to-Server OAuth app)",
            "the app's client secret",
            ("account_id", "client_id"),
            ("api_url", "oauth_url"),
            check=_check_zoom,
        ),
        Kind(
            "meet",
            "Google Meet (Meet REST API)",
            "the OAuth client secret and a refresh token, separated by a space",
            ("client_id",),
            ("api_url", "token_url"),
            check=_check_meet,
        ),
        Kind("fixed", "A standing bridge (the same address every time)", "", ("url",), check=_addresses),
    )
}


def needs_secret(kind: str) -> bool:
    found = KINDS.get(kind)
    return bool(found and found.secret)


def check_meet_secret(secret: str) -> tuple[str, str]:
    """The client secret and the refresh token, from "CLIENT_SECRET REFRESH_TOKEN"."""
    parts = secret.split()
    if len(parts) != 2:
        raise DomainError(
            "A Google Meet bridge's secret is two things separated by a space: the OAuth client secret, then "
            f"a refresh token (got {len(parts)} part{'s' if len(parts) != 1 else ''})."
        )
    return parts[0], parts[1]


FAMILY = Family("bridge", STREAM, KINDS, "commander bridge list")
BridgeConfig = Connection
