"""What an Alertmanager (or whatever answers at its address) sends is bounded: an answer too large or
nested too deep shows the source down with the reason, and an oversize alert is trimmed, not stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from commander.app import alerts as triage_app
from commander.app.bootstrap import build_console
from commander.app.console import Console
from commander.integrations import alertmanager
from commander.integrations.secrets import SecretStore
from tests.helpers.fakes import Reply, serve

JSON = {"content-type": "application/json"}


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    made = build_console(f"sqlite:///{tmp_path}/c.db")
    yield made
    made.close()


def read(console: Console, body: str) -> triage_app.AlertsResult:
    secrets = SecretStore()
    with serve(lambda request: Reply(200, body, JSON)) as service:
        triage_app.add_source(console, "alertmanager", "odd", service.base, {}, "", secrets)
        [result] = triage_app.fetch_all(console, secrets, timeout=5)
    return result


def test_an_answer_nested_too_deep_is_down_not_a_recursion_error(console: Console) -> None:
    result = read(console, "[" * 100_000 + "]" * 100_000)
    assert result.state == "down"
    assert "answered with JSON nested deeper than 64 levels; Alertmanager never sends that" in result.error


def test_an_answer_past_the_size_limit_is_down_before_it_is_read_whole(
    console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(alertmanager, "RESPONSE_MAX_BYTES", 4096)
    result = read(console, json.dumps([{"labels": {"alertname": "A", "pad": "x" * 5000}}]))
    assert result.state == "down"
    assert "answered /api/v2/alerts with more than" in result.error and "Narrow the source's filter" in result.error


def test_an_oversize_alert_is_trimmed_so_attaching_it_stores_no_megabytes(console: Console) -> None:
    item = {
        "labels": {"alertname": "HighErrorRate", "service": "checkout", "pod": "p" * 3_000_000},
        "annotations": {"description": "d" * 1_000_000},
        "fingerprint": "1a30ba71cca2921f",
        "startsAt": "2026-11-28T09:10:00Z",
        "status": {"state": "active"},
    }
    result = read(console, json.dumps([item]))
    assert result.up
    [alert] = result.alerts
    assert alert.labels == {"alertname": "HighErrorRate", "service": "checkout"}
    assert len(alert.annotations["description"]) == 16_384
    state = triage_app.declare_from_alerts(console, [alert])
    stored = [e for e in console.reads.stream(f"incident:{state.id}") if e.kind == "alert.attached"]
    assert len(stored) == 1 and len(json.dumps(stored[0].payload)) < 20_000
