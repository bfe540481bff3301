"""`commander watch` on a temporary SQLite store: Alertmanager's webhook over HTTP ends in the store, the
window's duties (overdue update, expired timers) run for every open incident, the engine, chat and PagerDuty
polling are driven, and a stop (as SIGTERM asks it) joins everything. The real command is run as a
subprocess too: up, healthy, SIGTERM, exit 0."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from commander.app import incident
from commander.app import paging as paging_app
from commander.app import watch as watch_module
from commander.app.console import Console
from commander.app.updates import timers
from commander.app.watch import Watcher
from commander.domain.incident.decisions import Declaration
from tests.helpers.alertmanager import free_port
from tests.helpers.waiting import wait_until

TOKEN = "watch-test-token-0123456789abcdef"
SCRIPT = Path(sys.executable).with_name("commander")


def webhook(test: str, *, status: str = "firing") -> dict[str, Any]:
    """An Alertmanager webhook message (version 4) with one alert, as its notifier sends it."""
    labels = {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical", "test": test}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighErrorRate"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "commander",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": labels,
        "commonAnnotations": {"summary": "5xx above 5%"},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [
            {
                "status": status,
                "labels": labels,
                "annotations": {"summary": "5xx above 5%"},
                "startsAt": "2026-12-08T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example:9090/graph",
                "fingerprint": "d1f2a3b4c5d6e7f8",
            }
        ],
    }


@pytest.fixture
def watching(console: Console) -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(**kwargs: Any) -> Watcher:
        watcher = Watcher(console, listen=("127.0.0.1", 0), **kwargs)
        watcher.start()
        started.append(watcher)
        return watcher

    yield start
    for watcher in started:
        watcher.stop()


def url(watcher: Watcher, path: str) -> str:
    host, port = watcher.address
    return f"http://{host}:{port}{path}"


def ingested(console: Console, test: str) -> list[Mapping[str, Any]]:
    return [e.payload for e in console.reads.of_kinds(("alert.ingested",)) if e.payload["labels"].get("test") == test]


def test_an_alertmanager_message_over_http_is_in_the_store(
    watching: Callable[..., Watcher], open_console: Callable[..., Console]
) -> None:
    watcher = watching(token=TOKEN)
    answer = httpx.post(
        url(watcher, "/alertmanager"),
        json=webhook("stored"),
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["stored"] == "1 firing, 0 resolved"
    other = open_console()  # another process's view of the same file: it is written, not just cached
    [alert] = ingested(other, "stored")
    assert alert["labels"]["alertname"] == "HighErrorRate" and alert["fingerprint"] == "d1f2a3b4c5d6e7f8"
    health = httpx.get(url(watcher, "/healthz"), headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).json()
    assert health["ok"] is True and health["store"] == "reachable"
    assert health["last_event"] is not None and health["engine_idle"] is True


def test_a_wrong_token_stores_nothing(watching: Callable[..., Watcher], console: Console) -> None:
    watcher = watching(token=TOKEN)
    answer = httpx.post(
        url(watcher, "/alertmanager"), json=webhook("wrong"), headers={"Authorization": "Bearer nope"}, timeout=5
    )
    assert answer.status_code == 401
    assert ingested(console, "wrong") == []


def test_a_message_the_rules_refuse_is_400_and_the_watcher_goes_on(
    watching: Callable[..., Watcher], console: Console
) -> None:
    watcher = watching()
    answer = httpx.post(url(watcher, "/alertmanager"), json={"version": "4", "status": "firing"}, timeout=5)
    assert answer.status_code == 400 and "neither an Alertmanager webhook message" in answer.text
    assert httpx.post(url(watcher, "/alertmanager"), json=webhook("after"), timeout=5).status_code == 200
    assert len(ingested(console, "after")) == 1


def test_overdue_updates_and_expired_timers_of_every_open_incident_are_noted(
    watching: Callable[..., Watcher], console: Console, open_console: Callable[..., Console]
) -> None:
    first = incident.declare(console, Declaration(title="Checkout 502s", severity="SEV2")).id
    second = incident.declare(console, Declaration(title="Search slow", severity="SEV3")).id
    timers.set_timer(console, second, "Check the rollback", minutes=1)
    real = console.wall
    console.wall = lambda: real() + timedelta(hours=3)  # the updates fell due, the timer ran out
    watcher = watching(tick_seconds=0.05)
    other = open_console()

    def kinds(incident_id: str) -> list[str]:
        return [e.kind for e in other.reads.stream(f"incident:{incident_id}")]

    wait_until(lambda: "update.overdue" in kinds(first), 10, message="The first incident's update was not noted.")
    wait_until(lambda: "timer.expired" in kinds(second), 10, message="The timer's expiry was not noted.")
    wait_until(lambda: "update.overdue" in kinds(second), 10)
    watcher._tick()  # more ticks write nothing more: each mark is once
    watcher._tick()
    assert kinds(second).count("timer.expired") == 1 and kinds(first).count("update.overdue") == 1


def test_with_a_shared_store_the_watcher_replicates_both_ways(tmp_path: Path) -> None:
    from commander.app.bootstrap import build_console
    from commander.app.setup import remote as remotes
    from commander.store.database import Database

    shared = f"sqlite:///{tmp_path / 'shared.db'}"
    Database(shared).upgrade()
    mine, theirs = build_console(str(tmp_path / "watch.db")), build_console(str(tmp_path / "t.db"), user="Sam")
    for made in (mine, theirs):
        remotes.set_remote(made, shared, made.secrets, poll_seconds=0.2)
    watcher = Watcher(mine, listen=("127.0.0.1", 0), tick_seconds=0.1)
    watcher.start()
    theirs_replicator = remotes.replicator(theirs, remotes.configured(theirs), theirs.secrets)  # type: ignore[arg-type]
    try:
        declared = incident.declare(theirs, Declaration(title="Checkout 502s", severity="SEV1"))
        theirs_replicator.run_once()
        wait_until(lambda: any(s.id == declared.id for s in mine.incidents()), 10, message="Nothing was pulled.")
        assert httpx.post(url(watcher, "/alertmanager"), json=webhook("shared"), timeout=5).status_code == 200

        def arrived() -> bool:
            theirs_replicator.run_once()
            theirs.catch_up()
            return bool(ingested(theirs, "shared"))

        wait_until(arrived, 10, 0.1, message="The webhook's alert never reached the other console.")
        wait_until(lambda: watcher.sync_state == "online", 10, message="The watcher never said it was online.")
    finally:
        watcher.stop()
        theirs_replicator.stop()
        theirs.close()
        mine.close()


def test_an_escalation_that_fell_due_is_paged_and_its_outcome_recorded(
    watching: Callable[..., Watcher], console: Console
) -> None:
    from commander.app import oncall
    from commander.integrations.secrets import SecretStore
    from tests.helpers.fakes import serve
    from tests.helpers.pagerduty_fake import ROUTING_KEY, PagerDutyFake
    from tests.helpers.paging_samples import PAYMENTS_ONCALL

    oncall.import_yaml(console, PAYMENTS_ONCALL)
    declared = incident.declare(console, Declaration(title="Checkout 502s", severity="SEV1", services=("payments",)))
    fake = PagerDutyFake()
    with serve(fake) as server:
        paging_app.add_pager(
            console, "pagerduty", "PagerDuty", {"api_url": f"{server.base}/v2/enqueue"}, ROUTING_KEY, SecretStore()
        )
        paging_app.run(console, paging_app.page_service(console, declared.id, "payments", None, SecretStore()))
        real = console.wall
        console.wall = lambda: real() + timedelta(minutes=16)  # Sam did not answer within level 1's 15 minutes
        watching(tick_seconds=0.05)
        wait_until(lambda: len(fake.alerts) == 2, 10, message="The next level was not paged.")

        def delivered() -> list[str]:
            return [p.target for p in paging_app.pages(console, declared.id) if p.delivery == "delivered"]

        wait_until(lambda: delivered() == ["Sam", "Morgan"], 10, message="The page's outcome was not recorded.")
    assert fake.alerts[1].summary.endswith("Morgan")


class FakeEngine:
    made: list[FakeEngine] = []

    def __init__(self, console: Console, *, log: Callable[[str], None]) -> None:
        self.calls: list[str] = []
        FakeEngine.made.append(self)

    def start(self) -> None:
        self.calls.append("start")

    def tick(self) -> None:
        self.calls.append("tick")

    def stop(self, timeout: float = 5.0) -> None:
        self.calls.append("stop")

    def idle(self) -> bool:
        return False


class FakeFeed:
    made: list[FakeFeed] = []

    def __init__(self, console: Console, *, log: Callable[[str], None], lock: Any) -> None:
        self.calls: list[str] = []
        self.lock = lock
        FakeFeed.made.append(self)

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")


def test_the_engine_chat_and_pagerduty_polling_are_driven_and_stopped(
    watching: Callable[..., Watcher], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="commander.watch")
    FakeEngine.made.clear()
    FakeFeed.made.clear()
    monkeypatch.setattr(watch_module, "Engine", FakeEngine)
    monkeypatch.setitem(sys.modules, "commander.app.chat", types.SimpleNamespace(ChatFeed=FakeFeed))
    polled: list[Console] = []

    def poll(console: Console, *, problems: dict[str, str], timeout: float) -> int:
        polled.append(console)
        problems["p-1"] = "PagerDuty answered 401: the REST API key is wrong"
        return 1

    monkeypatch.setattr(paging_app, "poll_acknowledgements", poll, raising=False)
    watcher = watching(tick_seconds=0.05, ack_poll_seconds=0.05)
    [engine], [feed] = FakeEngine.made, FakeFeed.made
    wait_until(lambda: engine.calls.count("tick") >= 2, 10, message="The engine was not ticked.")
    wait_until(lambda: len(polled) >= 2, 10, message="PagerDuty's acknowledgements were not polled.")
    assert httpx.get(url(watcher, "/healthz"), timeout=5).json()["engine_idle"] is False
    assert "acknowledged in PagerDuty pages=1" in caplog.text
    assert "page not read back page=p-1 reason=PagerDuty answered 401" in caplog.text
    watcher.stop()
    assert engine.calls[0] == "start" and engine.calls[-1] == "stop"
    assert feed.calls == ["start", "stop"]
    assert feed.lock is watcher.lock  # what chat records is written holding the watcher's lock


def test_a_failing_tick_is_logged_and_the_loop_goes_on(
    watching: Callable[..., Watcher], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    FakeEngine.made.clear()

    class Failing(FakeEngine):
        def tick(self) -> None:
            super().tick()
            raise RuntimeError("a rule's bug")

    monkeypatch.setattr(watch_module, "Engine", Failing)
    watching(tick_seconds=0.05)
    [engine] = FakeEngine.made
    wait_until(lambda: engine.calls.count("tick") >= 3, 10)
    assert "failed while the workflow engine's tick" in caplog.text


def test_a_stop_as_sigterm_asks_it_joins_every_thread(console: Console) -> None:
    watcher = Watcher(console, listen=("127.0.0.1", 0), tick_seconds=0.05)
    stop = threading.Event()
    runner = threading.Thread(target=watcher.run_until, args=(stop,))
    runner.start()
    wait_until(lambda: watcher.server is not None and httpx.get(url(watcher, "/healthz"), timeout=5).is_success, 10)
    port = watcher.address[1]
    began = time.monotonic()
    stop.set()
    runner.join(10)
    assert not runner.is_alive() and time.monotonic() - began < 5
    assert not [t.name for t in threading.enumerate() if t.name.startswith("commander-watch") and t.is_alive()]
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


# -- the real command ---------------------------------------------------------------------------------------


def start_command(tmp_path: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    assert SCRIPT.exists(), f"{SCRIPT} is missing: install the package with pip install -e '.[test]'"
    return subprocess.Popen(
        [str(SCRIPT), "--db", str(tmp_path / "watch.db"), "watch", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.e2e
def test_the_command_serves_until_sigterm_then_exits_0(tmp_path: Path) -> None:
    port = free_port()
    process = start_command(tmp_path, "--listen", f"127.0.0.1:{port}", env={"COMMANDER_WATCH_TOKEN": TOKEN})
    try:
        auth = {"Authorization": f"Bearer {TOKEN}"}

        def healthy() -> bool:
            assert process.poll() is None, process.communicate()[1]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", headers=auth, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, 30, 0.1, message="commander watch did not answer /healthz within 30 s.")
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 401
        answer = httpx.post(f"http://127.0.0.1:{port}/alertmanager", json=webhook("cli"), headers=auth, timeout=5)
        assert answer.status_code == 200, answer.text
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    lines = err.strip().splitlines()
    assert any("listening" in line and f"port={port}" in line and "auth=bearer" in line for line in lines)
    assert any("alerts received firing=1 resolved=0" in line for line in lines)
    assert lines[-1].endswith("stopped")
    assert TOKEN not in err
    assert json.dumps(webhook("cli")["alerts"][0]["labels"]) not in err


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("mode", "content", "said"),
    [
        (0o644, TOKEN, "can be read by every user"),
        (0o600, "\n", "is empty"),
        (0o600, "short", "shorter than 16"),
        (0o600, "two words here, too long", "printable ASCII without spaces"),
    ],
)
def test_a_token_file_others_can_read_or_an_unusable_token_is_refused(
    tmp_path: Path, mode: int, content: str, said: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(content)
    token_file.chmod(mode)
    process = start_command(tmp_path, "--listen", "127.0.0.1:0", "--token-file", str(token_file))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert said in err and err.startswith("commander: ")
    assert TOKEN not in err


@pytest.mark.e2e
def test_an_address_in_use_is_refused_with_what_to_do(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start_command(tmp_path, "--listen", f"127.0.0.1:{port}")
        _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in err and "--listen" in err


# -- the command's own checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:9095", ("127.0.0.1", 9095)), ("[::1]:0", ("::1", 0)), ("localhost:80", ("localhost", 80))],
)
def test_listen_is_host_and_port(text: str, expected: tuple[str, int]) -> None:
    from commander.cli.watch import parse_listen

    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9095", ":9095", "host:", "host:port", "host:65536", "[::1]"])
def test_listen_that_is_not_host_and_port_is_refused(text: str) -> None:
    from commander.cli.session import Refusal
    from commander.cli.watch import parse_listen

    with pytest.raises(Refusal, match="is not HOST:PORT"):
        parse_listen(text)


def test_an_empty_token_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from commander.cli import watch as watch_command
    from commander.cli.session import Refusal

    monkeypatch.setenv("COMMANDER_WATCH_TOKEN", "  ")
    with pytest.raises(Refusal, match="COMMANDER_WATCH_TOKEN is empty"):
        watch_command._env_token()
    monkeypatch.setenv("COMMANDER_WATCH_TOKEN", TOKEN)
    assert watch_command._env_token() == TOKEN
    monkeypatch.delenv("COMMANDER_WATCH_TOKEN")
    assert watch_command._env_token() is None


def test_a_token_file_its_group_can_read_is_used_with_a_warning(tmp_path: Path) -> None:
    from commander.cli.watch import read_token

    path = tmp_path / "token"
    path.write_text(f"{TOKEN}\n")
    path.chmod(0o640)
    warned: list[str] = []
    assert read_token(str(path), warn=warned.append) == TOKEN
    assert len(warned) == 1 and "can be read by its group" in warned[0] and TOKEN not in warned[0]
