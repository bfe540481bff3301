"""The team's trackers (Jira, GitHub Issues, Linear, Asana), where action items are pushed: events in the
`settings:trackers` stream, shared through the store like the update destinations. The secret (an API
token) is never in an event: each console keeps it in its own OS keyring under `secret_name`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commander.domain.errors import DomainError
from commander.domain.events import Event, EventDraft

STREAM = "settings:trackers"


@dataclass(frozen=True)
class TrackerKind:
    """A kind of tracker: what its secret is and which settings (not secret) it needs."""

    key: str
    label: str
    secret: str                          # what goes in the keyring, in words for the prompt
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()


KINDS: dict[str, TrackerKind] = {k.key: k for k in (
    TrackerKind("jira", "Jira Cloud (REST API v3)", "an API token (id.atlassian.com > Security > API tokens)",
                ("site", "email", "project"), ("issuetype", "labels")),
    TrackerKind("github", "GitHub Issues", "a token that may write issues in the repository",
                ("repo",), ("labels", "api_url")),
    TrackerKind("linear", "Linear (GraphQL API)", "a personal API key", ("team",), ("api_url",)),
    TrackerKind("asana", "Asana", "a personal access token", ("workspace",), ("project", "api_url")),
)}
_NAME = re.compile(r"^\w[\w .#@~-]{0,59}$")
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")


@dataclass(frozen=True)
class TrackerConfig:
    name: str
    kind: str
    options: dict[str, str]

    @property
    def secret_name(self) -> str:
        return f"tracker:{self.name}"


def fold_trackers(events: list[Event]) -> dict[str, TrackerConfig]:
    found: dict[str, TrackerConfig] = {}
    for event in sorted(events, key=lambda e: e.order):
        p: Any = event.payload
        if event.kind == "tracker.added":
            found[p["name"]] = TrackerConfig(p["name"], p["kind"], dict(p["options"]))
        elif event.kind == "tracker.removed":
            found.pop(p["name"], None)
    return found


def add_tracker(existing: dict[str, TrackerConfig], kind: str, name: str,
                options: dict[str, str]) -> list[EventDraft]:
    kind = kind.strip().lower()
    found = KINDS.get(kind)
    if found is None:
        raise DomainError(f"Unknown tracker kind '{kind}'. Use one of: {', '.join(KINDS)}.")
    options = {key.strip(): value.strip() for key, value in options.items()}
    missing = [option for option in found.required if not options.get(option)]
    if missing:
        raise DomainError(f"A {kind} tracker needs {' and '.join(missing)} (on the command line: "
                          + " ".join(f"--option {m}=…" for m in missing) + ").")
    unknown = sorted(set(options) - set(found.required) - set(found.optional))
    if unknown:
        raise DomainError(f"A {kind} tracker has no setting {', '.join(unknown)}. "
                          f"Its settings: {', '.join(found.required + found.optional)}.")
    for option in ("site", "api_url"):
        if option in options and not options[option].startswith(("https://", "http://")):
            raise DomainError(f"{option} must be a web address starting with https:// (got '{options[option]}').")
    if kind == "github" and not _REPO.match(options["repo"]):
        raise DomainError(f"repo must be owner/name, as in github.com/owner/name (got '{options['repo']}').")
    name = name.strip()
    if not _NAME.match(name):
        raise DomainError(f"'{name}' cannot be a tracker's name: use up to 60 letters, digits, spaces, "
                          f"# @ ~ . - or _, starting with a letter or digit.")
    if name in existing:
        raise DomainError(f"There is already a tracker called {name}. Remove it first to replace it.")
    return [EventDraft(STREAM, "tracker.added", {"name": name, "kind": kind, "options": options})]


def remove_tracker(existing: dict[str, TrackerConfig], name: str) -> list[EventDraft]:
    if name not in existing:
        raise DomainError(f"No tracker called {name}. `commander tracker list` shows them.")
    return [EventDraft(STREAM, "tracker.removed", {"name": name})]
