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
KINDS = ("slack", "webhook")  # built so far; the rest of issue 4's list comes next
PLANNED = ("slack-api", "teams", "mattermost", "discord", "matrix", "statuspage", "cachet", "instatus")
_NAME = re.compile(r"^[#@\w][\w .#@-]{0,59}$")


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
    if kind in PLANNED:
        raise DomainError(f"Destinations of kind '{kind}' are not built yet. Available now: {', '.join(KINDS)}.")
    if kind not in KINDS:
        raise DomainError(f"Unknown destination kind '{kind}'. Use one of: {', '.join(KINDS + PLANNED)}.")
    name = name.strip()
    if not _NAME.match(name):
        raise DomainError(f"'{name}' cannot be a destination's name: use up to 60 letters, digits, spaces, "
                          f"# @ . - or _.")
    if name in existing:
        raise DomainError(f"There is already a destination called {name}. Remove it first to replace it.")
    return [EventDraft(STREAM, "destination.added", {"name": name, "kind": kind, "options": options})]


def remove_destination(existing: dict[str, DestinationConfig], name: str) -> list[EventDraft]:
    if name not in existing:
        raise DomainError(f"No destination called {name}. `commander destination list` shows them.")
    return [EventDraft(STREAM, "destination.removed", {"name": name})]
