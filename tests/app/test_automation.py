"""The workflow engine on a real console and store, against the fake Slack: the issue's example rules run
once each, in order, with their outcomes on the timeline; alert rules declare from an alert; a failed
action says the service's reason and can be retried; a run held by another console is skipped; a console
that cannot claim keeps the run until it can."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from commander.app import automation, chat, claims, incident, oncall, people, workflows
from commander.app import bridges as bridge_use
from commander.app.alerts import ingest
from commander.app.console import Console
from commander.app.runbooks import library
from commander.domain.incident.decisions import Declaration
from commander.domain.workflows.runs import DONE, FAILED, SKIPPED
from tests.domain.workflows.test_rules import EXAMPLE
from tests.helpers.paging_samples import PAYMENTS_ONCALL
from tests.helpers.slack_fake import SlackFake, slack_fake
from tests.helpers.waiting import wait_until

ONCALL = PAYMENTS_ONCALL  # "oncall:payments-primary" in the rule names "Payments primary" as a slug


@pytest.fixture
def slack() -> Iterator[SlackFake]:
    with slack_fake() as fake:
        yield fake


@pytest.fixture
def engine(console: Console) -> Iterator[automation.Engine]:
    running = automation.Engine(console)
    running.start()
    yield running
    running.stop()


def _connect(console: Console, slack: SlackFake) -> None:
    chat.add(console, "slack", "team-slack", dict(slack.options), slack.secret, console.secrets)
    bridge_use.add(console, "jitsi", "jitsi", {"base_url": "https://meet.example.org"}, "", console.secrets)
    oncall.import_yaml(console, ONCALL)


def _settled(engine: automation.Engine) -> None:
    engine.tick()  # something queued after the events, so idle means their work is done
    wait_until(engine.idle, 20)


def _outcomes(console: Console, incident_id: str) -> list[tuple[str, str]]:
    return [(run.action, run.outcome) for run in automation.runs(console, incident_id)]


def test_the_war_room_rule_makes_one_channel_with_its_topic_invites_bridge_post_and_timer(
    console: Console, slack: SlackFake, engine: automation.Engine
) -> None:
    sam = slack.add_user("sam@example.com", display_name="Sam")
    alex = slack.add_user("alex@example.com", display_name="Alex")
    _connect(console, slack)
    people.set_person(console, "Sam", email="sam@example.com")
    people.set_person(console, "Alex", email="alex@example.com")
    workflows.import_yaml(console, EXAMPLE)

    state = incident.declare(console, Declaration(title="Checkout API: 502s", severity="SEV2"))
    _settled(engine)

    assert _outcomes(console, state.id) == [
        ("create-channel", DONE),
        ("invite", DONE),
        ("start-bridge", DONE),
        ("post", DONE),
        ("start-timer", DONE),
    ]
    after = console.state(state.id)
    [channel] = after.channels.values()
    assert channel.name == f"inc-{state.reference.lower()}-checkout-api-502s"
    made = slack.channels[channel.channel]
    assert made.topic == f"{state.reference} · SEV2 · investigating · Checkout API: 502s"
    assert {sam, alex} <= made.members
    [bridge] = after.bridges
    assert bridge.url.startswith("https://meet.example.org/")
    [posted] = [m for m in made.messages if m.get("text", "").startswith("Bridge:")]
    assert posted["text"] == f"Bridge: {bridge.url}. IC: Alex"
    assert [timer.label for timer in after.timers.values()] == ["Check customer impact"]
    assert [m for m, _ in slack.calls].count("conversations.create") == 1

    # A change of severity sets the topic again; the rule does not run twice.
    incident.change_severity(console, state.id, "SEV1")
    _settled(engine)
    assert slack.channels[channel.channel].topic.startswith(f"{state.reference} · SEV1 ·")
    assert [m for m, _ in slack.calls].count("conversations.create") == 1


def test_a_critical_alert_declares_one_incident_with_its_runbook(
    console: Console, engine: automation.Engine, tmp_path: Path
) -> None:
    runbook = tmp_path / "high-error-rate.md"
    runbook.write_text(
        "---\ntitle: High error rate\nalerts: [HighErrorRate]\n---\n# High error rate\n\n1. Check the dashboards\n"
    )
    library.import_paths(console, [runbook])
    workflows.import_yaml(console, EXAMPLE)
    payload = {
        "version": "4",
        "status": "firing",
        "receiver": "commander",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
                "annotations": {"summary": "5xx above 5%"},
                "startsAt": datetime.now(UTC).isoformat(),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example/graph",
                "fingerprint": "c0ffee",
            }
        ],
    }
    ingest(console, json.dumps(payload))
    ingest(console, json.dumps(payload))  # Alertmanager sends it again: the same trigger
    _settled(engine)

    [summary] = console.incidents()
    state = console.state(summary.id)
    assert (state.title, state.severity, list(state.services)) == ("HighErrorRate on checkout", "SEV2", ["checkout"])
    assert [alert.name for alert in state.alerts.values()] == ["HighErrorRate"]
    assert [checklist.title for checklist in state.checklists.values()] == ["High error rate"]
    runs = automation.runs(console, state.id)
    assert [(run.rule, run.action, run.outcome) for run in runs[:2]] == [
        ("page-from-critical-alerts", "declare", DONE),
        ("page-from-critical-alerts", "attach-runbook", DONE),
    ]
    # The SEV2 it declared fires the war-room rule in turn, which says what it lacks here.
    assert (runs[2].rule, runs[2].action, runs[2].outcome) == ("sev1-war-room", "create-channel", FAILED)
    assert "team-slack" in runs[2].text
    assert len(runs) == 7


def test_a_refused_action_fails_with_slacks_reason_and_a_retry_runs_it(
    console: Console, slack: SlackFake, engine: automation.Engine
) -> None:
    _connect(console, slack)
    workflows.import_yaml(
        console,
        """
