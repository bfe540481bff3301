"""Commander killed mid-send: on the next start the update is resumed, and never posted twice where the
protocol allows it. Real processes, a real SIGKILL, a local service on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_commander_process import SCRIPT
from tests.helpers.fakes import Reply, Request, serve
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def environment(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = os.environ.copy()
    env.update(
        PYTHON_KEYRING_BACKEND="tests.helpers.keyring_file.FileKeyring",
        COMMANDER_TEST_KEYRING=str(tmp_path / "keyring.json"),
        PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
    )
    yield env


def commander(env: dict[str, str], *argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT), *argv], input=stdin, capture_output=True, text=True, timeout=60, env=env, cwd=ROOT, check=False
    )


def test_a_killed_send_is_resumed_once_the_person_decides(tmp_path: Path, environment: dict[str, str]) -> None:
    db = str(tmp_path / "commander.db")
    first = True

    def hang_the_first_time(request: Request) -> Reply:
        nonlocal first
        if first:
            first = False
            return Reply(200, "ok", delay=30)
        return Reply(204, "")

    with serve(hang_the_first_time) as receiver:
        ref = commander(
            environment, "--db", db, "declare", "--title", "Checkout 502s", "--severity", "SEV2"
        ).stdout.strip()
        added = commander(
            environment,
            "--db",
            db,
            "destination",
            "add",
            "webhook",
            "ops",
            "--option",
            f"url={receiver.url}",
            stdin="signing-key\n",
        )
        assert added.returncode == 0, added.stderr
        sending = subprocess.Popen(
            [str(SCRIPT), "--db", db, "update", "send", ref, "--template", "initial", "--to", "ops"],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: receiver.requests, 20, message="the send never reached the receiver")
        sending.send_signal(signal.SIGKILL)
        sending.wait(10)

        unsure = commander(environment, "--db", db, "update", "resume")
        assert unsure.returncode == 1
        assert "cannot tell Commander whether it arrived" in unsure.stderr and "--send-unsure" in unsure.stderr
        assert len(receiver.requests) == 1  # nothing resent without the person's word

        again = commander(environment, "--db", db, "update", "resume", "--send-unsure")
        assert again.returncode == 0, again.stderr
        assert f"{ref} to ops: delivered" in again.stdout
        assert commander(environment, "--db", db, "update", "resume").stdout.strip() == "No interrupted updates."

    deliveries = {r.headers["x-commander-delivery"] for r in receiver.requests}
    assert len(receiver.requests) == 2 and len(deliveries) == 1  # the same delivery id: receivers can dedupe
    timeline = json.loads(commander(environment, "--db", db, "show", ref, "--json").stdout)["timeline"]
    kinds = [e["kind"] for e in timeline if e["kind"].startswith("update.")]
    assert kinds == ["update.queued", "update.delivered"]


def test_not_sent_is_recorded_with_the_doubt(tmp_path: Path, environment: dict[str, str]) -> None:
    db = str(tmp_path / "commander.db")
    with serve(lambda request: Reply(200, "ok", delay=30)) as receiver:
        ref = commander(environment, "--db", db, "declare", "--title", "Checkout 502s").stdout.strip()
        commander(environment, "--db", db, "destination", "add", "slack", "#incidents", stdin=receiver.url + "\n")
        sending = subprocess.Popen(
            [str(SCRIPT), "--db", db, "update", "send", ref, "--template", "initial", "--to", "#incidents"],
            env=environment,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: receiver.requests, 20, message="the send never reached the receiver")
        sending.send_signal(signal.SIGKILL)
        sending.wait(10)
        dropped = commander(environment, "--db", db, "update", "resume", "--not-sent")
    assert dropped.returncode == 0 and "recorded as not sent" in dropped.stdout
    timeline = json.loads(commander(environment, "--db", db, "show", ref, "--json").stdout)["timeline"]
    failed = [e for e in timeline if e["kind"] == "update.failed"]
    assert len(failed) == 1 and "may or may not have reached #incidents" in json.dumps(failed[0])
