"""Workflow rules through the use cases: shared through the store, imported all or nothing, removed, and
planned in a dry run against a real incident."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from commander.app import workflows
from commander.app.console import Console
from commander.domain.core.errors import DomainError
from commander.domain.workflows.kinds import STREAM
from tests.domain.workflows.test_rules import EXAMPLE

BROKEN_SECOND = """\
- name: fine
  when: {event: incident.declared}
  do: [{action: start-bridge, via: jitsi}]
- name: broken
  when: {event: timer, minutes: 5}
  do: [{action: start-timer, label: "x", minutes: 5000}]
"""


def test_the_example_imports_once_and_every_console_sees_it(
    console: Console, open_console: Callable[..., Console]
) -> None:
    assert workflows.import_yaml(console, EXAMPLE) == ["sev1-war-room", "page-from-critical-alerts"]
    assert workflows.import_yaml(console, EXAMPLE) == []
    other = open_console()
    assert [saved.rule.name for saved in workflows.rules(other)] == ["page-from-critical-alerts", "sev1-war-room"]
    assert workflows.rule(other, "SEV1-WAR-ROOM").version == 1
    assert {event.kind for event in console.reads.stream(STREAM)} == {"workflow.saved"}


def test_an_import_is_all_or_nothing(console: Console) -> None:
    with pytest.raises(DomainError, match=r"Rule 'broken', action 1 \(start-timer\): 'minutes' should be"):
        workflows.import_yaml(console, BROKEN_SECOND)
    assert workflows.rules(console) == []
    assert console.reads.stream(STREAM) == []


def test_a_changed_rule_is_saved_again_with_its_version_up_and_can_be_removed(console: Console) -> None:
    workflows.import_yaml(console, EXAMPLE)
    assert workflows.import_yaml(console, EXAMPLE.replace("minutes: 15", "minutes: 20")) == ["sev1-war-room"]
    assert workflows.rule(console, "sev1-war-room").version == 2
    assert workflows.remove(console, "Sev1-War-Room") == "sev1-war-room"
    assert [saved.rule.name for saved in workflows.rules(console)] == ["page-from-critical-alerts"]
    with pytest.raises(DomainError, match="No workflow rule 'sev1-war-room'"):
        workflows.rule(console, "sev1-war-room")
    workflows.import_yaml(console, EXAMPLE)
    assert workflows.rule(console, "sev1-war-room").version == 3  # its removed versions' action ids stay unused


def test_a_dry_run_plans_the_actions_for_an_incident_and_writes_nothing(console: Console, incident_id: str) -> None:
    workflows.import_yaml(console, EXAMPLE)
    written = len(console.reads.stream(f"incident:{incident_id}"))
    planned = workflows.dry_run(console, "sev1-war-room", incident_id)
    reference = console.state(incident_id).reference.lower()
    assert planned[0].fields["name"] == f"inc-{reference}-checkout-api-returning-502s"
    assert planned[3].fields["text"].startswith("Bridge: (the bridge link, once started). IC: ")
    assert planned == workflows.dry_run(console, "sev1-war-room", incident_id)  # the same ids every time
    assert len(console.reads.stream(f"incident:{incident_id}")) == written