- name: war-room
  when: {event: incident.declared}
  do:
    - {action: create-channel, via: team-slack, name: "inc-{{ incident.reference | lower }}"}
""",
    )
    slack.fail("conversations.create", "missing_scope", needed="channels:manage")
    state = incident.declare(console, Declaration(title="Search is slow", severity="SEV3"))
    _settled(engine)
    [run] = automation.runs(console, state.id)
    assert run.outcome == FAILED and "channels:manage" in run.text

    again = automation.retry(console, state.id, run.action_id)
    assert (again.outcome, again.attempt) == (DONE, 2)
    assert list(console.state(state.id).channels) == ["team-slack"]
    with pytest.raises(Exception, match="Only a failed workflow action"):
        automation.retry(console, state.id, run.action_id)


def test_a_run_held_elsewhere_is_skipped_once(console: Console, open_console: Callable[..., Console]) -> None:
    workflows.import_yaml(
        console,
        """
- name: timer
  when: {event: incident.declared}
  do: [{action: start-timer, label: "Check impact", minutes: 15}]
""",
    )
    state = incident.declare(console, Declaration(title="Search is slow", severity="SEV3"))
    [event] = [e for e in console.view(state.id).events if e.kind == "incident.declared"]
    [job] = automation.jobs_for(console, [event])
    with console.database.write() as conn:  # another watcher holds the run
        from sqlalchemy import text

        conn.execute(text("INSERT INTO claims (key, holder, claimed_at) VALUES (:k, 'watcher-2', 0)"), {"k": job.key})
    assert automation.run_job(console, job) is False
    assert automation.run_job(console, job) is False
    [run] = automation.runs(console, state.id)
    assert (run.outcome, run.text) == (SKIPPED, "the rule's run is held by watcher-2; this console did nothing")
    assert len([e for e in console.view(state.id).events if e.kind == "workflow.action_skipped"]) == 1
    assert not console.state(state.id).timers


def test_an_offline_console_keeps_the_run_until_it_can_claim(
    console: Console, engine: automation.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    workflows.import_yaml(
        console,
        """
- name: timer
  when: {event: incident.declared}
  do: [{action: start-timer, label: "Check impact", minutes: 15}]
""",
    )
    real = claims.claim
    online = False

    def claim(on: Console, key: str) -> claims.Claim:
        if not online:
            raise claims.Offline("the shared store cannot be reached")
        return real(on, key)

    monkeypatch.setattr(claims, "claim", claim)
    state = incident.declare(console, Declaration(title="Search is slow", severity="SEV3"))
    wait_until(lambda: engine.deferred == 1, 10)
    assert not console.state(state.id).timers
    online = True
    _settled(engine)
    assert [timer.label for timer in console.state(state.id).timers.values()] == ["Check impact"]
    assert engine.deferred == 0


def test_old_events_start_nothing(console: Console) -> None:
    """A console joining a store pulls years of declarations: none of them runs a rule."""
    workflows.import_yaml(console, EXAMPLE)
    state = incident.declare(console, Declaration(title="Old", severity="SEV1"))
    [event] = [e for e in console.view(state.id).events if e.kind == "incident.declared"]
    stale = event._replace(recorded_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert automation.jobs_for(console, [stale]) == []
    assert len(automation.jobs_for(console, [event])) == 1


def test_the_channel_is_archived_when_the_incident_is_closed_if_the_rule_asks(
    console: Console, slack: SlackFake, engine: automation.Engine
) -> None:
    _connect(console, slack)
    workflows.import_yaml(
        console,
        """
- name: war-room
  when: {event: incident.declared}
  do:
    - {action: create-channel, via: team-slack, name: "inc-{{ incident.reference | lower }}", archive_on_close: true}
""",
    )
    state = incident.declare(console, Declaration(title="Search is slow", severity="SEV3"))
    _settled(engine)
    [channel] = console.state(state.id).channels.values()
    incident.change_status(console, state.id, "resolved")
    _settled(engine)
    assert not slack.channels[channel.channel].archived
    assert "· resolved ·" in slack.channels[channel.channel].topic
    incident.change_status(console, state.id, "closed")
    _settled(engine)
    assert slack.channels[channel.channel].archived
    assert console.state(state.id).channels["team-slack"].archived


def test_time_rules_fire_once_when_due(console: Console) -> None:
    from datetime import timedelta

    workflows.import_yaml(
        console,
        """
- name: still-open
  when: {event: timer, minutes: 10}
  do: [{action: start-timer, label: "Ten minutes in: update stakeholders", minutes: 5}]
- name: nobody-on-comms
  when: {event: role.unfilled, role: communications_lead, minutes: 5}
  do: [{action: assign-role, role: communications_lead, who: "Kim"}]
""",
    )
    state = incident.declare(console, Declaration(title="Search is slow", severity="SEV2"))
    assert automation.timed_jobs(console) == []
    later = console.now() + timedelta(minutes=11)
    console.wall = lambda: later
    jobs = automation.timed_jobs(console)
    assert sorted(job.saved.rule.name for job in jobs) == ["nobody-on-comms", "still-open"]
    for job in jobs:
        assert automation.run_job(console, job)
    after = console.state(state.id)
    assert [timer.label for timer in after.timers.values()] == ["Ten minutes in: update stakeholders"]
    assert after.roles["communications_lead"].holder == "Kim"
    assert automation.timed_jobs(console) == []  # done: not again on the next tick
