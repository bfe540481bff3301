"""Response automation against local fakes (issue 14): how long from Alertmanager's webhook reaching
`commander watch` to the incident being declared, and from the declaration to its chat channel existing.

A watcher (app/watch.py, the code `commander watch` runs) listens on a free port with a bearer token, on a
fresh SQLite store, with two rules: a critical alert declares a SEV1, and a SEV1 gets a channel in a fake
Slack Web API on 127.0.0.1 (tests/helpers/slack_fake.py, answering as Slack does). Each run posts one new
alert (its own fingerprint) over HTTP, as Alertmanager does, and times:

- alert to declared: from the POST leaving until `incident.declared` is written (target: 2 s);
- declared to channel: from the declaration until `channel.created` is written, the Slack round trips
  (conversations.create, conversations.setTopic) included (target: 2 s).

p50 and p99 over the runs (default 100).

    .venv/bin/python bench/automation.py [--runs 100]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from _common import ROOT, Figure, print_table

sys.path.insert(0, str(ROOT))

RULES = """
- name: critical-alert
  when: {event: alert.firing, labels: {severity: critical}}
  do:
    - {action: declare, severity: SEV1, title: "{{ alert.labels.alertname }} on {{ alert.labels.service }}"}
- name: war-room
  when: {event: incident.declared, severity_at_least: SEV1}
  do:
    - {action: create-channel, via: team-slack, name: "inc-{{ incident.reference | lower }}"}
"""
TOKEN = "bench-token-0123456789abcdef"
HEADERS = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
FAKE = "fake Slack on 127.0.0.1"


def _payload(number: int) -> bytes:
    alert = {
        "status": "firing",
        "labels": {"alertname": f"Bench{number}", "service": "checkout", "severity": "critical"},
        "annotations": {"summary": "bench"},
        "startsAt": datetime.now(UTC).isoformat(),
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": f"{number:016x}",
    }
    return json.dumps({"version": "4", "status": "firing", "receiver": "commander", "alerts": [alert]}).encode()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    args = parser.parse_args()

    import httpx
    import keyring

    from commander.app import chat, workflows
    from commander.app.bootstrap import build_console
    from commander.app.watch import Watcher
    from commander.integrations.secrets import SecretStore
    from tests.helpers.keyring_memory import MemoryKeyring
    from tests.helpers.slack_fake import slack_fake

    keyring.set_keyring(MemoryKeyring())
    folder = Path(tempfile.mkdtemp(prefix="commander-bench-automation-"))
    console = build_console(str(folder / "watch.db"), user="watch")
    seen: dict[str, dict[str, float]] = {}  # alert name -> {"declared": t, "channel": t}
    titles: dict[str, str] = {}  # incident id -> alert name
    lock = threading.Lock()

    def heard(events: list) -> None:  # type: ignore[type-arg]
        now = time.perf_counter()
        with lock:
            for event in events:
                incident_id = event.stream.partition(":")[2]
                if event.kind == "incident.declared":
                    name = str(event.payload["title"]).split(" on ")[0]
                    titles[incident_id] = name
                    seen.setdefault(name, {})["declared"] = now
                elif event.kind == "channel.created" and incident_id in titles:
                    seen.setdefault(titles[incident_id], {})["channel"] = now

    with slack_fake() as slack:
        chat.add(console, "slack", "team-slack", dict(slack.options), slack.secret, SecretStore())
        workflows.import_yaml(console, RULES)
        console.subscribe(heard)
        watcher = Watcher(console, listen=("127.0.0.1", 0), token=TOKEN, tick_seconds=1.0)
        watcher.start()
        host, port = watcher.address
        url = f"http://{host}:{port}/alertmanager"
        sent: dict[str, float] = {}
        try:
            with httpx.Client(timeout=10) as client:
                for number in range(args.runs):
                    name = f"Bench{number}"
                    sent[name] = time.perf_counter()
                    answer = client.post(
                        url,
                        content=_payload(number),
                        headers={"authorization": f"Bearer {TOKEN}", "content-type": "application/json"},
                    )
                    answer.raise_for_status()
                    deadline = time.perf_counter() + 20
                    while time.perf_counter() < deadline:
                        with lock:
                            if "channel" in seen.get(name, {}):
                                break
                        time.sleep(0.002)
                    else:
                        sys.exit(f"run {number}: no channel within 20 s")
        finally:
            watcher.stop()
            console.close()

    to_declared = [(seen[n]["declared"] - sent[n]) * 1000 for n in sent]
    to_channel = [(seen[n]["channel"] - seen[n]["declared"]) * 1000 for n in sent]
    figures = [
        Figure("alert received to incident declared, p50", statistics.median(to_declared), "ms", 2_000),
        Figure("alert received to incident declared, p99", _percentile(to_declared, 0.99), "ms", 2_000),
        Figure(
            "declared to channel created, p50", statistics.median(to_channel), "ms", 2_000, "fake Slack on 127.0.0.1"
        ),
        Figure(
            "declared to channel created, p99", _percentile(to_channel, 0.99), "ms", 2_000, "fake Slack on 127.0.0.1"
        ),
    ]
    print_table(f"Response automation, {args.runs} alerts through commander watch", figures)


if __name__ == "__main__":
    main()
