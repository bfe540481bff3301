"""The editor's plain helpers: a trigger in words, a refusal's place, labels and lists typed as text, and
the things a rule names that the team lacks, one line each."""

from __future__ import annotations

from typing import Any

import pytest

from commander.app.console import Console
from commander.ui.workflows import fields


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ({"event": "incident.declared"}, "an incident is declared"),
        (
            {"event": "incident.declared", "severity_at_least": "SEV2", "drill": True},
            "an incident is declared, SEV2 or worse, drills only",
        ),
        ({"event": "severity.raised", "severity_at_least": "SEV1"}, "severity is raised to SEV1 or worse"),
        (
            {"event": "status.changed", "to": "mitigated", "services": ["checkout"]},
            "status changes to mitigated, on checkout",
        ),
        (
            {"event": "role.unfilled", "role": "incident_commander", "minutes": 5},
            "Incident Commander is unfilled for 5 min",
        ),
        (
            {"event": "alert.firing", "labels": {"severity": "critical", "team": "pay"}},
            "an alert fires with severity=critical, team=pay",
        ),
        ({"event": "timer", "minutes": 30}, "30 min after the declaration"),
    ],
)
def test_a_trigger_in_words(console: Console, when: dict[str, Any], said: str) -> None:
    assert fields.trigger_words(when, console.policy) == said


def test_a_refusal_names_its_action_field_or_the_trigger() -> None:
    assert fields.place_of("Rule 'a', action 4 (post): 'text' is not a usable template: x") == fields.Place(
        4, "text", False
    )
    assert fields.place_of("Rule 'a', when (timer): 'minutes' is missing.") == fields.Place(None, "minutes", True)
    assert fields.place_of("Rule 1: 'name' should be up to 80 letters") == fields.Place(None, "name", False)


def test_labels_and_lists_typed_as_text() -> None:
    assert fields.labels_from_text("severity=critical\n\n team : pay \n") == {"severity": "critical", "team": "pay"}
    assert fields.text_from_labels({"a": "1", "b": "2"}) == "a=1\nb=2"
    assert fields.list_from_text(" a, ,b ") == ["a", "b"]
    assert fields.text_from_list(["a", "b"]) == "a, b" and fields.text_from_list(None) == ""


def test_what_a_rule_lacks_is_one_line_per_thing_with_its_actions() -> None:
    said = [
        "Rule 'r', action 1 (create-channel): no chat connection 'team-slack' yet (`commander chat add`).",
        "Rule 'r', action 3 (start-bridge): no bridge 'jitsi' yet (`commander bridge add`).",
        "Rule 'r', action 4 (post): no chat connection 'team-slack' yet (`commander chat add`).",
        "something else entirely.",
    ]
    assert fields.missing_lines("r", said) == [
        "Actions 1, 4: no chat connection 'team-slack' yet (`commander chat add`).",
        "Action 3: no bridge 'jitsi' yet (`commander bridge add`).",
        "Something else entirely.",
    ]
