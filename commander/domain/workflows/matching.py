"""Which rules fire for what just happened, and what a rule's actions would do: pure functions of the
incident's state, so every console and watcher that sees the same trigger decides the same.

An action's id is a stable hash of the rule's name and version, the trigger's id (the triggering event's
id, or the alert's fingerprint) and the action's position: two consoles seeing the same trigger compute
the same id, which is what a claim on the action will be made with.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from commander.domain.core.policy import Policy
from commander.domain.incident.state import IncidentState
from commander.domain.workflows import rendering
from commander.domain.workflows.kinds import SavedRule
from commander.domain.workflows.rules import Action, Rule, Trigger

# The namespace of action ids (a fixed UUID: changing it would change every id).
_ACTION_IDS = uuid.UUID("5b0f7f0e-3c1a-4f39-9d6e-8a1f2c7b4e10")
BRIDGE_IN_DRY_RUN = "(the bridge link, once started)"
NOBODY = "(nobody yet)"
# The fields of each action that are templates, filled in against the incident.
TEMPLATED = {"declare": ("title",), "create-channel": ("name",), "post": ("text",), "start-timer": ("label",)}


@dataclass(frozen=True)
class Happened:
    """Something a rule can fire on."""

    event: str  # one of rules.EVENTS
    id: str  # the triggering event's id, or the alert's fingerprint: part of each action's id
    labels: Mapping[str, str] = field(default_factory=dict)  # alert.firing: the alert's labels
    previous_severity: str = ""  # severity.raised: the severity before
    status: str = ""  # status.changed: the new status
    role: str = ""  # role.unfilled: the role's key
    minutes: int = 0  # role.unfilled: unfilled this long; timer: this long since the declaration


@dataclass(frozen=True)
class PlannedAction:
    """What one action would do: its id, its kind, its fields with the templates filled in, and the
    problem a template has for this incident (then that field keeps its template)."""

    id: str
    position: int  # from 1, as the rule lists it
    kind: str
    fields: Mapping[str, Any]
    problem: str = ""


def action_id(rule_name: str, version: int, trigger_id: str, position: int) -> str:
    return str(uuid.uuid5(_ACTION_IDS, json.dumps([rule_name, version, trigger_id, position])))


def firing(
    rules: Iterable[SavedRule], happened: Happened, state: IncidentState | None, policy: Policy
) -> list[SavedRule]:
    """The rules that fire for `happened`, in name order; `state` is the incident's (None for an alert
    that belongs to no incident yet)."""
    return [saved for saved in rules if _fires(saved.rule.when, happened, state, policy)]


def _fires(when: Trigger, happened: Happened, state: IncidentState | None, policy: Policy) -> bool:
    if when.event != happened.event:
        return False
    if when.event == "alert.firing":
        return all(happened.labels.get(key) == value for key, value in when.labels)
    if state is None:
        return False
    if when.event == "severity.raised" and _at_least(happened.previous_severity, when.severity_at_least, policy):
        return False  # it was already that severe: not raised to it now
    if when.event == "status.changed" and happened.status != when.to:
        return False
    if when.event == "role.unfilled":
        slot = state.roles.get(happened.role)
        if happened.role != when.role or happened.minutes < (when.minutes or 0) or (slot and slot.holder):
            return False
    if when.event == "timer" and happened.minutes < (when.minutes or 0):
        return False
    return _conditions_met(when, state, policy)


def _conditions_met(when: Trigger, state: IncidentState, policy: Policy) -> bool:
    if when.severity_at_least is not None and not _at_least(state.severity, when.severity_at_least, policy):
        return False
    if when.services and not {s.casefold() for s in when.services} & {s.casefold() for s in state.services}:
        return False
    if when.labels and not any(
        all(alert.labels.get(key) == value for key, value in when.labels) for alert in state.alerts.values()
    ):
        return False
    return when.drill is None or when.drill == state.drill


def _at_least(severity: str, threshold: str | None, policy: Policy) -> bool:
    """As severe as `threshold` or more (SEV1 is at least SEV2); an unknown severity is not."""
    found, least = policy.find_severity(severity), policy.find_severity(threshold or "")
    return found is not None and least is not None and found.rank <= least.rank


def variables(state: IncidentState, policy: Policy, *, labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    """What an action's templates see: the incident, its roles by key (the holder's name), the bridge, and
    for an alert rule the alert's labels. Plain strings, lists and dicts only."""
    roles = {role.key: NOBODY for role in policy.roles}
    roles.update({key: slot.holder or NOBODY for key, slot in state.roles.items()})
    return {
        "incident": {
            "reference": state.reference,
            "title": state.title,
            "severity": state.severity,
            "status": state.status.value,
            "services": list(state.services),
            "drill": state.drill,
        },
        "roles": roles,
        "bridge": {"url": BRIDGE_IN_DRY_RUN},
        "alert": {"labels": dict(labels or {})},
    }


def plan(saved: SavedRule, trigger_id: str, values: dict[str, Any]) -> list[PlannedAction]:
    """Each action of the rule as it would run for this trigger, its templates filled in with `values`."""
    return [
        _planned(saved.rule, saved.version, trigger_id, position, action, values)
        for position, action in enumerate(saved.rule.actions, start=1)
    ]


def _planned(
    rule: Rule, version: int, trigger_id: str, position: int, action: Action, values: dict[str, Any]
) -> PlannedAction:
    fields, problems = dict(action.fields), []
    for name in TEMPLATED.get(action.kind, ()):
        try:
            fields[name] = rendering.render(fields[name], values)
        except rendering.TemplateProblem as problem:
            problems.append(f"'{name}': {problem}")
    return PlannedAction(
        action_id(rule.name, version, trigger_id, position), position, action.kind, fields, "; ".join(problems)
    )
