"""The team's trackers (Jira, GitHub Issues, Linear, Asana), where action items are pushed: events in the
`settings:trackers` stream, shared through the store like the update destinations. The secret (an API
token) is never in an event: each console keeps it in its own OS keyring under `secret_name`."""

from __future__ import annotations

import re

from commander.domain.core.connections import Connection, Family
from commander.domain.core.connections import Kind as TrackerKind
from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft

STREAM = "settings:trackers"


KINDS: dict[str, TrackerKind] = {
    k.key: k
    for k in (
        TrackerKind(
            "jira",
            "Jira Cloud (REST API v3)",
            "an API token (id.atlassian.com > Security > API tokens)",
            ("site", "email", "project"),
            ("issuetype", "labels"),
        ),
        TrackerKind(
            "github",
            "GitHub Issues",
            "a token that may write issues in the repository",
            ("repo",),
            ("labels", "api_url"),
        ),
        TrackerKind("linear", "Linear (GraphQL API)", "a personal API key", ("team",), ("api_url",)),
        TrackerKind("asana", "Asana", "a personal access token", ("workspace",), ("project", "api_url")),
    )
}
_REPO = re.compile(r"^[\w.-]+/[\w.-]+$")
FAMILY = Family("tracker", STREAM, KINDS, "commander tracker list")
TrackerConfig = Connection


def fold_trackers(events: list[Event]) -> dict[str, TrackerConfig]:
    return FAMILY.fold(events)


def add_tracker(existing: dict[str, TrackerConfig], kind: str, name: str, options: dict[str, str]) -> list[EventDraft]:
    drafts = FAMILY.add(existing, kind, name, options)
    repo = drafts[0].payload["options"].get("repo", "")
    if drafts[0].payload["kind"] == "github" and not _REPO.match(repo):
        raise DomainError(f"repo must be owner/name, as in github.com/owner/name (got '{repo}').")
    return drafts


def remove_tracker(existing: dict[str, TrackerConfig], name: str) -> list[EventDraft]:
    return FAMILY.remove(existing, name)
