"""Reading workflow rules: the issue's example as written, and refusals that name the rule, the action's
position and the field."""

from __future__ import annotations

from typing import Any

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy
from commander.domain.workflows.rules import (
    ACTIONS_MAX,
    RULES_MAX,
    Trigger,
    load_yaml,
    read_rules,
    rule_from_dict,
    rule_to_dict,
)

EXAMPLE = """\
- name: sev1-war-room
  when: {event: incident.declared, severity_at_least: SEV2}
  do:
    - {action: create-channel, via: team-slack, name: "inc-{{ incident.reference | lower }}-{{ incident.title | slug }}"}
    - {action: invite, via: team-slack, who: [oncall:payments-primary, role:incident_commander]}
    - {action: start-bridge, via: jitsi}
    - {action: post, via: team-slack, text: "Bridge: {{ bridge.url }}. IC: {{ roles.incident_commander }}"}
    - {action: start-timer, label: "Check customer impact", minutes: 15}
- name: page-from-critical-alerts
  when: {event: alert.firing, labels: {severity: critical}}
  do:
    - {action: declare, severity: SEV2, title: "{{ alert.labels.alertname }} on {{ alert.labels.service }}"}
    - {action: attach-runbook, by: alertname}
"""  # noqa: E501 (the issue's example, as written)


def _rule(policy: Policy, when: dict[str, Any] | None = None, *steps: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "r",
        "when": when or {"event": "incident.declared"},
        "do": list(steps) or [{"action": "start-bridge", "via": "jitsi"}],
    }


def _refused(policy: Policy, data: Any, *fragments: str) -> None:
    with pytest.raises(DomainError) as refusal:
        rule_from_dict(data, policy, position=1)
    for fragment in fragments:
        assert fragment in str(refusal.value), (fragment, str(refusal.value))


def test_the_issues_example_imports_as_written_and_round_trips(policy: Policy) -> None:
    war_room, paging = read_rules(load_yaml(EXAMPLE), policy)
    assert war_room.name == "sev1-war-room"
    assert war_room.when == Trigger("incident.declared", severity_at_least="SEV2")
    assert [a.kind for a in war_room.actions] == ["create-channel", "invite", "start-bridge", "post", "start-timer"]
    assert war_room.actions[1].fields["who"] == ("oncall:payments-primary", "role:incident_commander")
    assert war_room.actions[4].fields == {"label": "Check customer impact", "minutes": 15}
    assert paging.when == Trigger("alert.firing", labels=(("severity", "critical"),))
    assert paging.actions[0].fields["severity"] == "SEV2" and paging.actions[1].fields == {"by": "alertname"}
    for rule in (war_room, paging):
        assert rule_from_dict(rule_to_dict(rule), policy) == rule


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            {"event": "severity.raised", "severity_at_least": "sev1"},
            Trigger("severity.raised", severity_at_least="SEV1"),
        ),
        ({"event": "status.changed", "to": "mitigated"}, Trigger("status.changed", to="mitigated")),
        (
            {"event": "role.unfilled", "role": "communications_lead", "minutes": 10},
            Trigger("role.unfilled", role="communications_lead", minutes=10),
        ),
        ({"event": "timer", "minutes": 30, "drill": False}, Trigger("timer", minutes=30, drill=False)),
        (
            {"event": "incident.declared", "services": ["checkout"], "labels": {"team": "payments"}},
            Trigger("incident.declared", services=("checkout",), labels=(("team", "payments"),)),
        ),
    ],
)
def test_each_trigger_reads_with_its_own_fields(policy: Policy, when: dict[str, Any], expected: Trigger) -> None:
    assert rule_from_dict(_rule(policy, when), policy).when == expected


