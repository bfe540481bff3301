"""Two watchers and two consoles on one PostgreSQL database hear the same critical alert at once (as two
watchers behind an Alertmanager pair do, and consoles pulling it through the store): the alert makes one
incident, one channel, one page and one bridge, however the four race.

The watchers are `commander watch`'s own code (app/watch.py) with their webhooks on free ports; the consoles
run the engine as the window does, each on its own local store replicating with the shared one."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from commander.app import automation, bridges, chat, oncall, paging, workflows
from commander.app.alerts import ingest
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.app.setup import remote as remotes
from commander.app.watch import Watcher
from commander.integrations.secrets import SecretStore
from tests.helpers.fakes import serve
from tests.helpers.pagerduty_fake import ROUTING_KEY, PagerDutyFake
from tests.helpers.paging_samples import PAYMENTS_ONCALL
from tests.helpers.slack_fake import slack_fake
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.postgres

RULES = """
- name: critical-alert
  when: {event: alert.firing, labels: {severity: critical}}
  do:
    - {action: declare, severity: SEV1, title: "{{ alert.labels.alertname }} on {{ alert.labels.service }}"}
    - {action: create-channel, via: team-slack, name: "inc-{{ incident.reference | lower }}"}
    - {action: page, policy: Payments}
    - {action: start-bridge, via: jitsi}
"""


def _alert() -> str:
    return json.dumps(
        {
            "version": "4",
            "status": "firing",
            "receiver": "commander",
            "groupKey": '{}:{alertname="PaymentsDown"}',
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "PaymentsDown", "service": "payments", "severity": "critical"},
                    "annotations": {"summary": "payments API down"},
                    "startsAt": datetime.now(UTC).replace(microsecond=0).isoformat(),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prometheus.example/graph",
                    "fingerprint": "4b1d0c0ffee00001",
                }
            ],
        }
    )


def test_one_alert_four_racers_one_incident_channel_page_and_bridge(shared: str, tmp_path: Path) -> None:
    secrets = SecretStore()
    consoles: list[Console] = []

    def console_for(name: str) -> Console:
        made = build_console(str(tmp_path / f"{name}.db"), user=name)
        remotes.set_remote(made, shared, secrets, poll_seconds=0.2)
        consoles.append(made)
        return made

    with slack_fake() as slack, serve(pager := PagerDutyFake()) as pagerduty:
        first = console_for("alex")
        chat.add(first, "slack", "team-slack", dict(slack.options), slack.secret, secrets)
        bridges.add(first, "jitsi", "jitsi", {"base_url": "https://meet.example.org"}, "", secrets)
        paging.add_pager(
            first, "pagerduty", "PagerDuty", {"api_url": f"{pagerduty.base}/v2/enqueue"}, ROUTING_KEY, secrets
        )
        oncall.import_yaml(first, PAYMENTS_ONCALL)
        workflows.import_yaml(first, RULES)
        remotes.replicator(first, remotes.configured(first), secrets).run_once()  # the team's settings, shared

        others = [console_for(name) for name in ("sam", "watch-1", "watch-2")]
        watchers = [Watcher(console, listen=("127.0.0.1", 0), tick_seconds=0.2) for console in others[1:]]
        replicators = [remotes.replicator(c, remotes.configured(c), secrets) for c in (first, others[0])]
        engines = [automation.Engine(c, lock=threading.RLock()) for c in (first, others[0])]
        for part in (*replicators, *engines, *watchers):
            part.start()
        try:
            wait_until(lambda: all(workflows.rules(c) for c in others), 15)
            racers: list[tuple[Console, Callable[[], object]]] = [
                *[(c, engine.lock) for c, engine in zip((first, others[0]), engines, strict=True)],
                *[(w.console, w.lock) for w in watchers],
            ]
            start = threading.Barrier(len(racers))

            def hear(console: Console, lock: object) -> None:
                start.wait()
                with lock:  # type: ignore[attr-defined]
                    ingest(console, _alert())

            threads = [threading.Thread(target=hear, args=racer) for racer in racers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

            engine = sa.create_engine(shared)
            try:

                def count(kind: str) -> int:
                    with engine.connect() as conn:
                        query = sa.text("SELECT count(*) FROM events WHERE kind = :k")
                        return int(conn.execute(query, {"k": kind}).scalar_one())

                wait_until(lambda: count("workflow.action_done") >= 4, 30)
                wait_until(
                    lambda: all(e.idle() for e in engines) and all(w.engine and w.engine.idle() for w in watchers), 30
                )
                assert count("incident.declared") == 1
                assert count("channel.created") == 1
                assert count("bridge.started") == 1
                assert count("page.sent") == 1
                assert count("workflow.action_done") == 4
                assert count("workflow.action_failed") == 0
            finally:
                engine.dispose()
            assert [method for method, _ in slack.calls].count("conversations.create") == 1
            assert len(pager.alerts) == 1
        finally:
            for part in (*watchers, *engines, *replicators):
                part.stop()
            for console in consoles:
                console.close()
