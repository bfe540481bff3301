"""The workflow rules' events, in the `settings:workflows` stream (shared through the store like the team's
update templates): `workflow.saved` carries a rule as plain data with its version, `workflow.removed` its
name. Settings: not folded into an incident, not on its timeline.

The rules in use are the fold of that stream. Rows from the shared store are untrusted: a saved rule that
does not read as a rule (written by hand, by a newer console, or against another policy) is skipped,
never raised on, and the other rules stay in use.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft, well_formed
from commander.domain.core.kinds import NOT_FOLDED, NOT_SHOWN, EventKind, register
from commander.domain.core.policy import Policy
from commander.domain.core.schema import a_line, a_name, json_value, record, whole
from commander.domain.workflows.rules import Rule, rule_from_dict, rule_to_dict

STREAM = "settings:workflows"
VERSION_MAX = 1_000_000_000

KINDS = register(
    EventKind(
        "workflow.saved",
        record({"name": a_name, "version": whole(1, VERSION_MAX), "rule": json_value(depth=8, size=200_000)}),
        NOT_FOLDED,
        NOT_SHOWN,
    ),
    EventKind("workflow.removed", record({"name": a_line}), NOT_FOLDED, NOT_SHOWN),
)


@dataclass(frozen=True)
class SavedRule:
    """A rule in use and its version: each save of a name counts one up, so an action's id (which the
    version is part of) changes when the rule does."""

    rule: Rule
    version: int


def fold_rules(events: Iterable[Event], policy: Policy) -> dict[str, SavedRule]:
    """The rules now, by name: the last save of a name wins, a removal drops it; a save that does not
    read as a rule leaves the name as it was."""
    found: dict[str, SavedRule] = {}
    for event in sorted(filter(well_formed, events), key=lambda e: e.order):
        name = str(event.payload["name"]).casefold()
        if event.kind == "workflow.removed":
            found.pop(name, None)
        elif event.kind == "workflow.saved":
            try:
                rule = rule_from_dict(event.payload["rule"], policy)
            except (DomainError, RecursionError):
                continue
            if rule.name.casefold() == name:
                found[name] = SavedRule(rule, event.payload["version"])
    return dict(sorted(found.items()))


def versions_used(events: Iterable[Event]) -> dict[str, int]:
    """The highest version ever saved under each name, removed rules included: a rule saved again after a
    removal goes on counting, so its actions never take the ids of the removed rule's."""
    used: dict[str, int] = {}
    for event in filter(well_formed, events):
        if event.kind == "workflow.saved":
            name = str(event.payload["name"]).casefold()
            used[name] = max(used.get(name, 0), event.payload["version"])
    return used


def save_rules(
    existing: Mapping[str, SavedRule], rules: Sequence[Rule], used: Mapping[str, int] | None = None
) -> list[EventDraft]:
    """A `workflow.saved` for each rule that is new or differs from the one in use, its version one above
    any this name had (`used`: see `versions_used`)."""
    drafts = []
    for rule in rules:
        current = existing.get(rule.name.casefold())
        if current is not None and rule_to_dict(current.rule) == rule_to_dict(rule):
            continue
        before = (used or {}).get(rule.name.casefold(), 0)
        version = max(before, current.version if current is not None else 0) + 1
        drafts.append(
            EventDraft(
                STREAM,
                "workflow.saved",
                {"name": rule.name, "version": min(version, VERSION_MAX), "rule": rule_to_dict(rule)},
            )
        )
    return drafts


def find(existing: Mapping[str, SavedRule], name: str) -> SavedRule:
    found = existing.get(name.strip().casefold())
    if found is None:
        listed = ", ".join(saved.rule.name for saved in existing.values()) or "none yet"
        raise DomainError(f"No workflow rule '{name.strip()}'. Rules: {listed}.")
    return found


def remove_rule(existing: Mapping[str, SavedRule], name: str) -> list[EventDraft]:
    return [EventDraft(STREAM, "workflow.removed", {"name": find(existing, name).rule.name})]
