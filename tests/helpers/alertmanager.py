"""A real Prometheus Alertmanager (Debian package `prometheus-alertmanager`) on a free loopback port, for
the whole session: clustering off, a temporary storage folder, one route to a receiver that sends nothing.

Without the binary the tests that need it are skipped with the reason, unless CI is set: then they fail,
because CI installs it (.ci/run). Alerts live in Alertmanager's memory for the session, so each test
labels its alerts with its own `test` label and reads through a source filtered on it.

A test module takes the fixture by assigning it (`alertmanager = shared.alertmanager`); every module then
shares the one process, stopped when the session ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.helpers.waiting import wait_until

BINARY = "prometheus-alertmanager"
CONFIG = """\
route:
  receiver: blackhole
  group_wait: 1h
receivers:
  - name: blackhole
"""
READY_WITHIN = 20.0  # seconds


@dataclass(frozen=True)
class RunningAlertmanager:
    url: str

    def post(self, *alerts: dict[str, Any]) -> None:
        """POST /api/v2/alerts: alerts fire as a Prometheus would send them."""
        response = httpx.post(f"{self.url}/api/v2/alerts", json=list(alerts), timeout=5)
        assert response.status_code == 200, response.text

    def alerts(self, test: str, *, silenced: bool = True) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{self.url}/api/v2/alerts",
            params=[("filter", f'test="{test}"'), ("silenced", str(silenced).lower())],
            timeout=5,
        )
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    def silences(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{self.url}/api/v2/silences", timeout=5).json()
        return found


def alert(test: str, name: str, **labels: str) -> dict[str, Any]:
    """A postableAlert labelled for one test; `summary` and `runbook_url` go to the annotations."""
    annotations = {key: labels.pop(key) for key in ("summary", "runbook_url") if key in labels}
    return {
        "labels": {"alertname": name, "test": test, **labels},
        "annotations": annotations,
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up",
    }


def new_test_label() -> str:
    return uuid.uuid4().hex[:12]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_RUNNING: list[RunningAlertmanager] = []


@pytest.fixture(scope="session")
def alertmanager(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> RunningAlertmanager:
    if not _RUNNING:
        running = start(tmp_path_factory.mktemp("alertmanager"))
        _RUNNING.append(next(running))

        def stop() -> None:
            _RUNNING.clear()
            next(running, None)

        request.session.config.add_cleanup(stop)
    return _RUNNING[0]


def start(folder: Path, config_text: str = CONFIG) -> Iterator[RunningAlertmanager]:
    """Alertmanager with `config_text` as its alertmanager.yml, its storage and log in `folder`, once ready
    (or the test skipped when it is not installed); stopped when the generator is resumed or closed."""
    binary = shutil.which(BINARY) or (f"/usr/bin/{BINARY}" if Path(f"/usr/bin/{BINARY}").exists() else None)
    if binary is None:
        reason = f"{BINARY} is not installed (apt-get install -y {BINARY})"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must install it (.ci/run does).")
        pytest.skip(reason)
    config = folder / "alertmanager.yml"
    config.write_text(config_text, encoding="utf-8")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (folder / "alertmanager.log").open("w")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(
                    f"Alertmanager exited at start ({process.returncode}): "
                    f"{(folder / 'alertmanager.log').read_text()[-2000:]}"
                )
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(ready, READY_WITHIN, 0.1, message=f"Alertmanager was not ready within {READY_WITHIN:g} s.")
        yield RunningAlertmanager(url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
