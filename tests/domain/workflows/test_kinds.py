"""The rules in use: a fold of `settings:workflows` where a later save of a name replaces it, a removal
drops it, and a stored rule that does not read is skipped without raising."""

from __future__ import annotations

from datetime import timedelta

import pytest

from commander.domain.core.errors import DomainError
from commander.domain.core.events import Event, EventDraft
from commander.domain.core.policy import Policy
from commander.domain.workflows.kinds import STREAM, fold_rules, remove_rule, save_rules
from commander.domain.workflows.rules import Rule, read_rules
from tests.helpers.replica import Replica


def _rule(policy: Policy, name: str = "war-room", minutes: int = 15) -> Rule:
    data = {
        "name": name,
        "when": {"event": "incident.declared"},
        "do": [{"action": "start-timer", "label": "Check impact", "minutes": minutes}],
    }
    [rule] = read_rules([data], policy)
    return rule


def _stamp(replica: Replica, drafts: list[EventDraft]) -> list[Event]:
    replica.tick(timedelta(seconds=1))
    return [replica.stamp(draft) for draft in drafts]


def test_a_later_save_replaces_the_rule_with_its_version_one_up(alex: Replica, policy: Policy) -> None:
    first = _stamp(alex, save_rules({}, [_rule(policy)]))
    assert first[0].stream == STREAM and first[0].payload["version"] == 1
    assert save_rules(fold_rules(first, policy), [_rule(policy)]) == []  # the same rule: nothing to write
    second = _stamp(alex, save_rules(fold_rules(first, policy), [_rule(policy, "War-Room", minutes=30)]))
    events = first + second
    [saved] = fold_rules(events, policy).values()
    assert (saved.rule.name, saved.version, saved.rule.actions[0].fields["minutes"]) == ("War-Room", 2, 30)
    assert fold_rules(list(reversed(events)), policy) == fold_rules(events, policy)


def test_a_removal_drops_the_rule_and_an_unknown_name_is_refused(alex: Replica, policy: Policy) -> None:
    saved = _stamp(alex, save_rules({}, [_rule(policy), _rule(policy, "other")]))
    removed = _stamp(alex, remove_rule(fold_rules(saved, policy), "WAR-ROOM"))
    assert list(fold_rules(saved + removed, policy)) == ["other"]
    with pytest.raises(DomainError, match="No workflow rule 'nope'. Rules: other."):
        remove_rule(fold_rules(saved + removed, policy), "nope")


def test_a_stored_rule_that_does_not_read_is_skipped_and_the_others_stay(alex: Replica, policy: Policy) -> None:
    good = _stamp(alex, save_rules({}, [_rule(policy)]))
    forged = [
        {"name": "bad", "version": 1, "rule": {"name": "bad", "when": {"event": "nope"}, "do": []}},
        {"name": "deep", "version": 1, "rule": [[[[[[[]]]]]]]},
        {
            "name": "jinja",
            "version": 1,
            "rule": {
                "name": "jinja",
                "when": {"event": "timer", "minutes": 5},
                "do": [{"action": "start-timer", "label": "{% for %}", "minutes": 5}],
            },
        },
        {"name": "liar", "version": 1, "rule": {**save_rules({}, [_rule(policy, "war-room", 99)])[0].payload["rule"]}},
    ]
    bad = _stamp(alex, [EventDraft(STREAM, "workflow.saved", payload) for payload in forged])
    rules = fold_rules(good + bad, policy)
    assert list(rules) == ["war-room"] and rules["war-room"].rule.actions[0].fields["minutes"] == 15
