"""A real Alertmanager (Debian's prometheus-alertmanager) sends its webhook to the real `commander watch`: an
alert posted to Alertmanager's API reaches the watcher's store with no window open, and so does its
resolution; a receiver with the wrong bearer token delivers nothing. Everything listens on 127.0.0.1.

Alertmanager's receiver sends the token from a file (`http_config.authorization.credentials_file`,
https://prometheus.io/docs/alerting/latest/configuration/#http_config), the same file the watcher reads with
--token-file. `group_wait` and `group_interval` of one second make it send at once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from commander.app.bootstrap import build_console
from commander.app.console import Console
from tests.helpers.alertmanager import RunningAlertmanager, alert, free_port, new_test_label, start
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e

SCRIPT = Path(sys.executable).with_name("commander")
TOKEN = "alertmanager-to-commander-0123456789"
ARRIVES_WITHIN = 30.0  # seconds: group_wait is 1 s; the margin is for a loaded CI machine

CONFIG = """\
route:
  receiver: commander
  group_by: [alertname, test]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - receiver: impostor
      matchers: ['route="impostor"']
receivers:
  - name: commander
    webhook_configs:
      - url: http://127.0.0.1:{port}/alertmanager
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials_file: {token_file}
  - name: impostor
    webhook_configs:
      - url: http://127.0.0.1:{port}/alertmanager
        http_config:
          authorization:
            type: Bearer
            credentials: not-the-token-at-all-0000
"""


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "watch-token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def watcher(tmp_path: Path, token_file: Path) -> Iterator[tuple[int, Path, Path]]:
    """`commander watch` on a free port: (port, its store, its log)."""
    port = free_port()
    db, log = tmp_path / "watch.db", tmp_path / "watch.log"
    with log.open("w") as err:
        process = subprocess.Popen(
            [str(SCRIPT), "--db", str(db), "watch", "--listen", f"127.0.0.1:{port}", "--token-file", str(token_file)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            env=os.environ.copy(),
        )
    try:

        def up() -> bool:
            assert process.poll() is None, f"commander watch exited: {log.read_text()[-2000:]}"
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/healthz", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=1
                )
            except httpx.HTTPError:
                return False
            return answer.status_code == 200

        wait_until(up, 30, 0.1, message="commander watch did not answer /healthz within 30 s.")
        yield port, db, log
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0, log.read_text()[-2000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def alertmanager(tmp_path: Path, watcher: tuple[int, Path, Path], token_file: Path) -> Iterator[RunningAlertmanager]:
    """An Alertmanager of its own (the session's one routes to a receiver that sends nothing)."""
    folder = tmp_path / "alertmanager"
    folder.mkdir()
    yield from start(folder, CONFIG.format(port=watcher[0], token_file=token_file))


@pytest.fixture
def reader(watcher: tuple[int, Path, Path]) -> Iterator[Console]:
    """A console on the watcher's store, as another process reads it."""
    console = build_console(str(watcher[1]))
    yield console
    console.close()


def stored(reader: Console, test: str) -> list[dict[str, Any]]:
    return [
        dict(e.payload) for e in reader.reads.of_kinds(("alert.ingested",)) if e.payload["labels"].get("test") == test
    ]


def test_an_alert_posted_to_alertmanager_reaches_the_watchers_store_and_so_does_its_resolution(
    alertmanager: RunningAlertmanager, reader: Console, watcher: tuple[int, Path, Path]
) -> None:
    test = new_test_label()
    firing = alert(test, "HighErrorRate", service="checkout", severity="critical", summary="5xx above 5%")
    alertmanager.post(firing)
    [first] = wait_until(
        lambda: stored(reader, test), ARRIVES_WITHIN, 0.2, message="The alert never reached the watcher's store."
    )
    assert first["status"] == "firing"
    assert first["labels"]["alertname"] == "HighErrorRate" and first["labels"]["severity"] == "critical"
    assert first["annotations"]["summary"] == "5xx above 5%"
    ended = datetime.now(UTC) - timedelta(seconds=1)
    alertmanager.post({**firing, "endsAt": ended.isoformat().replace("+00:00", "Z")})
    wait_until(
        lambda: [a for a in stored(reader, test) if a["status"] == "resolved"],
        ARRIVES_WITHIN,
        0.2,
        message="The alert's resolution never reached the watcher's store.",
    )
    log = watcher[2].read_text()
    assert "alerts received firing=1 resolved=0" in log and "alerts received firing=0 resolved=1" in log
    assert TOKEN not in log


def test_a_receiver_with_the_wrong_token_delivers_nothing(
    alertmanager: RunningAlertmanager, reader: Console, watcher: tuple[int, Path, Path]
) -> None:
    test = new_test_label()
    alertmanager.post(alert(test, "DiskFilling", route="impostor", severity="warning"))
    log = watcher[2]
    wait_until(
        lambda: "refused POST /alertmanager" in log.read_text() and "status=401" in log.read_text(),
        ARRIVES_WITHIN,
        0.2,
        message="Alertmanager's webhook with the wrong token never arrived to be refused.",
    )
    assert stored(reader, test) == []
    assert "not-the-token-at-all" not in log.read_text()


RULES = """\
- name: page-from-critical-alerts
  when: {event: alert.firing, labels: {severity: critical}}
  do:
    - {action: declare, severity: SEV2, title: "{{ alert.labels.alertname }} on {{ alert.labels.service }}"}
    - {action: attach-runbook, by: alertname}
"""


def test_a_critical_alert_ends_in_one_declared_incident_with_no_window_open(
    alertmanager: RunningAlertmanager, reader: Console, watcher: tuple[int, Path, Path], tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    imported = subprocess.run(
        [str(SCRIPT), "--db", str(watcher[1]), "workflow", "import", str(rules)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr
    test = new_test_label()
    alertmanager.post(alert(test, "CheckoutErrors", service="checkout", severity="critical", summary="5xx above 5%"))
    [declared] = wait_until(
        lambda: [s for s in reader.incidents() if s.title == "CheckoutErrors on checkout"],
        ARRIVES_WITHIN,
        0.2,
        message="No incident was declared from the alert.",
    )
    assert declared.severity == "SEV2" and declared.is_open
    kinds = [e.kind for e in reader.reads.stream(f"incident:{declared.id}")]
    assert kinds.count("incident.declared") == 1 and "alert.attached" in kinds
    assert "workflow.action_done" in kinds