@pytest.mark.parametrize(
    ("when", "fragments"),
    [
        ({"event": "incident.opened"}, ("Rule 'r', when", "'event' should be one of incident.declared")),
        ({"event": "severity.raised"}, ("(severity.raised)", "'severity_at_least' is missing")),
        ({"event": "status.changed", "to": "fixed"}, ("'to' should be one of investigating",)),
        (
            {"event": "role.unfilled", "role": "boss", "minutes": 5},
            ("'role' names the role 'boss'", "Roles: incident_commander"),
        ),
        ({"event": "timer", "minutes": "15"}, ("'minutes' should be a whole number from 1 to 10080",)),
        ({"event": "alert.firing", "labels": {"a": "b"}, "drill": True}, ("'drill' is not a field here",)),
        ({"event": "incident.declared", "severity_at_least": "SEV9"}, ("not a severity of the policy", "SEV1, SEV2")),
        ({"event": "incident.declared", "drill": "yes please"}, ("'drill' should be true or false",)),
    ],
)
def test_a_wrong_trigger_is_refused_saying_where_and_what(
    policy: Policy, when: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    _refused(policy, _rule(policy, when), *fragments)


@pytest.mark.parametrize(
    ("step", "fragments"),
    [
        ({"action": "open-door"}, ("action 1:", "'action' should be one of declare, create-channel")),
        (
            {"action": "start-timer", "label": "x", "minutes": 0},
            ("action 1 (start-timer)", "'minutes' should be a whole number from 1 to 1440"),
        ),
        ({"action": "start-timer", "label": "x", "minutes": 1441}, ("'minutes'", "1 to 1440")),
        ({"action": "start-timer", "minutes": 5}, ("action 1 (start-timer): 'label' is missing",)),
        ({"action": "post", "text": "hi"}, ("action 1 (post): 'via' is missing",)),
        (
            {"action": "post", "via": "team-slack", "text": "{{ oops"},
            ("action 1 (post): 'text' is not a usable template", "line 1"),
        ),
        ({"action": "invite", "via": "s", "who": ["pager:x"]}, ("'who' entry 'pager:x' is not oncall:<schedule>",)),
        ({"action": "invite", "via": "s", "who": ["role:boss"]}, ("'who' names the role 'boss'",)),
        ({"action": "invite", "via": "s", "who": "Alex"}, ("'who' should be a list",)),
        ({"action": "create-channel", "via": ["a"], "name": "x"}, ("'via' should be text, found ['a']",)),
        (
            {"action": "start-bridge", "via": "jitsi", "room": "x"},
            ("'room' is not a field here", "Fields: action, via"),
        ),
        ({"action": "attach-runbook"}, ("give either 'by'",)),
        ({"action": "attach-runbook", "by": "colour"}, ("'by' should be alertname or service",)),
        ({"action": "assign-role", "role": "scribe", "who": "x" * 81}, ("81 characters long; the limit is 80",)),
        (
            {"action": "declare", "severity": "SEV2", "title": "x"},
            ("action 1 (declare): only an alert.firing rule can declare",),
        ),
    ],
)
def test_a_wrong_action_is_refused_naming_the_rule_position_and_field(
    policy: Policy, step: dict[str, Any], fragments: tuple[str, ...]
) -> None:
    ok = {"action": "start-bridge", "via": "jitsi"}
    data = _rule(policy, None, ok, step)
    shifted = tuple(f.replace("action 1", "action 2") for f in fragments)
    _refused(policy, data, "Rule 'r'", *shifted)


def test_an_alert_rule_starts_with_one_declare_whose_severity_the_policy_knows(policy: Policy) -> None:
    alert = {"event": "alert.firing", "labels": {"severity": "critical"}}
    _refused(policy, _rule(policy, alert, {"action": "attach-runbook", "by": "alertname"}), "starts with one declare")
    _refused(
        policy,
        _rule(policy, alert, {"action": "declare", "severity": "P1", "title": "x"}),
        "'severity' 'P1' is not a severity",
    )


def test_names_sizes_and_the_file_itself_are_bounded(policy: Policy) -> None:
    _refused(policy, {**_rule(policy), "name": "a b"}, "Rule 1: 'name' should be up to 80 letters")
    _refused(policy, {**_rule(policy), "owner": "x"}, "'owner' is not a field here")
    _refused(
        policy,
        {**_rule(policy), "do": [{"action": "start-bridge", "via": "j"}] * (ACTIONS_MAX + 1)},
        "21 actions; the limit is 20",
    )
    _refused(policy, "just text", "Rule 1: expected fields (name, when, do)")
    _refused(policy, {"name": "lonely", "do": []}, "Rule 'lonely': 'when' is missing")
    with pytest.raises(DomainError, match="51 rules; the limit is 50"):
        read_rules([{**_rule(policy), "name": f"r{i}"} for i in range(RULES_MAX + 1)], policy)
    with pytest.raises(DomainError, match="two rules named 'R'"):
        read_rules([_rule(policy), {**_rule(policy), "name": "R"}], policy)
    with pytest.raises(DomainError, match="should be a list of rules"):
        read_rules({"name": "r"}, policy)
    with pytest.raises(DomainError, match=r"not valid YAML \(line 3, column 1"):
        load_yaml("- name: r\n  when: {event: [\n")
    with pytest.raises(DomainError, match="nests too deeply"):
        load_yaml("[" * 5000 + "]" * 5000)
    with pytest.raises(DomainError, match="the limit is 262,144"):
        load_yaml("#" * 300_000)
