"""The team's chat connections, as events in the `settings:chat` stream, shared like the update
destinations: a workspace an incident gets its own channel in, and whose channels Commander hears. A
connection's secret is never in an event: each console keeps it in its own OS keyring under `secret_name`.

Kinds:
- `slack`: a Slack app's bot token (xoxb-…) and, to hear the channel through Socket Mode, its app-level token
  (xapp-…), separated by a space. `workspace_url` (https://team.slack.com) makes links to channels;
  `pin_reaction` (e.g. pushpin) makes a message marked with that reaction a pinned timeline entry.
- `mattermost`: a bot's access token; `url` is the server, `team` the team channels are made in.
- `matrix`: an access token; `homeserver` is the server (https://matrix.example.org).

Each takes `declare_channel`: the channel (its id) where "@commander declare SEV2 checkout 502s" declares an
incident.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from commander.domain.core.connections import Connection, Family, Kind
from commander.domain.core.errors import DomainError

STREAM = "settings:chat"
SERVICES = ("slack", "mattermost", "matrix")
_CHANNEL = re.compile(r"^[^\s]{1,200}$")  # Slack C0123ABC, a Mattermost id, a Matrix !room:server
_REACTION = re.compile(r"^[a-z0-9_+'-]{1,100}$")  # Slack's reaction names ("pushpin", "white_check_mark")
_TEAM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # a Mattermost team's name as its URL shows it


def _web_address(option: str, value: str) -> None:
    if not re.match(r"^https?://[^\s/?#]+(/[^\s?#]*)?$", value):
        raise DomainError(
            f"{option} '{value}' is not a web address: give the whole address, e.g. https://team.slack.com."
        )


def _common(options: Mapping[str, str]) -> None:
    for option in ("url", "api_url", "homeserver", "workspace_url"):
        if options.get(option):
            _web_address(option, options[option])
    channel = options.get("declare_channel", "")
    if channel and not _CHANNEL.match(channel):
        raise DomainError(
            f"declare_channel '{channel}' is not a channel id: give the channel's id (Slack: C0123ABC, from the "
            f"channel's details; Matrix: !room:server), without spaces."
        )


def _check_slack(options: Mapping[str, str]) -> None:
    _common(options)
    reaction = options.get("pin_reaction", "").strip(":")
    if reaction and not _REACTION.match(reaction):
        raise DomainError(
            f"pin_reaction '{options['pin_reaction']}' is not a Slack reaction's name: give it as Slack spells "
            f"it, without colons (e.g. pushpin)."
        )


def _check_mattermost(options: Mapping[str, str]) -> None:
    _common(options)
    if not _TEAM.match(options.get("team", "")):
        raise DomainError(
            f"team '{options.get('team', '')}' is not a Mattermost team's name: give it as the team's address "
            f"shows it (https://chat.example.org/TEAM), in lower case."
        )


KINDS: dict[str, Kind] = {
    k.key: k
    for k in (
        Kind(
            "slack",
            "Slack (a Slack app: Web API, Socket Mode to hear the channel)",
            "a bot token xoxb-… and, to hear the channel, an app-level token xapp-…, separated by a space",
            (),
            ("api_url", "workspace_url", "declare_channel", "pin_reaction"),
            check=_check_slack,
        ),
        Kind(
            "mattermost",
            "Mattermost (a bot account: REST API v4, WebSocket to hear the channel)",
            "a bot access token",
            ("url", "team"),
            ("declare_channel",),
            check=_check_mattermost,
        ),
        Kind(
            "matrix",
            "Matrix (a bot user: Client-Server API, /sync to hear the room)",
            "an access token",
            ("homeserver",),
            ("declare_channel",),
            check=_common,
        ),
    )
}


def check_slack_secret(secret: str) -> tuple[str, str]:
    """The bot token and the app-level token ("" when not given), from "xoxb-… xapp-…"."""
    parts = secret.split()
    if not parts or len(parts) > 2 or not parts[0].startswith("xoxb-"):
        raise DomainError(
            "A Slack connection's secret is the app's bot token (xoxb-…, from OAuth & Permissions) and, to hear "
            "the channel, its app-level token (xapp-…, from Basic Information), separated by a space."
        )
    if len(parts) == 2 and not parts[1].startswith("xapp-"):
        raise DomainError(
            "The second part of a Slack connection's secret is the app-level token, which starts with xapp- "
            "(Basic Information, App-Level Tokens, with the connections:write scope)."
        )
    return parts[0], parts[1] if len(parts) == 2 else ""


FAMILY = Family("chat", STREAM, KINDS, "commander chat list")
ChatConfig = Connection
