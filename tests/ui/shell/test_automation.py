"""The window runs the team's workflows while it is open, on a console of its own: a rule fired by an
incident declared in the window writes its outcome, and the window's timeline shows it."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from commander.app import automation, incident, workflows
from commander.app.console import Console
from commander.domain.incident.decisions import Declaration
from commander.ui.shell.main_window import MainWindow

RULE = """
- name: impact-check
  when: {event: incident.declared, severity_at_least: SEV2}
  do: [{action: start-timer, label: "Check customer impact", minutes: 15}]
"""


def test_a_rule_runs_for_an_incident_declared_in_the_window(qtbot: QtBot, window: MainWindow, console: Console) -> None:
    assert window.automation_runner.console is None, "no rule and no chat connection: nothing runs"
    workflows.import_yaml(console, RULE)
    window.automation_runner.start()
    assert window.automation_runner.console is not None

    state = incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    qtbot.waitUntil(lambda: bool(console.state(state.id).timers), timeout=15_000)
    [timer] = console.state(state.id).timers.values()
    assert timer.label == "Check customer impact"
    [run] = automation.runs(console, state.id)
    assert (run.rule, run.action, run.outcome) == ("impact-check", "start-timer", "done")

    window.close()
    assert window.automation_runner.console is None


def test_a_sev4_does_not_fire_it(qtbot: QtBot, window: MainWindow, console: Console) -> None:
    workflows.import_yaml(console, RULE)
    window.automation_runner.start()
    minor = incident.declare(console, Declaration(title="Typo on the status page", severity="SEV4"))
    major = incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1"))
    qtbot.waitUntil(lambda: bool(console.state(major.id).timers), timeout=15_000)
    assert not console.state(minor.id).timers


def test_the_war_room_rule_on_a_sev2_declared_in_the_window(qtbot: QtBot, window: MainWindow, console: Console) -> None:
    """The issue's first rule: one channel with its topic, the invites, a bridge link and a timer."""
    from commander.app import bridges, chat, oncall, people
    from tests.domain.workflows.test_rules import EXAMPLE
    from tests.helpers.paging_samples import PAYMENTS_ONCALL
    from tests.helpers.slack_fake import slack_fake

    with slack_fake() as slack:
        sam = slack.add_user("sam@example.com", display_name="Sam")
        alex = slack.add_user("alex@example.com", display_name="Alex")
        chat.add(console, "slack", "team-slack", dict(slack.options), slack.secret, console.secrets)
        bridges.add(console, "jitsi", "jitsi", {"base_url": "https://meet.example.org"}, "", console.secrets)
        oncall.import_yaml(console, PAYMENTS_ONCALL)
        people.set_person(console, "Sam", email="sam@example.com")
        people.set_person(console, "Alex", email="alex@example.com")
        workflows.import_yaml(console, EXAMPLE)
        window.automation_runner.start()

        state = incident.declare(console, Declaration(title="Checkout 502s", severity="SEV2"))
        qtbot.waitUntil(lambda: len(automation.runs(console, state.id)) == 5, timeout=20_000)
        assert [run.outcome for run in automation.runs(console, state.id)] == ["done"] * 5
        after = console.state(state.id)
        [channel] = after.channels.values()
        assert slack.channels[channel.channel].topic.endswith("· SEV2 · investigating · Checkout 502s")
        assert {sam, alex} <= slack.channels[channel.channel].members
        assert [bridge.url[:24] for bridge in after.bridges] == ["https://meet.example.org"]
        assert [timer.label for timer in after.timers.values()] == ["Check customer impact"]
        assert [method for method, _ in slack.calls].count("conversations.create") == 1
        window.close()


def test_an_open_window_reads_back_an_acknowledgement_made_in_pagerduty(
    qtbot: QtBot, window: MainWindow, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    from commander.app import oncall, paging
    from commander.integrations.secrets import SecretStore
    from commander.ui.shell import automation as shell_automation
    from tests.app.test_paging_answers import add_pagerduty
    from tests.helpers.fakes import serve
    from tests.helpers.pagerduty_fake import API_KEY, PagerDutyFake
    from tests.helpers.paging_samples import PAYMENTS_ONCALL

    monkeypatch.setattr(shell_automation, "ACKS_EVERY", 0.0)
    oncall.import_yaml(console, PAYMENTS_ONCALL)
    workflows.import_yaml(console, RULE)
    state = incident.declare(console, Declaration(title="Payments down", severity="SEV3", services=("payments",)))
    fake = PagerDutyFake()
    with serve(fake) as server:
        add_pagerduty(console, "PagerDuty", server)
        paging.set_api_key(console, "PagerDuty", API_KEY, SecretStore())
        paging.run(console, paging.page_service(console, state.id, "payments", None, SecretStore()))
        [page] = paging.pages(console, state.id)
        fake.acknowledge_in_app(page.dedup_key, "Sam Jones")
        window.automation_runner.start()
        assert window.automation_runner.engine is not None
        window.automation_runner.engine.tick()
        qtbot.waitUntil(lambda: paging.pages(console, state.id)[0].acknowledged_by == "Sam Jones", timeout=15_000)
    window.close()
