"""The team's update destinations, as events in the `settings:destinations` stream (shared through the
store like everything else). A destination's secret (webhook URL, token) is never in an event: each
console keeps it in its own OS keyring under `secret_name`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commander.domain.errors import DomainError
from commander.domain.events import Event, EventDraft

STREAM = "settings:destinations"


@dataclass(frozen=True)
class Kind:
    """A kind of destination: what its secret is and which settings (not secret) it needs."""

    key: str
    label: str
    secret: str                          # what goes in the keyring, in words for the prompt
    required: tuple[str, ...] = ()       # options it cannot work without
    optional: tuple[str, ...] = ()
    status_page: bool = False            # creates an incident there, then updates it


KINDS: dict[str, Kind] = {k.key: k for k in (
    Kind("slack", "Slack (incoming webhook)", "the webhook URL"),
    Kind("slack-api", "Slack (Web API, chat.postMessage)", "a bot token (xoxb-…)", ("channel",), ("api_url",)),
    Kind("teams", "Microsoft Teams (Workflows or connector webhook)", "the webhook URL", (), ("format",)),
    Kind("mattermost", "Mattermost (incoming webhook)", "the webhook URL", (), ("channel", "username")),
    Kind("discord", "Discord (webhook)", "the webhook URL", (), ("username",)),
    Kind("matrix", "Matrix (client-server API)", "an access token", ("homeserver", "room")),
    Kind("webhook", "JSON webhook, signed with HMAC-SHA256", "the signing key", ("url",)),
    Kind("statuspage", "Atlassian Statuspage", "an API key", ("page_id",), ("components", "api_url"), True),
    Kind("cachet", "Cachet status page", "an API token", ("url",), ("components",), True),
    Kind("instatus", "Instatus status page", "an API key", ("page_id",), ("components", "api_url"), True),
)}
_NAME = re.compile(r"^[#@~\w][\w .#@~-]{0,59}$")


@dataclass(frozen=True)
class DestinationConfig:
    name: str
    kind: str
    options: dict[str, str]

    @property
    def secret_name(self) -> str:
        return f"destination:{self.name}"


def fold_destinations(events: list[Event]) -> dict[str, DestinationConfig]:
    found: dict[str, DestinationConfig] = {}
    for event in sorted(events, key=lambda e: e.order):
        p: Any = event.payload
        if event.kind == "destination.added":
            found[p["name"]] = DestinationConfig(p["name"], p["kind"], dict(p["options"]))
        elif event.kind == "destination.removed":
            found.pop(p["name"], None)
    return found


def add_destination(existing: dict[str, DestinationConfig], kind: str, name: str,
                    options: dict[str, str]) -> list[EventDraft]:
    kind = kind.strip().lower()
    if kind not in KINDS:
        raise DomainError(f"Unknown destination kind '{kind}'. Use one of: {', '.join(KINDS)}.")
    missing = [option for option in KINDS[kind].required if not options.get(option, "").strip()]
    if missing:
        raise DomainError(f"A {kind} destination needs {' and '.join(missing)} (on the command line: "
                          + " ".join(f"--option {m}=…" for m in missing) + ").")
    unknown = sorted(set(options) - set(KINDS[kind].required) - set(KINDS[kind].optional))
    if unknown:
        known = KINDS[kind].required + KINDS[kind].optional
        raise DomainError(f"A {kind} destination has no setting {', '.join(unknown)}. "
                          + (f"Its settings: {', '.join(known)}." if known else "It takes no settings."))
    for option, value in options.items():
        if (option.endswith("url") or option == "homeserver") and not value.startswith(("https://", "http://")):
            raise DomainError(f"{option} must be a web address starting with https:// (got '{value}').")
    name = name.strip()
    if not _NAME.match(name):
        raise DomainError(f"'{name}' cannot be a destination's name: use up to 60 letters, digits, spaces, "
                          f"# @ ~ . - or _.")
    if name in existing:
        raise DomainError(f"There is already a destination called {name}. Remove it first to replace it.")
    return [EventDraft(STREAM, "destination.added", {"name": name, "kind": kind, "options": options})]


def remove_destination(existing: dict[str, DestinationConfig], name: str) -> list[EventDraft]:
    if name not in existing:
        raise DomainError(f"No destination called {name}. `commander destination list` shows them.")
    return [EventDraft(STREAM, "destination.removed", {"name": name})]
