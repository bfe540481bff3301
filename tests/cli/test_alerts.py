"""`commander alerts …` in-process, against the session's real Alertmanager (skipped without it) and
against alerts ingested from files."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import Result, Run, refused
from tests.helpers import alertmanager as shared
from tests.helpers.alertmanager import RunningAlertmanager, alert, new_test_label

alertmanager = shared.alertmanager  # the session's one Alertmanager process

WEBHOOK = {
    "receiver": "commander",
    "status": "firing",
    "version": "4",
    "groupKey": "{}:{}",
    "truncatedAlerts": 0,
    "groupLabels": {"alertname": "ProbeFailure"},
    "commonLabels": {},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "ProbeFailure", "job": "http_checks", "severity": "critical"},
            "annotations": {"summary": "Probe failing: https://shop.example"},
            "startsAt": "2026-11-28T08:08:45.828Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph",
            "fingerprint": "1a30ba71cca2921f",
        }
    ],
}
PAGERDUTY = {
    "routing_key": "R0UTINGKEY",
    "event_action": "trigger",
    "dedup_key": "disk-db-1",
    "payload": {
        "summary": "Disk 91% full on db-1",
        "source": "db-1",
        "severity": "warning",
        "group": "orders-db",
        "class": "DiskFilling",
    },
}


@pytest.fixture
def firing(alertmanager: RunningAlertmanager, run: Run) -> str:
    """Two alerts firing for this test, read through a source filtered on them; returns the test label."""
    test = new_test_label()
    alertmanager.post(
        alert(test, "HighErrorRate", service="checkout", severity="critical", instance="lb-1", summary="5xx above 5%"),
        alert(test, "DiskFilling", job="node", severity="warning", summary="/var 91% full"),
    )
    added = run(
        "alerts", "source", "add", "alertmanager", "prod", "--url", alertmanager.url, "--filter", f'test="{test}"'
    )
    assert added.code == 0, added.err
    return test


def fingerprints(run: Run) -> dict[str, str]:
    listed = run("alerts", "list", "--json")
    assert listed.code == 0, listed.err
    return {a["name"]: a["fingerprint"] for a in listed.json()["alerts"]}


def test_sources_are_added_listed_and_removed_with_the_secret_from_stdin(run: Run) -> None:
    added = run(
        "alerts",
        "source",
        "add",
        "alertmanager",
        "prod",
        "--url",
        "https://am.example:9093",
        "--auth",
        "basic",
        "--user",
        "ops",
        stdin="s3cret\n",
    )
    assert added.code == 0 and added.out == "Added prod (alertmanager, https://am.example:9093).\n"
    listed = run("alerts", "source", "list")
    assert "prod" in listed.out and "basic, secret here" in listed.out and "s3cret" not in listed.out
    refused(
        run("alerts", "source", "add", "alertmanager", "prod", "--url", "https://x.example"),
        "already an alert source called prod",
    )
    refused(
        run(
            "alerts", "source", "add", "alertmanager", "b", "--url", "https://x.example", "--auth", "bearer", stdin="\n"
        ),
        "No secret given",
    )
    assert run("alerts", "source", "secret", "prod", stdin="n3w\n").out == "Kept the secret for prod in the keyring.\n"
    assert run("alerts", "source", "remove", "prod").out == "Removed prod.\n"
    assert "No alert sources yet" in run("alerts", "source", "list").out


def test_list_shows_groups_and_a_down_source_says_why(run: Run, firing: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run("alerts", "source", "add", "alertmanager", "gone", "--url", f"http://127.0.0.1:{port}")
    listed = run("alerts", "list")
    assert listed.code == 1  # a source is down
    assert f"gone: down: cannot connect to http://127.0.0.1:{port} (connection refused)" in listed.err
    lines = listed.out.splitlines()
    assert lines[0] == "prod: up, 2 firing"
    assert lines[2] == "SEV2  HighErrorRate · checkout  (1 firing)"
    assert "critical" in lines[3] and "prod" in lines[3] and "5xx above 5%" in lines[3]
    assert lines[4] == "SEV3  DiskFilling · node  (1 firing)"
    document = run("alerts", "list", "--json", "--source", "prod").json()
    assert document["sources"][0]["state"] == "up" and document["sources"][0]["firing"] == 2
    first = document["alerts"][0]
    assert (first["name"], first["service"], first["proposed_severity"]) == ("HighErrorRate", "checkout", "SEV2")


def test_declare_attach_noise_from_the_command_line(run: Run, firing: str) -> None:
    found = fingerprints(run)
    declared = run("alerts", "declare", found["HighErrorRate"][:8])
    assert declared.code == 0, declared.err
    ref = declared.out.strip()
    assert declared.err == "SEV2 declared: HighErrorRate: 5xx above 5% (1 alert attached)\n"
    assert run("alerts", "attach", ref, found["DiskFilling"]).out == f"{ref}  1 alert attached\n"
    refused(run("alerts", "attach", ref, found["DiskFilling"]), "already attached")
    marked = run("alerts", "noise", found["DiskFilling"], "--reason", "threshold too low", "--incident", ref)
    assert marked.out == f"Marked 1 alert as noise on {ref}.\n"
    shown = run("show", ref).out
    assert "Alert attached from prod: HighErrorRate" in shown and "Alert marked as noise: DiskFilling" in shown
    refused(run("alerts", "declare", "ffffffff"), "No firing alert has a fingerprint starting with 'ffffffff'")


def test_silence_is_shown_confirmed_created_listed_and_expired(
    run: Run, alertmanager: RunningAlertmanager, firing: str
) -> None:
    found = fingerprints(run)
    ref = run("alerts", "declare", found["HighErrorRate"]).out.strip()
    asked = run("alerts", "silence", ref, "--minutes", "45", "--comment", "rolling back")
    assert asked.code == 1 and asked.out == ""
    shown, _, said = asked.err.rpartition("commander: ")
    assert said == "Nothing was created. Add --yes to create this silence without being asked.\n"
    assert '  alertname="HighErrorRate"\n' in shown and f"Comment: {ref}: rolling back" in shown  # shown first
    assert all(s["comment"] != f"{ref}: rolling back" for s in alertmanager.silences())

    created = run("alerts", "silence", ref, "--minutes", "45", "--comment", "rolling back", "--yes")
    assert created.code == 0, created.err
    silence_id = created.out.split()[2]
    assert created.out == f"{ref}  silence {silence_id} created in prod\n"
    assert "In prod, for 45 minutes" in created.err
    states = {a["labels"]["alertname"]: a["status"]["state"] for a in alertmanager.alerts(firing)}
    assert states == {"HighErrorRate": "suppressed", "DiskFilling": "active"}
    [listed] = [s for s in run("alerts", "silences", "--json").json()["silences"] if s["silence_id"] == silence_id]
    assert listed["incident"] == ref and listed["state"] == "active"
    assert listed["comment"] == f"{ref}: rolling back"

    assert run("alerts", "expire", silence_id).out == f"Expired silence {silence_id} in prod.\n"
    assert all(a["status"]["state"] == "active" for a in alertmanager.alerts(firing))
    assert "Silence expired in prod" in run("show", ref).out
    refused(run("alerts", "expire", "00000000-0000-0000-0000-000000000000"), "name its source with --source")
    refused(
        run("alerts", "expire", "00000000-0000-0000-0000-000000000000", "--source", "prod"),
        "Could not expire the silence in prod",
        "silence not found",
    )


def test_pushed_alerts_are_ingested_from_a_file_or_stdin(run: Run, tmp_path: Path, declare: Callable[..., str]) -> None:
    pushed = tmp_path / "alerts.json"
    pushed.write_text(json.dumps([WEBHOOK, PAGERDUTY]), encoding="utf-8")
    assert run("alerts", "ingest", str(pushed)).out == "Ingested 2 firing and 0 resolved alerts (source: file).\n"
    listed = run("alerts", "list", "--source", "file", "--json").json()
    assert {a["fingerprint"]: a["service"] for a in listed["alerts"]} == {
        "1a30ba71cca2921f": "http_checks",
        "disk-db-1": "orders-db",
    }
    assert "R0UTINGKEY" not in json.dumps(listed)
    resolve = {"routing_key": "R0UTINGKEY", "event_action": "resolve", "dedup_key": "disk-db-1"}
    assert (
        run("alerts", "ingest", "-", stdin=json.dumps(resolve)).out
        == "Ingested 0 firing and 1 resolved alert (source: file).\n"
    )
    assert [a["fingerprint"] for a in run("alerts", "list", "--json").json()["alerts"]] == ["1a30ba71cca2921f"]
    ref = declare()
    refused(run("alerts", "silence", ref, "1a30ba71", "--yes"), "ingested from a file")
    refused(run("alerts", "ingest", str(tmp_path / "missing.json")), "Cannot read", "Check the path")
    refused(run("alerts", "ingest", "-", stdin='{"hello": 1}'), "neither an Alertmanager webhook message")


def test_no_sources_says_how_to_add_one(run: Run) -> None:
    listed: Result = run("alerts", "list")
    assert listed.code == 0 and "No alert sources yet" in listed.out
