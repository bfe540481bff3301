"""Which rules fire for what happened (each trigger, each condition), the dry run's filled-in templates,
and action ids that every console computes alike."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from commander.domain.core.policy import Policy
from commander.domain.incident import decisions
from commander.domain.incident.state import AttachedAlert, IncidentState
from commander.domain.workflows.kinds import SavedRule
from commander.domain.workflows.matching import (
    BRIDGE_IN_DRY_RUN,
    Happened,
    action_id,
    firing,
    plan,
    variables,
)
from commander.domain.workflows.rendering import slug
from commander.domain.workflows.rules import load_yaml, read_rules
from tests.domain.workflows.test_rules import EXAMPLE
from tests.helpers.replica import Replica

BRIDGE = {"action": "start-bridge", "via": "jitsi"}


def _saved(policy: Policy, when: dict[str, Any], *steps: dict[str, Any], version: int = 1) -> SavedRule:
    [rule] = read_rules([{"name": "r", "when": when, "do": list(steps) or [BRIDGE]}], policy)
    return SavedRule(rule, version)


def _fires(policy: Policy, when: dict[str, Any], happened: Happened, state: IncidentState | None) -> bool:
    return bool(firing([_saved(policy, when)], happened, state, policy))


@pytest.fixture
def state(declared: Replica) -> IncidentState:
    """A SEV2 incident on checkout, Alex its commander."""
    declared.act(lambda s: decisions.edit_details(s, services=["checkout"]))
    return declared.state()


def test_incident_declared_with_a_severity_threshold(policy: Policy, state: IncidentState) -> None:
    declared = Happened("incident.declared", "event-1")
    assert _fires(policy, {"event": "incident.declared", "severity_at_least": "SEV2"}, declared, state)
    assert _fires(policy, {"event": "incident.declared", "severity_at_least": "SEV3"}, declared, state)
    assert not _fires(policy, {"event": "incident.declared", "severity_at_least": "SEV1"}, declared, state)
    assert not _fires(policy, {"event": "incident.declared"}, Happened("timer", "t", minutes=99), state)
    assert not _fires(policy, {"event": "incident.declared"}, declared, None)


def test_severity_raised_fires_only_when_it_crosses_the_threshold(policy: Policy, state: IncidentState) -> None:
    when = {"event": "severity.raised", "severity_at_least": "SEV2"}
    assert _fires(policy, when, Happened("severity.raised", "e", previous_severity="SEV3"), state)
    assert not _fires(policy, when, Happened("severity.raised", "e", previous_severity="SEV1"), state)
    assert not _fires(
        policy, {**when, "severity_at_least": "SEV1"}, Happened("severity.raised", "e", previous_severity="SEV3"), state
    )


def test_status_changed_to_a_status(policy: Policy, state: IncidentState) -> None:
    when = {"event": "status.changed", "to": "mitigated"}
    assert _fires(policy, when, Happened("status.changed", "e", status="mitigated"), state)
    assert not _fires(policy, when, Happened("status.changed", "e", status="resolved"), state)


def test_role_unfilled_for_long_enough_and_still_unfilled(policy: Policy, state: IncidentState) -> None:
    when = {"event": "role.unfilled", "role": "communications_lead", "minutes": 10}
    assert _fires(policy, when, Happened("role.unfilled", "e", role="communications_lead", minutes=10), state)
    assert not _fires(policy, when, Happened("role.unfilled", "e", role="communications_lead", minutes=9), state)
    assert not _fires(policy, when, Happened("role.unfilled", "e", role="scribe", minutes=30), state)
    filled = {**when, "role": "incident_commander"}
    assert not _fires(policy, filled, Happened("role.unfilled", "e", role="incident_commander", minutes=30), state)


def test_alert_firing_matches_labels_exactly_without_an_incident(policy: Policy) -> None:
    when = {"event": "alert.firing", "labels": {"severity": "critical", "team": "payments"}}
    declare = {"action": "declare", "severity": "SEV2", "title": "{{ alert.labels.alertname }}"}
    rule = _saved(policy, when, declare)
    critical = {"severity": "critical", "team": "payments", "alertname": "HighErrorRate"}
    assert firing([rule], Happened("alert.firing", "fp1", labels=critical), None, policy) == [rule]
    assert not firing(
        [rule], Happened("alert.firing", "fp1", labels={**critical, "severity": "Critical"}), None, policy
    )
    assert not firing([rule], Happened("alert.firing", "fp1", labels={"severity": "critical"}), None, policy)


def test_timer_minutes_after_the_declaration(policy: Policy, state: IncidentState) -> None:
    assert _fires(policy, {"event": "timer", "minutes": 30}, Happened("timer", "t", minutes=31), state)
    assert not _fires(policy, {"event": "timer", "minutes": 30}, Happened("timer", "t", minutes=29), state)


def test_conditions_services_labels_and_drill(policy: Policy, state: IncidentState) -> None:
    declared = Happened("incident.declared", "e")
    base = {"event": "incident.declared"}
    assert _fires(policy, {**base, "services": ["search", "Checkout"]}, declared, state)
    assert not _fires(policy, {**base, "services": ["search"]}, declared, state)
    assert _fires(policy, {**base, "drill": False}, declared, state)
    assert not _fires(policy, {**base, "drill": True}, declared, state)
    assert not _fires(policy, {**base, "labels": {"team": "payments"}}, declared, state)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    state.alerts["am/fp"] = AttachedAlert("am", "fp", "HighErrorRate", {"team": "payments", "env": "prod"}, at)
    assert _fires(policy, {**base, "labels": {"team": "payments"}}, declared, state)


def test_the_dry_run_fills_in_the_examples_templates(policy: Policy, state: IncidentState) -> None:
    war_room, paging = (SavedRule(rule, 3) for rule in read_rules(load_yaml(EXAMPLE), policy))
    planned = plan(war_room, "declared-event", variables(state, policy))
    channel = f"inc-{state.reference.lower()}-checkout-api-returning-502s"
    assert planned[0].fields == {"via": "team-slack", "name": channel}
    assert planned[3].fields["text"] == f"Bridge: {BRIDGE_IN_DRY_RUN}. IC: Alex"
    assert planned[4].fields == {"label": "Check customer impact", "minutes": 15}
    assert [p.position for p in planned] == [1, 2, 3, 4, 5] and not any(p.problem for p in planned)
    labels = {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"}
    declare = plan(paging, "fp", variables(state, policy, labels=labels))[0]
    assert declare.fields["title"] == "HighErrorRate on checkout"
    missing = plan(paging, "fp", variables(state, policy))[0]
    assert "'title': line 1: there is no variable 'alertname'" in missing.problem
    assert missing.fields["title"] == paging.rule.actions[0].fields["title"]


def test_action_ids_are_stable_and_change_with_each_part(policy: Policy, state: IncidentState) -> None:
    rule = _saved(policy, {"event": "incident.declared"}, BRIDGE, BRIDGE, version=2)
    first = [p.id for p in plan(rule, "event-1", variables(state, policy))]
    assert first == [p.id for p in plan(rule, "event-1", variables(state, policy))]
    assert first == [action_id("r", 2, "event-1", 1), action_id("r", 2, "event-1", 2)]
    assert first[0] == "58e39fd0-6b49-5e69-b510-bd4c20c2ef47"  # pinned: a new version of Commander computes the same
    others = {action_id("r", 3, "event-1", 1), action_id("r", 2, "event-2", 1), action_id("s", 2, "event-1", 1)}
    assert len(others | {first[0]}) == 4


def test_slug_makes_a_channel_name(policy: Policy) -> None:
    assert slug("  Checkout API: 502s!! ") == "checkout-api-502s"
    assert slug("Ünïcode & déjà vu") == "n-code-d-j-vu"
    assert len(slug("word " * 40)) <= 60 and not slug("word " * 40).endswith("-")
    assert slug("---") == ""
