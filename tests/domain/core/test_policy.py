"""The policy: the shipped one loads, and a mistake in a team's copy names the entry at fault."""

from __future__ import annotations

import copy
import tomllib
from typing import Any

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.policy import Policy, policy_from_mapping
from tests.helpers.replica import POLICY_FILE


@pytest.fixture
def data() -> dict[str, Any]:
    return tomllib.loads(POLICY_FILE.read_text(encoding="utf-8"))


def test_the_shipped_policy_loads(policy: Policy) -> None:
    assert [s.key for s in policy.severities] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert [s.rank for s in policy.severities] == [0, 1, 2, 3]
    assert policy.default_severity == "SEV3"
    assert policy.severity("SEV1").update_every_minutes == 15
    assert policy.severity("SEV4").update_every_minutes == 0
    assert all(s.colour.startswith("#") and len(s.colour) == 7 for s in policy.severities)
    assert [r.key for r in policy.roles] == [
        "incident_commander",
        "technical_lead",
        "communications_lead",
        "scribe",
        "subject_matter_expert",
    ]
    assert all(r.duty and r.checklist for r in policy.roles)


def test_severity_lookup_is_case_blind_and_unknown_lists_the_known(policy: Policy) -> None:
    assert policy.severity(" sev2 ").key == "SEV2"
    with pytest.raises(DomainError, match=r"Unknown severity 'SEV9'\. Use one of: SEV1, SEV2, SEV3, SEV4\."):
        policy.severity("SEV9")
    assert policy.find_severity("sev2") is None  # exact keys only: stored events carry exact keys


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("IC", "incident_commander"),
        ("ic", "incident_commander"),
        ("Incident Commander", "incident_commander"),
        ("technical-lead", "technical_lead"),
        ("TL", "technical_lead"),
        ("comms", "communications_lead"),
        ("CL", "communications_lead"),
        ("SME", "subject_matter_expert"),
        ("scribe", "scribe"),
        ("Customer Liaison", "customer_liaison"),  # unknown: passed on in key form for a custom role
    ],
)
def test_roles_by_key_name_or_alias(policy: Policy, typed: str, key: str) -> None:
    assert policy.role_key_for(typed) == key


def test_key_roles_follow_severity(policy: Policy) -> None:
    assert policy.is_key_role("incident_commander", "SEV4")
    assert policy.is_key_role("communications_lead", "SEV1")
    assert policy.is_key_role("communications_lead", "SEV2")
    assert not policy.is_key_role("communications_lead", "SEV3")
    assert not policy.is_key_role("scribe", "SEV1")
    assert not policy.is_key_role("nobody", "SEV1")


def _severity(data: dict[str, Any], key: str) -> dict[str, Any]:
    return next(entry for entry in data["severity"] if entry["key"] == key)


@pytest.mark.parametrize(
    ("breaks", "message"),
    [
        (
            lambda d: _severity(d, "SEV2").update({"colour": "orange"}),
            "Severity SEV2: colour 'orange' is not of the form #RRGGBB.",
        ),
        (
            lambda d: _severity(d, "SEV3").update({"acknowledge_minutes": -5}),
            "Policy entry SEV3: 'acknowledge_minutes' must be a whole number of minutes, 0 or more.",
        ),
        (
            lambda d: _severity(d, "SEV1").update({"update_every_minutes": "15"}),
            "Policy entry SEV1: 'update_every_minutes' must be a whole number",
        ),
        (lambda d: _severity(d, "SEV4").update({"name": "  "}), "Policy entry SEV4: 'name' must be a non-empty text."),
        (lambda d: _severity(d, "SEV1").pop("key"), "Policy entry severity: 'key' must be a non-empty text."),
        (lambda d: d["role"][1].pop("duty"), "Policy entry technical_lead: 'duty' must be a non-empty text."),
        (lambda d: d["role"][0].update({"key": 7}), "Policy entry role: 'key' must be a non-empty text."),
        (lambda d: d.update({"severity": {"key": "SEV1"}}), "The policy's [[severity]] entries are malformed."),
        (lambda d: d.update({"role": ["scribe"]}), "The policy's [[role]] entries are malformed."),
        (lambda d: d.update({"severity": []}), "The policy defines no severity levels."),
        (lambda d: d.update({"default_severity": "SEV7"}), "Unknown severity 'SEV7'"),
    ],
)
def test_a_malformed_entry_gets_a_message_naming_it(data: dict[str, Any], breaks: Any, message: str) -> None:
    broken = copy.deepcopy(data)
    breaks(broken)
    with pytest.raises(DomainError) as caught:
        policy_from_mapping(broken)
    assert message in str(caught.value)


def test_defaults_when_optional_fields_are_left_out() -> None:
    policy = policy_from_mapping(
        {
            "severity": [
                {"key": "p1", "name": "Page", "description": "Wake someone", "colour": "#D55E00"},
                {"key": "p2", "name": "Ticket", "description": "Next day", "colour": "#0072B2"},
            ]
        }
    )
    assert policy.default_severity == "P2"  # the least severe when none is named
    assert policy.severity("P1").page == ()
    assert policy.severity("P1").acknowledge_minutes == 0
    assert policy.roles == ()
